import { describe, expect, it, vi } from 'vitest';
import { wechatLegacyAdapter, wechatLegacyProfile } from '../../src/adapters/wechatLegacy.js';
import { createConnection } from '../../src/connection/createConnection.js';
import { SocketTaskError } from '../../src/errors.js';
import { withoutLifecycle } from '../fixtures/platforms/appLifecycle.js';
import { createFakeLegacyWx, type FakeLegacyWx } from '../fixtures/platforms/wechatLegacy.js';
import { echo, type TestWsServer } from '../fixtures/wsServer.js';
import { within } from '../helpers.js';
import { adapterLifecycleSuite } from './lifecycleSuite.js';
import { adapterSuite, type Probe, useAdapterHarness } from './suite.js';

const REPLACED = { code: 1000, reason: 'replaced by a new connection' };

adapterSuite(
  'wechat (legacy global API)',
  ({ WebSocket }) => wechatLegacyAdapter({ wx: createFakeLegacyWx({ WebSocket }) }),
  { replacesOnLimit: true },
);

/** Every message a connection delivers from now on. */
function received(probe: Probe): unknown[] {
  const messages: unknown[] = [];
  probe.conn.onMessage(({ data }) => messages.push(data));
  return messages;
}

/** The server's connections that are still open. */
function live(server: TestWsServer) {
  return server.connections.filter((connection) => connection.close === undefined);
}

describe('createFakeLegacyWx', () => {
  const { env, serve } = useAdapterHarness(({ WebSocket }) =>
    wechatLegacyAdapter({ wx: createFakeLegacyWx({ WebSocket }) }),
  );

  /** Resolves with the next payload of one of the fake's global events. */
  const next = (subscribe: (listener: (payload: unknown) => void) => void) => {
    let resolve!: (payload: unknown) => void;
    let waiting = true;
    const payload = new Promise<unknown>((r) => {
      resolve = r;
    });
    subscribe((value) => {
      if (waiting) resolve(value);
      waiting = false;
    });
    return payload;
  };

  it('closes an open socket with 1000 when connectSocket is called again, reports that close, and opens the new socket', async () => {
    const server = await serve();
    const wx = createFakeLegacyWx({ WebSocket: env.WebSocket });
    const firstOpen = next((l) => wx.onSocketOpen(l));
    wx.connectSocket({ url: server.url });
    await within(firstOpen, 'the first open');

    const replacedClose = next((l) => wx.onSocketClose(l));
    const secondOpen = next((l) => wx.onSocketOpen(l));
    wx.connectSocket({ url: server.url });
    expect(await within(replacedClose, 'the replaced socket close')).toEqual({ code: 1000, reason: '' });
    await within(secondOpen, 'the second open');
    expect(await within((await server.connection(0)).closed, 'server close')).toEqual({
      code: 1000,
      reason: '',
    });
    expect(wx.sockets[0]?.log).toContain('replaced by connectSocket');
    expect(wx.sockets[1]?.readyState).toBe(1);

    const closed = next((l) => wx.onSocketClose(l));
    wx.closeSocket({ code: 1000, success: () => {} });
    await within(closed, 'the second close');
  });

  it('aborts a socket still connecting when connectSocket is called again: an error, then close 1006', async () => {
    const server = await serve();
    const wx = createFakeLegacyWx({ WebSocket: env.WebSocket });
    const error = next((l) => wx.onSocketError(l));
    const replacedClose = next((l) => wx.onSocketClose(l));
    const opened = next((l) => wx.onSocketOpen(l));
    wx.connectSocket({ url: server.url });
    wx.connectSocket({ url: server.url });

    expect(await within(error, 'the aborted handshake error')).toEqual({
      errMsg: 'WebSocket was closed before the connection was established',
    });
    expect(await within(replacedClose, 'the aborted handshake close')).toEqual({ code: 1006, reason: '' });
    await within(opened, 'the second open');
    const closed = next((l) => wx.onSocketClose(l));
    wx.closeSocket({ success: () => {} });
    await within(closed, 'the second close');
  });
});

