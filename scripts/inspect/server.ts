// The offline inspector behind `npm run inspect`: a local page showing diagrams/connection.svg with the live state
// of one real connection highlighted, driven against an embedded demo server whose faults the page triggers.
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { WebSocketServer } from 'ws';
import type { InspectionEvent, StateValue } from 'xstate';
import { nodeAdapter } from '../../src/adapters/node.js';
import { type Connection, createConnection } from '../../src/connection/createConnection.js';
import { createLifecycle } from '../../src/lifecycle/createLifecycle.js';
import type { QueueStats } from '../../src/queue/sendQueue.js';
import type { ReadyStateName } from '../../src/readyState.js';
import { bundleBrowserScript } from '../bundle.js';

/** What the inspector sends to the page, one JSON message each. */
export type InspectorMessage =
  | {
      kind: 'snapshot';
      /** Counts the connections made since the inspector started; `reconnect` makes a new one. */
      generation: number;
      /** The event that led to this snapshot. */
      event: string;
      value: StateValue;
      state: ReadyStateName;
      queue: QueueStats;
      retries: number;
      nextRetryAt: number | null;
    }
  | { kind: 'event'; generation: number; event: string }
  | { kind: 'figures'; generation: number; queue: QueueStats; retries: number; nextRetryAt: number | null }
  | { kind: 'log'; text: string };

/** What the page asks for, one JSON message each. */
export type InspectorCommand =
  | { command: 'drop' | 'restart' | 'offline' | 'online' | 'close' | 'reconnect' }
  | { command: 'send'; data?: string };

export interface InspectorOptions {
  /** `0` picks a free port. @defaultValue `4321` */
  port?: number;
  /** @defaultValue `'127.0.0.1'` */
  host?: string;
}

export interface Inspector {
  /** `http://<host>:<port>/`: the page. */
  readonly url: string;
  /** Closes the connection, the demo server, the page sockets and the http server; nothing is left running. */
  stop(): Promise<void>;
}

const HERE = fileURLToPath(new URL('.', import.meta.url));
const SVG_PATH = fileURLToPath(new URL('../../diagrams/connection.svg', import.meta.url));
const RESTART_DOWNTIME = 500;
const STOP_TIMEOUT = 3000;

function bundlePage(): Promise<string> {
  return bundleBrowserScript(`${HERE}page.ts`);
}

