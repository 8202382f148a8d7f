import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { CloseEvent } from '../../src/adapters/types.js';
import {
  type Connection,
  createConnection,
  type GiveUpEvent,
} from '../../src/connection/createConnection.js';
import type { ConnectionOptions } from '../../src/options/connectionOptions.js';
import type { ReadyStateName } from '../../src/readyState.js';
import { backoffDelay, type ReconnectPolicy } from '../../src/reconnect/backoff.js';
import {
  abortingProfile,
  type FakeSocketTask,
  fakeAdapter,
  wechatProfile,
} from '../fixtures/fakeSocketTask.js';
import { CONNECTION_STATE_CHANGES } from '../fixtures/readyStateGraph.js';
import { captureRethrown } from '../fixtures/rethrown.js';
import { propertySeed } from '../helpers.js';

const URL = 'wss://example.test/socket';
const numRuns = Number(process.env.FC_RUNS ?? 200);
const seed = propertySeed('reconnect', `numRuns=${numRuns}`);

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

function start(options: Partial<ConnectionOptions> = {}, profile = wechatProfile) {
  vi.useFakeTimers();
  const adapter = fakeAdapter(profile);
  const conn = createConnection({ url: URL, adapter, reconnect: {}, ...options });
  const seen = { closes: [] as CloseEvent[], giveUps: [] as GiveUpEvent[], states: [] as ReadyStateName[] };
  conn.onClose((e) => seen.closes.push(e));
  conn.onGiveUp((e) => seen.giveUps.push(e));
  conn.onStateChange((s) => seen.states.push(s));
  const task = (): FakeSocketTask => {
    const last = adapter.tasks.at(-1);
    if (!last) throw new Error('no task');
    return last;
  };
  return { adapter, conn, seen, task };
}

const policy = (overrides: Partial<ReconnectPolicy> = {}): ReconnectPolicy => ({
  initialDelay: 1000,
  maxDelay: 30_000,
  factor: 2,
  maxRetries: Number.POSITIVE_INFINITY,
  jitter: 'full',
  stableAfter: 5000,
  shouldReconnect: () => true,
  ...overrides,
});

describe('backoffDelay', () => {
  it('grows by factor from initialDelay and is capped at maxDelay, without jitter', () => {
    const p = policy({ jitter: 'none' });
    expect([0, 1, 2, 3, 4, 5, 6].map((n) => backoffDelay(p, n, 0.5))).toEqual([
      1000, 2000, 4000, 8000, 16_000, 30_000, 30_000,
    ]);
  });

  it('draws full jitter in [0, backoff) anew for every attempt', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 40 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (retries, random) => {
          const p = policy();
          const ceiling = Math.min(p.maxDelay, p.initialDelay * p.factor ** retries);
          const delay = backoffDelay(p, retries, random);
          expect(delay).toBeGreaterThanOrEqual(0);
          expect(delay).toBeLessThan(ceiling);
        },
      ),
      { seed, numRuns },
    );
  });
});

