import { describe, expect, it } from 'vitest';
import { nodeAdapter } from '../../src/adapters/node.js';
import { SocketTaskError } from '../../src/errors.js';
import { closedPort } from '../fixtures/wsServer.js';
import { adapterSuite, useAdapterHarness, within } from './suite.js';

adapterSuite('node', ({ WebSocket }) => nodeAdapter({ WebSocket }));

describe('nodeAdapter', () => {
  const { serve, connect, open } = useAdapterHarness(({ WebSocket }) => nodeAdapter({ WebSocket }));

  it('throws ERR_INVALID_ADAPTER when WebSocket is not a class', () => {
    const attempt = () => nodeAdapter({ WebSocket: 42 as never });
    expect(attempt).toThrow(SocketTaskError);
    expect(attempt).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ADAPTER' }));
    expect(attempt).toThrow(/^nodeAdapter\(\): WebSocket must be the ws package's WebSocket class, got 42$/);
  });

  it('passes the upgrade response headers to onOpen', async () => {
    const server = await serve({});
    server.wss.on('headers', (headers) => headers.push('X-Server: yes'));
    const { opens } = await open(server, { protocols: ['chat.v2'] });

    expect(opens).toHaveLength(1);
    expect(opens[0]?.header).toMatchObject({
      upgrade: 'websocket',
      'sec-websocket-accept': expect.any(String),
      'sec-websocket-protocol': 'chat.v2',
      'x-server': 'yes',
    });
  });

  it('reports the ECONNREFUSED code when nothing listens on the port', async () => {
    const probe = connect({ url: `ws://127.0.0.1:${await closedPort()}` });
    await within(probe.conn.closed, 'closed');
    expect(probe.errors).toEqual([{ errMsg: expect.stringMatching(/ECONNREFUSED/), code: 'ECONNREFUSED' }]);
  });

  it('names the HTTP status in the error of a rejected handshake', async () => {
    const server = await serve({ verifyClient: (_info, callback) => callback(false, 401) });
    const probe = connect({ url: server.url });
    await within(probe.conn.closed, 'closed');
    expect(probe.errors).toEqual([{ errMsg: 'Unexpected server response: 401', code: 'ERR_PLATFORM' }]);
  });

  it("uses the ws package's WebSocket when none is given", async () => {
    const server = await serve();
    const probe = connect({ url: server.url, adapter: nodeAdapter() });
    await within(probe.opened, 'open');
    const reply = probe.nextMessage();
    await probe.conn.send('default');
    expect(await reply).toEqual({ data: 'default' });
  });
});
