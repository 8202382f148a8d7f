import { afterEach, describe, expect, it, vi } from 'vitest';
import { WebSocket as WsWebSocket } from 'ws';
import type {
  CloseEvent,
  ErrorEvent,
  MessageEvent,
  OpenEvent,
  SocketAdapter,
} from '../../src/adapters/types.js';
import { type Connection, type ConnectionOptions, createConnection } from '../../src/connection.js';
import type { ReadyStateName } from '../../src/readyState.js';
import {
  closedPort,
  echo,
  type ServerConnection,
  startWsServer,
  type TestWsServer,
  type WsServerOptions,
} from '../fixtures/wsServer.js';

/** What the suite hands an adapter factory. */
export interface AdapterSuiteEnv {
  /**
   * `ws`'s WebSocket class, wrapped to record every socket it creates. Adapters built on a WebSocket class pass
   * it on, so the suite can check that no client socket outlives its connection.
   */
  WebSocket: typeof WsWebSocket;
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

const WAIT_MS = 2000;

/** Bounds an event-driven wait, so a missing event fails the test with its name instead of hanging. */
export function within<T>(promise: Promise<T>, what: string, ms = WAIT_MS): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

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

function bytes(data: Buffer | ArrayBuffer): number[] {
  return [...new Uint8Array(data)];
}

/** Servers and connections whose cleanup and leak checks the harness owns. */
export interface AdapterHarness {
  /** Starts a test server (an echo server by default), stopped after the test. */
  serve(options?: WsServerOptions): Promise<TestWsServer>;
  /** `createConnection` with the adapter under test, recording every event. */
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
export function useAdapterHarness(makeAdapter: (env: AdapterSuiteEnv) => SocketAdapter): AdapterHarness {
  let servers: TestWsServer[] = [];
  let probes: Probe[] = [];
  const sockets: WsWebSocket[] = [];
  const TrackedWebSocket = recordingWebSocket(sockets);

  const serve = async (options: WsServerOptions = { onConnection: echo }) => {
    const server = await startWsServer(options);
    servers.push(server);
    return server;
  };

  const connect = (options: Partial<ConnectionOptions> & Pick<ConnectionOptions, 'url'>): Probe => {
    const conn = createConnection({ adapter: makeAdapter({ WebSocket: TrackedWebSocket }), ...options });
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

  return { serve, connect, open };
}

/**
 * Registers the behaviour every WebSocket-backed adapter must show against a real `ws` server on 127.0.0.1,
 * through `createConnection`. Capability differences are skipped by the adapter's profile, never copied.
 *
 * @example
 * ```ts
 * adapterSuite('node', ({ WebSocket }) => nodeAdapter({ WebSocket }));
 * ```
 */
export function adapterSuite(name: string, makeAdapter: (env: AdapterSuiteEnv) => SocketAdapter): void {
  // Factories have no side effects, so one call at registration time is enough to read the profile.
  const { profile } = makeAdapter({ WebSocket: WsWebSocket });

  describe(`${name} adapter: shared suite`, () => {
    const { serve, connect, open } = useAdapterHarness(makeAdapter);

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
        expect(data).toBeInstanceOf(ArrayBuffer);
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
          expect(data).toBeInstanceOf(ArrayBuffer);
          expect(bytes(data as ArrayBuffer)).toEqual([12, 13, 14]);
        },
      );

      it('send() returns a Promise that resolves while OPEN', async () => {
        const server = await serve({});
        const { conn, peer } = await open(server);
        const sent = conn.send('one');
        expect(sent).toBeInstanceOf(Promise);
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

      it('send() before open fails with ERR_NOT_OPEN and nothing reaches the server', async () => {
        const server = await serve({});
        const probe = connect({ url: server.url });
        const early = probe.conn.send('too early');
        await expect(early).rejects.toMatchObject({ name: 'SocketTaskError', code: 'ERR_NOT_OPEN' });
        await expect(early).rejects.toThrow(/^send\(\): not open: readyState 0 \(CONNECTING\)/);

        const calls: string[] = [];
        probe.conn.send('too early', {
          fail: (error) => calls.push(`fail ${error.code}`),
          complete: () => calls.push('complete'),
        });
        expect(calls).toEqual(['fail ERR_NOT_OPEN', 'complete']);

        await within(probe.opened, 'open');
        await probe.conn.send('after open');
        const peer = await server.connection();
        expect((await peer.message(0)).data.toString()).toBe('after open');
        expect(peer.messages).toHaveLength(1);
      });

      it('send() after close fails with ERR_NOT_OPEN', async () => {
        const server = await serve({});
        const { conn } = await open(server);
        await within(conn.close(), 'close');
        const late = conn.send('too late');
        await expect(late).rejects.toMatchObject({ name: 'SocketTaskError', code: 'ERR_NOT_OPEN' });
        await expect(late).rejects.toThrow(/^send\(\): not open: readyState 3 \(CLOSED\)/);
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

      it('closes without opening when close() is called right after createConnection', async () => {
        const server = await serve({});
        const probe = connect({ url: server.url });
        const info = await within(probe.conn.close(), 'close');

        expect(await within(probe.conn.closed, 'closed')).toEqual(info);
        expect(probe.opens).toEqual([]);
        expect(probe.closes).toEqual([info]);
        expect(probe.conn.state).toBe('CLOSED');
        expect(probe.states).not.toContain('OPEN');
        await server.waitForNoClients();
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
