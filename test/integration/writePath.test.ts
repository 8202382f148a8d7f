// The write path against real `ws` servers on loopback (issue 15): the bytes a send() was given are the bytes the
// server gets, callbacks never run inside the call that takes them, memory stays bounded while the peer reads
// nothing, and a dropped Promise never becomes an unhandled rejection.
import { createServer } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type WebSocket as ServerSocket, WebSocket, WebSocketServer } from 'ws';
import { nodeAdapter } from '../../src/adapters/node.js';
import { webAdapter } from '../../src/adapters/web.js';
import {
  type Connection,
  type ConnectionOptions,
  createConnection,
  type SocketAdapter,
  SocketTaskError,
} from '../../src/index.js';
import { expectError, until, within } from '../helpers.js';

const ADAPTERS: Record<'node' | 'web', () => SocketAdapter> = {
  node: () => nodeAdapter({ WebSocket }),
  web: () => webAdapter({ WebSocket }),
};

const KiB = 1024;
const MiB = 1024 * KiB;

// ---------------------------------------------------------------------------------------------------------
// A server of its own: the shared fixture has neither permessage-deflate nor the TCP socket, which the
// backpressure tests pause to make a peer that stops reading.

interface Peer {
  readonly socket: ServerSocket;
  /** The TCP socket under `socket`: `tcp.pause()` stops the server reading, the kernel's buffers fill up. */
  readonly tcp: Socket;
  /** Every message received, in order. */
  readonly messages: Buffer[];
}

interface Server {
  readonly url: string;
  readonly peers: Peer[];
  stop(): Promise<void>;
}

const servers: Server[] = [];
const connections: Connection[] = [];

