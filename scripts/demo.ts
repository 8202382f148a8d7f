// A guided tour of socket-task-machine: `npm start`. Runs from a fresh clone through tsx, no build needed.
import type { IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocket, WebSocketServer, type WebSocket as WsSocket } from 'ws';
import { nodeAdapter } from '../src/adapters/node.js';
import type { CloseEvent, MessageEvent } from '../src/adapters/types.js';
import { webAdapter } from '../src/adapters/web.js';
import { type Connection, createConnection } from '../src/connection/createConnection.js';
import { type FakeSocketTask, fakeAdapter, wechatProfile } from '../test/fixtures/fakeSocketTask.js';

const LABEL_WIDTH = 16;
const STEP_TIMEOUT = 5_000;
const READY_STATE_NAMES = ['CONNECTING', 'OPEN', 'CLOSING', 'CLOSED'] as const;

// Unref'd on purpose: a clean run exits as soon as the event loop is empty, so this can only fire when
// something (a socket, a timer) was left behind, and then it names the leak instead of hanging.
setTimeout(() => {
  console.error(
    `demo: still running after 20 s; active resources: ${process.getActiveResourcesInfo().join(', ')}`,
  );
  process.exit(1);
}, 20_000).unref();

function say(label: string, text: string): void {
  console.log(`  ${`[${label}]`.padEnd(LABEL_WIDTH + 2)} ${text}`);
}

function heading(title: string, ...notes: string[]): void {
  console.log(`\n━━ ${title} ${'━'.repeat(Math.max(3, 96 - title.length))}`);
  for (const note of notes) console.log(`   ${note}`);
  console.log();
}

function quote(text: string): string {
  return JSON.stringify(text);
}

function hex(buffer: ArrayBuffer): string {
  const bytes = [...new Uint8Array(buffer)].map((b) => b.toString(16).padStart(2, '0'));
  return `<${bytes.join(' ')}> (${buffer.byteLength} bytes)`;
}

function payload(data: MessageEvent['data']): string {
  return typeof data === 'string' ? `text ${quote(data)}` : `binary ${hex(data)}`;
}

function closeText(event: CloseEvent): string {
  return `code ${event.code}, reason ${quote(event.reason)}`;
}

/** The machine's full state, e.g. `CONNECTING.closePending`, where `conn.state` shows only the readyState. */
function machineState(conn: Connection): string {
  const path: string[] = [];
  let value: unknown = conn.actor.getSnapshot().value;
  while (typeof value === 'object' && value !== null) {
    const [key, inner] = Object.entries(value)[0] ?? [];
    if (key === undefined) break;
    path.push(key);
    value = inner;
  }
  if (typeof value === 'string') path.push(value);
  return path.join('.');
}

/** One line per transition; the events each transition fires are indented under it. */
function watch(label: string, conn: Connection): void {
  say(label, `created: ${conn.state} (machine ${machineState(conn)})`);
  conn.onStateChange((state, previous) => {
    const transition = `${previous} → ${state}`.padEnd(24);
    say(label, `${transition}(machine ${machineState(conn)})`);
  });
  conn.onOpen((event) => {
    const names = Object.keys(event.header ?? {});
    say(label, names.length ? `  onOpen      handshake header { ${names.join(', ')} }` : '  onOpen');
  });
  conn.onMessage(({ data }) => say(label, `  onMessage   ${payload(data)}`));
  conn.onError((event) => say(label, `  onError     ${quote(event.errMsg)}`));
  conn.onClose((event) => say(label, `  onClose     ${closeText(event)}`));
}

function within<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`timed out after ${STEP_TIMEOUT} ms waiting for ${what}`)),
      STEP_TIMEOUT,
    );
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function opened(conn: Connection): Promise<void> {
  return within(
    new Promise<void>((resolve, reject) => {
      const offOpen = conn.onOpen(() => {
        offOpen();
        offClose();
        resolve();
      });
      const offClose = conn.onClose((event) => {
        offOpen();
        offClose();
        reject(new Error(`closed before open: ${closeText(event)}`));
      });
    }),
    'onOpen',
  );
}

function nextMessage(conn: Connection): Promise<MessageEvent['data']> {
  return within(
    new Promise((resolve) => {
      const off = conn.onMessage(({ data }) => {
        off();
        resolve(data);
      });
    }),
    'a message',
  );
}

async function echo(label: string, conn: Connection, data: string | Uint8Array): Promise<void> {
  const shown = typeof data === 'string' ? quote(data) : `new Uint8Array([${[...data].join(', ')}])`;
  say(label, `▸ send(${shown})`);
  const reply = nextMessage(conn);
  await conn.send(data);
  await reply;
}