function html(svg: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>socket-task-machine inspector</title>
<style>
  body { margin: 0; font: 14px system-ui, sans-serif; display: flex; gap: 16px; padding: 12px; }
  #diagram { flex: 3; min-width: 0; }
  #diagram svg { width: 100%; height: auto; }
  #panel { flex: 2; min-width: 320px; }
  #status { font-size: 20px; font-weight: bold; margin-bottom: 8px; }
  #controls button { margin: 0 4px 4px 0; }
  #figures { margin: 8px 0; font-variant-numeric: tabular-nums; }
  #log { list-style: none; padding: 0; margin: 0; max-height: 70vh; overflow-y: auto; font: 12px ui-monospace, monospace; }
  #log li { border-bottom: 1px solid #eee; padding: 2px 0; }
  #log li.transition { color: #b23c00; }
  #log li.server { color: #555; font-style: italic; }
  /* The highlight: ids are on <g>, so these beat the SVG's own "#connection .node rect" rules. */
  #connection g.node.active > rect.label-container { fill: #ffb300 !important; stroke: #e65100 !important; stroke-width: 3px !important; }
  #connection g.statediagram-cluster.active > g > rect.outer { stroke: #ffb300 !important; stroke-width: 6px !important; }
  #connection g.statediagram-cluster.active > rect.inner { fill: #fff3d6 !important; }
</style>
</head>
<body>
<div id="diagram">${svg}</div>
<div id="panel">
  <div id="status" data-state="" data-states="">connecting to the inspector…</div>
  <div id="controls">
    <button id="drop" type="button">drop</button>
    <button id="restart" type="button">server restart</button>
    <button id="offline" type="button">go offline</button>
    <button id="online" type="button">go online</button>
    <button id="send" type="button">send</button>
    <button id="close" type="button">close</button>
    <button id="reconnect" type="button">reconnect</button>
  </div>
  <div id="figures">queue <span id="queue-messages">0</span> messages (<span id="queue-bytes">0</span> bytes) ·
    retries <span id="retries">0</span> · next retry <span id="next-retry">–</span></div>
  <ol id="log"></ol>
</div>
<script src="/page.js"></script>
</body>
</html>`;
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function closeServer(server: Server, wss: WebSocketServer): Promise<void> {
  for (const client of wss.clients) client.terminate();
  wss.close();
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

/**
 * The embedded demo server: echoes every message and answers the heartbeat's `'ping'` with `'pong'`. It can drop
 * its clients and restart on the same port.
 */
async function startDemoServer(host: string) {
  let port = 0;
  let current: { http: Server; wss: WebSocketServer } | null = null;
  const start = async () => {
    const http = createServer((_request, response) => response.writeHead(426).end());
    const wss = new WebSocketServer({ server: http });
    wss.on('connection', (socket) => {
      socket.on('message', (data: Buffer, isBinary) => {
        if (!isBinary && data.toString() === 'ping') socket.send('pong');
        else socket.send(data, { binary: isBinary });
      });
    });
    port = await listen(http, port, host);
    current = { http, wss };
  };
  await start();
  return {
    url: `ws://${host}:${port}`,
    get running() {
      return current !== null;
    },
    /** Terminates every client socket: the client sees 1006, as after a network drop. */
    drop(): number {
      let dropped = 0;
      for (const client of current?.wss.clients ?? []) {
        client.terminate();
        dropped++;
      }
      return dropped;
    },
    start,
    async stop() {
      const running = current;
      current = null;
      if (running) await closeServer(running.http, running.wss);
    },
  };
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    promise,
    new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/**
 * Starts the offline inspector: the page on `http://host:port/`, its WebSocket on `/events`, an embedded demo echo
 * server and one real connection to it.
 *
 * @example
 * ```ts
 * const inspector = await startInspector({ port: 0 });
 * console.log(inspector.url);
 * await inspector.stop();
 * ```
 */