async function serve(options: { perMessageDeflate?: boolean } = {}): Promise<Server> {
  const http = createServer((_request, response) => response.writeHead(426).end());
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: options.perMessageDeflate ?? false });
  const peers: Peer[] = [];
  http.on('upgrade', (request, tcp: Socket, head) => {
    wss.handleUpgrade(request, tcp, head, (socket) => {
      const messages: Buffer[] = [];
      socket.on('error', () => {});
      socket.on('message', (data: Buffer) => messages.push(data));
      peers.push({ socket, tcp, messages });
    });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const { port } = http.address() as AddressInfo;
  const server: Server = {
    url: `ws://127.0.0.1:${port}`,
    peers,
    async stop() {
      for (const peer of peers) peer.socket.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
  servers.push(server);
  return server;
}

function connect(options: ConnectionOptions): Connection {
  const conn = createConnection(options);
  connections.push(conn);
  return conn;
}

async function open(options: ConnectionOptions): Promise<Connection> {
  const conn = connect(options);
  await within(new Promise<void>((resolve) => conn.onOpen(() => resolve())), 'open');
  return conn;
}

afterEach(async () => {
  const closing = connections.splice(0);
  // Asked first, then the server goes: a peer that stopped reading would never answer the close frame.
  for (const conn of closing) conn.close().catch(() => {});
  for (const server of servers.splice(0)) await server.stop();
  for (const conn of closing) await within(conn.closed, 'the connection to be torn down', 6000);
});

/** The indexes of the messages that are not 64 KiB of byte `i`, the index they were sent at. */
function corrupted(messages: readonly Buffer[]): number[] {
  const bad: number[] = [];
  messages.forEach((message, i) => {
    if (message.byteLength !== 64 * KiB || message.some((byte) => byte !== i)) bad.push(i);
  });
  return bad;
}

// ---------------------------------------------------------------------------------------------------------

describe.each(Object.entries(ADAPTERS))(
  'the %s adapter against a server with permessage-deflate',
  (_, adapter) => {
    it('delivers the bytes each awaited send() was given although the caller refills its buffer after it', async () => {
      const server = await serve({ perMessageDeflate: true });
      const conn = await open({ url: server.url, adapter: adapter() });
      const peer = await until(() => server.peers[0], 'the server side of the connection');
      // Without the extension ws writes synchronously, and the test would prove nothing.
      expect(peer.socket.extensions).toContain('permessage-deflate');

      const buf = new Uint8Array(64 * KiB);
      for (let i = 0; i < 40; i++) {
        buf.fill(i);
        await conn.send(buf);
      }

      await until(() => peer.messages.length >= 40, '40 messages at the server');
      expect(peer.messages).toHaveLength(40);
      expect(corrupted(peer.messages)).toEqual([]);
    });

    it.each([
      ['with', true],
      ['without', false],
    ])(
      'delivers the bytes of 40 sends made back to back, the buffer refilled between them, %s the extension',
      async (_, perMessageDeflate) => {
        // Without it, ws masks each message into a new buffer inside send(): the adapters skip their own copy then.
        const server = await serve({ perMessageDeflate });
        // 2.5 MiB at once: past the 1 MiB high-water mark the sends wait in the queue, which must hold them all.
        const conn = await open({ url: server.url, adapter: adapter(), queue: { maxBytes: 4 * MiB } });
        const peer = await until(() => server.peers[0], 'the server side of the connection');

        const buf = new Uint8Array(64 * KiB);
        const sends: Promise<void>[] = [];
        for (let i = 0; i < 40; i++) {
          buf.fill(i);
          sends.push(conn.send(buf));
        }
        buf.fill(0xff);
        await within(Promise.all(sends), 'every send to settle');

        await until(() => peer.messages.length >= 40, '40 messages at the server');
        expect(peer.messages).toHaveLength(40);
        expect(corrupted(peer.messages)).toEqual([]);
      },
    );
  },
);

// ---------------------------------------------------------------------------------------------------------

describe.each(Object.entries(ADAPTERS))(
  'the %s adapter under a pump driven by success callbacks',
  (_, adapter) => {
    it('completes 100,000 chunks with flat stack depth, each outcome reported after its send() returned', async () => {
      const TOTAL = 100_000;
      const server = await serve();
      const conn = await open({ url: server.url, adapter: adapter() });
      const peer = await until(() => server.peers[0], 'the server side of the connection');

      const chunk = new Uint8Array(64);
      let sent = 0;
      let succeeded = 0;
      let completed = 0;
      const failures: SocketTaskError[] = [];
      /** Callbacks that ran inside a send() call: the pump stops at the first, rather than recurse to a RangeError. */
      let ranInside = 0;
      let insideSend = 0;
      let depth = 0;
      let maxDepth = 0;
      let finish!: () => void;
      const done = new Promise<void>((resolve) => {
        finish = resolve;
      });

      const next = () => {
        if (sent === TOTAL) return;
        chunk[0] = sent & 0xff;
        sent++;
        insideSend++;
        conn.send(chunk, { success, fail, complete });
        insideSend--;
      };
      const settled = () => {
        if (succeeded + failures.length === TOTAL) finish();
      };
      function success() {
        succeeded++;
        if (insideSend > 0) {
          ranInside++;
          finish();
          return;
        }
        depth++;
        maxDepth = Math.max(maxDepth, depth);
        next();
        depth--;
        settled();
      }
      function fail(error: SocketTaskError) {
        failures.push(error);
        if (insideSend > 0) ranInside++;
        finish();
      }
      function complete() {
        completed++;
      }

      const started = performance.now();
      next();
      await within(done, `the pump (${succeeded} of ${TOTAL} chunks acknowledged so far)`, 15_000);
      expect(ranInside).toBe(0);
      expect(failures).toEqual([]);
      expect(maxDepth).toBeLessThan(50);
      expect(succeeded).toBe(TOTAL);
      // complete follows each success; the last one may still be on its way.
      await until(() => completed === TOTAL, 'every complete callback');
      await until(() => peer.messages.length === TOTAL, `${TOTAL} messages at the server`, 10_000);
      // Not a benchmark: a bound that a timer per callback (1 ms × 100,000) would exceed.
      expect(performance.now() - started).toBeLessThan(15_000);
    }, 40_000);
  },
);

// ---------------------------------------------------------------------------------------------------------

describe.each([
  { adapter: 'node', label: 'the default highWaterMark (1 MiB)', highWaterMark: undefined, mark: MiB },
  { adapter: 'node', label: 'highWaterMark 256 KiB', highWaterMark: 256 * KiB, mark: 256 * KiB },
  { adapter: 'web', label: 'highWaterMark 256 KiB', highWaterMark: 256 * KiB, mark: 256 * KiB },
] as const)(
  'the $adapter adapter against a server that stops reading, with $label',
  ({ adapter, highWaterMark, mark }) => {
    it('bounds what it holds while 200 MB are offered, then writes every accepted message in order as the socket drains', async () => {
      const MESSAGE = 64 * KiB;
      const COUNT = (200 * MiB) / MESSAGE;
      const server = await serve();
      const conn = await open({
        url: server.url,
        adapter: ADAPTERS[adapter](),
        ...(highWaterMark === undefined ? {} : { highWaterMark }),
      });
      const peer = await until(() => server.peers[0], 'the server side of the connection');
      expect(conn.bufferedAmount).toBe(0);
      peer.tcp.pause();
      let drains = 0;
      const stopDrains = conn.onDrain(() => drains++);

      const chunk = new Uint8Array(MESSAGE);
      const header = new DataView(chunk.buffer);
      const outcomes: Array<true | SocketTaskError | undefined> = new Array(COUNT);
      let outcomeCount = 0;
      let maxBuffered = 0;
      let maxQueuedBytes = 0;
      const rssBefore = process.memoryUsage.rss();
      let maxRss = rssBefore;

      for (let i = 0; i < COUNT; i++) {
        header.setUint32(0, i);
        conn.send(chunk).then(
          () => {
            outcomes[i] = true;
            outcomeCount++;
          },
          (error: SocketTaskError) => {
            outcomes[i] = error;
            outcomeCount++;
          },
        );
        maxBuffered = Math.max(maxBuffered, conn.bufferedAmount);
        maxQueuedBytes = Math.max(maxQueuedBytes, conn.queue.bytes);
        // Every 4 MiB: I/O runs, and the kernel takes what it will.
        if (i % 64 === 63) {
          await new Promise((resolve) => setImmediate(resolve));
          maxRss = Math.max(maxRss, process.memoryUsage.rss());
        }
      }
      const failures = () => outcomes.filter((o): o is SocketTaskError => o instanceof SocketTaskError);
      await until(() => failures().length > 0, 'sends to fail with ERR_QUEUE_FULL');
      const queuedWhilePaused = conn.queue.messages;

      // The kernel's buffers hold some MB more, but they are not the process's, nor counted in bufferedAmount.
      expect(maxBuffered).toBeLessThan(mark + 2 * MESSAGE);
      expect(maxQueuedBytes).toBeLessThanOrEqual(MiB);
      expect(queuedWhilePaused).toBeGreaterThan(0);
      expect(new Set(failures().map((error) => error.code))).toEqual(new Set(['ERR_QUEUE_FULL']));
      // Unbounded, ws would hold the whole 200 MB; the copies of the refused messages are garbage the GC may be late for.
      expect(maxRss - rssBefore).toBeLessThan(96 * MiB);

      peer.tcp.resume();
      await until(() => outcomeCount === COUNT, 'every send to settle', 10_000);
      const accepted: number[] = [];
      outcomes.forEach((outcome, i) => {
        if (outcome === true) accepted.push(i);
      });
      expect(accepted.length + failures().length).toBe(COUNT);
      await until(
        () => peer.messages.length >= accepted.length,
        `${accepted.length} messages at the server`,
        10_000,
      );
      expect(peer.messages).toHaveLength(accepted.length);
      expect(peer.messages.map((message) => message.readUInt32BE(0))).toEqual(accepted);
      expect(peer.messages.every((message) => message.byteLength === MESSAGE)).toBe(true);
      await until(() => drains > 0, 'onDrain');
      expect(conn.queue).toEqual({ messages: 0, bytes: 0 });
      stopDrains();
    }, 30_000);
  },
);

// ---------------------------------------------------------------------------------------------------------

/** A few macrotask turns: long enough for Node to report a rejection nobody handled. */
async function macrotasks(): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 20));
  await new Promise((resolve) => setImmediate(resolve));
}

