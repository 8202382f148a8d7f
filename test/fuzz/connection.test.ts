import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { SocketAdapter } from '../../src/adapters/types.js';
import { type Connection, createConnection } from '../../src/connection/createConnection.js';
import { createLifecycle } from '../../src/lifecycle/createLifecycle.js';
import { abortingProfile, type FakeSocketTask, wechatProfile } from '../fixtures/fakeSocketTask.js';
import { propertySeed } from '../helpers.js';
import {
  any,
  expectClosesCleanly,
  expectNothingEscaped,
  expectSocketTaskError,
  fuzzAdapter,
  numRuns,
  onlySocketTaskError,
  real,
  STATES,
  URL,
  useFakeTimers,
  watchEscapes,
} from './harness.js';

const seed = propertySeed('fuzz/connection', `numRuns=${numRuns}`);
watchEscapes();

beforeEach(useFakeTimers);
afterEach(() => {
  vi.useRealTimers();
});

const config = fc.record({
  profile: fc.constantFrom(wechatProfile, abortingProfile),
  reconnect: fc.oneof(
    fc.constant(false as const),
    fc.record({ initialDelay: fc.nat(50), maxDelay: fc.constant(100), maxRetries: fc.nat(3) }),
  ),
  heartbeat: fc.oneof(fc.constant(false as const), fc.record({ interval: fc.integer({ min: 1, max: 50 }) })),
  queue: fc.oneof(
    fc.constant(false as const),
    fc.record(
      {
        maxMessages: fc.integer({ min: 1, max: 5 }),
        maxBytes: fc.integer({ min: 1, max: 64 }),
        overflow: fc.constantFrom('reject' as const, 'drop-oldest' as const),
        ttl: fc.nat(100),
        holdUntilReady: fc.boolean(),
      },
      { requiredKeys: [] },
    ),
  ),
  errorGrace: fc.nat(100),
  closeTimeout: fc.nat(100),
  connectTimeout: fc.oneof(fc.constant(false as const), fc.nat(200)),
});

/** Callbacks the fuzz records: present or absent, each a plain function that never throws. */
const callbackSet = fc.record({ success: fc.boolean(), fail: fc.boolean(), complete: fc.boolean() });

const data = fc.oneof(
  any,
  fc.string({ maxLength: 20 }),
  fc.uint8Array({ maxLength: 20 }),
  fc.uint8Array({ maxLength: 20 }).map((bytes) => bytes.buffer),
);

const closeOptions = fc.oneof(
  any,
  fc.constant(undefined),
  fc.record(
    {
      code: fc.oneof(fc.constant(1000), fc.integer({ min: 3000, max: 4999 }), any),
      reason: fc.oneof(fc.string({ maxLength: 20 }), any),
    },
    { requiredKeys: [] },
  ),
);

const LISTENERS = ['onOpen', 'onMessage', 'onError', 'onClose', 'onStateChange', 'onGiveUp'] as const;

const step = fc.oneof(
  fc.record({
    kind: fc.constant('send' as const),
    data,
    callbacks: fc.oneof(fc.constant(undefined), callbackSet, any),
  }),
  fc.record({
    kind: fc.constant('close' as const),
    options: closeOptions,
    callbacks: fc.option(callbackSet),
  }),
  fc.record({
    kind: fc.constant('listen' as const),
    which: fc.constantFrom(...LISTENERS),
    listener: any,
    unsubscribe: fc.boolean(),
  }),
  fc.record({ kind: fc.constantFrom('ready' as const, 'clearQueue' as const) }),
  fc.record({
    kind: fc.constant('lifecycle' as const),
    signal: fc.oneof(any, fc.constantFrom('online', 'offline', 'foreground', 'background')),
  }),
  fc.record({
    kind: fc.constant('platform' as const),
    task: fc.nat(),
    event: fc.constantFrom('open', 'message', 'binary', 'error', 'close', 'completeClose'),
    text: fc.string({ maxLength: 10 }),
    code: fc.constantFrom(1000, 1001, 1006, 1008, 3000, 4999),
  }),
  fc.record({ kind: fc.constant('time' as const), ms: fc.nat(300) }),
);

