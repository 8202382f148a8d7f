// Shared by the fuzz suites: the seed, the value generators, and the rule every public function must keep.
import fc from 'fast-check';
import { afterAll, beforeAll, expect, vi } from 'vitest';
import type { CloseEvent, PlatformProfile, SocketAdapter } from '../../src/adapters/types.js';
import type { Connection } from '../../src/connection/createConnection.js';
import { ERROR_CODES, SocketTaskError } from '../../src/errors.js';
import { type FakeSocketTask, fakeAdapter, wechatProfile } from '../fixtures/fakeSocketTask.js';

export const numRuns = Number(process.env.FC_RUNS ?? 200);

/** Every kind of value fast-check makes, nested a few levels deep. */
export const anything = fc.anything({
  maxDepth: 3,
  maxKeys: 5,
  withBigInt: true,
  withBoxedValues: true,
  withMap: true,
  withSet: true,
  withObjectString: true,
  withNullPrototype: true,
  withTypedArray: true,
  withSparseArray: true,
  withDate: true,
  stringUnit: 'binary',
});

function throwingProxy(): object {
  const fail = () => {
    throw new Error('proxy trap');
  };
  return new Proxy(
    {},
    {
      get: fail,
      has: fail,
      ownKeys: fail,
      getOwnPropertyDescriptor: fail,
      getPrototypeOf: fail,
      set: fail,
      defineProperty: fail,
      deleteProperty: fail,
    },
  );
}

function revokedProxy(): object {
  const { proxy, revoke } = Proxy.revocable({}, {});
  revoke();
  return proxy;
}

function detach(buffer: ArrayBuffer): void {
  structuredClone(buffer, { transfer: [buffer] });
}

function throwingGetter(key: string): object {
  return Object.defineProperty({}, key, {
    enumerable: true,
    get() {
      throw new Error(`getter ${key}`);
    },
  });
}

/**
 * A hostile value, made only inside the property: fast-check itself inspects every generated value (for a clone
 * method), which a Proxy that throws on every trap would break.
 */
export class Hostile {
  constructor(
    readonly label: string,
    readonly make: () => unknown,
  ) {}
  toString(): string {
    return this.label;
  }
}

const HOSTILE: Hostile[] = [
  new Hostile('a Proxy that throws on every trap', throwingProxy),
  new Hostile('a revoked Proxy', revokedProxy),
  ...[
    'url',
    'adapter',
    'success',
    'fail',
    'then',
    'data',
    'code',
    'reason',
    'header',
    'next',
    'subscribe',
  ].map((key) => new Hostile(`an object whose getter ${key} throws`, () => throwingGetter(key))),
  new Hostile('an object inheriting from ArrayBuffer.prototype', () => Object.create(ArrayBuffer.prototype)),
  new Hostile('a detached ArrayBuffer', () => {
    const buffer = new ArrayBuffer(8);
    detach(buffer);
    return buffer;
  }),
  new Hostile('a DataView over a detached buffer', () => {
    const view = new DataView(new ArrayBuffer(8));
    detach(view.buffer as ArrayBuffer);
    return view;
  }),
  new Hostile('a Uint8Array over a detached buffer', () => {
    const view = new Uint8Array(8);
    detach(view.buffer);
    return view;
  }),
  new Hostile('a SharedArrayBuffer', () => new SharedArrayBuffer(4)),
  // Thenables, built from entries: the linter rightly refuses a literal `then` property anywhere else.
  new Hostile('a thenable', () =>
    Object.fromEntries([['then', (resolve: (v: unknown) => void) => resolve('wss://x.test')]]),
  ),
  new Hostile('a thenable that never settles', () => Object.fromEntries([['then', () => {}]])),
  new Hostile('a symbol', () => Symbol('fuzz')),
  new Hostile('an object with a throwing toString', () => ({
    toString() {
      throw new Error('toString');
    },
  })),
  new Hostile('an object with a throwing Symbol.toPrimitive', () => ({
    [Symbol.toPrimitive]() {
      throw new Error('toPrimitive');
    },
  })),
];

/**
 * What fc.anything() cannot make but a caller can pass: functions returning anything (never throwing: a user's own
 * function that throws is rethrown asynchronously by design), and the {@link HOSTILE} values; frozen objects too.
 */
export const hostile: fc.Arbitrary<unknown> = fc.oneof(
  // Not fc.func: it hashes its arguments' printout, and an inspection event prints the whole actor system.
  anything.map((value) => Object.assign(() => value, { toString: () => `() => ${fc.stringify(value)}` })),
  fc.constantFrom(...HOSTILE),
  anything.map((value) => {
    // A view with elements cannot be frozen.
    if (typeof value === 'object' && value !== null && !ArrayBuffer.isView(value)) Object.freeze(value);
    return value;
  }),
);