describe('reconnect', () => {
  it('is off unless asked for: a connection without the option ends at its first close', async () => {
    vi.useFakeTimers();
    const adapter = fakeAdapter(wechatProfile);
    const conn = createConnection({ url: URL, adapter });
    adapter.tasks[0]?.emitOpen();
    adapter.tasks[0]?.emitClose(1006, '');
    expect(await conn.closed).toEqual({ code: 1006, reason: '' });
    await vi.advanceTimersByTimeAsync(60_000);
    expect(adapter.tasks).toHaveLength(1);
  });

  it('with reconnect: {}, reconnects after a close the user did not ask for, calling the url provider again', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0.5);
    let calls = 0;
    const { adapter, conn, seen, task } = start({ url: () => `${URL}?token=${++calls}` });
    task().emitOpen();
    task().emitClose(1006, '');
    expect(conn.state).toBe('CLOSED');
    expect(conn.nextRetryAt).toBe(Date.now() + 500);
    await vi.advanceTimersByTimeAsync(499);
    expect(adapter.tasks).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(adapter.tasks).toHaveLength(2);
    expect(adapter.tasks.map((t) => t.options.url)).toEqual([`${URL}?token=1`, `${URL}?token=2`]);
    expect(conn.state).toBe('CONNECTING');
    expect(conn.retries).toBe(1);
    expect(conn.nextRetryAt).toBeNull();
    task().emitOpen();
    expect(seen.states).toEqual(['OPEN', 'CLOSED', 'CONNECTING', 'OPEN']);
    expect(seen.closes).toEqual([{ code: 1006, reason: '' }]);
  });

  it('at zero delay, comes back at once after an open connection drops, without waiting for a timer', async () => {
    const { adapter, conn, seen, task } = start({ reconnect: { initialDelay: 0, maxDelay: 0 } });
    task().emitOpen();
    task().emitClose(1006, '');
    await Promise.resolve();
    expect(adapter.tasks).toHaveLength(2);
    expect(conn.retries).toBe(1);
    expect(seen.states).toEqual(['OPEN', 'CLOSED', 'CONNECTING']);
  });

  it('at zero delay, an attempt that fails before opening waits for the timer, so a failing platform cannot spin', async () => {
    const { adapter, conn, task } = start({ reconnect: { initialDelay: 0, maxDelay: 0 } });
    task().emitOpen();
    task().emitClose(1006, '');
    await Promise.resolve();
    task().emitError('refused');
    task().emitClose(1006, '');
    await Promise.resolve();
    expect(adapter.tasks).toHaveLength(2);
    expect(conn.nextRetryAt).toBe(Date.now());
    await vi.advanceTimersByTimeAsync(0);
    expect(adapter.tasks).toHaveLength(3);
    expect(conn.retries).toBe(2);
  });

  it.each([
    [1000, 'interrupted'],
    [1001, ''],
    [1006, ''],
  ])(
    "retries after the platform's own close %i %j (WeChat backgrounding, going away, abnormal)",
    async (code, reason) => {
      const { adapter, task } = start({ reconnect: { jitter: 'none', initialDelay: 10 } });
      task().emitOpen();
      task().emitClose(code, reason);
      await vi.advanceTimersByTimeAsync(10);
      expect(adapter.tasks).toHaveLength(2);
    },
  );

  it('never reconnects after a close the user asked for', async () => {
    const { adapter, conn, seen, task } = start({ reconnect: { jitter: 'none', initialDelay: 10 } });
    task().emitOpen();
    const closing = conn.close({ code: 1000, reason: 'bye' });
    task().completeClose();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(adapter.tasks).toHaveLength(1);
    expect(await closing).toEqual({ code: 1000, reason: 'bye' });
    expect(seen.giveUps).toEqual([]);
  });

  it('does not come back after a code that says the client is at fault, and says why', async () => {
    const { adapter, conn, seen, task } = start();
    task().emitOpen();
    task().emitClose(1008, 'policy violation');
    await vi.advanceTimersByTimeAsync(60_000);
    expect(adapter.tasks).toHaveLength(1);
    expect(seen.giveUps).toEqual([
      { reason: 'not-retryable', retries: 0, close: { code: 1008, reason: 'policy violation' } },
    ]);
    expect(await conn.closed).toEqual({ code: 1008, reason: 'policy violation' });
  });

  it('takes the codes that mean "do not come back" from noReconnectCodes, and asks shouldReconnect', async () => {
    const asked: number[] = [];
    const { adapter, task } = start({
      reconnect: {
        jitter: 'none',
        initialDelay: 10,
        shouldReconnect: ({ code }) => {
          asked.push(code);
          return code !== 4001;
        },
      },
    });
    task().emitOpen();
    task().emitClose(4000, '');
    await vi.advanceTimersByTimeAsync(10);
    expect(adapter.tasks).toHaveLength(2);
    task().emitOpen();
    task().emitClose(4001, 'banned');
    await vi.advanceTimersByTimeAsync(60_000);
    expect(adapter.tasks).toHaveLength(2);
    expect(asked).toEqual([4000, 4001]);
  });

  it('gives up after maxRetries with reason max-retries, and settles closed', async () => {
    const { adapter, conn, seen, task } = start({
      reconnect: { jitter: 'none', initialDelay: 10, maxRetries: 2 },
    });
    for (let i = 0; i < 3; i++) {
      task().emitError('refused');
      task().emitClose(1006, '');
      await vi.advanceTimersByTimeAsync(60_000);
    }
    expect(adapter.tasks).toHaveLength(3);
    expect(seen.giveUps).toEqual([{ reason: 'max-retries', retries: 2, close: { code: 1006, reason: '' } }]);
    expect(await conn.closed).toEqual({ code: 1006, reason: '' });
    // Idle until reconnect(): no timer, and every task at its end, nothing more to run.
    expect(conn.actor.getSnapshot().matches({ CLOSED: 'terminated' })).toBe(true);
    expect(
      Object.values(conn.actor.getSnapshot().children).map((child) => child?.getSnapshot().status),
    ).toEqual(['done']);
  });

  it('backs off exponentially between failed attempts, then resets the count once the connection was stable', async () => {
    const { adapter, conn, task } = start({
      reconnect: { jitter: 'none', initialDelay: 100, stableAfter: 1000 },
    });
    const waits: number[] = [];
    for (let i = 0; i < 3; i++) {
      task().emitClose(1006, '');
      waits.push((conn.nextRetryAt ?? 0) - Date.now());
      await vi.advanceTimersByTimeAsync(waits.at(-1) ?? 0);
    }
    expect(waits).toEqual([100, 200, 400]);
    expect(conn.retries).toBe(3);
    task().emitOpen();
    await vi.advanceTimersByTimeAsync(999);
    expect(conn.retries).toBe(3);
    await vi.advanceTimersByTimeAsync(1);
    expect(conn.retries).toBe(0);
    task().emitClose(1006, '');
    expect((conn.nextRetryAt ?? 0) - Date.now()).toBe(100);
    expect(adapter.tasks).toHaveLength(4);
  });

  it('cancels the wait when close() is called during it, and the wait leaves no timer', async () => {
    const { adapter, conn, task } = start({ reconnect: { jitter: 'none', initialDelay: 5000 } });
    task().emitOpen();
    task().emitClose(1006, '');
    expect(conn.nextRetryAt).not.toBeNull();
    expect(await conn.close()).toEqual({ code: 1006, reason: '' });
    expect(vi.getTimerCount()).toBe(0);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(adapter.tasks).toHaveLength(1);
    expect(conn.state).toBe('CLOSED');
  });

  it('retries an attempt abandoned by the connect timeout', async () => {
    const { adapter } = start(
      { connectTimeout: 1000, reconnect: { jitter: 'none', initialDelay: 10 } },
      abortingProfile,
    );
    await vi.advanceTimersByTimeAsync(1000 + 10);
    expect(adapter.tasks).toHaveLength(2);
  });

  it('ignores every late event of the socket it gave up on', async () => {
    const { adapter, conn, seen } = start({ reconnect: { jitter: 'none', initialDelay: 10 } });
    const first = adapter.tasks[0] as FakeSocketTask;
    first.emitOpen();
    first.emitClose(1006, '');
    await vi.advanceTimersByTimeAsync(10);
    const second = adapter.tasks[1] as FakeSocketTask;
    second.emitOpen();
    // The first task's late events must never touch the second connection.
    first.emitError('late');
    first.emitClose(1000, 'late');
    expect(conn.state).toBe('OPEN');
    expect(seen.closes).toHaveLength(1);
  });

  it("reports every socket's close to onClose, and settles closed once, at the end", async () => {
    const { conn, seen, task } = start({ reconnect: { jitter: 'none', initialDelay: 10, maxRetries: 1 } });
    task().emitOpen();
    task().emitClose(1006, '');
    await vi.advanceTimersByTimeAsync(10);
    task().emitOpen();
    task().emitClose(4000, 'again');
    expect(await conn.closed).toEqual({ code: 4000, reason: 'again' });
    expect(seen.closes).toEqual([
      { code: 1006, reason: '' },
      { code: 4000, reason: 'again' },
    ]);
  });

  it.each([
    [{ initialDelay: -1 }, /^createConnection\(\): reconnect\.initialDelay must be a number ≥ 0, got -1$/],
    [{ factor: 0.5 }, /^createConnection\(\): reconnect\.factor must be a number ≥ 1, got 0\.5$/],
    [
      { maxRetries: 1.5 },
      /^createConnection\(\): reconnect\.maxRetries must be an integer or Infinity, got 1\.5$/,
    ],
    [
      { initialDelay: 5000, maxDelay: 100 },
      /^createConnection\(\): reconnect\.maxDelay \(100\) must not be below/,
    ],
    [{ jitter: 'half' }, /^createConnection\(\): reconnect\.jitter must be 'full' or 'none', got "half"$/],
    [{ shouldReconnect: 1 }, /^createConnection\(\): reconnect\.shouldReconnect must be a function, got 1$/],
    [
      true,
      /^createConnection\(\): reconnect must be an object such as \{ maxRetries: 10 \} or false, got true$/,
    ],
  ])('rejects reconnect %j with ERR_INVALID_OPTIONS', (reconnect, message) => {
    const adapter = fakeAdapter(wechatProfile);
    expect(() => createConnection({ url: URL, adapter, reconnect: reconnect as never })).toThrow(message);
    expect(adapter.tasks).toHaveLength(0);
  });
});