type Outcome = {
  success: number;
  fail: number;
  complete: number;
  settled: number;
  given: Record<string, boolean>;
};

/** Makes the callbacks of one call, each recording its calls; the fail one checks what it is given. */
function recorder(given: { success: boolean; fail: boolean; complete: boolean }, outcome: Outcome) {
  outcome.given = given;
  const callbacks: Record<string, (value?: unknown) => void> = {};
  if (given.success) callbacks.success = () => void outcome.success++;
  if (given.fail) {
    callbacks.fail = (error) => {
      outcome.fail++;
      expectSocketTaskError(error);
    };
  }
  if (given.complete) callbacks.complete = () => void outcome.complete++;
  return callbacks;
}

/** Every call that did not throw reported exactly one outcome, the way the seeds say. */
function expectOneOutcomeEach(outcomes: Outcome[]): void {
  for (const outcome of outcomes) {
    const { success, fail, complete, settled, given } = outcome;
    if (!given.success && !given.fail && !given.complete) {
      expect(settled, 'a Promise that never settled').toBe(1);
      continue;
    }
    expect(success + fail).toBeLessThanOrEqual(1);
    if (given.success && given.fail) expect(success + fail).toBe(1);
    if (given.complete) expect(complete).toBe(1);
  }
}

function drivePlatform(
  tasks: FakeSocketTask[],
  s: { task: number; event: string; text: string; code: number },
) {
  const task = tasks.length === 0 ? undefined : tasks[s.task % tasks.length];
  if (task === undefined) return;
  if (s.event === 'open') task.emitOpen({ header: { 'x-fuzz': s.text } });
  if (s.event === 'message') task.emitMessage(s.text);
  if (s.event === 'binary') task.emitMessage(new TextEncoder().encode(s.text).buffer);
  if (s.event === 'error') task.emitError(s.text);
  if (s.event === 'close') task.emitClose(s.code, s.text);
  if (s.event === 'completeClose') task.completeClose();
}

function expectSane(conn: Connection, limits: { maxBytes: number; maxMessages: number }): void {
  expect(STATES).toContain(conn.state);
  expect(conn.readyState).toBe(STATES.indexOf(conn.state));
  expect(conn.queue.bytes).toBeLessThanOrEqual(limits.maxBytes);
  expect(conn.queue.messages).toBeLessThanOrEqual(limits.maxMessages);
  expect(Number.isInteger(conn.retries) && conn.retries >= 0).toBe(true);
}

