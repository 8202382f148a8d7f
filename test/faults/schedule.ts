// One fault schedule: a real connection through the fault proxy to a real echo server, driven by a fast-check
// generated mix of user sends, closes, lifecycle signals, network faults and server restarts; then every promise of
// issue 8 is checked. Shared by the property suites of each adapter (faults.*.property.test.ts).
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LifecycleSignal, SocketAdapter, SocketTaskLike } from '../../src/adapters/types.js';
import { checkTrace } from '../../src/conformance/checkTrace.js';
import { recordSocketTask } from '../../src/conformance/recorder.js';
import type { Trace } from '../../src/conformance/trace.js';
import { type Connection, createConnection } from '../../src/connection/createConnection.js';
import { ERROR_CODES, type SocketTaskError } from '../../src/errors.js';
import { createLifecycle, type ManualLifecycle } from '../../src/lifecycle/createLifecycle.js';
import type { ReadyStateName } from '../../src/readyState.js';
import { CONNECTION_STATE_CHANGES } from '../fixtures/readyStateGraph.js';
import { propertySeed, until } from '../helpers.js';
import {
  type ConnectionMode,
  type FaultProxy,
  faults,
  type LaneCounts,
  type ProxyMode,
  startFaultProxy,
} from './proxy.js';
import { type EchoServer, startEchoServer } from './server.js';

export type Step =
  | { kind: 'send'; binary: boolean; callbacks: boolean }
  | { kind: 'wait'; ms: number }
  /** Every live proxied connection switches to this fault. */
  | { kind: 'fault'; mode: ConnectionMode }
  /** What the proxy does with new connections from now on. */
  | { kind: 'newConnections'; mode: ProxyMode }
  | { kind: 'restart' }
  | { kind: 'lifecycle'; signal: LifecycleSignal }
  | { kind: 'close' };

const modeArb: fc.Arbitrary<ConnectionMode> = fc.oneof(
  fc.constant(faults.pass()),
  fc.integer({ min: 1, max: 30 }).map((ms) => faults.latency(ms)),
  fc.constant(faults.blackhole()),
  fc.constant(faults.reset()),
  fc
    .tuple(fc.integer({ min: 0, max: 40 }), fc.constantFrom('toServer' as const, 'toClient' as const))
    .map(([bytes, direction]) => faults.cutAt(bytes, direction)),
);

export const stepArb: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant('send' as const),
      binary: fc.boolean(),
      callbacks: fc.boolean(),
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({ kind: fc.constant('wait' as const), ms: fc.integer({ min: 0, max: 120 }) }),
  },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('fault' as const), mode: modeArb }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('newConnections' as const),
      mode: fc.constantFrom<ProxyMode>(
        faults.pass(),
        faults.refuse(),
        faults.stallHandshake(),
        faults.latency(5),
      ),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'restart' as const }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('lifecycle' as const),
      signal: fc.constantFrom<LifecycleSignal>('online', 'offline', 'foreground', 'background'),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'close' as const }) },
);

export const scheduleArb = fc.array(stepArb, { minLength: 1, maxLength: 10 });

interface SendRecord {
  payload: string;
  outcomes: string[];
  completes: number;
  callbacks: boolean;
}

/** The adapter's tasks, each recorded, and the payloads each task's socket accepted. */
interface Tapped {
  adapter: SocketAdapter;
  traces: Trace[];
  written: Set<string>;
  /** Set once the connection's `closed` settled: no connect may come after. */
  terminated: boolean;
  lateConnects: string[];
  connectTimes: number[];
  endedAt: number;
}

const decoder = new TextDecoder();
// A brand check, not instanceof: in the mini-program engines the library's buffers come from another realm.
const payloadOf = (data: unknown): string =>
  typeof data === 'string'
    ? data
    : Object.prototype.toString.call(data) === '[object ArrayBuffer]'
      ? decoder.decode(data as ArrayBuffer)
      : String(data);

/**
 * Records every task the adapter makes (the conformance kit's recorder) and keeps the task's synchronous write()
 * if it has one, recording it as a send that succeeded, so the hot path is exercised and checked too.
 */
