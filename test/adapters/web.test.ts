import type { Socket } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import websocket from 'websocket';
import type { WebSocket as WsWebSocket } from 'ws';
import type { LifecycleSignal } from '../../src/adapters/types.js';
import { type WebSocketConstructor, webAdapter } from '../../src/adapters/web.js';
import { createConnection } from '../../src/connection/createConnection.js';
import { SocketTaskError } from '../../src/errors.js';
import { createFakeBrowserScope } from '../fixtures/platforms/browser.js';
import { within } from '../helpers.js';
import { expectSuspendedUntilBack } from './lifecycleSuite.js';
import { type AdapterSuiteEnv, adapterSuite, recordingWebSocket, useAdapterHarness } from './suite.js';

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

describe('webAdapter: a close event without a code, from a WebSocket class that leaves it out', () => {
  type Kind = 'open' | 'error' | 'close';
  const sockets: Array<{ emit(kind: Kind, event: unknown): void }> = [];
  class Codeless {
    readyState = 0;
    binaryType = 'blob';
    private readonly listeners: Array<[string, (event: unknown) => void]> = [];
    constructor() {
      sockets.push(this);
    }
    send(): void {}
    close(): void {}
    addEventListener(type: string, listener: (event: unknown) => void): void {
      this.listeners.push([type, listener]);
    }
    emit(kind: Kind, event: unknown): void {
      for (const [type, listener] of this.listeners) if (type === kind) listener(event);
    }
  }

  it.each<[Kind[], { code: number; reason: string }]>([
    [['open', 'close'], { code: 1005, reason: '' }],
    [['close'], { code: 1006, reason: '' }],
    [['error', 'close'], { code: 1006, reason: '' }],
    [['open', 'error', 'close'], { code: 1006, reason: '' }],
  ])('after %j is reported as %o, never with an undefined code', async (events, expected) => {
    const task = await webAdapter({ WebSocket: Codeless }).connect({ url: 'ws://127.0.0.1:9' });
    const closes: unknown[] = [];
    task.onClose((event) => closes.push(event));
    const socket = sockets.at(-1);
    for (const kind of events) socket?.emit(kind, kind === 'close' ? { type: 'close' } : { type: kind });
    expect(closes).toEqual([expected]);
  });
});

/** The `websocket` package's W3C WebSocket: a WebSocket class some apps pass to the web adapter. */
const W3CWebSocket = websocket.w3cwebsocket as unknown as WebSocketConstructor;

/** A text frame and a Close frame, as a server writes them (unmasked), in one TCP write. */
function textThenClose(text: string, code: number): Buffer {
  const payload = Buffer.from(text);
  const status = Buffer.alloc(2);
  status.writeUInt16BE(code);
  return Buffer.concat([Buffer.from([0x81, payload.length]), payload, Buffer.from([0x88, 2]), status]);
}

describe("webAdapter over the websocket package's W3CWebSocket", () => {
  const { serve, connect, open } = useAdapterHarness(() => webAdapter({ WebSocket: W3CWebSocket }));

  it('closes with no reason as an empty one, where W3CWebSocket alone would send "Normal connection closure"', async () => {
    const server = await serve({});
    // What the class does by itself, so that this test would see an `undefined` reason passed on.
    const raw = new W3CWebSocket(server.url);
    await within(new Promise((resolve) => raw.addEventListener('open', resolve)), 'raw open');
    raw.close(1000);
    const rawPeer = await server.connection(0);
    expect(await within(rawPeer.closed, 'raw close')).toEqual({
      code: 1000,
      reason: 'Normal connection closure',
    });

    const probe = await open(server);
    const info = await within(probe.conn.close(), 'close');
    expect(await within(probe.peer.closed, 'server close')).toEqual({ code: 1000, reason: '' });
    expect(info).toEqual({ code: 1000, reason: '' });
    expect(probe.log).toEqual(['open', 'close']);
  });

  it("reports the server's close as W3CWebSocket reports it: a 1000 without a reason gets the class's own text", async () => {
    const server = await serve({});
    const probe = await open(server);
    probe.peer.socket.close(1000);
    expect(await within(probe.conn.closed, 'closed')).toEqual({
      code: 1000,
      reason: 'Normal connection closure',
    });
  });

  it('reports a server Close frame without a status as W3CWebSocket does: 1006, "Connection dropped by remote peer."', async () => {
    const server = await serve({});
    const probe = await open(server);
    probe.peer.socket.close();
    expect(await within(probe.conn.closed, 'closed')).toEqual({
      code: 1006,
      reason: 'Connection dropped by remote peer.',
    });
    expect(probe.log).toEqual(['open', 'close']);
  });

  it('never delivers an empty text message: W3CWebSocket drops empty text frames', async () => {
    const server = await serve();
    const { conn, peer, nextMessage } = await open(server);
    const reply = nextMessage();
    await conn.send('');
    await conn.send('after the empty one');
    // The server got and echoed both; the echo of '' came first and was dropped.
    expect((await peer.message(1)).data.toString()).toBe('after the empty one');
    expect(peer.messages.map((m) => m.data.toString())).toEqual(['', 'after the empty one']);
    expect(await reply).toEqual({ data: 'after the empty one' });
  });

  it('reports a close while CONNECTING at once, but the handshake goes on and W3CWebSocket closes it only when it completes', async () => {
    let accept!: () => void;
    let requested!: () => void;
    const upgradeSeen = new Promise<void>((resolve) => {
      requested = resolve;
    });
    const server = await serve({
      verifyClient: (_info, callback) => {
        accept = () => callback(true);
        requested();
      },
    });
    const probe = connect({ url: server.url });
    await within(upgradeSeen, 'the upgrade request');
    const info = await within(probe.conn.close({ code: 4001, reason: 'early' }), 'close');

    // What W3CWebSocket reports for its aborted handshake, though its TCP connection is still up.
    expect(info).toEqual({ code: 1006, reason: 'connection failed' });
    expect(probe.log).toEqual(['error', 'close']);
    expect(server.connections).toEqual([]);

    accept();
    const peer = await server.connection(0);
    expect(await within(peer.closed, 'the late close')).toEqual({ code: 4001, reason: 'early' });
  });

  it("stays OPEN after the server's Close frame until the TCP connection ends: a send meanwhile resolves, is never written, and turns the close into 1006", async () => {
    const server = await serve({});
    const probe = await open(server);
    const marker = probe.nextMessage();
    // Paused, the server never reads the client's answering Close frame, so it never ends the TCP connection.
    probe.peer.socket.pause();
    (probe.peer.socket as unknown as { _socket: Socket })._socket.write(textThenClose('marker', 4002));
    expect(await marker).toEqual({ data: 'marker' });
    // The Close frame came in the same TCP read as the marker, and has been handled by the next turn.
    await new Promise((resolve) => setImmediate(resolve));

    expect(probe.conn.state).toBe('OPEN');
    // W3CWebSocket answered the Close frame and ended its side: this write fails later, inside the class.
    await expect(within(probe.conn.send('lost'), 'send')).resolves.toBeUndefined();
    const info = await within(probe.conn.closed, 'closed');
    expect(info).toEqual({
      code: 1006,
      reason: expect.stringMatching(/^Socket Error: .*ERR_STREAM_WRITE_AFTER_END$/),
    });
    expect(probe.log).toEqual(['open', 'close']);

    probe.peer.socket.resume();
    expect(await within(probe.peer.closed, 'server close')).toEqual({ code: 1000, reason: '' });
    expect(probe.peer.messages).toEqual([]);
  });
});
