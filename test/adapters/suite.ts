import { type AddressInfo, createServer, type Socket } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { WebSocket as WsWebSocket } from 'ws';
import type {
  CloseEvent,
  ErrorEvent,
  MessageEvent,
  OpenEvent,
  SocketAdapter,
} from '../../src/adapters/types.js';
import { type Connection, createConnection } from '../../src/connection/createConnection.js';
import type { ConnectionOptions } from '../../src/options/connectionOptions.js';
import type { ReadyStateName } from '../../src/readyState.js';
import {
  closedPort,
  echo,
  type ServerConnection,
  startWsServer,
  type TestWsServer,
  type WsServerOptions,
} from '../fixtures/wsServer.js';
import { within } from '../helpers.js';

/** What the suite hands an adapter factory. */
export interface AdapterSuiteEnv {
  /**
   * `ws`'s WebSocket class, wrapped to record every socket it creates. Adapters built on a WebSocket class pass
   * it on, so the suite can check that no client socket outlives its connection.
   */
  WebSocket: typeof WsWebSocket;
}

/** What an adapter's platform does that the suite cannot read from its profile. */
export interface SuiteFeatures {
  /** The fake reports an abrupt drop or a failed handshake with an error and no close (uni-app App). */
  errorWithoutClose?: boolean;
  /** The platform's own error text when connecting beyond `profile.maxConcurrent`, e.g. /exceed max task count/. Needed when maxConcurrent is finite. */
  limitError?: RegExp;
  /** An adapter whose platform hands the task over only after it has opened (Taro's `Promise<SocketTask>`); the suite checks the open is still reported. */
  lateTask?: (env: AdapterSuiteEnv) => SocketAdapter;
  /** A connection beyond `profile.maxConcurrent` replaces the oldest instead of failing (WeChat's legacy global API). */
  replacesOnLimit?: boolean;
  /**
   * The library under test: `src/` by default. The runtime emulation (test/runtime/) passes the built package as
   * loaded in an emulated mini-program engine, so what it hands back lives in that engine's realm.
   */
  library?: { createConnection: typeof createConnection };
  /**
   * The task is handed over a timer after the platform created it (Taro on an engine whose promise reactions run
   * on timers, iOS 15): an error the platform reports before then reaches nobody, and with no readyState to read,
   * the attempt ends at `connectTimeout` instead (checked where this is set).
   */
  errorsBeforeHandOverLost?: boolean;
}

/** `instanceof` is realm-bound; a value from an emulated runtime is still recognised by its brand. */
function brand(value: unknown): string {
  return Object.prototype.toString.call(value);
}

/** A TCP server that accepts connections and never answers the upgrade: a handshake that stalls. */
export async function stalledServer(): Promise<{
  url: string;
  drained(): Promise<void>;
  stop(): Promise<void>;
}> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    // Reads and discards the upgrade request: a paused socket would never notice the client going away.
    socket.resume();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `ws://127.0.0.1:${port}`,
    drained: async () => {
      while (sockets.size > 0) await new Promise((resolve) => setImmediate(resolve));
    },
    stop: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Everything one connection reported, in order. */
export interface Probe {
  conn: Connection;
  /** `'open'`, `'error'` and `'close'`, in the order the listeners were called. */
  log: string[];
  opens: OpenEvent[];
  errors: ErrorEvent[];
  closes: CloseEvent[];
  /** Every state the connection entered, starting with CONNECTING. */
  states: ReadyStateName[];
  /** Resolves on the first open; rejects if the connection closes first. */
  opened: Promise<OpenEvent>;
  /** Resolves with the next message. */
  nextMessage(): Promise<MessageEvent>;
}

/**
 * The `errorGrace` the harness uses for a platform that reports errors without a close, and the suite uses
 * wherever an error may not be followed by a close: short, so that the synthesised close 1006 comes quickly.
 */
export const SHORT_ERROR_GRACE_MS = 100;

/**
 * The `closeTimeout` the harness uses for the same platforms: an errored socket that never reports its close is
 * given up after it, and only then does `closed` settle.
 */
export const SHORT_CLOSE_TIMEOUT_MS = 300;

/** `ws`'s WebSocket class, but every socket it constructs is also pushed onto `into`. */
export function recordingWebSocket(into: WsWebSocket[]): typeof WsWebSocket {
  return new Proxy(WsWebSocket, {
    construct(target, args) {
      const socket = Reflect.construct(target, args) as WsWebSocket;
      into.push(socket);
      return socket;
    },
  });
}

/** Narrows a value the test's skip condition already guarantees, failing loudly if a caller forgot it. */
function required<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`adapter suite: ${what} is required here`);
  return value;
}

function bytes(data: Buffer | ArrayBuffer): number[] {
  return [...new Uint8Array(data)];
}