function tap(adapter: SocketAdapter): Tapped {
  const traces: Trace[] = [];
  const written = new Set<string>();
  let writeId = 1_000_000;
  const wrap = (inner: SocketTaskLike): SocketTaskLike => {
    const { task, trace } = recordSocketTask(inner);
    traces.push(trace);
    const send = task.send.bind(task);
    task.send = (options) =>
      send({
        ...options,
        success: (result) => {
          written.add(payloadOf(options.data));
          options.success?.(result);
        },
      });
    if (inner.abort) task.abort = () => inner.abort?.();
    if (inner.write) {
      const write = inner.write.bind(inner);
      task.write = (data) => {
        const id = writeId++;
        trace.push({ type: 'call', call: 'send', id, data });
        try {
          write(data);
        } catch (error) {
          trace.push(
            { type: 'callback', id, callback: 'fail' },
            { type: 'callback', id, callback: 'complete' },
          );
          throw error;
        }
        written.add(payloadOf(data));
        trace.push(
          { type: 'callback', id, callback: 'success' },
          { type: 'callback', id, callback: 'complete' },
        );
      };
    }
    return task;
  };
  const tapped: Tapped = {
    traces,
    written,
    terminated: false,
    lateConnects: [],
    connectTimes: [],
    endedAt: 0,
    adapter: {
      ...adapter,
      connect(options) {
        tapped.connectTimes.push(Math.round(performance.now()));
        if (tapped.terminated) {
          tapped.lateConnects.push(new Error(`connect after termination: ${options.url}`).stack ?? '');
        }
        const made = adapter.connect(options);
        return made instanceof Promise ? made.then(wrap) : wrap(made);
      },
    },
  };
  return tapped;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface World {
  server: EchoServer;
  proxy: FaultProxy;
  /** activeResources() with the server and proxy up and no connection: what the process holds at rest. */
  baseline: Record<string, number>;
  /** proxy.accepted.length when the last run ended: a connection accepted after that came from a dead run. */
  acceptedAtEnd: number;
  serverAtEnd: number;
  lastSteps: string;
  previous?: Tapped;
}

/** What the schedules of one suite did, summed: proof that they exercise something, and RELIABILITY.md's figures. */
export interface FaultStats {
  schedules: number;
  opens: number;
  reconnects: number;
  sends: number;
  outcomes: Record<string, number>;
  withoutOutcome: number;
  serverMessages: number;
  faults: Record<string, number>;
}

export function emptyStats(): FaultStats {
  return {
    schedules: 0,
    opens: 0,
    reconnects: 0,
    sends: 0,
    outcomes: {},
    withoutOutcome: 0,
    serverMessages: 0,
    faults: {},
  };
}

export interface RunOptions {
  /** A fresh adapter for this run (platform fakes keep per-platform state). */
  adapter: () => SocketAdapter;
  /** `allowInsecure` for profiles that require wss:// (the proxy speaks ws://). */
  allowInsecure?: boolean;
  /** The library under test: `src/` by default, or the built package in an emulated engine (test/runtime/). */
  createConnection?: typeof createConnection;
  /** Schedules to run; FC_RUNS_FAULTS overrides it. @defaultValue 70 */
  numRuns?: number;
  run: number;
}

/** Runs one schedule and checks everything issue 8 asks of it. Throws (an expect failure) on any violation. */
export async function runSchedule(
  world: World,
  steps: Step[],
  options: RunOptions,
  stats: FaultStats = emptyStats(),
): Promise<void> {
  stats.schedules++;
  const { server, proxy } = world;
  expect(world.previous?.lateConnects ?? [], 'connects made after the previous run was terminated').toEqual(
    [],
  );
  // A socket of a terminated run may still reach the proxy late (its SYN or handshake was in flight); it must
  // close on its own, or the previous run leaked it.
  const late = proxy.accepted.slice(world.acceptedAtEnd);
  await until(() => late.every((c) => c.isClosed), 'the sockets of the previous run to close', 3000).catch(
    () => {
      const open = late
        .filter((c) => !c.isClosed)
        .map((c) => ({ id: c.id, toServer: c.bytes.toServer.received, toClient: c.bytes.toClient.received }));
      throw new Error(
        `sockets of the previous run left open: ${JSON.stringify({ open, steps: world.lastSteps })}`,
      );
    },
  );
  proxy.setDefaultMode(faults.pass());
  if (!server.listening) await server.start();
  const path = `/run-${options.run}`;
  const tapped = tap(options.adapter());
  const manual = createLifecycle();
  let subscribed = 0;
  const lifecycle = {
    emit: manual.emit,
    subscribe(listener: (signal: LifecycleSignal) => void) {
      subscribed++;
      const stop = manual.subscribe(listener);
      return () => {
        subscribed--;
        stop();
      };
    },
  };
  const conn: Connection = (options.createConnection ?? createConnection)({
    url: proxy.url(path),
    adapter: tapped.adapter,
    ...(options.allowInsecure ? { allowInsecure: true } : {}),
    lifecycle,
    reconnect: { initialDelay: 5, maxDelay: 20 },
    connectTimeout: 300,
    heartbeat: { interval: 80, timeout: 80 },
    closeTimeout: 150,
    errorGrace: 50,
    connectionLimit: 'wait',
  });
  try {
    await drive(world, steps, stats, {
      conn,
      tapped,
      lifecycle: manual,
      path,
      subscribed: () => subscribed,
    });
  } catch (error) {
    console.error(
      `[faults] run ${options.run} failed: ${JSON.stringify(steps)}: ${(error as Error).message}`,
    );
    throw error;
  } finally {
    // A failed run must not leave its connection reconnecting into the next one (fast-check runs more to shrink).
    if (!tapped.terminated) {
      proxy.setDefaultMode(faults.pass());
      proxy.setModeForAll(faults.pass());
      await bounded(conn.close(), 3000, 'the failed run to close').catch(() => {});
      await bounded(conn.closed, 3000, 'the failed run to end').catch(() => {});
      tapped.terminated = true;
      world.acceptedAtEnd = proxy.accepted.length;
      world.serverAtEnd = server.connections.length;
    }
  }
}

interface RunParts {
  conn: Connection;
  tapped: Tapped;
  lifecycle: ManualLifecycle;
  path: string;
  subscribed: () => number;
}

async function drive(
  world: World,
  steps: Step[],
  stats: FaultStats,
  { conn, tapped, lifecycle, path, subscribed }: RunParts,
): Promise<void> {
  const { server, proxy } = world;
  const count = (table: Record<string, number>, key: string) => {
    table[key] = (table[key] ?? 0) + 1;
  };
  const changes: string[] = [];
  conn.onStateChange((state: ReadyStateName, previous: ReadyStateName) =>
    changes.push(`${previous}>${state}`),
  );
  conn.onError(() => {});
  const sends: SendRecord[] = [];
  const settled: Promise<unknown>[] = [];
  let seq = 0;
  let offline = false;
  let background = false;

  for (const step of steps) {
    switch (step.kind) {
      case 'send': {
        const payload = `${path}#${seq++}`;
        const record: SendRecord = { payload, outcomes: [], completes: 0, callbacks: step.callbacks };
        sends.push(record);
        const data = step.binary ? new TextEncoder().encode(payload) : payload;
        const failed = (error: unknown) => {
          // By brand, not instanceof: the library may run in an emulated engine's realm (test/runtime/).
          expect(Object.prototype.toString.call(error), `send ${payload} failed with a non-Error`).toBe(
            '[object Error]',
          );
          expect((error as Error).name, `send ${payload} failed with a non-SocketTaskError`).toBe(
            'SocketTaskError',
          );
          const { code } = error as SocketTaskError;
          expect(ERROR_CODES).toContain(code);
          record.outcomes.push(`fail:${code}`);
        };
        if (step.callbacks) {
          settled.push(
            new Promise<void>((resolve) =>
              conn.send(data, {
                success: () => void record.outcomes.push('success'),
                fail: failed,
                complete: () => {
                  record.completes++;
                  resolve();
                },
              }),
            ),
          );
        } else {
          settled.push(conn.send(data).then(() => void record.outcomes.push('success'), failed));
        }
        break;
      }
      case 'wait':
        await sleep(step.ms);
        break;
      case 'fault':
        count(stats.faults, step.mode.kind);
        proxy.setModeForAll(step.mode);
        break;
      case 'newConnections':
        count(stats.faults, `new connections: ${step.mode.kind}`);
        proxy.setDefaultMode(step.mode);
        break;
      case 'restart':
        count(stats.faults, 'server restart');
        await server.restart();
        break;
      case 'lifecycle':
        if (step.signal === 'offline') offline = true;
        if (step.signal === 'online') offline = false;
        if (step.signal === 'background') background = true;
        if (step.signal === 'foreground') background = false;
        lifecycle.emit(step.signal);
        break;
      case 'close':
        void conn.close();
        break;
    }
  }

  // Heal the network so that the connection can end cleanly, then end it and wait until it is torn down.
  proxy.setDefaultMode(faults.pass());
  proxy.setModeForAll(faults.pass());
  if (offline) lifecycle.emit('online');
  if (background) lifecycle.emit('foreground');
  await sleep(10);
  const closing = conn.close();
  await bounded(closing, 3000, 'close() to settle');
  await bounded(conn.closed, 3000, 'closed to settle');
  tapped.terminated = true;
  await bounded(Promise.all(settled), 3000, 'every send to get its outcome');
  stats.sends += sends.length;
  stats.opens += changes.filter((change) => change.endsWith('>OPEN')).length;
  stats.reconnects += changes.filter((change) => change === 'CLOSED>CONNECTING').length;
  for (const record of sends) {
    if (record.outcomes.length === 0) stats.withoutOutcome++;
    for (const outcome of record.outcomes) count(stats.outcomes, outcome);
  }

  // Every send ended exactly once, with a documented outcome; every success was written by the socket.
  for (const record of sends) {
    expect(record.outcomes, `outcomes of ${record.payload}`).toHaveLength(1);
    if (record.callbacks) expect(record.completes, `complete of ${record.payload}`).toBe(1);
    if (record.outcomes[0] === 'success') {
      expect(tapped.written.has(record.payload), `${record.payload} reported written but never written`).toBe(
        true,
      );
    }
  }

  // The readyState only moved along the four-state model.
  for (const change of changes) expect(CONNECTION_STATE_CHANGES, `state change ${change}`).toContain(change);
  expect(conn.state).toBe('CLOSED');

  // What the server got: within each socket in order, and nothing twice across all of them.
  const mine = server.connections.filter((c) => c.path === path);
  for (const connection of mine) {
    stats.serverMessages += connection.messages.filter((m) => m.toString().startsWith(`${path}#`)).length;
  }
  const seen = new Set<string>();
  for (const connection of mine) {
    let last = -1;
    for (const message of connection.messages) {
      const payload = typeof message === 'string' ? message : message.toString('utf8');
      // The heartbeat's pings are the manager's own, not the user's sends.
      if (!payload.startsWith(`${path}#`)) continue;
      expect(seen.has(payload), `${payload} reached the server twice`).toBe(false);
      seen.add(payload);
      const n = Number(payload.slice(payload.indexOf('#') + 1));
      expect(n, `${payload} after #${last} on one socket`).toBeGreaterThan(last);
      last = n;
      expect(tapped.written.has(payload), `${payload} reached the server but was never written`).toBe(true);
    }
  }

  // Every task the manager made ended with its close event, and its trace is one the platform model allows.
  const profile = tapped.adapter.profile;
  // A socket given up on is aborted when closeTimeout ends, and its close follows a moment later.
  await until(
    () => tapped.traces.every((trace) => (trace.at(-1) as { event?: string } | undefined)?.event === 'close'),
    'every task to report its close',
    3000,
  );
  for (const trace of tapped.traces) {
    const violations = checkTrace(trace, profile, { final: true });
    expect(violations, JSON.stringify(trace.slice(-12))).toEqual([]);
  }

  // No zombies: once the proxy passes traffic again, no socket of this run is left open on the server or proxy.
  await until(
    () => mine.every((c) => c.close !== undefined),
    `every server socket of ${path} to close`,
    3000,
  );
  await until(() => proxy.connections.length === 0, 'the proxy to hold no connection', 3000).catch(
    (error) => {
      const lane = ({ received, forwarded, dropped, queued }: LaneCounts) => ({
        received,
        forwarded,
        dropped,
        queued,
      });
      const held = proxy.connections.map((c) => ({
        id: c.id,
        mode: c.mode.kind,
        toServer: lane(c.bytes.toServer),
        toClient: lane(c.bytes.toClient),
        client: { destroyed: c.client.destroyed, readableEnded: c.client.readableEnded },
        server: { destroyed: c.server.destroyed, readableEnded: c.server.readableEnded },
      }));
      const open = server.connections.filter((c) => c.close === undefined).map((c) => c.path);
      throw new Error(`${(error as Error).message}: ${JSON.stringify({ held, serverOpen: open })}`);
    },
  );

  await sleep(50);
  expect(tapped.lateConnects, 'connects made after the connection was terminated').toEqual([]);
  world.acceptedAtEnd = proxy.accepted.length;
  world.serverAtEnd = server.connections.length;
  world.lastSteps = JSON.stringify(steps);
  world.previous = tapped;
  tapped.endedAt = Math.round(performance.now());

  // Nothing left in the client process: no lifecycle listener, no timer, no socket beyond the process at rest.
  expect(subscribed(), 'lifecycle listeners left subscribed').toBe(0);
  await until(
    () => {
      const now = activeResources();
      return Object.entries(now).every(([kind, count]) => count <= (world.baseline[kind] ?? 0)) || undefined;
    },
    `the process to hold no more than at rest (${JSON.stringify(world.baseline)}), holding ${JSON.stringify(activeResources())}`,
    3000,
  );
}

async function bounded<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Active handles by kind: what a leaked timer or socket looks like from inside the process. */
export function activeResources(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const kind of process.getActiveResourcesInfo()) counts[kind] = (counts[kind] ?? 0) + 1;
  return counts;
}