async function close(label: string, conn: Connection, code: number, reason: string): Promise<void> {
  say(label, `▸ close({ code: ${code}, reason: ${quote(reason)} })`);
  await within(conn.close({ code, reason }), 'close() to settle');
  await within(conn.closed, 'conn.closed');
}

function describeTask(label: string, task: FakeSocketTask): void {
  const history = task.readyStates.map((s) => `${s} ${READY_STATE_NAMES[s] ?? '?'}`).join(', ');
  say(label, `readyState history: ${history}`);
  for (const entry of task.log) {
    if (entry.kind === 'user') {
      const args = entry.args === undefined ? '' : JSON.stringify(entry.args);
      say(label, `  log: ${entry.call}(${args}) → ${entry.outcome}`);
    } else {
      const detail = entry.payload === undefined ? '' : ` ${JSON.stringify(entry.payload)}`;
      say(label, `  log: platform ${entry.event}${detail}`);
    }
  }
  say(label, `leaking (left OPEN): ${task.isLeaking}`);
}

interface ServerSide {
  closed: Promise<CloseEvent>;
}

/**
 * The echo server every real-socket scene talks to; `/kick` closes the connection on the first message, and
 * `/silent` answers one heartbeat ping, then nothing.
 */
async function startServer() {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve, reject) => {
    wss.once('listening', resolve);
    wss.once('error', reject);
  });
  const waiting: Array<(side: ServerSide) => void> = [];
  wss.on('connection', (socket: WsSocket, request: IncomingMessage) => {
    const closed = new Promise<CloseEvent>((resolve) =>
      socket.once('close', (code, reason) => resolve({ code, reason: reason.toString() })),
    );
    waiting.shift()?.({ closed });
    let pongs = 0;
    socket.on('message', (data, isBinary) => {
      if (request.url === '/silent') {
        // Answers one ping, then goes quiet like a peer behind a dead NAT entry: no error, no close, nothing.
        if (data.toString() === 'ping' && pongs++ < 1) {
          say('server', '▸ pong');
          socket.send('pong');
        } else say('server', '(silent: drops the ping)');
      } else if (request.url === '/kick') {
        say('server', `▸ close(4000, "server going away")`);
        socket.close(4000, 'server going away');
      } else socket.send(data, { binary: isBinary });
    });
  });
  const { port } = wss.address() as AddressInfo;
  return {
    url: `ws://127.0.0.1:${port}`,
    /** Resolves with the server's side of the next connection it accepts. */
    nextClient: () => within(new Promise<ServerSide>((resolve) => waiting.push(resolve)), 'the server'),
    async close() {
      // Every scene awaits its own close; anything still here would be a bug, so it must not keep us alive.
      for (const client of wss.clients) client.terminate();
      await new Promise<void>((resolve, reject) => wss.close((error) => (error ? reject(error) : resolve())));
    },
  };
}

/** A bare echo server on a given port (0: any), for the restart scenes; `onMessage` sees every text received. */
async function startEchoServer(
  port: number,
  onMessage?: (text: string) => void,
): Promise<{ port: number; stop(): Promise<void> }> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port });
  await new Promise<void>((resolve, reject) => {
    wss.once('listening', resolve);
    wss.once('error', reject);
  });
  wss.on('connection', (socket) =>
    socket.on('message', (data, isBinary) => {
      if (!isBinary) onMessage?.(data.toString());
      socket.send(data, { binary: isBinary });
    }),
  );
  return {
    port: (wss.address() as AddressInfo).port,
    async stop() {
      for (const client of wss.clients) client.terminate();
      await new Promise<void>((resolve, reject) => wss.close((error) => (error ? reject(error) : resolve())));
    },
  };
}