describe('fire-and-forget calls', () => {
  let unhandled: unknown[] = [];
  const spy = (reason: unknown) => unhandled.push(reason);
  beforeEach(() => {
    unhandled = [];
    process.on('unhandledRejection', spy);
  });
  afterEach(() => {
    process.off('unhandledRejection', spy);
  });

  it('raises no unhandled rejection for failed send() and close() Promises nobody handles, and reports the sends to onSendError', async () => {
    const server = await serve();
    const ended = await open({ url: server.url, adapter: nodeAdapter({ WebSocket }) });
    const endedErrors: SocketTaskError[] = [];
    ended.onSendError((error) => endedErrors.push(error));
    await ended.close();
    // While CONNECTING, a send goes to the queue, whose maxBytes is 1 MiB.
    const connecting = connect({ url: server.url, adapter: nodeAdapter({ WebSocket }) });
    const connectingErrors: SocketTaskError[] = [];
    connecting.onSendError((error) => connectingErrors.push(error));

    // Dropped on purpose: `void` discards the Promise, it does not handle it.
    void ended.send('x');
    void connecting.send(new Uint8Array(2_000_000));
    void connecting.close({ code: 1001 });
    await macrotasks();

    expect(unhandled).toEqual([]);
    expect(endedErrors.map((error) => error.code)).toEqual(['ERR_CLOSED']);
    expect(connectingErrors.map((error) => error.code)).toEqual(['ERR_QUEUE_FULL']);
  });

  it('rejects the awaited Promise of the same calls with their codes, and reports the sends to onSendError too', async () => {
    const server = await serve();
    const ended = await open({ url: server.url, adapter: nodeAdapter({ WebSocket }) });
    const endedErrors: SocketTaskError[] = [];
    ended.onSendError((error) => endedErrors.push(error));
    await ended.close();
    const connecting = connect({ url: server.url, adapter: nodeAdapter({ WebSocket }) });
    const connectingErrors: SocketTaskError[] = [];
    connecting.onSendError((error) => connectingErrors.push(error));

    expectError(await ended.send('x').catch((error) => error), 'ERR_CLOSED', /^send\(\): .*closed for good/);
    expectError(
      await connecting.send(new Uint8Array(2_000_000)).catch((error) => error),
      'ERR_QUEUE_FULL',
      /^send\(\): the message \(2000000 bytes\) is larger than queue\.maxBytes \(1048576\)/,
    );
    expectError(
      await connecting.close({ code: 1001 }).catch((error) => error),
      'ERR_INVALID_CLOSE_CODE',
      /^close\(\): code 1001 is reserved; use 1000 or 3000–4999$/,
    );
    await macrotasks();

    expect(unhandled).toEqual([]);
    expect(endedErrors.map((error) => error.code)).toEqual(['ERR_CLOSED']);
    expect(connectingErrors.map((error) => error.code)).toEqual(['ERR_QUEUE_FULL']);
  });
});