describe('wechatLegacyAdapter', () => {
  let wx!: FakeLegacyWx;
  const { adapter, serve, connect, open } = useAdapterHarness(({ WebSocket }) => {
    wx = createFakeLegacyWx({ WebSocket });
    return wechatLegacyAdapter({ wx });
  });

  it('has the profile of a single-socket platform that ignores a close while CONNECTING', () => {
    expect(adapter().profile).toBe(wechatLegacyProfile);
    expect(wechatLegacyProfile).toEqual({
      closeWhileConnecting: 'ignored',
      maxConcurrent: 1,
      requiresSecureUrl: true,
      binary: true,
      headers: true,
      protocols: true,
      replacesAtLimit: true,
    });
  });

  it.each([
    [
      undefined,
      /^wechatLegacyAdapter\(\): wx must be the mini-program's wx object, got undefined; pass it as wechatLegacyAdapter\(\{ wx \}\)$/,
    ],
    [
      {},
      /^wechatLegacyAdapter\(\): wx\.connectSocket must be a function, got undefined; pass the mini-program's wx object, from WeChat base library 1\.0\.0 or later$/,
    ],
    [
      { connectSocket() {} },
      /^wechatLegacyAdapter\(\): wx\.onSocketOpen must be a function, got undefined; pass the mini-program's wx object, from WeChat base library 1\.0\.0 or later$/,
    ],
  ])('throws ERR_INVALID_ADAPTER for wx = %o', (value, message) => {
    const attempt = () => wechatLegacyAdapter({ wx: value as never });
    expect(attempt).toThrow(SocketTaskError);
    expect(attempt).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ADAPTER' }));
    expect(attempt).toThrow(message);
  });

  it.each([-1, Number.NaN, Number.POSITIVE_INFINITY])(
    'throws ERR_INVALID_ADAPTER for releaseTimeout = %s',
    (value) => {
      adapter();
      const attempt = () => wechatLegacyAdapter({ wx, releaseTimeout: value });
      expect(attempt).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ADAPTER' }));
      expect(attempt).toThrow(
        /^wechatLegacyAdapter\(\): releaseTimeout must be a finite number of ms >= 0; got /,
      );
    },
  );

  it('leaves the fake platform alone until a connection is made', () => {
    adapter();
    const events = ['open', 'message', 'error', 'close'] as const;
    expect(events.map((event) => wx.listenerCount(event))).toEqual([0, 0, 0, 0]);
    expect(wx.sockets).toEqual([]);
  });

  it('replaces an open connection: it gets exactly one close saying so, its socket closes before the new one exists, and no event crosses over', async () => {
    const server = await serve();
    const first = await open(server);
    const firstReceived = received(first);
    // In flight as the replacement starts, so it reaches the global listener after it.
    first.peer.socket.send('for the old connection');
    const second = connect({ url: server.url });
    const secondReceived = received(second);
    expect(wx.sockets).toHaveLength(1);

    expect(await within(first.conn.closed, 'the first closed')).toEqual(REPLACED);
    expect(await within(first.peer.closed, 'the server saw the first close')).toEqual(REPLACED);
    await within(second.opened, 'the second opened');
    expect(wx.sockets[0]?.log).not.toContain('replaced by connectSocket');

    const reply = second.nextMessage();
    await second.conn.send('for the new connection');
    expect(await reply).toEqual({ data: 'for the new connection' });
    await expect(first.conn.send('stale')).rejects.toMatchObject({ code: 'ERR_CLOSED' });
    const peer = await server.connection(1);
    expect(peer.messages.map(({ data }) => data.toString())).toEqual(['for the new connection']);
    expect(first.peer.messages).toEqual([]);
    expect(firstReceived).toEqual([]);
    expect(secondReceived).toEqual(['for the new connection']);
    expect(first.closes).toEqual([REPLACED]);
    expect(first.log).toEqual(['open', 'close']);
    expect(second.log).toEqual(['open']);
    expect(live(server)).toEqual([peer]);
  });

  it('replaces a connection still CONNECTING: it gets exactly one close and never opens, and its socket is closed once open', async () => {
    const server = await serve();
    const first = connect({ url: server.url });
    const second = connect({ url: server.url });

    expect(await within(first.conn.closed, 'the first closed')).toEqual(REPLACED);
    expect(first.log).toEqual(['close']);
    expect(first.states).toEqual(['CONNECTING', 'CLOSED']);
    await within(second.opened, 'the second opened');
    expect(await within((await server.connection(0)).closed, 'the server saw the first close')).toEqual(
      REPLACED,
    );

    const reply = second.nextMessage();
    await second.conn.send('after the handshake race');
    expect(await reply).toEqual({ data: 'after the handshake race' });
    expect(first.closes).toEqual([REPLACED]);
    expect(second.log).toEqual(['open']);
    expect(live(server)).toEqual([await server.connection(1)]);
  });

  it.each(['defer', 'ignore'] as const)(
    "replaces a CONNECTING connection whose close is pending (closeBeforeOpen '%s') with exactly one close",
    async (closeBeforeOpen) => {
      const server = await serve();
      const first = connect({ url: server.url, closeBeforeOpen });
      const early = first.conn.close({ code: 4001, reason: 'early' });
      const second = connect({ url: server.url });

      expect(await within(early, 'the early close() settled')).toEqual(REPLACED);
      await within(second.opened, 'the second opened');
      expect(first.closes).toEqual([REPLACED]);
      expect(first.log).toEqual(['close']);
      expect(await within((await server.connection(0)).closed, 'server close')).toEqual(REPLACED);
      expect(second.conn.state).toBe('OPEN');
    },
  );

  it('lets three connections in a row each replace the one before; data flows on the last only and the server ends with one client', async () => {
    const server = await serve();
    const first = await open(server);
    const second = await open(server);
    const third = await open(server);
    const messages = [first, second, third].map(received);

    for (const probe of [first, second]) {
      expect(await within(probe.conn.closed, 'a replaced connection closed')).toEqual(REPLACED);
      expect(await within(probe.peer.closed, 'the server saw it close')).toEqual(REPLACED);
      expect(probe.log).toEqual(['open', 'close']);
    }
    const reply = third.nextMessage();
    await third.conn.send('third');
    expect(await reply).toEqual({ data: 'third' });
    expect([first, second, third].map(({ peer }) => peer.messages.length)).toEqual([0, 0, 1]);
    expect(messages).toEqual([[], [], ['third']]);
    expect(live(server)).toEqual([third.peer]);

    await within(third.conn.close(), 'the third closed');
    await server.waitForNoClients();
  });

  it('replaces a connection still waiting for the socket with exactly one close; it never reaches the server', async () => {
    const server = await serve();
    const first = await open(server);
    const second = connect({ url: server.url });
    const third = connect({ url: server.url });

    expect(await within(second.conn.closed, 'the second closed')).toEqual(REPLACED);
    await within(third.opened, 'the third opened');
    expect(second.log).toEqual(['close']);
    expect(first.closes).toEqual([REPLACED]);
    expect(third.log).toEqual(['open']);
    expect(server.connections).toHaveLength(2);
    expect(wx.sockets).toHaveLength(2);
  });

  it('registers each wx.onSocket* listener once per wx, however many connections and adapters replace each other', async () => {
    const server = await serve();
    adapter();
    const other = wechatLegacyAdapter({ wx });
    const probes: Probe[] = [];
    for (let i = 0; i < 6; i += 1) probes.push(await open(server, i % 2 === 1 ? { adapter: other } : {}));

    for (const event of ['open', 'message', 'error', 'close'] as const) {
      expect(wx.listenerCount(event)).toBe(1);
    }
    const replaced = probes.slice(0, -1);
    await within(Promise.all(replaced.map(({ conn }) => conn.closed)), 'every replaced connection closed');
    expect(replaced.map(({ closes }) => closes)).toEqual(replaced.map(() => [REPLACED]));
    expect(wx.sockets).toHaveLength(6);
    expect(wx.sockets.slice(0, -1).every((socket) => socket.readyState === 3)).toBe(true);
    expect(live(server)).toHaveLength(1);
  });

  it("lets a connection made while the holder is closing wait for the holder's own close", async () => {
    const server = await serve();
    const first = await open(server);
    const closing = first.conn.close({ code: 4001, reason: 'handing over' });
    const second = connect({ url: server.url });
    await within(second.opened, 'the second opened');

    expect(await within(closing, 'the first closed')).toEqual({ code: 4001, reason: 'handing over' });
    expect(first.closes).toEqual([{ code: 4001, reason: 'handing over' }]);
    expect(await first.peer.closed).toEqual({ code: 4001, reason: 'handing over' });
    expect(wx.sockets[0]?.readyState).toBe(3);

    const reply = second.nextMessage();
    await second.conn.send('after the handover');
    expect(await reply).toEqual({ data: 'after the handover' });
    expect(second.log).toEqual(['open']);
  });

  it('creates the new socket only once the replaced socket reported its close, however late', async () => {
    const server = await serve();
    adapter();
    let onHeld!: (socketsWhileHeld: number) => void;
    const held = new Promise<number>((resolve) => {
      onHeld = resolve;
    });
    let release: (() => void) | undefined;
    // Delays the first close the platform reports, as a slow platform would.
    const slow = wechatLegacyAdapter({
      wx: {
        ...wx,
        onSocketClose: (listener) =>
          wx.onSocketClose((payload) => {
            if (release !== undefined) return listener(payload);
            release = () => listener(payload);
            onHeld(wx.sockets.length);
          }),
      },
    });
    const first = await open(server, { adapter: slow });
    const second = connect({ url: server.url, adapter: slow });
    expect(await within(first.conn.closed, 'the first closed')).toEqual(REPLACED);
    expect(await within(held, 'the replaced close reached the platform listener')).toBe(1);
    expect(wx.sockets).toHaveLength(1);
    expect(second.conn.state).toBe('CONNECTING');

    release?.();
    await within(second.opened, 'the second opened');
    expect(wx.sockets).toHaveLength(2);
    expect(first.closes).toEqual([REPLACED]);
    expect(second.log).toEqual(['open']);
    expect(second.closes).toEqual([]);
  });

  it('always passes callbacks, so sendSocketMessage and closeSocket never return a Promise', async () => {
    const server = await serve();
    await open(server);
    const probe = await open(server);
    await probe.conn.send('one');
    await within(probe.conn.close(), 'close');
    expect(wx.promiseCalls).toEqual([]);

    // Without callbacks the fake, like wx, returns a Promise.
    const bare = wx.closeSocket();
    expect(bare).toBeInstanceOf(Promise);
    await bare;
    expect(wx.promiseCalls).toEqual(['closeSocket']);
  });

  it.each(['closed', 'replaced'] as const)(
    'keeps a %s task from sending on, or closing, the socket of its successor',
    async (how) => {
      const server = await serve();
      const old = await adapter().connect({ url: server.url });
      await within(new Promise((resolve) => old.onOpen(resolve)), 'the old task opened');
      const oldClosed = new Promise((resolve) => old.onClose(resolve));
      if (how === 'closed') old.close({});
      const successor = connect({ url: server.url });
      await within(oldClosed, 'the old task closed');
      await within(successor.opened, 'the successor opened');

      const calls: string[] = [];
      old.send({ data: 'stale', success: () => calls.push('send ok'), fail: (e) => calls.push(e.errMsg) });
      old.close({ code: 4000, success: () => calls.push('close ok'), fail: (e) => calls.push(e.errMsg) });
      expect(calls).toEqual(['sendSocketMessage:fail not open: readyState 3 (CLOSED)', 'close ok']);

      const peer = await server.connection(1);
      await successor.conn.send('mine');
      expect((await peer.message(0)).data.toString()).toBe('mine');
      expect(peer.messages).toHaveLength(1);
      expect(successor.conn.state).toBe('OPEN');
    },
  );

  it('reports a failed wx.connectSocket call as error then close 1006, and frees the socket', async () => {
    const server = await serve();
    adapter();
    let refuse = true;
    const failing = wechatLegacyAdapter({
      wx: {
        ...wx,
        connectSocket: (options) =>
          refuse
            ? options.fail({ errMsg: 'connectSocket:fail url not in domain list' })
            : wx.connectSocket(options),
      },
    });
    const probe = connect({ url: server.url, adapter: failing });
    const info = await within(probe.conn.closed, 'closed');
    expect(probe.errors).toEqual([
      { errMsg: 'connectSocket:fail url not in domain list', code: 'ERR_PLATFORM' },
    ]);
    expect(info).toEqual({ code: 1006, reason: '' });

    refuse = false;
    const next = await open(server, { adapter: failing });
    expect(next.conn.state).toBe('OPEN');
  });

  it('lets the platform replace a socket whose close never comes after releaseTimeout, and keeps that late close from the newcomer', async () => {
    let handshakes = 0;
    const server = await serve({
      onConnection: echo,
      // Holds the newcomer's handshake until the replaced socket's close has reached the global listener.
      verifyClient: (_info, accept) => {
        handshakes += 1;
        const old = wx.sockets[0];
        if (handshakes === 1 || old === undefined || old.readyState === 3) return accept(true);
        old.ws.once('close', () => setImmediate(() => accept(true)));
      },
    });
    adapter();
    // A platform that accepts the close but never carries it out.
    const silent = { ...wx, closeSocket: ({ success }: { success: (r: unknown) => void }) => success({}) };
    const patient = wechatLegacyAdapter({ wx: silent, releaseTimeout: 50 });
    const first = await open(server, { adapter: patient });
    const second = connect({ url: server.url, adapter: patient });
    expect(await within(first.conn.closed, 'the first closed')).toEqual(REPLACED);
    await within(second.opened, 'the second opened');

    expect(wx.sockets[0]?.log).toEqual(
      expect.arrayContaining(['replaced by connectSocket', 'platform close']),
    );
    const reply = second.nextMessage();
    await second.conn.send('survived the old close');
    expect(await reply).toEqual({ data: 'survived the old close' });
    expect(first.closes).toEqual([REPLACED]);
    expect(second.log).toEqual(['open']);

    // This platform never carries out a close asked through the adapter; end the socket the way it would end.
    wx.sockets[1]?.ws.close(1000);
    expect(await within(second.conn.closed, 'the second closed')).toEqual({ code: 1000, reason: '' });
  });

  it('lets the platform replace a socket whose handshake hangs after releaseTimeout; its aborted handshake never reaches the newcomer', async () => {
    // The first handshake is not answered until the platform's replacement has aborted it.
    let hung: ((ok: boolean, code: number) => void) | undefined;
    const server = await serve({
      onConnection: echo,
      verifyClient: (_info, accept) => {
        if (hung === undefined) hung = accept;
        else accept(true);
      },
    });
    adapter();
    const patient = wechatLegacyAdapter({ wx, releaseTimeout: 50 });
    const first = connect({ url: server.url, adapter: patient });
    const second = connect({ url: server.url, adapter: patient });
    expect(await within(first.conn.closed, 'the first closed')).toEqual(REPLACED);
    await within(second.opened, 'the second opened');
    // Lets the server release the socket of the aborted handshake.
    hung?.(false, 503);

    expect(wx.sockets[0]?.log).toEqual([
      'replaced by connectSocket',
      'error: WebSocket was closed before the connection was established',
      'platform error',
      'platform close',
    ]);
    const reply = second.nextMessage();
    await second.conn.send('after the abort');
    expect(await reply).toEqual({ data: 'after the abort' });
    expect(first.log).toEqual(['close']);
    expect(second.log).toEqual(['open']);
    expect(second.errors).toEqual([]);
  });
});

