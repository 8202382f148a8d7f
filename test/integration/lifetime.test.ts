// One connection for the app's whole life (issue 16), through the public API against real `ws` servers on
// loopback: status and onStatusChange, reconnect() from every state, startClosed, onReady and whenReady, the
// protocols provider, url and protocol, and the policies' option typos.
import { type AddressInfo, createServer as createNetServer, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { nodeAdapter } from '../../src/adapters/node.js';
import {
  type Connection,
  type ConnectionOptions,
  type ConnectionStatus,
  type ConnectOptions,
  createConnection,
  createLifecycle,
  type ErrorEvent,
  type SocketAdapter,
  SocketTaskError,
} from '../../src/index.js';
import { startWsServer, type TestWsServer, type WsServerOptions } from '../fixtures/wsServer.js';
import { expectError, flush, thrown, until, within } from '../helpers.js';

/** Retries after 30 ms, no jitter: a drop is back within a few tens of ms. */
const FAST = { initialDelay: 30, maxDelay: 30, jitter: 'none' } as const;
/** A wait no test sits out: a reconnect() that skips it is seen long before it would end. */
const LONG = { initialDelay: 10_000, maxDelay: 10_000, jitter: 'none' } as const;

const connections: Connection[] = [];
const servers: TestWsServer[] = [];
const silentServers: Array<{ close(): Promise<void> }> = [];

async function serve(options: WsServerOptions = {}): Promise<TestWsServer> {
  const server = await startWsServer(options);
  servers.push(server);
  return server;
}

/** A TCP server that accepts connections and never answers: an attempt stays CONNECTING for as long as it lives. */
async function serveSilence(): Promise<{ url: string; sockets: Socket[]; closedSockets: Socket[] }> {
  const sockets: Socket[] = [];
  const closedSockets: Socket[] = [];
  const server = createNetServer((socket) => {
    sockets.push(socket);
    socket.on('error', () => {});
    socket.on('close', () => closedSockets.push(socket));
    // Read and dropped: a socket that is not read never sees the peer's FIN, so never closes.
    socket.resume();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  silentServers.push({
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  });
  return { url: `ws://127.0.0.1:${port}`, sockets, closedSockets };
}

function connect(options: ConnectionOptions): Connection {
  const conn = createConnection(options);
  connections.push(conn);
  return conn;
}

/** nodeAdapter(), recording the options of every connect() it is asked for: one per socket made. */
function countingAdapter(): { adapter: SocketAdapter; attempts: ConnectOptions[] } {
  const node = nodeAdapter();
  const attempts: ConnectOptions[] = [];
  const adapter: SocketAdapter = {
    name: node.name,
    profile: node.profile,
    connect(options) {
      attempts.push(options);
      return node.connect(options);
    },
  };
  return { adapter, attempts };
}

/** Every onStatusChange call, as `previous→status`, with `nextRetryAt` as it was when `waiting` was reported. */
function statusLog(conn: Connection) {
  const log = {
    changes: [] as string[],
    calls: [] as Array<[ConnectionStatus, ConnectionStatus]>,
    retryAt: [] as Array<number | null>,
  };
  conn.onStatusChange((status, previous) => {
    log.calls.push([status, previous]);
    log.changes.push(`${previous}→${status}`);
    if (status === 'waiting') log.retryAt.push(conn.nextRetryAt);
  });
  return log;
}

/** Each call's `previous` is the status the call before it reported, and no call reports a non-change. */
function expectChain(
  calls: ReadonlyArray<[ConnectionStatus, ConnectionStatus]>,
  first: ConnectionStatus,
): void {
  let previous = first;
  for (const [status, was] of calls) {
    expect(was).toBe(previous);
    expect(status).not.toBe(was);
    previous = status;
  }
}

function status(conn: Connection, wanted: ConnectionStatus, what = `status ${wanted}`, ms = 2000) {
  return until(() => conn.status === wanted, what, ms);
}

/** Settles with the error the promise rejects with, or fails the test when it resolves. */
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the promise to reject');
}

/** Whether the promise has settled already: it wins a race against one that settles a macrotask later. */
async function settledNow(promise: Promise<unknown>): Promise<boolean> {
  const later = Symbol('later');
  const winner = await Promise.race([
    promise.then(
      () => true,
      () => true,
    ),
    new Promise<typeof later>((resolve) => setTimeout(() => resolve(later), 0)),
  ]);
  return winner !== later;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

afterEach(async () => {
  const closing = connections.splice(0);
  for (const conn of closing) conn.close().catch(() => {});
  // The servers go before the wait: a socket a failed test left open is then closed from their side.
  for (const server of servers.splice(0)) await server.stop();
  for (const server of silentServers.splice(0)) await server.close();
  for (const conn of closing) await within(conn.closed, 'the connection to be torn down', 3000);
});

// ---------------------------------------------------------------------------------------------------------

describe('status and onStatusChange', () => {
  it('reports connecting, open, waiting with nextRetryAt, connecting and open again across a drop, each change once', async () => {
    const server = await serve();
    const conn = connect({ url: server.url, adapter: nodeAdapter(), reconnect: FAST });
    const log = statusLog(conn);
    expect(conn.status).toBe('connecting');
    await status(conn, 'open');
    expect(conn.nextRetryAt).toBeNull();

    const before = Date.now();
    (await server.connection(0)).socket.terminate();
    await server.connection(1);
    await status(conn, 'open', 'open after the drop');

    expect(log.changes).toEqual(['connecting→open', 'open→waiting', 'waiting→connecting', 'connecting→open']);
    expectChain(log.calls, 'connecting');
    expect(log.retryAt).toHaveLength(1);
    expect(log.retryAt[0]).toBeGreaterThanOrEqual(before + FAST.initialDelay);
    expect(log.retryAt[0]).toBeLessThanOrEqual(Date.now() + FAST.initialDelay);
    expect(conn.nextRetryAt).toBeNull();
    expect(conn.state).toBe('OPEN');
  });

  it('reports waiting → suspended when offline, back to connecting when online, and closing → closed on close()', async () => {
    const server = await serve();
    const lifecycle = createLifecycle();
    const conn = connect({ url: server.url, adapter: nodeAdapter(), reconnect: LONG, lifecycle });
    const log = statusLog(conn);
    await status(conn, 'open');

    (await server.connection(0)).socket.terminate();
    await status(conn, 'waiting');
    expect(conn.nextRetryAt).toBeGreaterThan(Date.now());

    lifecycle.emit('offline');
    expect(conn.status).toBe('suspended');
    expect(conn.state).toBe('CLOSED');
    expect(conn.nextRetryAt).toBeNull();

    // Back online after an open: at once, without the 10 s wait.
    lifecycle.emit('online');
    expect(['waiting', 'connecting']).toContain(conn.status);
    await server.connection(1, 1000);
    await status(conn, 'open', 'open once back online', 1000);

    const closed = conn.close();
    expect(conn.status).toBe('closing');
    const event = await within(closed, 'close() to settle');
    expect(event.code).toBe(1000);
    expect(conn.status).toBe('closed');

    expect(log.changes).toEqual([
      'connecting→open',
      'open→waiting',
      'waiting→suspended',
      'suspended→connecting',
      'connecting→open',
      'open→closing',
      'closing→closed',
    ]);
    expectChain(log.calls, 'connecting');
  });
});

// ---------------------------------------------------------------------------------------------------------

describe('reconnect()', () => {
  it('from waiting skips the wait: the server sees the next connection long before initialDelay', async () => {
    const server = await serve();
    const conn = connect({ url: server.url, adapter: nodeAdapter(), reconnect: LONG });
    await status(conn, 'open');
    (await server.connection(0)).socket.terminate();
    await status(conn, 'waiting');

    const asked = Date.now();
    conn.reconnect();
    expect(conn.status).toBe('connecting');
    expect(conn.nextRetryAt).toBeNull();
    await server.connection(1, 1000);
    await status(conn, 'open', 'open after reconnect()', 1000);
    expect(Date.now() - asked).toBeLessThan(1000);
    expect(conn.retries).toBe(0);
  });

  it('while OPEN closes the socket with 1000 and opens a new one; the sends queued meanwhile reach the new one', async () => {
    const server = await serve();
    const conn = connect({ url: server.url, adapter: nodeAdapter(), reconnect: LONG });
    const log = statusLog(conn);
    await status(conn, 'open');
    const first = await server.connection(0);

    conn.reconnect();
    expect(conn.status).toBe('closing');
    const queued = conn.send('queued during the reconnect');
    expect(conn.queue.messages).toBe(1);

    expect((await within(first.closed, 'the first socket to close')).code).toBe(1000);
    const second = await server.connection(1);
    await within(queued, 'the queued send');
    expect((await second.message(0)).data.toString()).toBe('queued during the reconnect');
    expect(first.messages).toHaveLength(0);
    await status(conn, 'open');
    expect(conn.retries).toBe(0);
    expect(log.changes).toEqual(['connecting→open', 'open→closing', 'closing→connecting', 'connecting→open']);
  });

  it('while CONNECTING abandons the attempt for a new one', async () => {
    const silent = await serveSilence();
    const conn = connect({ url: silent.url, adapter: nodeAdapter(), reconnect: LONG });
    await until(() => silent.sockets.length === 1, 'the first attempt to reach the server');
    expect(conn.status).toBe('connecting');

    conn.reconnect();
    await until(() => silent.sockets.length === 2, 'a second attempt');
    // The abandoned attempt's socket is ended, not left to hang.
    await until(() => silent.closedSockets.includes(silent.sockets[0] as Socket), 'the first socket to end');
    expect(silent.closedSockets).not.toContain(silent.sockets[1]);
    expect(conn.status).toBe('connecting');
    expect(conn.retries).toBe(0);
  });

  it('after close() revives the same connection: the listeners fire again, retries 0, a new closed promise, sends work', async () => {
    const server = await serve();
    const conn = connect({ url: server.url, adapter: nodeAdapter(), reconnect: FAST });
    const opens: number[] = [];
    conn.onOpen(() => opens.push(Date.now()));
    await status(conn, 'open');
    await conn.send('first life');

    const firstLife = conn.closed;
    expect((await conn.close()).code).toBe(1000);
    expect((await within(firstLife, 'the first life to end')).code).toBe(1000);
    expect(conn.status).toBe('closed');
    expectError(await rejection(conn.send('between lives')), 'ERR_CLOSED', /^send\(\): /);

    conn.reconnect();
    await server.connection(1);
    await status(conn, 'open', 'open in the second life');
    expect(opens).toHaveLength(2);
    expect(conn.retries).toBe(0);
    const secondLife = conn.closed;
    expect(secondLife).not.toBe(firstLife);
    expect(await settledNow(secondLife)).toBe(false);
    // The first life's promise stays as it was: settled with its close.
    expect((await firstLife).code).toBe(1000);

    await within(conn.send('second life'), 'a send in the second life');
    expect((await (await server.connection(1)).message(0)).data.toString()).toBe('second life');
  });

  it('after close() has settled takes effect at once: connecting, a new closed promise, whenReady and send work', async () => {
    const server = await serve();
    const conn = connect({ url: server.url, adapter: nodeAdapter(), reconnect: FAST });
    await status(conn, 'open');
    const firstLife = conn.closed;
    await conn.close();
    await firstLife;

    conn.reconnect();
    // Nothing is closing any more, so nothing is waited for: the next life is the current one.
    expect.soft(conn.status).toBe('connecting');
    expect.soft(conn.closed).not.toBe(firstLife);
    const ready = conn.whenReady();
    const sent = conn.send('right after reconnect()');
    await within(ready, 'whenReady() called right after reconnect()');
    await within(sent, 'the send made right after reconnect()');
    expect((await (await server.connection(1)).message(0)).data.toString()).toBe('right after reconnect()');
  });

  it('after a give-up revives the connection with its listeners and retries from 0', async () => {
    let down = false;
    const server = await serve({ verifyClient: (_info, cb) => (down ? cb(false, 503) : cb(true)) });
    const conn = connect({ url: server.url, adapter: nodeAdapter(), reconnect: { ...FAST, maxRetries: 1 } });
    let opens = 0;
    conn.onOpen(() => opens++);
    const giveUps: string[] = [];
    conn.onGiveUp((event) => giveUps.push(event.reason));
    await status(conn, 'open');

    down = true;
    (await server.connection(0)).socket.terminate();
    await within(conn.closed, 'the manager to give up');
    expect(giveUps).toEqual(['max-retries']);
    expect(conn.status).toBe('closed');
    expect(conn.retries).toBe(1);

    down = false;
    conn.reconnect();
    await server.connection(1);
    await status(conn, 'open', 'open after the revive');
    expect(opens).toBe(2);
    expect(conn.retries).toBe(0);
  });

  it('while a close() is still closing waits for it: the old socket is closed at the server before the new one arrives', async () => {
    const order: string[] = [];
    const server = await serve({
      onConnection: (connection) => {
        const n = server.connections.indexOf(connection);
        order.push(`connect #${n}`);
        connection.closed.then(({ code }) => order.push(`close #${n} ${code}`));
      },
    });
    const conn = connect({ url: server.url, adapter: nodeAdapter(), reconnect: FAST });
    const log = statusLog(conn);
    await status(conn, 'open');
    const firstLife = conn.closed;

    const closing = conn.close({ code: 4000, reason: 'logout' });
    expect(conn.status).toBe('closing');
    conn.reconnect();
    expect(conn.status).toBe('closing');

    expect((await within(closing, 'close() to settle')).code).toBe(4000);
    expect((await within(firstLife, 'the first life to end')).code).toBe(4000);
    await server.connection(1);
    await status(conn, 'open', 'open in the next life');
    expect(order).toEqual(['connect #0', 'close #0 4000', 'connect #1']);
    expect(log.changes).toEqual([
      'connecting→open',
      'open→closing',
      'closing→closed',
      'closed→connecting',
      'connecting→open',
    ]);
    expect(conn.retries).toBe(0);
  });

  it('called off by a close() after it: close(), reconnect(), close() leaves the connection closed', async () => {
    const server = await serve();
    const conn = connect({ url: server.url, adapter: nodeAdapter(), reconnect: FAST });
    await status(conn, 'open');
    const life = conn.closed;

    conn.close().catch(() => {});
    conn.reconnect();
    const last = conn.close();
    await within(last, 'the last close() to settle');
    await within(life, 'the life to end');
    await sleep(100);
    expect(server.connections).toHaveLength(1);
    expect(conn.status).toBe('closed');
  });

  it('revived while offline, the new life is not ended by the signal the lifecycle replays: close() closes its socket', async () => {
    const server = await serve();
    const lifecycle = createLifecycle();
    const conn = connect({ url: server.url, adapter: nodeAdapter(), lifecycle });
    await status(conn, 'open');
    await conn.close();
    await conn.closed;

    lifecycle.emit('offline');
    conn.reconnect();
    const second = await server.connection(1);
    await status(conn, 'open', 'open in the second life');
    expect(await settledNow(conn.closed)).toBe(false);

    const closing = conn.close();
    expect(conn.status).toBe('closing');
    expect((await within(second.closed, 'the second socket to close at the server', 1000)).code).toBe(1000);
    await within(closing, 'close() to settle');
  });

  it('revived after the network came back while it was closed, a later drop is retried, not suspended', async () => {
    const server = await serve();
    const lifecycle = createLifecycle();
    const conn = connect({ url: server.url, adapter: nodeAdapter(), reconnect: FAST, lifecycle });
    await status(conn, 'open');
    lifecycle.emit('offline');
    await conn.close();
    lifecycle.emit('online');

    conn.reconnect();
    (await server.connection(1)).socket.terminate();
    await server.connection(2, 1000);
    await status(conn, 'open', 'open after the drop', 1000);
  });

  it('is not counted as a retry: attempts made by reconnect() from waiting leave retries at 0', async () => {
    const { adapter, attempts } = countingAdapter();
    // A server that accepts TCP and then hangs up: every attempt fails, and the next one is 10 s away.
    const refusing = createNetServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => refusing.listen(0, '127.0.0.1', resolve));
    silentServers.push({ close: () => new Promise<void>((resolve) => refusing.close(() => resolve())) });
    const url = `ws://127.0.0.1:${(refusing.address() as AddressInfo).port}`;

    const conn = connect({ url, adapter, reconnect: LONG });
    for (let attempt = 1; attempt <= 3; attempt++) {
      await status(conn, 'waiting', `waiting after attempt ${attempt}`);
      expect(attempts).toHaveLength(attempt);
      expect(conn.retries).toBe(0);
      conn.reconnect();
      expect(conn.status).toBe('connecting');
    }
    await status(conn, 'waiting', 'waiting after attempt 4');
    expect(attempts).toHaveLength(4);
    expect(conn.retries).toBe(0);
  });

  it('after the signal aborted throws ERR_CLOSED, and the actor is stopped', async () => {
    const server = await serve();
    const controller = new AbortController();
    const conn = connect({
      url: server.url,
      adapter: nodeAdapter(),
      reconnect: FAST,
      signal: controller.signal,
    });
    await status(conn, 'open');
    controller.abort();
    expectError(
      thrown(() => conn.reconnect()),
      'ERR_CLOSED',
      /^reconnect\(\): the connection was disposed when its signal aborted; create a new one$/,
    );
    await within(conn.closed, 'the disposal');
    expect(conn.actor.getSnapshot().status).toBe('stopped');
    expectError(
      thrown(() => conn.reconnect()),
      'ERR_CLOSED',
      /^reconnect\(\): /,
    );
    await sleep(50);
    expect(server.connections).toHaveLength(1);
  });
});

// ---------------------------------------------------------------------------------------------------------

describe('startClosed', () => {
  it('makes no attempt until reconnect(), which connects, and from then on behaves normally', async () => {
    const server = await serve();
    const conn = connect({ url: server.url, adapter: nodeAdapter(), reconnect: FAST, startClosed: true });
    const log = statusLog(conn);
    expect(conn.status).toBe('closed');
    expect(conn.state).toBe('CLOSED');
    expect(conn.url).toBe('');
    await sleep(100);
    expect(server.connections).toHaveLength(0);
    expect(conn.status).toBe('closed');

    conn.reconnect();
    await server.connection(0);
    await status(conn, 'open');
    await within(conn.send('after login'), 'a send once open');
    expect((await (await server.connection(0)).message(0)).data.toString()).toBe('after login');

    // Normal from here on: a drop is retried.
    (await server.connection(0)).socket.terminate();
    await server.connection(1);
    await status(conn, 'open', 'open after the drop');
    expect(log.changes).toEqual([
      'closed→connecting',
      'connecting→open',
      'open→waiting',
      'waiting→connecting',
      'connecting→open',
    ]);
    expect(conn.retries).toBe(1);
  });

  it('refuses a send before reconnect() with ERR_CLOSED, and queues nothing', async () => {
    const server = await serve();
    const conn = connect({ url: server.url, adapter: nodeAdapter(), reconnect: FAST, startClosed: true });
    const early = conn.send('too early');
    expect(conn.queue.messages).toBe(0);
    expectError(await within(rejection(early), 'the early send to fail', 500), 'ERR_CLOSED', /^send\(\): /);

    conn.reconnect();
    const peer = await server.connection(0);
    await within(conn.send('after login'), 'a send once reconnect() was called');
    expect((await peer.message(0)).data.toString()).toBe('after login');
    expect(peer.messages).toHaveLength(1);
  });
});

// ---------------------------------------------------------------------------------------------------------

describe('onReady and whenReady', () => {
  it('fires onReady after onOpen and after the queue was written', async () => {
    const server = await serve();
    const conn = connect({ url: server.url, adapter: nodeAdapter() });
    const order: string[] = [];
    conn.onOpen(() => order.push('open'));
    conn.onReady(() => {
      order.push('ready');
      conn.send('from onReady').catch(() => {});
    });
    conn.send('queued').catch(() => {});

    const peer = await server.connection(0);
    await peer.message(1);
    expect(peer.messages.map((m) => m.data.toString())).toEqual(['queued', 'from onReady']);
    expect(order).toEqual(['open', 'ready']);
  });

  it('with holdUntilReady fires onReady only when ready() is called, after the login sent from onOpen', async () => {
    const server = await serve();
    const conn = connect({ url: server.url, adapter: nodeAdapter(), queue: { holdUntilReady: true } });
    let ready = 0;
    conn.onReady(() => ready++);
    conn.onOpen(() => conn.send('login').catch(() => {}));
    conn.send('queued').catch(() => {});

    const peer = await server.connection(0);
    await peer.message(0);
    await sleep(50);
    expect(ready).toBe(0);
    expect(peer.messages.map((m) => m.data.toString())).toEqual(['login']);
    const whenReady = conn.whenReady();
    expect(await settledNow(whenReady)).toBe(false);

    conn.ready();
    expect(ready).toBe(1);
    await within(whenReady, 'whenReady() after ready()');
    await peer.message(1);
    expect(peer.messages.map((m) => m.data.toString())).toEqual(['login', 'queued']);
  });

  it('fires onReady again after each reconnect: the place to subscribe again', async () => {
    const server = await serve();
    const conn = connect({ url: server.url, adapter: nodeAdapter(), reconnect: FAST });
    conn.onReady(() => conn.send('subscribe').catch(() => {}));

    const first = await server.connection(0);
    await first.message(0);
    first.socket.terminate();
    const second = await server.connection(1);
    await second.message(0);
    await status(conn, 'open');
    conn.reconnect();
    const third = await server.connection(2);
    await third.message(0);
    for (const peer of [first, second, third]) {
      expect(peer.messages.map((m) => m.data.toString())).toEqual(['subscribe']);
    }
  });

  it('whenReady() resolves at the next ready, and at once when ready now', async () => {
    const server = await serve();
    const conn = connect({ url: server.url, adapter: nodeAdapter() });
    let opened = false;
    conn.onOpen(() => {
      opened = true;
    });
    await within(conn.whenReady(), 'the first ready');
    expect(opened).toBe(true);
    expect(conn.status).toBe('open');
    expect(await settledNow(conn.whenReady())).toBe(true);
    expect(await settledNow(conn.whenReady(0))).toBe(true);
  });

  it('whenReady() rejects with ERR_CLOSED when the connection is closed first, and at once once it is closed', async () => {
    const silent = await serveSilence();
    const conn = connect({ url: silent.url, adapter: nodeAdapter(), reconnect: FAST });
    await until(() => silent.sockets.length === 1, 'the attempt to reach the server');
    const ready = conn.whenReady();
    conn.close().catch(() => {});
    expectError(
      await within(rejection(ready), 'whenReady() to reject'),
      'ERR_CLOSED',
      /^whenReady\(\): the connection closed before it was ready$/,
    );
    await conn.closed;
    expectError(
      await rejection(conn.whenReady()),
      'ERR_CLOSED',
      /^whenReady\(\): the connection is closed; call reconnect\(\) first$/,
    );
  });

  it('whenReady(50) rejects with ERR_READY_TIMEOUT while the server never answers', async () => {
    const silent = await serveSilence();
    const conn = connect({ url: silent.url, adapter: nodeAdapter(), reconnect: FAST });
    const started = Date.now();
    expectError(
      await within(rejection(conn.whenReady(50)), 'whenReady(50) to reject', 1000),
      'ERR_READY_TIMEOUT',
      /^whenReady\(\): not ready within 50 ms$/,
    );
    expect(Date.now() - started).toBeGreaterThanOrEqual(45);
    expect(conn.status).toBe('connecting');
  });

  it.each([-1, 'x', Number.NaN, Number.POSITIVE_INFINITY, 2 ** 31])(
    'whenReady(%s) throws ERR_INVALID_OPTIONS',
    async (timeout) => {
      const conn = connect({ url: 'ws://127.0.0.1:1', adapter: nodeAdapter(), startClosed: true });
      expectError(
        thrown(() => conn.whenReady(timeout as number)),
        'ERR_INVALID_OPTIONS',
        /^whenReady\(\): timeout must be a number of ms from 0 to 2147483647, or left out to wait as long as the connection lives, got /,
      );
    },
  );
});

// ---------------------------------------------------------------------------------------------------------

describe('the protocols provider', () => {
  const pickV2: WsServerOptions['handleProtocols'] = (offered) => (offered.has('v2') ? 'v2' : false);

  it.each([
    ['a synchronous', () => ['v1', 'v2']],
    ['an asynchronous', async () => ['v1', 'v2']],
  ] as const)(
    '%s provider is called on every attempt, offered to the server, and conn.protocol is the agreed one',
    async (_, answer) => {
      const server = await serve({ handleProtocols: pickV2 });
      let calls = 0;
      const conn = connect({
        url: server.url,
        adapter: nodeAdapter(),
        reconnect: FAST,
        protocols: () => {
          calls++;
          return answer();
        },
      });
      expect(conn.protocol).toBe('');
      await status(conn, 'open');
      expect(calls).toBe(1);
      expect(conn.protocol).toBe('v2');
      const first = await server.connection(0);
      expect(first.request.headers['sec-websocket-protocol']).toBe('v1,v2');
      expect(first.socket.protocol).toBe('v2');

      first.socket.terminate();
      await server.connection(1);
      await status(conn, 'open', 'open after the drop');
      expect(calls).toBe(2);
      expect(conn.protocol).toBe('v2');
    },
  );

  it("reports '' when no subprotocol was offered", async () => {
    const server = await serve();
    const conn = connect({ url: server.url, adapter: nodeAdapter() });
    await status(conn, 'open');
    expect(conn.protocol).toBe('');
    expect((await server.connection(0)).request.headers['sec-websocket-protocol']).toBeUndefined();
  });

  it('reports an invalid answer through onError with ERR_INVALID_PROTOCOLS and makes no socket for that attempt', async () => {
    const server = await serve({ handleProtocols: pickV2 });
    const { adapter, attempts } = countingAdapter();
    const answers: unknown[] = [42, ['bad protocol with spaces'], ['v2']];
    let calls = 0;
    const conn = connect({
      url: server.url,
      adapter,
      reconnect: FAST,
      protocols: () => answers[calls++] as string[],
    });
    const errors: ErrorEvent[] = [];
    conn.onError((event) => errors.push(event));

    await status(conn, 'open', 'open at the third attempt');
    expect(calls).toBe(3);
    expect(errors.map((e) => e.code)).toEqual(['ERR_INVALID_PROTOCOLS', 'ERR_INVALID_PROTOCOLS']);
    expect(errors[0]?.errMsg).toMatch(/^protocols must be a string or an array of strings, got 42/);
    expect(errors[1]?.errMsg).toMatch(
      /^protocols: "bad protocol with spaces" is not a valid subprotocol token/,
    );
    // Only the valid answer made a socket.
    expect(attempts).toHaveLength(1);
    expect(attempts[0]?.protocols).toEqual(['v2']);
    expect(server.connections).toHaveLength(1);
    expect(conn.protocol).toBe('v2');
    expect(conn.retries).toBe(2);
  });
});

// ---------------------------------------------------------------------------------------------------------

describe('conn.url', () => {
  it("is '' before the first attempt with an async provider, then the provider's answer of the last attempt", async () => {
    const server = await serve();
    let n = 0;
    const conn = connect({
      url: async () => `${server.url}/?attempt=${++n}`,
      adapter: nodeAdapter(),
      reconnect: FAST,
    });
    expect(conn.url).toBe('');
    await status(conn, 'open');
    expect(conn.url).toBe(`${server.url}/?attempt=1`);
    const first = await server.connection(0);
    expect(first.request.url).toBe('/?attempt=1');

    first.socket.terminate();
    const second = await server.connection(1);
    await status(conn, 'open', 'open after the drop');
    expect(second.request.url).toBe('/?attempt=2');
    expect(conn.url).toBe(`${server.url}/?attempt=2`);

    await conn.close();
    expect(conn.url).toBe(`${server.url}/?attempt=2`);
  });
});

// ---------------------------------------------------------------------------------------------------------

describe('option typos', () => {
  it.each([
    [{ reconnect: { maxRetry: 3 } }, 'reconnect.maxRetry', 'reconnect.maxRetries'],
    [{ queue: { maxMessage: 3 } }, 'queue.maxMessage', 'queue.maxMessages'],
    [{ heartbeat: { intervall: 3 } }, 'heartbeat.intervall', 'heartbeat.interval'],
    [{ recconect: {} }, 'recconect', 'reconnect'],
  ])('refuses %j naming the unknown key and the nearest valid one', (typo, unknown, nearest) => {
    const error = thrown(() =>
      createConnection({ url: 'ws://127.0.0.1:1', adapter: nodeAdapter(), ...(typo as object) }),
    );
    const quoted = (name: string) => name.replace('.', '\\.');
    expectError(
      error,
      'ERR_INVALID_OPTIONS',
      new RegExp(
        `^createConnection\\(\\): unknown option "${quoted(unknown)}"; did you mean "${quoted(nearest)}"\\?`,
      ),
    );
  });

  it.each(['yes', 1])('refuses startClosed: %j with ERR_INVALID_OPTIONS', (value) => {
    expectError(
      thrown(() =>
        createConnection({
          url: 'ws://127.0.0.1:1',
          adapter: nodeAdapter(),
          startClosed: value as unknown as boolean,
        }),
      ),
      'ERR_INVALID_OPTIONS',
      /^createConnection\(\): startClosed must be a boolean, got /,
    );
  });

  it('makes no socket for refused options', async () => {
    const server = await serve();
    expect(() =>
      createConnection({ url: server.url, adapter: nodeAdapter(), reconnect: { maxRetry: 3 } as never }),
    ).toThrow(SocketTaskError);
    await flush();
    await sleep(50);
    expect(server.connections).toHaveLength(0);
  });
});