describe('callbacks', () => {
  it('calls success, fail and complete of send() and close() after the call has returned, never inside it', async () => {
    const server = await serve();
    const conn = await open({ url: server.url, adapter: nodeAdapter({ WebSocket }) });
    const calls: string[] = [];

    conn.send('written', {
      success: () => calls.push('success'),
      complete: () => calls.push('complete'),
    });
    expect(calls).toEqual([]);
    await until(() => calls.length === 2, 'the callbacks of a written send');
    expect(calls).toEqual(['success', 'complete']);

    calls.length = 0;
    conn.close({
      code: 1001,
      fail: (error) => calls.push(`fail ${error.code}`),
      complete: () => calls.push('complete'),
    });
    expect(calls).toEqual([]);
    await until(() => calls.length === 2, 'the callbacks of a refused close');
    expect(calls).toEqual(['fail ERR_INVALID_CLOSE_CODE', 'complete']);

    await conn.close();
    calls.length = 0;
    conn.send('late', {
      fail: (error) => calls.push(`fail ${error.code}`),
      complete: () => calls.push('complete'),
    });
    expect(calls).toEqual([]);
    await until(() => calls.length === 2, 'the callbacks of a send after close');
    expect(calls).toEqual(['fail ERR_CLOSED', 'complete']);
  });
});