/** Anything at all, hostile values included; pass it through {@link real} before use. */
export const any: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: anything },
  { weight: 1, arbitrary: hostile },
);

/** The value a generated one stands for: a {@link Hostile} is made now. Nested values are used as generated. */
export function real(value: unknown): unknown {
  return value instanceof Hostile ? value.make() : value;
}

/** A generated record with each value made real; every key an own property, as `JSON.parse` makes "__proto__". */
export function realEntries(record: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(record).map(([key, value]) => [key, real(value)]));
}

const codes = new Set<string>(ERROR_CODES);

/** The rule: only a SocketTaskError with a documented code may come out of the library. */
export function expectSocketTaskError(error: unknown): void {
  expect(error, `not a SocketTaskError: ${String(error)}`).toBeInstanceOf(SocketTaskError);
  expect(codes.has((error as SocketTaskError).code), (error as SocketTaskError).code).toBe(true);
}

/** Calls `run`; passes when it returns, or throws a SocketTaskError with a documented code. */
export function onlySocketTaskError<T>(run: () => T): { value?: T; error?: SocketTaskError } {
  try {
    return { value: run() };
  } catch (error) {
    expectSocketTaskError(error);
    return { error: error as SocketTaskError };
  }
}

/**
 * Uncaught exceptions and unhandled rejections, attributed to the fuzz case that caused them: vitest would report
 * them too, but only as "unhandled error" after the run, with no counterexample.
 */
export const escaped: unknown[] = [];
const onEscape = (error: unknown) => {
  escaped.push(error);
};
export function watchEscapes(): void {
  beforeAll(() => {
    process.on('uncaughtException', onEscape);
    process.on('unhandledRejection', onEscape);
  });
  afterAll(() => {
    process.off('uncaughtException', onEscape);
    process.off('unhandledRejection', onEscape);
  });
}

/** Lets every queued microtask, rethrown error and rejection surface, then expects none escaped. */
export async function expectNothingEscaped(): Promise<void> {
  // Rethrown errors run in a microtask; unhandled rejections are reported after a macrotask.
  for (let i = 0; i < 3; i++) await new Promise<void>((resolve) => setImmediate(resolve));
  const caught = escaped.splice(0);
  expect(
    caught,
    `escaped: ${caught.map((e) => (e instanceof Error ? e.stack : String(e))).join('\n')}`,
  ).toEqual([]);
}

export const URL = 'wss://example.test/socket';

/** Fake timers and clock; setImmediate stays real, so that escaped errors can be waited for. */
export function useFakeTimers(): void {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
}

/** The fake mini-program adapter, with either close-while-CONNECTING behaviour. */
export function fuzzAdapter(
  profile: PlatformProfile = wechatProfile,
): SocketAdapter & { tasks: FakeSocketTask[] } {
  return fakeAdapter(profile);
}

export const STATES = ['CONNECTING', 'OPEN', 'CLOSING', 'CLOSED'];

/** Time enough for every timer the defaults start: connect timeout, close timeout, error grace, linger. */
export const SETTLE_MS = 60_000;

/**
 * The connection is still usable after whatever was done to it: it is in one of the four states, its queue is
 * within bounds, and a valid close settles it cleanly (the platform's task, when there is one, completes the
 * close), with `closed` settling too, within bounded fake time.
 */
export async function expectClosesCleanly(
  conn: Connection,
  tasks: FakeSocketTask[] | (() => void),
  maxBytes = 1_048_576,
): Promise<CloseEvent> {
  const drive =
    typeof tasks === 'function'
      ? tasks
      : () => {
          for (const task of tasks) {
            if (task.readyState === 0) task.emitOpen();
            if (task.readyState === 2) task.completeClose();
          }
        };
  expect(STATES).toContain(conn.state);
  expect(conn.queue.bytes).toBeLessThanOrEqual(maxBytes);
  let closeEvent: CloseEvent | undefined;
  let closeError: unknown;
  conn.close({ code: 1000, reason: 'fuzz' }).then(
    (event) => {
      closeEvent = event;
    },
    (error: unknown) => {
      closeError = error;
    },
  );
  let closedEvent: CloseEvent | undefined;
  conn.closed.then((event) => {
    closedEvent = event;
  });
  for (let round = 0; round < 5 && closedEvent === undefined; round++) {
    drive();
    await vi.advanceTimersByTimeAsync(SETTLE_MS);
  }
  expect(closeError).toBeUndefined();
  expect(closeEvent, 'close() never settled').toBeDefined();
  expect(closedEvent, 'closed never settled').toBeDefined();
  expect(conn.state).toBe('CLOSED');
  expect(typeof closedEvent?.code).toBe('number');
  expect(typeof closedEvent?.reason).toBe('string');
  return closedEvent as CloseEvent;
}
