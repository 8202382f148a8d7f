import { afterEach, describe, expect, it, vi } from 'vitest';
import type { WebSocket as WsWebSocket } from 'ws';
import { webAdapter } from '../../src/adapters/web.js';
import { createConnection } from '../../src/connection.js';
import { SocketTaskError } from '../../src/errors.js';
import {
  type AdapterSuiteEnv,
  adapterSuite,
  recordingWebSocket,
  useAdapterHarness,
  within,
} from './suite.js';

const makeAdapter = ({ WebSocket }: AdapterSuiteEnv) => webAdapter({ WebSocket });

adapterSuite('web', makeAdapter);

describe('webAdapter', () => {
  const { serve, connect } = useAdapterHarness(makeAdapter);

  afterEach(() => {
    vi.unstubAllGlobals();
  });

  it('throws ERR_INVALID_ADAPTER when there is no global WebSocket and none is given', () => {
    // Node 20 has no global WebSocket; stubbing makes the test mean the same on every Node version.
    vi.stubGlobal('WebSocket', undefined);
    const attempt = () => webAdapter({});
    expect(attempt).toThrow(SocketTaskError);
    expect(attempt).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ADAPTER' }));
    expect(attempt).toThrow(
      /^webAdapter\(\): no WebSocket class; pass one, e.g. webAdapter\(\{ WebSocket \}\)/,
    );
  });

  it('uses the global WebSocket when none is given', async () => {
    const server = await serve();
    const created: WsWebSocket[] = [];
    vi.stubGlobal('WebSocket', recordingWebSocket(created));
    const probe = connect({ url: server.url, adapter: webAdapter() });
    await within(probe.opened, 'open');
    expect(created).toHaveLength(1);
  });

  it('rejects handshake headers at once with ERR_INVALID_HEADER, before any socket exists', () => {
    const created: WsWebSocket[] = [];
    const attempt = () =>
      createConnection({
        url: 'ws://127.0.0.1:9',
        adapter: makeAdapter({ WebSocket: recordingWebSocket(created) }),
        header: { 'x-token': 'abc' },
      });
    expect(attempt).toThrow(SocketTaskError);
    expect(attempt).toThrow(expect.objectContaining({ code: 'ERR_INVALID_HEADER' }));
    expect(attempt).toThrow(/^createConnection\(\): the web platform cannot set handshake headers/);
    expect(created).toEqual([]);
  });
});
