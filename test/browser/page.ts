// The browser side of the web adapter's browser tests: bundled by esbuild into the page the tests open.
// It connects with the browser's own WebSocket and records, in order, everything each connection reports.
// The recorder comes through the package's export map, as an app bundles it: it must bundle for a browser.
import { recordSocketTask } from 'socket-task-machine/conformance/trace';
import { closeWire, sendWire, toWire, type WireData, type WireStep } from '../../scripts/conformance/wire.js';
import type { SocketTaskLike } from '../../src/adapters/types.js';
import { webAdapter } from '../../src/adapters/web.js';
import {
  type Connection,
  type ConnectionOptions,
  createConnection,
  SocketTaskError,
} from '../../src/index.js';

/** One thing a connection reported, reduced to what survives page.evaluate's serialization. */
export type PageEvent =
  | { type: 'state'; state: string; previous: string }
  | { type: 'open' }
  | { type: 'text'; data: string }
  /** `kind` is the received object's class tag, e.g. `[object ArrayBuffer]`. */
  | { type: 'binary'; kind: string; bytes: number[] }
  | { type: 'error'; errMsg: string }
  | { type: 'close'; code: number; reason: string };

export interface PageProbe {
  readonly conn: Connection;
  readonly events: PageEvent[];
  /** Resolves with the events once `count` of `type` have been reported; rejects after `timeoutMs`. */
  until(type: PageEvent['type'], count?: number, timeoutMs?: number): Promise<PageEvent[]>;
}

/** The web adapter's bare task, driven from Node by the conformance kit; its trace streams out as it grows. */
export interface RemoteTasks {
  create(id: number, url: string, protocols: string[] | undefined): void;
  send(id: number, data: WireData): void;
  close(id: number, code: unknown, reason: unknown): void;
}

export interface PageApi {
  remote: RemoteTasks;
  createConnection: typeof createConnection;
  webAdapter: typeof webAdapter;
  SocketTaskError: typeof SocketTaskError;
  probes: PageProbe[];
  /** createConnection with webAdapter() and the browser's global WebSocket; returns the probe's index. */
  connect(url: string, options?: Partial<Omit<ConnectionOptions, 'url' | 'adapter'>>): number;
  /** Closes every probe's connection and waits until each one is CLOSED. */
  closeAll(timeoutMs?: number): Promise<void>;
}

declare global {
  interface Window {
    stm: PageApi;
    /** Exposed by the Node side (page.exposeFunction): receives each trace step of remote task `id`. */
    stmTrace?: (id: number, step: WireStep) => void;
  }
}

const WAIT_MS = 2000;

function probe(conn: Connection): PageProbe {
  const events: PageEvent[] = [];
  const waiters = new Set<() => void>();
  const push = (event: PageEvent) => {
    events.push(event);
    for (const check of [...waiters]) check();
  };
  conn.onStateChange((state, previous) => push({ type: 'state', state, previous }));
  conn.onOpen(() => push({ type: 'open' }));
  conn.onMessage(({ data }) => {
    if (typeof data === 'string') push({ type: 'text', data });
    else
      push({ type: 'binary', kind: Object.prototype.toString.call(data), bytes: [...new Uint8Array(data)] });
  });
  conn.onError(({ errMsg }) => push({ type: 'error', errMsg }));
  conn.onClose(({ code, reason }) => push({ type: 'close', code, reason }));
  return {
    conn,
    events,
    until: (type, count = 1, timeoutMs = WAIT_MS) =>
      new Promise((resolve, reject) => {
        const check = () => {
          if (events.filter((event) => event.type === type).length < count) return;
          waiters.delete(check);
          clearTimeout(timer);
          resolve([...events]);
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(
            new Error(
              `page: timed out after ${timeoutMs} ms waiting for ${count} × ${type}; got ${JSON.stringify(events)}`,
            ),
          );
        }, timeoutMs);
        waiters.add(check);
        check();
      }),
  };
}

const probes: PageProbe[] = [];
const remoteTasks = new Map<number, SocketTaskLike>();

const remote: RemoteTasks = {
  create(id, url, protocols) {
    const target: { url: string; protocols?: string[] } = { url };
    if (protocols) target.protocols = protocols;
    const created = webAdapter().connect(target) as SocketTaskLike;
    const { task } = recordSocketTask(created, { onStep: (step) => window.stmTrace?.(id, toWire(step)) });
    remoteTasks.set(id, task);
  },
  send: (id, data) => sendWire(remoteTasks.get(id), data),
  close: (id, code, reason) => closeWire(remoteTasks.get(id), code, reason),
};

window.stm = {
  remote,
  createConnection,
  webAdapter,
  SocketTaskError,
  probes,
  connect(url, options = {}) {
    probes.push(probe(createConnection({ reconnect: false, ...options, url, adapter: webAdapter() })));
    return probes.length - 1;
  },
  async closeAll(timeoutMs = WAIT_MS) {
    for (const { conn } of probes) if (conn.state !== 'CLOSED') conn.close().catch(() => {});
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const stuck = probes.filter(({ conn }) => conn.state !== 'CLOSED').map(({ conn }) => conn.state);
        reject(new Error(`page: connections still ${stuck.join(', ')} after ${timeoutMs} ms`));
      }, timeoutMs);
    });
    await Promise.race([Promise.all(probes.map(({ conn }) => conn.closed)), timeout]).finally(() =>
      clearTimeout(timer),
    );
    probes.length = 0;
  },
};