export async function startInspector(options: InspectorOptions = {}): Promise<Inspector> {
  const host = options.host ?? '127.0.0.1';
  const [script, svg] = await Promise.all([bundlePage(), readFile(SVG_PATH, 'utf8')]);
  const page = html(svg);

  const http = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    if (path === '/') response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(page);
    else if (path === '/page.js') {
      response.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8' }).end(script);
    } else if (path === '/connection.svg') {
      response.writeHead(200, { 'content-type': 'image/svg+xml; charset=utf-8' }).end(svg);
    } else response.writeHead(404).end();
  });
  const pages = new WebSocketServer({ server: http, path: '/events' });
  const demo = await startDemoServer(host);
  const lifecycle = createLifecycle();

  let stopped = false;
  let restartTimer: ReturnType<typeof setTimeout> | undefined;
  let generation = 0;
  let conn: Connection | null = null;
  let last: InspectorMessage | null = null;
  let sent = 0;

  const broadcast = (message: InspectorMessage) => {
    if (message.kind === 'snapshot') last = message;
    const text = JSON.stringify(message);
    for (const client of pages.clients) if (client.readyState === client.OPEN) client.send(text);
  };
  const log = (text: string) => broadcast({ kind: 'log', text });
  const figures = () => {
    if (conn) {
      const { queue, retries, nextRetryAt } = conn;
      broadcast({ kind: 'figures', generation, queue, retries, nextRetryAt });
    }
  };

  const connect = () => {
    const mine = ++generation;
    // The inspection events start during createConnection, before `conn` is assigned: figures read the snapshot.
    const onInspect = (event: InspectionEvent) => {
      if (mine !== generation || event.actorRef.sessionId !== event.rootId) return;
      if (event.type === '@xstate.event') {
        broadcast({ kind: 'event', generation: mine, event: event.event.type });
      } else if (event.type === '@xstate.snapshot') {
        // The root actor is the connection machine, whatever the inspection event's generic type says.
        const snapshot = event.snapshot as unknown as {
          value: StateValue;
          context: { retries: number; nextRetryAt: number | null };
        };
        const { value } = snapshot;
        broadcast({
          kind: 'snapshot',
          generation: mine,
          event: event.event.type,
          value,
          state: (typeof value === 'string' ? value : Object.keys(value)[0]) as ReadyStateName,
          queue: conn?.queue ?? { messages: 0, bytes: 0 },
          retries: snapshot.context.retries,
          nextRetryAt: snapshot.context.nextRetryAt,
        });
      }
    };
    conn = null;
    const created = createConnection({
      url: demo.url,
      adapter: nodeAdapter(),
      reconnect: { initialDelay: 200, maxDelay: 1000 },
      heartbeat: { interval: 2000, timeout: 1000 },
      queue: { maxMessages: 100 },
      lifecycle,
      inspect: onInspect,
    });
    conn = created;
    created.onMessage(({ data }) =>
      log(`message: ${typeof data === 'string' ? data : `${data.byteLength} bytes`}`),
    );
    created.onClose(({ code, reason }) => log(`close: code ${code}${reason ? `, reason ${reason}` : ''}`));
    created.onGiveUp(({ reason }) => log(`gave up: ${reason}`));
    log(`connection #${mine} to ${demo.url}`);
  };

  const commands: Record<InspectorCommand['command'], (command: InspectorCommand) => void | Promise<void>> = {
    drop() {
      log(`demo server: dropped ${demo.drop()} client socket(s)`);
    },
    async restart() {
      if (!demo.running) return;
      await demo.stop();
      log('demo server: stopped');
      clearTimeout(restartTimer);
      restartTimer = setTimeout(() => {
        restartTimer = undefined;
        if (stopped) return;
        demo.start().then(
          () => log(`demo server: listening again on ${demo.url}`),
          (error: Error) => log(`demo server: could not restart: ${error.message}`),
        );
      }, RESTART_DOWNTIME);
    },
    offline() {
      lifecycle.emit('offline');
      log('lifecycle: offline');
    },
    online() {
      lifecycle.emit('online');
      log('lifecycle: online');
    },
    send(command) {
      const current = conn;
      if (!current) return;
      const data = ('data' in command && command.data) || `hello #${++sent}`;
      current.send(data).then(
        () => {
          log(`sent: ${data}`);
          figures();
        },
        (error: { code?: string }) => {
          log(`send failed: ${error.code ?? String(error)}`);
          figures();
        },
      );
      figures();
    },
    async close() {
      await conn?.close({ code: 1000, reason: 'closed from the inspector' });
    },
    async reconnect() {
      const previous = conn;
      if (previous && previous.state !== 'CLOSED') await previous.close();
      else if (previous) await previous.closed;
      if (!stopped) connect();
    },
  };

  pages.on('connection', (socket) => {
    if (last) socket.send(JSON.stringify(last));
    socket.on('message', (data) => {
      let command: InspectorCommand;
      try {
        command = JSON.parse(data.toString()) as InspectorCommand;
      } catch {
        return;
      }
      const run = Object.hasOwn(commands, command.command) ? commands[command.command] : undefined;
      if (!run || stopped) return;
      Promise.resolve(run(command)).catch((error: Error) =>
        log(`${command.command} failed: ${error.message}`),
      );
    });
  });

  connect();
  const port = await listen(http, options.port ?? 4321, host);

  return {
    url: `http://${host}:${port}/`,
    async stop() {
      if (stopped) return;
      stopped = true;
      clearTimeout(restartTimer);
      const current = conn;
      if (current) {
        current.close().catch(() => {});
        await withTimeout(current.closed, STOP_TIMEOUT);
        current.actor.stop();
      }
      await demo.stop();
      await closeServer(http, pages);
    },
  };
}
