import { afterEach, describe, expect, it, vi } from 'vitest';
import type { WebSocket as WsWebSocket } from 'ws';
import type { LifecycleSignal } from '../../src/adapters/types.js';
import { webAdapter } from '../../src/adapters/web.js';
import { createConnection } from '../../src/connection.js';
import { SocketTaskError } from '../../src/errors.js';
import { createFakeBrowserScope } from '../fixtures/platforms/browser.js';
import { expectSuspendedUntilBack } from './lifecycleSuite.js';
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

describe('webAdapter: default lifecycle', () => {
  const harness = useAdapterHarness(makeAdapter);

  /** Makes the global scope a browser's, as far as the lifecycle reads it. */
  function stubBrowser(browser = createFakeBrowserScope()) {
    for (const [name, value] of Object.entries(browser.window)) vi.stubGlobal(name, value);
    return browser;
  }

  afterEach(() => {
    vi.unstubAllGlobals();
  });

  it('has no lifecycle in Node, whose global scope has no addEventListener', () => {
    expect(makeAdapter(harness.env).lifecycle).toBeUndefined();
  });

  it("maps the window's offline and online and the document's visibilitychange to lifecycle signals", () => {
    const browser = stubBrowser();
    const signals: LifecycleSignal[] = [];
    const unsubscribe = makeAdapter(harness.env).lifecycle?.subscribe((signal) => signals.push(signal));
    browser.goOffline();
    browser.goOnline();
    browser.hide();
    browser.show();
    expect(signals).toEqual(['offline', 'online', 'background', 'foreground']);
    unsubscribe?.();
    expect(browser.listenerCount('online')).toBe(0);
    expect(browser.listenerCount('visibilitychange')).toBe(0);
  });

  it('after a drop while the page is hidden, waits in CLOSED.suspended without an attempt or a retry, and reconnects at once when it is visible again', async () => {
    const browser = stubBrowser();
    const created: WsWebSocket[] = [];
    await expectSuspendedUntilBack({
      harness,
      adapter: webAdapter({ WebSocket: recordingWebSocket(created) }),
      leave: () => browser.hide(),
      back: () => browser.show(),
      attempts: () => created.length,
    });
  });

  it('after a drop while the browser is offline, waits in CLOSED.suspended and reconnects at once on the online event', async () => {
    const browser = stubBrowser();
    const created: WsWebSocket[] = [];
    await expectSuspendedUntilBack({
      harness,
      adapter: webAdapter({ WebSocket: recordingWebSocket(created) }),
      leave: () => browser.goOffline(),
      back: () => browser.goOnline(),
      attempts: () => created.length,
    });
  });
});