/** Servers and connections whose cleanup and leak checks the harness owns. */
export interface AdapterHarness {
  /** What adapter factories get: the recording WebSocket class, e.g. to build a second adapter in a test. */
  env: AdapterSuiteEnv;
  /** The adapter of the current test: made on first use and shared by every connection of the test. */
  adapter(): SocketAdapter;
  /** Starts a test server (an echo server by default), stopped after the test. */
  serve(options?: WsServerOptions): Promise<TestWsServer>;
  /**
   * `createConnection` with the test's adapter (or `options.adapter`), recording every event. Passes
   * `allowInsecure: true` where the adapter's profile requires wss://, since test servers speak ws://.
   */
  connect(options: Partial<ConnectionOptions> & Pick<ConnectionOptions, 'url'>): Probe;
  /** Connects to `server` and waits for the open and for the server's side of the connection. */
  open(
    server: TestWsServer,
    options?: Partial<ConnectionOptions>,
  ): Promise<Probe & { peer: ServerConnection }>;
}

/**
 * Gives the tests of the enclosing `describe` servers and connections, and checks after each test that nothing
 * leaked: every connection's `closed` settled, every client socket is CLOSED, and no server has a client left.
 *
 * Each test gets ONE adapter, made lazily, so a fake platform's state (its count of open sockets against the
 * connection limit) is shared by all the connections of that test and starts afresh in the next.
 *
 * @example
 * ```ts
 * describe('nodeAdapter', () => {
 *   const { serve, open } = useAdapterHarness(({ WebSocket }) => nodeAdapter({ WebSocket }));
 *   it('...', async () => {
 *     const { conn, peer } = await open(await serve());
 *   });
 * });
 * ```
 */
export function useAdapterHarness(
  makeAdapter: (env: AdapterSuiteEnv) => SocketAdapter,
  features: SuiteFeatures = {},
): AdapterHarness {
  let servers: TestWsServer[] = [];
  let probes: Probe[] = [];
  let current: SocketAdapter | undefined;
  const sockets: WsWebSocket[] = [];
  const env: AdapterSuiteEnv = { WebSocket: recordingWebSocket(sockets) };

  const adapter = () => {
    current ??= makeAdapter(env);
    return current;
  };

  const serve = async (options: WsServerOptions = { onConnection: echo }) => {
    const server = await startWsServer(options);
    servers.push(server);
    return server;
  };

  const connect = (options: Partial<ConnectionOptions> & Pick<ConnectionOptions, 'url'>): Probe => {
    const chosen = options.adapter ?? adapter();
    // The suite checks one socket's life per connection: retrying would hide what the platform did.
    const defaults: Partial<ConnectionOptions> = { reconnect: false };
    if (chosen.profile.requiresSecureUrl) defaults.allowInsecure = true;
    // The close after such an error is synthesised after errorGrace; its default of 1 s would slow every test. The
    // socket is then given closeTimeout to report its end before it is given up, and `closed` waits for that.
    if (features.errorWithoutClose) {
      defaults.errorGrace = SHORT_ERROR_GRACE_MS;
      defaults.closeTimeout = SHORT_CLOSE_TIMEOUT_MS;
    }
    const conn = (features.library?.createConnection ?? createConnection)({
      ...defaults,
      ...options,
      adapter: chosen,
    });
    const probe: Probe = {
      conn,
      log: [],
      opens: [],
      errors: [],
      closes: [],
      states: [conn.state],
      opened: new Promise<OpenEvent>((resolve, reject) => {
        conn.onOpen(resolve);
        conn.onClose((event) => reject(new Error(`closed before open: ${JSON.stringify(event)}`)));
      }),
      nextMessage: () =>
        within(
          new Promise<MessageEvent>((resolve) => {
            const off = conn.onMessage((event) => {
              off();
              resolve(event);
            });
          }),
          'a message',
        ),
    };
    // A test that expects a failed open never awaits `opened`.
    probe.opened.catch(() => {});
    conn.onOpen((event) => {
      probe.log.push('open');
      probe.opens.push(event);
    });
    conn.onError((event) => {
      probe.log.push('error');
      probe.errors.push(event);
    });
    conn.onClose((event) => {
      probe.log.push('close');
      probe.closes.push(event);
    });
    conn.onStateChange((state) => probe.states.push(state));
    probes.push(probe);
    return probe;
  };

  const open = async (server: TestWsServer, options: Partial<ConnectionOptions> = {}) => {
    const index = server.connections.length;
    const probe = connect({ url: server.url, ...options });
    await within(probe.opened, 'open');
    const peer = await server.connection(index);
    return { ...probe, peer };
  };

  afterEach(async () => {
    const ending = { probes, servers, sockets: sockets.splice(0) };
    probes = [];
    servers = [];
    current = undefined;
    try {
      for (const { conn } of ending.probes) {
        if (conn.state !== 'CLOSED') conn.close().catch(() => {});
      }
      await within(Promise.all(ending.probes.map(({ conn }) => conn.closed)), 'every connection closed');
      // `closed` promises that the platform socket is gone, not merely that the machine stopped.
      for (const socket of ending.sockets) {
        expect(socket.readyState, 'client socket still open after `closed` settled').toBe(WsWebSocket.CLOSED);
      }
      for (const server of ending.servers) await server.waitForNoClients();
    } finally {
      await Promise.all(ending.servers.map((server) => server.stop()));
    }
  });

  return { env, adapter, serve, connect, open };
}