async function main(): Promise<void> {
  const server = await startServer();
  console.log('socket-task-machine demo');
  console.log(`echo server on ${server.url}`);
  console.log("Each line is [connection] then a transition PREVIOUS → STATE (with the machine's sub-state),");
  console.log('an event (indented, as the on* listeners see it), or ▸ a call the demo makes.');

  try {
    heading(
      '1. Node adapter: connect, text and binary echo, client close',
      'nodeAdapter() wraps a `ws` WebSocket into the SocketTask shape the machine drives.',
    );
    {
      const serverSide = server.nextClient();
      const conn = createConnection({ url: `${server.url}/echo`, adapter: nodeAdapter() });
      watch('node', conn);
      await opened(conn);
      await echo('node', conn, 'hello');
      await echo('node', conn, new Uint8Array([0xde, 0xad, 0xbe, 0xef, 0x00, 0x2a]));
      await close('node', conn, 1000, 'tour over');
      const seen = await within((await serverSide).closed, 'the server to see the close');
      say('server', `saw the client's close: ${closeText(seen)}`);
    }

    heading(
      '2. The server closes the connection',
      'OPEN goes straight to CLOSED: the client never asked to close, so there is no CLOSING.',
    );
    {
      const conn = createConnection({ url: `${server.url}/kick`, adapter: nodeAdapter(), reconnect: false });
      watch('node/kicked', conn);
      await opened(conn);
      say('node/kicked', `▸ send("anything new?")`);
      await conn.send('anything new?');
      const event = await within(conn.closed, 'conn.closed');
      say('node/kicked', `conn.closed settled: ${closeText(event)}`);
    }

    heading(
      '3. Web adapter: the same API over a WHATWG WebSocket',
      'webAdapter({ WebSocket }) takes any WHATWG-style class; here the `ws` package stands in for a browser.',
    );
    {
      const conn = createConnection({ url: `${server.url}/echo`, adapter: webAdapter({ WebSocket }) });
      watch('web', conn);
      await opened(conn);
      await echo('web', conn, 'same API, other socket');
      await echo('web', conn, new Uint8Array([1, 2, 3]));
      await close('web', conn, 1000, 'bye from the web adapter');
    }

    const auto = { openAfter: 100, closeAfter: 20, echo: true };
    heading(
      "4a. Close before open on WeChat, closeBeforeOpen: 'defer' (the default)",
      'A simulated WeChat SocketTask (opens after 100 ms). WeChat ignores a close while CONNECTING (docs/platforms.md#close-before-open),',
      'so the manager keeps the request, closes the moment the task opens, and never fires onOpen.',
    );
    {
      const adapter = fakeAdapter(wechatProfile, { auto });
      const conn = createConnection({
        url: 'wss://example.invalid/socket',
        adapter,
        closeBeforeOpen: 'defer',
      });
      watch('wechat/defer', conn);
      let opens = 0;
      conn.onOpen(() => opens++);
      say('wechat/defer', `▸ close({ code: 1000, reason: "changed my mind" })`);
      const closing = conn.close({ code: 1000, reason: 'changed my mind' });
      say('wechat/defer', `state after close(): ${conn.state} (machine ${machineState(conn)})`);
      const event = await within(closing, 'close() to settle');
      await within(conn.closed, 'conn.closed');
      say('wechat/defer', `close() settled: ${closeText(event)}; onOpen fired ${opens} times`);
      const task = adapter.tasks[0];
      if (!task) throw new Error('the fake adapter created no task');
      console.log();
      describeTask('defer task', task);
    }

    heading(
      "4b. Close before open on WeChat, closeBeforeOpen: 'ignore'",
      'The close is handed to the platform as is, and the platform ignores it, exactly as documented:',
      'the socket opens anyway and stays open until it is closed again, once OPEN.',
    );
    {
      const adapter = fakeAdapter(wechatProfile, { auto });
      const conn = createConnection({
        url: 'wss://example.invalid/socket',
        adapter,
        closeBeforeOpen: 'ignore',
      });
      watch('wechat/ignore', conn);
      const task = adapter.tasks[0];
      if (!task) throw new Error('the fake adapter created no task');
      const isOpen = opened(conn);
      say('wechat/ignore', `▸ close({ code: 1000, reason: "too early" })`);
      const early = conn.close({ code: 1000, reason: 'too early' });
      say('wechat/ignore', `state after close(): ${conn.state} (machine ${machineState(conn)})`);
      await isOpen;
      say(
        'wechat/ignore',
        `the platform ignored the close: conn.state ${conn.state}, task readyState ${task.readyState}`,
      );
      await echo('wechat/ignore', conn, 'still here');
      await close('wechat/ignore', conn, 1000, 'closing for real');
      const first = await within(early, 'the early close() to settle');
      say('wechat/ignore', `the early close() settled only now: ${closeText(first)}`);
      console.log();
      describeTask('ignore task', task);
    }

    heading(
      '5. A half-open connection, detected by the heartbeat',
      'The server stops answering without closing. heartbeat: { interval: 100, timeout: 150 } pings while OPEN;',
      'when nothing comes back within the timeout, onError reports ERR_HEARTBEAT_TIMEOUT and the connection goes',
      'straight to CLOSED: the dead socket is ended without a close handshake (ws terminate()).',
    );
    {
      const conn = createConnection({
        url: `${server.url}/silent`,
        adapter: nodeAdapter(),
        reconnect: false,
        heartbeat: { interval: 100, timeout: 150 },
      });
      watch('node/heartbeat', conn);
      conn.onError(({ code }) => say('node/heartbeat', `  error code  ${String(code)}`));
      const event = await within(conn.closed, 'the heartbeat to detect the silent server');
      say('node/heartbeat', `conn.closed settled: ${closeText(event)}`);
    }

    heading(
      '6. The server restarts: reconnect with exponential backoff',
      'reconnect: { initialDelay: 100, factor: 2, jitter: "none" } (the default jitter is full; none keeps the',
      'printed delays exact). The server goes away, every retry is refused, then it comes back on the same port.',
    );
    {
      let restart = await startEchoServer(0);
      const { port } = restart;
      const conn = createConnection({
        url: `ws://127.0.0.1:${port}`,
        adapter: nodeAdapter(),
        reconnect: { initialDelay: 100, factor: 2, jitter: 'none' },
      });
      watch('node/reconnect', conn);
      conn.onStateChange((state) => {
        if (state === 'CLOSED' && conn.nextRetryAt !== null) {
          const wait = conn.nextRetryAt - Date.now();
          say('node/reconnect', `  retry ${conn.retries + 1} in ${wait} ms (backoff)`);
        }
      });
      await opened(conn);
      say('server', '▸ stops');
      await restart.stop();
      // Three refused attempts (100, 200, 400 ms apart), then the server is back.
      await within(
        new Promise<void>((resolve) => {
          const off = conn.onStateChange(() => {
            if (conn.retries >= 3) {
              off();
              resolve();
            }
          });
        }),
        'three retries',
      );
      restart = await startEchoServer(port);
      say('server', `▸ is back on port ${port}`);
      // An attempt already under way may still be refused: wait for OPEN, however many closes come first.
      await within(
        new Promise<void>((resolve) => {
          const off = conn.onStateChange((state) => {
            if (state === 'OPEN') {
              off();
              resolve();
            }
          });
        }),
        'the reconnect',
      );
      await echo('node/reconnect', conn, 'back again');
      await close('node/reconnect', conn, 1000, 'tour over');
      await restart.stop();
    }

    heading(
      '7. Messages sent while the server is down wait in the queue, and are flushed in order on reconnect',
      'send() while not OPEN is queued (bounded by queue.maxMessages / maxBytes). On the next open the queue is',
      'written before onOpen runs, so "from onOpen" cannot overtake the three older messages.',
    );
    {
      const log = (text: string) => say('server', `received ${quote(text)}`);
      let restart = await startEchoServer(0, log);
      const { port } = restart;
      const conn = createConnection({
        url: `ws://127.0.0.1:${port}`,
        adapter: nodeAdapter(),
        reconnect: { initialDelay: 200, maxDelay: 200, jitter: 'none' },
      });
      watch('node/queue', conn);
      await opened(conn);
      say('server', '▸ stops');
      const down = new Promise<void>((resolve) => {
        const off = conn.onClose(() => {
          off();
          resolve();
        });
      });
      await restart.stop();
      await within(down, 'the drop');
      const sends = ['first', 'second', 'third'].map((text) => {
        say('node/queue', `▸ send(${quote(text)}) while ${conn.state}`);
        return conn.send(text).then(() => say('node/queue', `  written     ${quote(text)}`));
      });
      say('node/queue', `conn.queue: ${JSON.stringify(conn.queue)}`);
      const reopened = new Promise<void>((resolve) => {
        const off = conn.onOpen(() => {
          off();
          say(
            'node/queue',
            `onOpen runs with conn.queue ${JSON.stringify(conn.queue)}; ▸ send("from onOpen")`,
          );
          void conn.send('from onOpen');
          resolve();
        });
      });
      restart = await startEchoServer(port, log);
      say('server', `▸ is back on port ${port}`);
      await within(reopened, 'the reconnect');
      await within(Promise.all(sends), 'the queued sends');
      await within(nextMessage(conn), 'the echo');
      await close('node/queue', conn, 1000, 'tour over');
      await restart.stop();
    }
  } finally {
    await server.close();
  }
  console.log('\nDone: the server and every connection are closed; the process exits by itself.');
}

main().catch((error: unknown) => {
  console.error('\ndemo failed:', error);
  process.exit(1);
});