describe('a connection given anything, in any state', () => {
  it('send, close, on*, ready, clearQueue and lifecycle signals: only SocketTaskErrors, one outcome per call, events in shape, and a clean close', async () => {
    await fc.assert(
      fc.asyncProperty(config, fc.array(step, { maxLength: 25 }), async (options, steps) => {
        const { profile, ...rest } = options;
        const adapter: SocketAdapter & { tasks: FakeSocketTask[] } = fuzzAdapter(profile);
        const lifecycle = createLifecycle();
        const conn = createConnection({ url: URL, ...rest, adapter, lifecycle });
        const limits = {
          maxBytes: options.queue === false ? 0 : (options.queue.maxBytes ?? 1_048_576),
          maxMessages: options.queue === false ? 0 : (options.queue.maxMessages ?? 1000),
        };
        // What the listeners receive is in the documented shapes, whatever was done.
        conn.onOpen((event) => expect(typeof event).toBe('object'));
        conn.onMessage(({ data }) =>
          expect(typeof data === 'string' || data instanceof ArrayBuffer).toBe(true),
        );
        conn.onError(({ errMsg }) => expect(typeof errMsg).toBe('string'));
        conn.onClose(({ code, reason }) => {
          expect(Number.isInteger(code)).toBe(true);
          expect(typeof reason).toBe('string');
        });
        conn.onStateChange((state, previous) => {
          expect(STATES).toContain(state);
          expect(STATES).toContain(previous);
        });
        const outcomes: Outcome[] = [];
        const track = (result: unknown, outcome: Outcome) => {
          if (result === undefined) return;
          expect(result).toBeInstanceOf(Promise);
          (result as Promise<unknown>).then(
            () => void outcome.settled++,
            (error: unknown) => {
              outcome.settled++;
              expectSocketTaskError(error);
            },
          );
        };
        for (const s of steps) {
          const outcome: Outcome = { success: 0, fail: 0, complete: 0, settled: 0, given: {} };
          if (s.kind === 'send') {
            const callbacks =
              s.callbacks !== null &&
              typeof s.callbacks === 'object' &&
              'success' in s.callbacks &&
              typeof s.callbacks.success === 'boolean'
                ? recorder(s.callbacks as { success: boolean; fail: boolean; complete: boolean }, outcome)
                : real(s.callbacks);
            const { value, error } = onlySocketTaskError(() =>
              conn.send(real(s.data) as never, callbacks as never),
            );
            if (error === undefined) {
              if (typeof callbacks !== 'object' || callbacks === null) outcome.given = {};
              outcomes.push(outcome);
              track(value, outcome);
            }
          } else if (s.kind === 'close') {
            let given = real(s.options);
            if (s.callbacks && typeof given === 'object' && given !== null) {
              try {
                given = Object.assign(Object.create(null), given, recorder(s.callbacks, outcome));
              } catch {
                // A hostile object cannot be copied: it is passed as it is.
                outcome.given = {};
              }
            }
            const { value, error } = onlySocketTaskError(() => conn.close(given as never));
            if (error === undefined) {
              outcomes.push(outcome);
              track(value, outcome);
            }
          } else if (s.kind === 'listen') {
            const { value: off } = onlySocketTaskError(() => conn[s.which](real(s.listener) as never));
            if (off !== undefined && s.unsubscribe) off();
          } else if (s.kind === 'ready') conn.ready();
          else if (s.kind === 'clearQueue') expect(Number.isInteger(conn.clearQueue())).toBe(true);
          else if (s.kind === 'lifecycle') lifecycle.emit(real(s.signal) as never);
          else if (s.kind === 'platform') drivePlatform(adapter.tasks, s);
          else if (s.kind === 'time') await vi.advanceTimersByTimeAsync(s.ms);
          expectSane(conn, limits);
        }
        lifecycle.emit('online');
        lifecycle.emit('foreground');
        await expectClosesCleanly(conn, adapter.tasks, limits.maxBytes);
        // Every queued message has its outcome once the connection is over.
        expect(conn.queue).toEqual({ messages: 0, bytes: 0 });
        await vi.advanceTimersByTimeAsync(1000);
        expectOneOutcomeEach(outcomes);
        // A send after the end fails, and says why.
        await expect(conn.send('late')).rejects.toMatchObject({
          code: expect.stringMatching(/^ERR_(CLOSED|NOT_OPEN)$/),
        });
        await expectNothingEscaped();
      }),
      { seed, numRuns },
    );
  });
});

describe('createLifecycle() given anything', () => {
  it('emit and subscribe throw only SocketTaskErrors, and a subscriber gets only the four signals', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.constantFrom('emit', 'subscribe', 'stop'), any), { maxLength: 20 }),
        async (calls) => {
          const lifecycle = createLifecycle();
          const received: unknown[] = [];
          const stops: Array<() => void> = [lifecycle.subscribe((signal) => received.push(signal))];
          for (const [call, value] of calls) {
            if (call === 'emit') onlySocketTaskError(() => lifecycle.emit(real(value) as never));
            else if (call === 'subscribe') {
              const { value: stop } = onlySocketTaskError(() => lifecycle.subscribe(real(value) as never));
              if (stop !== undefined) stops.push(stop);
            } else stops.shift()?.();
          }
          for (const signal of received)
            expect(['online', 'offline', 'foreground', 'background']).toContain(signal);
          await expectNothingEscaped();
        },
      ),
      { seed, numRuns },
    );
  });
});
