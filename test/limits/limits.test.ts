import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { CloseEvent, ErrorEvent } from '../../src/adapters/types.js';
import { type Connection, createConnection } from '../../src/connection/createConnection.js';
import { createLifecycle } from '../../src/lifecycle/createLifecycle.js';
import { slotsFor } from '../../src/limits/slots.js';
import type { ConnectionOptions } from '../../src/options/connectionOptions.js';
import { abortingProfile, fakeAdapter, wechatProfile } from '../fixtures/fakeSocketTask.js';
import { propertySeed } from '../helpers.js';

const URL = 'wss://example.test/socket';

afterEach(() => {
  vi.useRealTimers();
});

/** A WeChat-like adapter (2 sockets at once) whose connections are made and recorded by `open()`. */
function platform(profile = { ...wechatProfile, maxConcurrent: 2 }) {
  const adapter = fakeAdapter(profile);
  const open = (options: Partial<ConnectionOptions> = {}) => {
    const conn = createConnection({ url: URL, adapter, reconnect: false, ...options });
    const seen = { errors: [] as ErrorEvent[], closes: [] as CloseEvent[], opens: 0 };
    conn.onError((e) => seen.errors.push(e));
    conn.onClose((e) => seen.closes.push(e));
    conn.onOpen(() => seen.opens++);
    return { conn, seen, task: adapter.tasks.at(-1) };
  };
  return { adapter, open };
}

const subState = (conn: Connection) => JSON.stringify(conn.actor.getSnapshot().value);

describe('connection limits (maxConcurrent per adapter instance)', () => {
  it('throws ERR_CONNECTION_LIMIT from createConnection when every slot is taken, and never calls the platform', () => {
    const { adapter, open } = platform();
    open();
    open();
    expect(() => open()).toThrow(
      expect.objectContaining({
        name: 'SocketTaskError',
        code: 'ERR_CONNECTION_LIMIT',
        message: expect.stringMatching(/wechat-sim platform allows 2 sockets at once/),
      }),
    );
    expect(adapter.tasks).toHaveLength(2);
  });

  it('counts per adapter instance: another instance has its own slots', () => {
    const { open } = platform();
    open();
    open();
    expect(() => createConnection({ url: URL, adapter: fakeAdapter(wechatProfile) })).not.toThrow();
  });

  it('frees the slot when the platform reports the close', async () => {
    const { adapter, open } = platform();
    const first = open();
    open();
    first.task?.emitOpen();
    const closing = first.conn.close();
    expect(() => open()).toThrow(expect.objectContaining({ code: 'ERR_CONNECTION_LIMIT' }));
    first.task?.completeClose();
    await closing;
    expect(() => open()).not.toThrow();
    expect(adapter.tasks).toHaveLength(3);
  });

  it("with connectionLimit 'wait', waits in CONNECTING.awaitingSlot and connects, first come first served", async () => {
    const { adapter, open } = platform();
    const holder = open();
    open();
    const waiters = [open({ connectionLimit: 'wait' }), open({ connectionLimit: 'wait' })];
    expect(waiters.map((w) => subState(w.conn))).toEqual([
      '{"CONNECTING":"awaitingSlot"}',
      '{"CONNECTING":"awaitingSlot"}',
    ]);
    expect(adapter.tasks).toHaveLength(2);

    holder.task?.emitOpen();
    void holder.conn.close();
    holder.task?.completeClose();
    await Promise.resolve();
    expect(adapter.tasks).toHaveLength(3);
    expect(subState(waiters[0]?.conn as Connection)).toBe('{"CONNECTING":"handshake"}');
    expect(subState(waiters[1]?.conn as Connection)).toBe('{"CONNECTING":"awaitingSlot"}');
  });

  it('lets close() end a connection waiting for a slot without ever reaching the platform', async () => {
    const { adapter, open } = platform();
    open();
    open();
    const waiting = open({ connectionLimit: 'wait' });
    await expect(waiting.conn.close({ code: 4000, reason: 'gave up' })).resolves.toEqual({
      code: 4000,
      reason: 'gave up',
    });
    expect(waiting.seen.closes).toEqual([{ code: 4000, reason: 'gave up' }]);
    expect(adapter.tasks).toHaveLength(2);
    await waiting.conn.closed;
  });

  it('abandons a wait for a slot after connectTimeout with ERR_CONNECT_TIMEOUT', () => {
    vi.useFakeTimers();
    const { open } = platform();
    open({ connectTimeout: false });
    open({ connectTimeout: false });
    const waiting = open({ connectionLimit: 'wait', connectTimeout: 500 });
    vi.advanceTimersByTime(500);
    expect(waiting.seen.errors.map((e) => e.code)).toEqual(['ERR_CONNECT_TIMEOUT']);
    expect(waiting.conn.state).toBe('CLOSED');
  });

  it('fails a retry that finds no free slot with ERR_CONNECTION_LIMIT, then retries again, never a platform error', () => {
    vi.useFakeTimers();
    const { adapter, open } = platform();
    const retrying = open({ reconnect: { initialDelay: 100, maxDelay: 100, jitter: 'none' } });
    retrying.task?.emitOpen();
    open();
    retrying.task?.emitClose(1006, '');
    // While it waits, another connection takes the slot it had.
    const intruder = open();
    vi.advanceTimersByTime(100);
    expect(retrying.seen.errors.map((e) => e.code)).toEqual(['ERR_CONNECTION_LIMIT']);
    expect(adapter.tasks).toHaveLength(3);
    intruder.task?.emitClose(1006, '');
    vi.advanceTimersByTime(100);
    expect(adapter.tasks).toHaveLength(4);
    expect(retrying.conn.state).toBe('CONNECTING');
  });

  it('holds the slot of an abandoned handshake until the platform closes it: no platform error can follow', () => {
    vi.useFakeTimers();
    const { adapter, open } = platform();
    const slow = open({ connectTimeout: 100, closeTimeout: 60_000 });
    open();
    vi.advanceTimersByTime(100);
    expect(slow.conn.state).toBe('CLOSED');
    // WeChat ignores a close while CONNECTING: the socket still exists and still counts.
    expect(() => open()).toThrow(expect.objectContaining({ code: 'ERR_CONNECTION_LIMIT' }));
    slow.task?.emitOpen();
    expect(slow.task?.isLeaking).toBe(false);
    slow.task?.completeClose();
    expect(() => open()).not.toThrow();
    expect(adapter.tasks).toHaveLength(3);
  });

  it('does not count sockets where a new one replaces the old (legacy WeChat)', () => {
    const { open } = platform({ ...wechatProfile, maxConcurrent: 1, replacesAtLimit: true });
    open();
    expect(() => open()).not.toThrow();
  });

  it("rejects a connectionLimit other than 'fail' or 'wait'", () => {
    const { open } = platform();
    expect(() => open({ connectionLimit: 'queue' as never })).toThrow(
      expect.objectContaining({
        code: 'ERR_INVALID_OPTIONS',
        message: expect.stringMatching(/connectionLimit must be 'fail' or 'wait', got "queue"/),
      }),
    );
  });
});