describe('wechatLegacyAdapter with a hand-driven wx', () => {
  it('leaves no socket open when a given-up socket reports its close only after the new one opened', async () => {
    vi.useFakeTimers();
    try {
      type Listener = (payload: unknown) => void;
      const global: Record<'open' | 'message' | 'error' | 'close', Listener[]> = {
        open: [],
        message: [],
        error: [],
        close: [],
      };
      const emit = (event: keyof typeof global, payload: unknown) => {
        for (const listener of global[event]) listener(payload);
      };
      const calls: string[] = [];
      const wx = {
        connectSocket: (o: { url: string }) => void calls.push(`connectSocket ${o.url}`),
        onSocketOpen: (l: Listener) => void global.open.push(l),
        onSocketMessage: (l: Listener) => void global.message.push(l),
        onSocketError: (l: Listener) => void global.error.push(l),
        onSocketClose: (l: Listener) => void global.close.push(l),
        sendSocketMessage: (o: { success?: Listener }) => o.success?.({}),
        closeSocket: (o: { code?: number; success?: Listener }) => {
          calls.push(`closeSocket ${o.code ?? 'default'}`);
          o.success?.({ errMsg: 'closeSocket:ok' });
        },
      };
      const adapter = wechatLegacyAdapter({ wx, releaseTimeout: 100 });
      const a = createConnection({ url: 'wss://a.example/', adapter, errorGrace: 50, reconnect: false });
      await vi.advanceTimersByTimeAsync(5);
      // A's socket reports an error and, for now, no close.
      emit('error', { errMsg: 'A failed' });
      await vi.advanceTimersByTimeAsync(100);
      const b = createConnection({ url: 'wss://b.example/', adapter, errorGrace: 50, reconnect: false });
      await vi.advanceTimersByTimeAsync(200);
      emit('open', {});
      expect(b.state).toBe('OPEN');
      // The global close carries no socket identity: A's late close reaches B, whose socket is closed too.
      emit('close', { code: 1006, reason: 'late' });
      await vi.advanceTimersByTimeAsync(100);
      expect(a.state).toBe('CLOSED');
      expect(b.state).toBe('CLOSED');
      expect(calls.at(-1)).toBe('closeSocket default');
      expect(calls.filter((c) => c.startsWith('connectSocket'))).toEqual([
        'connectSocket wss://a.example/',
        'connectSocket wss://b.example/',
      ]);
    } finally {
      vi.useRealTimers();
    }
  });
});

adapterLifecycleSuite('wechat (legacy global API)', {
  platform: (env) => {
    const wx = createFakeLegacyWx(env);
    return { adapter: () => wechatLegacyAdapter({ wx }), device: wx.device };
  },
  bare: (env) => wechatLegacyAdapter({ wx: withoutLifecycle(createFakeLegacyWx(env)) }),
});