describe('reconnect under random event orders', () => {
  type Step =
    | { do: 'open' }
    | { do: 'close'; code: number }
    | { do: 'error' }
    | { do: 'wait'; ms: number }
    | { do: 'userClose' };
  const step: fc.Arbitrary<Step> = fc.oneof(
    fc.constant({ do: 'open' as const }),
    fc.constantFrom(1000, 1001, 1006, 1008, 4000).map((code) => ({ do: 'close' as const, code })),
    fc.constant({ do: 'error' as const }),
    fc.integer({ min: 0, max: 3000 }).map((ms) => ({ do: 'wait' as const, ms })),
    fc.constant({ do: 'userClose' as const }),
  );

  it('moves only along allowed edges, keeps one live task at most, never retries after a user close, and ends', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(step, { maxLength: 30 }),
        fc.integer({ min: 0, max: 3 }),
        async (steps, maxRetries) => {
          vi.useFakeTimers();
          try {
            const adapter = fakeAdapter(wechatProfile);
            const conn: Connection = createConnection({
              url: URL,
              adapter,
              errorGrace: 100,
              connectTimeout: 2000,
              reconnect: { initialDelay: 50, maxDelay: 400, maxRetries },
            });
            const allowed = CONNECTION_STATE_CHANGES;
            let userClosedAt = -1;
            let tasksAtUserClose = 0;
            conn.onStateChange((state, previous) => {
              expect(allowed.has(`${previous}>${state}`), `${previous} → ${state}`).toBe(true);
            });
            for (const s of steps) {
              const task = adapter.tasks.at(-1);
              if (s.do === 'open') task?.emitOpen();
              else if (s.do === 'close') task?.emitClose(s.code, '');
              else if (s.do === 'error') task?.emitError('boom');
              else if (s.do === 'wait') await vi.advanceTimersByTimeAsync(s.ms);
              else if (userClosedAt < 0) {
                userClosedAt = adapter.tasks.length;
                tasksAtUserClose = adapter.tasks.length;
                conn.close().catch(() => {});
              }
              // Of all the tasks ever created, only the newest may be open.
              expect(adapter.tasks.slice(0, -1).filter((t) => t.isLeaking)).toEqual([]);
              expect(conn.retries).toBeLessThanOrEqual(maxRetries);
            }
            if (userClosedAt < 0) conn.close().catch(() => {});
            for (const t of adapter.tasks) if (t.readyState === 2) t.completeClose();
            await vi.runAllTimersAsync();
            for (const t of adapter.tasks) if (t.readyState === 2) t.completeClose();
            await vi.runAllTimersAsync();
            expect(conn.state).toBe('CLOSED');
            await conn.closed;
            if (userClosedAt >= 0) expect(adapter.tasks.length).toBe(tasksAtUserClose);
            expect(adapter.tasks.filter((t) => t.isLeaking)).toEqual([]);
          } finally {
            vi.useRealTimers();
          }
        },
      ),
      { seed, numRuns: Math.min(numRuns, 150) },
    );
  });
});

describe('user hooks that throw', () => {
  it('a shouldReconnect that throws gives up (not-retryable) and its error is rethrown, the machine intact', async () => {
    const { conn, seen, task } = start({
      reconnect: {
        shouldReconnect: () => {
          throw new Error('hook bug');
        },
      },
    });
    const rethrown = captureRethrown();
    task().emitOpen();
    task().emitClose(1006, '');
    await rethrown.flush();
    rethrown.restore();
    expect(seen.giveUps.map((g) => g.reason)).toEqual(['not-retryable']);
    expect(rethrown.errors).toEqual([new Error('hook bug')]);
    expect(conn.state).toBe('CLOSED');
    await conn.closed;
  });
});