describe('disposal', () => {
  /** An AbortSignal whose listeners can be counted. */
  function countingSignal() {
    const controller = new AbortController();
    let listeners = 0;
    const add = controller.signal.addEventListener.bind(controller.signal);
    const remove = controller.signal.removeEventListener.bind(controller.signal);
    controller.signal.addEventListener = ((...args: Parameters<typeof add>) => {
      listeners++;
      add(...args);
    }) as typeof add;
    controller.signal.removeEventListener = ((...args: Parameters<typeof remove>) => {
      listeners--;
      remove(...args);
    }) as typeof remove;
    return { controller, listeners: () => listeners };
  }

  it.each([
    ['close()', (conn: Connection) => void conn.close()],
    ['an aborted signal', (_conn: Connection, controller: AbortController) => controller.abort()],
  ])(
    '%s ends in CLOSED.terminated, and closed settles once no timer, listener or socket remains',
    async (_name, dispose) => {
      vi.useFakeTimers();
      const adapter = fakeAdapter(wechatProfile);
      const { controller, listeners } = countingSignal();
      const lifecycle = createLifecycle();
      let subscribed = 0;
      const counted = {
        subscribe: (l: Parameters<typeof lifecycle.subscribe>[0]) => {
          subscribed++;
          const off = lifecycle.subscribe(l);
          return () => {
            subscribed--;
            off();
          };
        },
      };
      const conn = createConnection({
        url: URL,
        adapter,
        signal: controller.signal,
        lifecycle: counted,
        reconnect: {},
        heartbeat: { interval: 1000 },
        queue: { ttl: 10_000 },
      });
      const task = adapter.tasks[0];
      task?.emitOpen();
      expect(vi.getTimerCount()).toBeGreaterThan(0);
      let settled = false;
      void conn.closed.then(() => {
        settled = true;
      });
      dispose(conn, controller);
      expect(conn.state).toBe('CLOSING');
      await Promise.resolve();
      expect(settled).toBe(false);
      task?.completeClose();
      await conn.closed;
      expect(conn.actor.getSnapshot().matches({ CLOSED: 'terminated' })).toBe(true);
      expect(vi.getTimerCount()).toBe(0);
      expect(listeners()).toBe(0);
      expect(subscribed).toBe(0);
      expect(task?.readyState).toBe(3);
    },
  );

  it('settles closed only after the platform socket is gone, at most closeTimeout later', async () => {
    vi.useFakeTimers();
    const adapter = fakeAdapter(abortingProfile);
    const conn = createConnection({ url: URL, adapter, closeTimeout: 300 });
    adapter.tasks[0]?.emitOpen();
    const closing = conn.close();
    let settled = false;
    void conn.closed.then(() => {
      settled = true;
    });
    await vi.advanceTimersByTimeAsync(299);
    expect(settled).toBe(false);
    vi.advanceTimersByTime(1);
    // The machine gave up waiting for the close and synthesised 1006; the socket, given the same bound, was given
    // up with it: `closed` settles closeTimeout after close() at most, not later.
    await expect(closing).resolves.toEqual({ code: 1006, reason: '' });
    await vi.advanceTimersByTimeAsync(0);
    expect(settled).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe('connection limits under random event orders', () => {
  const numRuns = Number(process.env.FC_RUNS ?? 100);
  const seed = propertySeed('limits', `numRuns=${numRuns}`);

  type Step =
    | { do: 'create'; wait: boolean }
    | { do: 'open' | 'close' | 'error' | 'completeClose' | 'userClose'; which: number }
    | { do: 'wait'; ms: number };
  const which = fc.nat({ max: 7 });
  const step: fc.Arbitrary<Step> = fc.oneof(
    fc.boolean().map((wait) => ({ do: 'create' as const, wait })),
    fc.record({
      do: fc.constantFrom(
        'open' as const,
        'close' as const,
        'error' as const,
        'completeClose' as const,
        'userClose' as const,
      ),
      which,
    }),
    fc.integer({ min: 0, max: 400 }).map((ms) => ({ do: 'wait' as const, ms })),
  );

  it('never has more live platform sockets than maxConcurrent, never calls the platform over it, and serves every waiter', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { maxLength: 40 }), fc.boolean(), async (steps, retry) => {
        vi.useFakeTimers();
        const adapter = fakeAdapter({ ...wechatProfile, maxConcurrent: 2 });
        const conns: Connection[] = [];
        const pool = slotsFor(adapter);
        const errored = new Set<unknown>();
        const live = () => adapter.tasks.filter((t) => t.readyState !== 3 && !errored.has(t)).length;
        for (const s of steps) {
          const task = 'which' in s ? adapter.tasks[s.which % Math.max(1, adapter.tasks.length)] : undefined;
          if (s.do === 'create') {
            try {
              conns.push(
                createConnection({
                  url: URL,
                  adapter,
                  connectionLimit: s.wait ? 'wait' : 'fail',
                  connectTimeout: 300,
                  errorGrace: 50,
                  // Longer than any run: a socket abandoned while CONNECTING keeps its slot until the platform
                  // closes it (after closeTimeout it would be given up on, and no longer counted).
                  closeTimeout: 60_000,
                  reconnect: retry ? { initialDelay: 50, maxDelay: 100, maxRetries: 3 } : false,
                }),
              );
            } catch (error) {
              expect(error).toMatchObject({ code: 'ERR_CONNECTION_LIMIT' });
              // Refused only when two sockets are really there (one may have errored and be on its way out).
              expect(adapter.tasks.filter((t) => t.readyState !== 3).length).toBeGreaterThanOrEqual(2);
            }
          } else if (s.do === 'wait') await vi.advanceTimersByTimeAsync(s.ms);
          else if (s.do === 'userClose') conns[s.which % Math.max(1, conns.length)]?.close().catch(() => {});
          else if (s.do === 'open') task?.emitOpen();
          else if (s.do === 'close') task?.emitClose(1006, '');
          else if (s.do === 'completeClose') {
            if (task?.readyState === 2) task.completeClose();
          } else if (task && task.readyState !== 3) {
            errored.add(task);
            task.emitError('boom');
          }
          for (let i = 0; i < 3; i++) await Promise.resolve();
          expect(live(), 'live platform sockets').toBeLessThanOrEqual(2);
          const waiting = conns.filter((c) => c.actor.getSnapshot().matches({ CONNECTING: 'awaitingSlot' }));
          if (waiting.length > 0) expect(pool.free(), 'a connection waits while a slot is free').toBe(false);
        }
        for (const conn of conns) conn.close().catch(() => {});
        for (let round = 0; round < 3; round++) {
          for (const t of adapter.tasks) if (t.readyState === 0) t.emitOpen();
          for (const t of adapter.tasks) if (t.readyState === 2) t.completeClose();
          await vi.runAllTimersAsync();
        }
        for (const conn of conns)
          expect(conn.actor.getSnapshot().matches({ CLOSED: 'terminated' })).toBe(true);
        expect(adapter.tasks.filter((t) => t.isLeaking)).toEqual([]);
        vi.useRealTimers();
      }),
      { seed, numRuns },
    );
  });
});
