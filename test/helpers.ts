// The small helpers the test files share, one copy of each, so that a fix to one reaches every caller.
import { expect, vi } from 'vitest';
import type {
  CloseEvent,
  ErrorEvent,
  LifecycleSignal,
  LifecycleSource,
  MessageEvent,
  OpenEvent,
} from '../src/adapters/types.js';
import type { Connection } from '../src/connection/createConnection.js';
import { SocketTaskError, type SocketTaskErrorCode } from '../src/errors.js';

// Vitest evaluates this module once per test file, so every property of a file runs from the same seed and one
// FC_SEED replays all of them.
const seed = Number(process.env.FC_SEED ?? Date.now() % 2 ** 31);
const announced = new Set<string>();

/**
 * The fast-check seed of this test file: FC_SEED when set, else one drawn from the clock. Prints
 * `[fast-check] <name> seed=<n> <details>` once per name, so that a failure can be replayed with
 * `FC_SEED=<n> npx vitest run <file>`.
 *
 * @example
 * ```ts
 * const numRuns = Number(process.env.FC_RUNS ?? 100);
 * const seed = propertySeed('connection/createConnection.model', `numRuns=${numRuns}`);
 * fc.assert(property, { seed, numRuns });
 * ```
 */
export function propertySeed(name: string, details?: string): number {
  if (!announced.has(name)) {
    announced.add(name);
    console.log(`[fast-check] ${name} seed=${seed}${details === undefined ? '' : ` ${details}`}`);
  }
  return seed;
}

/** Lets queued microtasks and promise chains (async connect, async providers, teardown) run; no timer fires. */
export async function flush(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
}

/** The SocketTaskError `fn` throws; fails the test when it throws nothing or something else. */
export function thrown(fn: () => unknown): SocketTaskError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(SocketTaskError);
    return error as SocketTaskError;
  }
  throw new Error('expected the call to throw');
}

/** Expects a SocketTaskError with this code and a message matching the (anchored) pattern. */
export function expectError(error: unknown, code: SocketTaskErrorCode, message: RegExp): void {
  expect(error).toBeInstanceOf(SocketTaskError);
  expect((error as SocketTaskError).code).toBe(code);
  expect((error as SocketTaskError).message).toMatch(message);
}

/** Records every event a connection gives its listeners, and the order of the listener calls. */
export function record(conn: Connection) {
  const events = {
    open: [] as OpenEvent[],
    message: [] as MessageEvent[],
    error: [] as ErrorEvent[],
    close: [] as CloseEvent[],
    /** Every listener call in order, to check that onStateChange precedes onOpen/onClose. */
    order: [] as string[],
  };
  conn.onOpen((event) => {
    events.open.push(event);
    events.order.push('open');
  });
  conn.onMessage((event) => events.message.push(event));
  conn.onError((event) => {
    events.error.push(event);
    events.order.push('error');
  });
  conn.onClose((event) => {
    events.close.push(event);
    events.order.push(`close ${event.code}`);
  });
  conn.onStateChange((state, previous) => events.order.push(`${previous}→${state}`));
  return events;
}

/** Subscribes to a lifecycle source and records its signals; fails when there is no source. */
export function recordSignals(source: LifecycleSource | undefined, owner = 'the platform') {
  if (!source) throw new Error(`${owner} gives no lifecycle source`);
  const signals: LifecycleSignal[] = [];
  const unsubscribe = source.subscribe((signal) => signals.push(signal));
  return { signals, unsubscribe };
}

/** Bounds an event-driven wait, so a missing event fails the test with its name instead of hanging. */
export function within<T>(promise: Promise<T>, what: string, ms = 2000): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Resolves with what `probe` returns once it is neither `undefined` nor `false`; rejects naming `what` after
 * `timeoutMs`. It polls because most conditions on real sockets (a byte count, a socket being gone) have no
 * single event to wait for.
 *
 * @example
 * ```ts
 * const connection = await until(() => proxy.connections[0], 'the first proxied connection');
 * ```
 */
export function until<T>(
  probe: () => T,
  what: string,
  timeoutMs = 2000,
): Promise<Exclude<T, undefined | false>> {
  const deadline = performance.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const check = () => {
      let value: T;
      try {
        value = probe();
      } catch (error) {
        reject(error);
        return;
      }
      if (value !== undefined && value !== false) resolve(value as Exclude<T, undefined | false>);
      else if (performance.now() >= deadline) {
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
      } else setTimeout(check, 5);
    };
    check();
  });
}

/** The top-level state of an XState snapshot value (`'OPEN'` of `{ OPEN: 'idle' }`); `''` when there is none. */
export function topState(value: unknown): string {
  if (typeof value === 'string') return value;
  return typeof value === 'object' && value !== null ? (Object.keys(value)[0] ?? '') : '';
}

/**
 * Under fake timers: `ms` pass on the monotonic clock (`performance.now()`) while no timer runs, as when a page or a
 * mini-program is frozen in the background and its timers fire late. `vi.setSystemTime` is something else: a step
 * of the wall clock, which the library's elapsed times ignore.
 */
export function freezeFor(ms: number): void {
  const now = performance.now.bind(performance);
  vi.spyOn(performance, 'now').mockImplementation(() => now() + ms);
}