/**
 * Registers the behaviour every WebSocket-backed adapter must show against a real `ws` server on 127.0.0.1,
 * through `createConnection`. Capability differences are skipped by the adapter's profile and `features`,
 * never copied.
 *
 * @example
 * ```ts
 * adapterSuite('node', ({ WebSocket }) => nodeAdapter({ WebSocket }));
 * adapterSuite('wechat', ({ WebSocket }) => wechatAdapter({ wx: fakeWx({ WebSocket }) }), {
 *   limitError: /exceed max task count/,
 * });
 * ```
 */
export function adapterSuite(
  name: string,
  makeAdapter: (env: AdapterSuiteEnv) => SocketAdapter,
  features: SuiteFeatures = {},
): void {
  // Factories have no side effects, so one call at registration time is enough to read the profile.
  const { profile } = makeAdapter({ WebSocket: WsWebSocket });
  const { errorsBeforeHandOverLost, lateTask, limitError, replacesOnLimit } = features;
  const ignoresCloseWhileConnecting = profile.closeWhileConnecting === 'ignored';
  const limited = profile.maxConcurrent !== Number.POSITIVE_INFINITY;

  describe(`${name} adapter: shared suite`, () => {
    const { env, adapter, serve, connect, open } = useAdapterHarness(makeAdapter, features);

    describe('opening', () => {
      it('goes from CONNECTING (0) to OPEN (1) and fires onOpen exactly once', async () => {
        const server = await serve();
        const probe = connect({ url: server.url });
        expect(probe.conn.state).toBe('CONNECTING');
        expect(probe.conn.readyState).toBe(0);
        const seenInOnOpen: ReadyStateName[] = [];
        probe.conn.onOpen(() => seenInOnOpen.push(probe.conn.state));

        await within(probe.opened, 'open');
        expect(probe.conn.state).toBe('OPEN');
        expect(probe.conn.readyState).toBe(1);
        expect(seenInOnOpen).toEqual(['OPEN']);

        await within(probe.conn.close(), 'close');
        expect(probe.opens).toHaveLength(1);
        expect(probe.log).toEqual(['open', 'close']);
        expect(probe.states).toEqual(['CONNECTING', 'OPEN', 'CLOSING', 'CLOSED']);
      });

      it('calls an async url provider once for the attempt', async () => {
        const server = await serve();
        const url = vi.fn(async () => server.url);
        const probe = connect({ url });
        await within(probe.opened, 'open');
        await within(probe.conn.close(), 'close');
        expect(url).toHaveBeenCalledTimes(1);
        expect(server.connections).toHaveLength(1);
      });
    });

    describe('data', () => {
      it('round-trips text', async () => {
        const server = await serve();
        const { conn, peer, nextMessage } = await open(server);
        const reply = nextMessage();
        await conn.send('héllo ✓');
        expect(await peer.message(0)).toEqual({ data: Buffer.from('héllo ✓'), isBinary: false });
        expect(await reply).toEqual({ data: 'héllo ✓' });
      });

      it.skipIf(!profile.binary)('round-trips an ArrayBuffer as binary', async () => {
        const server = await serve();
        const { conn, peer, nextMessage } = await open(server);
        const reply = nextMessage();
        await conn.send(new Uint8Array([0, 1, 2, 254, 255]).buffer);

        const received = await peer.message(0);
        expect(received.isBinary).toBe(true);
        expect(bytes(received.data)).toEqual([0, 1, 2, 254, 255]);
        const { data } = await reply;
        expect(brand(data)).toBe('[object ArrayBuffer]');
        expect(bytes(data as ArrayBuffer)).toEqual([0, 1, 2, 254, 255]);
      });

      it.skipIf(!profile.binary)(
        'sends exactly the bytes of a Uint8Array view that does not span its buffer',
        async () => {
          const server = await serve();
          const { conn, peer, nextMessage } = await open(server);
          const buffer = new Uint8Array([10, 11, 12, 13, 14, 15, 16, 17]).buffer;
          const reply = nextMessage();
          await conn.send(new Uint8Array(buffer, 2, 3));

          const received = await peer.message(0);
          expect(received.isBinary).toBe(true);
          expect(bytes(received.data)).toEqual([12, 13, 14]);
          const { data } = await reply;
          expect(brand(data)).toBe('[object ArrayBuffer]');
          expect(bytes(data as ArrayBuffer)).toEqual([12, 13, 14]);
        },
      );

      it('send() returns a Promise that resolves while OPEN', async () => {
        const server = await serve({});
        const { conn, peer } = await open(server);
        const sent = conn.send('one');
        expect(brand(sent)).toBe('[object Promise]');
        await expect(within(sent, 'send')).resolves.toBeUndefined();
        expect((await peer.message(0)).data.toString()).toBe('one');
      });

      it('send() with callbacks returns undefined and calls success then complete exactly once', async () => {
        const server = await serve({});
        const { conn, peer } = await open(server);
        const calls: string[] = [];
        let completed!: () => void;
        const done = new Promise<void>((resolve) => {
          completed = resolve;
        });
        const result = conn.send('one', {
          success: () => calls.push('success'),
          fail: () => calls.push('fail'),
          complete: () => {
            calls.push('complete');
            completed();
          },
        });
        expect(result).toBeUndefined();
        await within(done, 'complete');
        // A later send that settles proves the first call has nothing left to report.
        await within(conn.send('two'), 'second send');
        expect(calls).toEqual(['success', 'complete']);
        expect((await peer.message(1)).data.toString()).toBe('two');
      });

      it('send() before open is queued and written on open, in order, before onOpen listeners run', async () => {
        const server = await serve({});
        const probe = connect({ url: server.url });
        const outcomes: string[] = [];
        const written = (name: string) => ({ success: () => outcomes.push(name) });
        probe.conn.send('first', written('first'));
        probe.conn.send(new Uint8Array([1, 2, 3]), written('binary'));
        const early = probe.conn.send('third');
        expect(probe.conn.queue).toEqual({ messages: 3, bytes: 5 + 3 + 5 });
        let queuedInOnOpen = -1;
        probe.conn.onOpen(() => {
          queuedInOnOpen = probe.conn.queue.messages;
          probe.conn.send('from onOpen').catch(() => {});
        });

        await within(probe.opened, 'open');
        await within(early, 'the queued sends');
        const peer = await server.connection();
        await peer.message(3);
        expect(queuedInOnOpen).toBe(0);
        expect(peer.messages.map((m) => (m.isBinary ? bytes(m.data) : m.data.toString()))).toEqual([
          'first',
          [1, 2, 3],
          'third',
          'from onOpen',
        ]);
        expect(outcomes).toEqual(['first', 'binary']);
        expect(probe.conn.queue).toEqual({ messages: 0, bytes: 0 });
      });

      it('with queue: false, send() before open fails with ERR_NOT_OPEN and nothing reaches the server', async () => {
        const server = await serve({});
        const probe = connect({ url: server.url, queue: false });
        // Both before anything is awaited: where promise reactions run on timers (iOS 15), the socket may open
        // in the time one await takes.
        const early = probe.conn.send('too early');
        const calls: string[] = [];
        probe.conn.send('too early', {
          fail: (error) => calls.push(`fail ${error.code}`),
          complete: () => calls.push('complete'),
        });
        await expect(early).rejects.toMatchObject({ name: 'SocketTaskError', code: 'ERR_NOT_OPEN' });
        await expect(early).rejects.toThrow(/^send\(\): not open: readyState 0 \(CONNECTING\)/);
        expect(calls).toEqual(['fail ERR_NOT_OPEN', 'complete']);

        await within(probe.opened, 'open');
        await probe.conn.send('after open');
        const peer = await server.connection();
        expect((await peer.message(0)).data.toString()).toBe('after open');
        expect(peer.messages).toHaveLength(1);
      });

      it('send() after close fails with ERR_CLOSED, or ERR_NOT_OPEN with queue: false', async () => {
        const server = await serve({});
        const { conn } = await open(server);
        await within(conn.close(), 'close');
        const late = conn.send('too late');
        await expect(late).rejects.toMatchObject({ name: 'SocketTaskError', code: 'ERR_CLOSED' });
        await expect(late).rejects.toThrow(/^send\(\): the connection is closed for good/);

        const unqueued = await open(server, { queue: false });
        await within(unqueued.conn.close(), 'close');
        const refused = unqueued.conn.send('too late');
        await expect(refused).rejects.toMatchObject({ name: 'SocketTaskError', code: 'ERR_NOT_OPEN' });
        await expect(refused).rejects.toThrow(/^send\(\): not open: readyState 3 \(CLOSED\)/);
      });

      it('fails every queued send with ERR_CLOSED when the connection is closed before it opens', async () => {
        const server = await serve({});
        const probe = connect({ url: server.url });
        const queued = [probe.conn.send('a'), probe.conn.send('b')].map((sent) =>
          sent.catch((e: unknown) => e),
        );
        await within(probe.conn.close(), 'close');
        for (const outcome of await Promise.all(queued)) {
          expect(outcome).toMatchObject({ name: 'SocketTaskError', code: 'ERR_CLOSED' });
        }
        expect(probe.conn.queue).toEqual({ messages: 0, bytes: 0 });
        expect(server.connections.flatMap((c) => c.messages)).toEqual([]);
      });
    });

    describe('closing', () => {
      it('client close({ code: 4001, reason }) reaches the server and closes exactly once', async () => {
        const server = await serve({});
        const probe = await open(server);
        const info = await within(probe.conn.close({ code: 4001, reason: 'bye' }), 'close');

        expect(await within(probe.peer.closed, 'server close')).toEqual({ code: 4001, reason: 'bye' });
        expect(info).toEqual({ code: 4001, reason: 'bye' });
        expect(await within(probe.conn.closed, 'closed')).toEqual(info);
        expect(probe.closes).toEqual([info]);
        expect(probe.conn.state).toBe('CLOSED');
        expect(probe.conn.readyState).toBe(3);
        expect(probe.states).toEqual(['CONNECTING', 'OPEN', 'CLOSING', 'CLOSED']);
      });

      it('close() without a code sends 1000', async () => {
        const server = await serve({});
        const probe = await open(server);
        await within(probe.conn.close(), 'close');
        expect(await within(probe.peer.closed, 'server close')).toEqual({ code: 1000, reason: '' });
        expect(probe.closes).toHaveLength(1);
      });

      it('close() with callbacks returns undefined and calls success with the close, then complete', async () => {
        const server = await serve({});
        const probe = await open(server);
        const calls: unknown[] = [];
        let completed!: () => void;
        const done = new Promise<void>((resolve) => {
          completed = resolve;
        });
        const result = probe.conn.close({
          code: 4000,
          success: (event) => calls.push(event),
          fail: (error) => calls.push(error),
          complete: () => {
            calls.push('complete');
            completed();
          },
        });
        expect(result).toBeUndefined();
        await within(done, 'complete');
        await within(probe.conn.closed, 'closed');
        expect(calls).toEqual([{ code: 4000, reason: '' }, 'complete']);
      });

      it('reports the server close code and reason exactly as sent', async () => {
        const server = await serve({});
        const probe = await open(server);
        probe.peer.socket.close(4002, 'server bye');
        const info = await within(probe.conn.closed, 'closed');

        expect(info).toEqual({ code: 4002, reason: 'server bye' });
        expect(probe.closes).toEqual([{ code: 4002, reason: 'server bye' }]);
        expect(probe.conn.state).toBe('CLOSED');
        expect(probe.conn.readyState).toBe(3);
      });

      it('closes with 1006 exactly once when the server terminates the socket', async () => {
        const server = await serve({});
        const probe = await open(server);
        probe.peer.socket.terminate();
        const info = await within(probe.conn.closed, 'closed');

        expect(info.code).toBe(1006);
        expect(probe.closes).toEqual([info]);
        expect(probe.conn.state).toBe('CLOSED');
      });

      it.each([
        [
          { code: 1001 },
          'ERR_INVALID_CLOSE_CODE',
          /^close\(\): code 1001 is reserved; use 1000 or 3000–4999$/,
        ],
        [
          { code: 5000 },
          'ERR_INVALID_CLOSE_CODE',
          /^close\(\): code 5000 is out of range; use 1000 or 3000–4999$/,
        ],
        [
          { reason: 'é'.repeat(62) },
          'ERR_INVALID_CLOSE_REASON',
          /^close\(\): reason is 124 UTF-8 bytes; shorten it to at most 123 bytes$/,
        ],
      ])('close(%o) fails with %s and leaves the connection open', async (args, code, message) => {
        const server = await serve({});
        const probe = await open(server);
        const attempt = probe.conn.close(args);
        await expect(attempt).rejects.toMatchObject({ name: 'SocketTaskError', code });
        await expect(attempt).rejects.toThrow(message);

        expect(probe.conn.state).toBe('OPEN');
        // Frames arrive in order: had a close frame gone out, this message could not follow it.
        await probe.conn.send('still open');
        expect((await probe.peer.message(0)).data.toString()).toBe('still open');
        expect(probe.peer.close).toBeUndefined();
        expect(probe.closes).toEqual([]);
      });
    });

    describe('closing before open', () => {
      it.skipIf(!ignoresCloseWhileConnecting)(
        "closeBeforeOpen 'defer' carries the close out the moment the socket opens, without onOpen",
        async () => {
          const server = await serve({});
          const probe = connect({ url: server.url, closeBeforeOpen: 'defer' });
          const info = await within(probe.conn.close({ code: 4001, reason: 'early' }), 'close');

          // The platform ignored the close while CONNECTING: the socket did open, then got the deferred close.
          const peer = await server.connection(0);
          expect(await within(peer.closed, 'server close')).toEqual({ code: 4001, reason: 'early' });
          expect(info).toEqual({ code: 4001, reason: 'early' });
          expect(await within(probe.conn.closed, 'closed')).toEqual(info);
          expect(probe.opens).toEqual([]);
          expect(probe.log).toEqual(['close']);
          expect(probe.states).toEqual(['CONNECTING', 'CLOSING', 'CLOSED']);
          await server.waitForNoClients();
        },
      );

      it.skipIf(!ignoresCloseWhileConnecting)(
        "closeBeforeOpen 'ignore' lets the platform ignore the close: the connection opens, works, and closes later",
        async () => {
          const server = await serve();
          const probe = connect({ url: server.url, closeBeforeOpen: 'ignore' });
          let earlySettled = false;
          const early = probe.conn.close({ code: 4001, reason: 'early' });
          early.then(
            () => {
              earlySettled = true;
            },
            () => {
              earlySettled = true;
            },
          );

          await within(probe.opened, 'open');
          expect(probe.conn.state).toBe('OPEN');
          const peer = await server.connection(0);
          const reply = probe.nextMessage();
          await probe.conn.send('after the ignored close');
          expect(await reply).toEqual({ data: 'after the ignored close' });
          expect(peer.close).toBeUndefined();
          expect(earlySettled).toBe(false);

          const info = await within(probe.conn.close({ code: 4002, reason: 'later' }), 'close');
          expect(await within(peer.closed, 'server close')).toEqual({ code: 4002, reason: 'later' });
          expect(info).toEqual({ code: 4002, reason: 'later' });
          // close() settles once the connection is CLOSED, so the ignored call settles with the real close.
          expect(await within(early, 'the ignored close() settled')).toEqual(info);
          expect(probe.log).toEqual(['open', 'close']);
          expect(probe.states).toEqual(['CONNECTING', 'OPEN', 'CLOSING', 'CLOSED']);
        },
      );

      it.skipIf(ignoresCloseWhileConnecting).each(['defer', 'ignore'] as const)(
        "closeBeforeOpen '%s' aborts the handshake where the platform aborts it",
        async (mode) => {
          const server = await serve({});
          const probe = connect({ url: server.url, closeBeforeOpen: mode });
          const info = await within(probe.conn.close({ code: 4001, reason: 'early' }), 'close');

          expect(await within(probe.conn.closed, 'closed')).toEqual(info);
          expect(probe.opens).toEqual([]);
          expect(probe.closes).toEqual([info]);
          expect(probe.log.at(-1)).toBe('close');
          expect(probe.conn.state).toBe('CLOSED');
          expect(probe.states).not.toContain('OPEN');
          await server.waitForNoClients();
        },
      );
    });

    describe('listeners', () => {
      it('calls every onOpen listener added before open exactly once, and none added after open', async () => {
        const server = await serve();
        const probe = connect({ url: server.url });
        const early = [0, 0, 0];
        early.forEach((_, i) => {
          probe.conn.onOpen(() => {
            early[i] = (early[i] ?? 0) + 1;
          });
        });
        await within(probe.opened, 'open');
        let late = 0;
        probe.conn.onOpen(() => {
          late += 1;
        });

        // A round trip gives a replayed or duplicated open every chance to show up first.
        const reply = probe.nextMessage();
        await probe.conn.send('ping');
        expect(await reply).toEqual({ data: 'ping' });
        expect(early).toEqual([1, 1, 1]);
        expect(late).toBe(0);
        expect(probe.opens).toHaveLength(1);
      });

      it.skipIf(!lateTask)(
        'reports exactly one open for a task the platform hands over after it opened, and data flows',
        async () => {
          const server = await serve();
          const late = required(lateTask, 'features.lateTask')(env);
          let acceptedBeforeHandover: boolean | undefined;
          const probe = connect({
            url: server.url,
            adapter: {
              ...late,
              connect(target) {
                const task = late.connect(target);
                // Registered before the machine's own `then`, so this reads the server as the task arrives.
                Promise.resolve(task).then(
                  () => {
                    acceptedBeforeHandover = server.connections.length > 0;
                  },
                  () => {},
                );
                return task;
              },
            },
          });
          await within(probe.opened, 'open');
          expect(acceptedBeforeHandover, 'features.lateTask must hand the task over after it opened').toBe(
            true,
          );

          const peer = await server.connection(0);
          const reply = probe.nextMessage();
          await probe.conn.send('late but live');
          expect(await reply).toEqual({ data: 'late but live' });
          expect((await peer.message(0)).data.toString()).toBe('late but live');
          const info = await within(probe.conn.close({ code: 4003, reason: 'late bye' }), 'close');
          expect(await within(peer.closed, 'server close')).toEqual({ code: 4003, reason: 'late bye' });
          expect(info).toEqual({ code: 4003, reason: 'late bye' });
          expect(probe.opens).toHaveLength(1);
          expect(probe.log).toEqual(['open', 'close']);
          expect(server.connections).toHaveLength(1);
        },
      );
    });

    describe('connection limit', () => {
      it.skipIf(!limited || replacesOnLimit)(
        `refuses a connection beyond maxConcurrent (${profile.maxConcurrent}) with ERR_CONNECTION_LIMIT before the platform sees it, keeps the others open, and frees a slot on close`,
        async () => {
          const server = await serve();
          const first: Array<Probe & { peer: ServerConnection }> = [];
          for (let i = 0; i < profile.maxConcurrent; i += 1) first.push(await open(server));

          expect(() => connect({ url: server.url })).toThrow(
            expect.objectContaining({ name: 'SocketTaskError', code: 'ERR_CONNECTION_LIMIT' }),
          );
          expect(() => connect({ url: server.url })).toThrow(
            new RegExp(`allows ${profile.maxConcurrent} sockets at once.*connectionLimit: 'wait'`),
          );
          expect(server.connections).toHaveLength(profile.maxConcurrent);

          for (const [i, probe] of first.entries()) {
            expect(probe.conn.state).toBe('OPEN');
            const reply = probe.nextMessage();
            await probe.conn.send(`still open ${i}`);
            expect(await reply).toEqual({ data: `still open ${i}` });
          }

          const [oldest] = first;
          await within(required(oldest, 'an open connection').conn.close(), 'close');
          const next = await open(server);
          const reply = next.nextMessage();
          await next.conn.send('a freed slot');
          expect(await reply).toEqual({ data: 'a freed slot' });
        },
      );

      it.skipIf(!limited || replacesOnLimit)(
        "with connectionLimit: 'wait', a connection beyond the limit stays CONNECTING, keeps its queue, and opens once a slot frees",
        async () => {
          const server = await serve();
          const first: Array<Probe & { peer: ServerConnection }> = [];
          for (let i = 0; i < profile.maxConcurrent; i += 1) first.push(await open(server));

          const waiting = connect({ url: server.url, connectionLimit: 'wait' });
          const sent = waiting.conn.send('queued while waiting');
          expect(waiting.conn.actor.getSnapshot().matches({ CONNECTING: 'awaitingSlot' })).toBe(true);
          expect(waiting.conn.state).toBe('CONNECTING');
          expect(server.connections).toHaveLength(profile.maxConcurrent);

          await within(required(first[0], 'an open connection').conn.close(), 'close');
          await within(waiting.opened, 'the waiting connection to open');
          await within(sent, 'the queued send');
          const peer = await server.connection(profile.maxConcurrent);
          expect((await peer.message(0)).data.toString()).toBe('queued while waiting');
          expect(waiting.log).toEqual(['open']);
        },
      );

      it.skipIf(!limited || replacesOnLimit || errorsBeforeHandOverLost)(
        'reports the platform limit as an error then close 1006 when another adapter instance holds the slots',
        async () => {
          const pattern = required(limitError, 'features.limitError (the platform error text of the limit)');
          const server = await serve();
          for (let i = 0; i < profile.maxConcurrent; i += 1) await open(server);

          // A second adapter over the same platform object cannot see the first one's sockets.
          const second: SocketAdapter = { ...adapter() };
          // A refused task that reports neither a close nor a failed close is given up after closeTimeout.
          const extra = connect({
            url: server.url,
            adapter: second,
            errorGrace: SHORT_ERROR_GRACE_MS,
            closeTimeout: SHORT_CLOSE_TIMEOUT_MS,
          });
          const info = await within(extra.conn.closed, 'the connection beyond the limit to fail');
          expect(extra.log).toEqual(['error', 'close']);
          expect(extra.errors[0]?.errMsg).toMatch(pattern);
          expect(extra.closes).toEqual([info]);
          expect(server.connections).toHaveLength(profile.maxConcurrent);
        },
      );

      it.skipIf(!limited || !replacesOnLimit)(
        `replaces the oldest connection with one beyond maxConcurrent (${profile.maxConcurrent}): one close saying so, and the newcomer works`,
        async () => {
          const server = await serve();
          const first: Array<Probe & { peer: ServerConnection }> = [];
          for (let i = 0; i < profile.maxConcurrent; i += 1) first.push(await open(server));
          const [oldest, ...others] = first;
          const replaced = required(oldest, 'an open connection');

          const extra = await open(server);
          const info = await within(replaced.conn.closed, 'the oldest connection closed');
          expect(info.reason).toMatch(/replaced/);
          const reply = extra.nextMessage();
          await extra.conn.send('in its place');
          expect(await reply).toEqual({ data: 'in its place' });
          expect(replaced.closes).toEqual([info]);
          expect(replaced.log).toEqual(['open', 'close']);
          expect(extra.log).toEqual(['open']);
          for (const probe of others) expect(probe.conn.state).toBe('OPEN');

          await within(replaced.peer.closed, 'the server saw the oldest close');
          const live = server.connections.filter((connection) => connection.close === undefined);
          expect(live).toHaveLength(profile.maxConcurrent);
          expect(live).toContain(extra.peer);
        },
      );
    });

    describe.skipIf(!features.errorWithoutClose)('error without close', () => {
      /** Records when the first error and the close reached the user. */
      const timeline = (probe: Probe) => {
        const at: { error?: number; close?: number } = {};
        probe.conn.onError(() => {
          at.error ??= performance.now();
        });
        probe.conn.onClose(() => {
          at.close = performance.now();
        });
        return at;
      };
      // Timers may fire a fraction of a millisecond early against performance.now().
      const graceElapsed = SHORT_ERROR_GRACE_MS * 0.9;

      it('closes with 1006 exactly once, errorGrace after the error, when the server drops the connection', async () => {
        const server = await serve({});
        const probe = await open(server);
        const at = timeline(probe);
        probe.peer.socket.terminate();
        const info = await within(probe.conn.closed, 'closed');

        expect(info).toEqual({ code: 1006, reason: '' });
        expect(probe.log).toEqual(['open', 'error', 'close']);
        expect(probe.closes).toEqual([info]);
        expect(probe.conn.state).toBe('CLOSED');
        expect((at.close ?? 0) - (at.error ?? 0)).toBeGreaterThanOrEqual(graceElapsed);
        await server.waitForNoClients();
      });

      it('closes with 1006 exactly once, errorGrace after the error, when the handshake fails', async () => {
        const server = await serve({ verifyClient: (_info, callback) => callback(false, 401) });
        const probe = connect({ url: server.url });
        const at = timeline(probe);
        const info = await within(probe.conn.closed, 'closed');

        expect(info).toEqual({ code: 1006, reason: '' });
        expect(probe.log).toEqual(['error', 'close']);
        expect(probe.closes).toEqual([info]);
        expect(probe.states).toEqual(['CONNECTING', 'CLOSING', 'CLOSED']);
        expect((at.close ?? 0) - (at.error ?? 0)).toBeGreaterThanOrEqual(graceElapsed);
        expect(server.connections).toEqual([]);
      });
    });

    describe('failing to connect', () => {
      it('reports error then close 1006 when nothing listens on the port', async () => {
        const probe = connect({ url: `ws://127.0.0.1:${await closedPort()}` });
        const info = await within(probe.conn.closed, 'closed');

        expect(probe.log).toEqual(['error', 'close']);
        expect(probe.errors[0]?.errMsg).toEqual(expect.any(String));
        expect(info).toEqual({ code: 1006, reason: '' });
        expect(probe.closes).toEqual([info]);
        expect(probe.conn.state).toBe('CLOSED');
      });

      it('reports error then close 1006 when the server rejects the handshake with 401', async () => {
        const server = await serve({
          verifyClient: (_info, callback) => callback(false, 401, 'Unauthorized'),
        });
        const probe = connect({ url: server.url });
        const info = await within(probe.conn.closed, 'closed');

        expect(probe.log).toEqual(['error', 'close']);
        expect(info).toEqual({ code: 1006, reason: '' });
        expect(probe.conn.state).toBe('CLOSED');
        expect(server.connections).toEqual([]);
      });

      // Where a close while CONNECTING is ignored, the platform keeps the stalled socket: the manager closes it
      // if it ever opens (test/connection/createConnection.test.ts covers that with the fakes).
      it.skipIf(profile.closeWhileConnecting === 'ignored')(
        'abandons a stalled handshake after connectTimeout: ERR_CONNECT_TIMEOUT, close 1006, and no socket left',
        async () => {
          const stalled = await stalledServer();
          try {
            const probe = connect({ url: stalled.url, connectTimeout: 100 });
            const info = await within(probe.conn.closed, 'closed');
            expect(probe.errors.map((e) => e.code)).toEqual(['ERR_CONNECT_TIMEOUT']);
            expect(info).toEqual({ code: 1006, reason: '' });
            await within(stalled.drained(), 'the stalled socket to close');
          } finally {
            await stalled.stop();
          }
        },
      );
    });

    describe('handshake options', () => {
      it.skipIf(!profile.protocols)('negotiates the subprotocol the server picks', async () => {
        const offered: string[][] = [];
        const server = await serve({
          handleProtocols: (protocols) => {
            offered.push([...protocols]);
            return protocols.has('chat.v2') ? 'chat.v2' : false;
          },
        });
        const { peer } = await open(server, { protocols: ['chat.v2'] });
        expect(offered).toEqual([['chat.v2']]);
        expect(peer.socket.protocol).toBe('chat.v2');
      });

      it.skipIf(!profile.headers)('sends the handshake headers given in `header`', async () => {
        const server = await serve({});
        const { peer } = await open(server, { header: { 'x-token': 'abc' } });
        expect(peer.request.headers['x-token']).toBe('abc');
      });
    });
  });
}