/**
 * The property suite of one adapter: `numRuns` schedules (FC_RUNS_FAULTS), each a fresh connection through one
 * shared proxy and echo server. Prints its seed; FC_SEED replays a failure.
 */
export function faultSuite(name: string, options: Omit<RunOptions, 'run'>): void {
  const numRuns = Number(process.env.FC_RUNS_FAULTS ?? options.numRuns ?? 70);
  const seed = propertySeed(`faults.${name}`, `numRuns=${numRuns}`);
  let world: World | undefined;
  beforeAll(async () => {
    const server = await startEchoServer();
    const proxy = await startFaultProxy({ target: { port: server.port } });
    world = { server, proxy, baseline: activeResources(), acceptedAtEnd: 0, serverAtEnd: 0, lastSteps: '' };
  });
  afterAll(async () => {
    await world?.proxy.close();
    await world?.server.stop();
  });

  describe(`the ${name} adapter under network faults`, () => {
    it('ends every send exactly once, keeps order without duplicates, leaves no zombie or leak, and follows the model', async () => {
      let run = 0;
      const stats = emptyStats();
      await fc.assert(
        fc.asyncProperty(scheduleArb, (steps) =>
          runSchedule(world as World, steps, { ...options, run: run++ }, stats),
        ),
        { seed, numRuns },
      );
      // Printed for RELIABILITY.md (npm run soak reads it), and as evidence that the schedules did something.
      console.log(`[faults] ${name} ${JSON.stringify(stats)}`);
      expect(stats.opens).toBeGreaterThan(0);
      expect(stats.outcomes.success ?? 0).toBeGreaterThan(0);
    }, 300_000);
  });
}
