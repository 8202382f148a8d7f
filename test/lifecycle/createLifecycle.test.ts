import { afterEach, describe, expect, it, vi } from 'vitest';
import type { LifecycleSource } from '../../src/adapters/types.js';
import { createConnection } from '../../src/connection/createConnection.js';
import { createLifecycle } from '../../src/lifecycle/createLifecycle.js';
import type { ConnectionOptions } from '../../src/options/connectionOptions.js';
import { type FakeSocketTask, fakeAdapter, wechatProfile } from '../fixtures/fakeSocketTask.js';
import { captureRethrown } from '../fixtures/rethrown.js';

const URL = 'wss://example.test/socket';

afterEach(() => {
  vi.useRealTimers();
});

function start(options: Partial<ConnectionOptions> = {}) {
  vi.useFakeTimers();
  const adapter = fakeAdapter(wechatProfile);
  const lifecycle = createLifecycle();
  const conn = createConnection({
    url: URL,
    adapter,
    lifecycle,
    reconnect: { initialDelay: 1000, maxDelay: 1000, jitter: 'none' },
    ...options,
  });
  const task = (): FakeSocketTask => {
    const last = adapter.tasks.at(-1);
    if (!last) throw new Error('no task');
    return last;
  };
  const sub = () => {
    const value = conn.actor.getSnapshot().value;
    return typeof value === 'object' ? JSON.stringify(value) : value;
  };
  return { adapter, conn, lifecycle, task, sub };
}

describe('lifecycle inputs', () => {
  it('waits in CLOSED.suspended after a drop while offline: no attempt and no retry spent, however long', () => {
    const { adapter, conn, lifecycle, task, sub } = start();
    task().emitOpen();
    lifecycle.emit('offline');
    task().emitClose(1006, '');
    expect(sub()).toBe('{"CLOSED":"suspended"}');
    vi.advanceTimersByTime(10 * 60_000);
    expect(adapter.tasks).toHaveLength(1);
    expect(conn.retries).toBe(0);
    expect(conn.nextRetryAt).toBeNull();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('retries at once when the network is back, without waiting for the backoff', () => {
    const { adapter, conn, lifecycle, task } = start();
    task().emitOpen();
    lifecycle.emit('offline');
    task().emitClose(1006, '');
    lifecycle.emit('online');
    expect(adapter.tasks).toHaveLength(2);
    expect(conn.state).toBe('CONNECTING');
    // Made at once, but an attempt all the same: it counts toward maxRetries.
    expect(conn.retries).toBe(1);
  });

  it('regression: a network that flaps cannot make attempts faster than the backoff allows, and every attempt counts toward maxRetries', () => {
    const { adapter, conn, lifecycle, task } = start({
      reconnect: { initialDelay: 1000, maxDelay: 1000, jitter: 'none', maxRetries: 2 },
    });
    const giveUps: Array<{ reason: string; retries: number }> = [];
    conn.onGiveUp(({ reason, retries }) => giveUps.push({ reason, retries }));
    task().emitOpen();
    lifecycle.emit('offline');
    task().emitClose(1006, '');
    // 30 flaps in 1.2 s. Every attempt fails at once, as it would with the network really down.
    for (let flap = 0; flap < 30; flap += 1) {
      lifecycle.emit('online');
      const last = task();
      if (last.readyState === 0) {
        last.emitError('network down');
        last.emitClose(1006, '');
      }
      vi.advanceTimersByTime(20);
      lifecycle.emit('offline');
      vi.advanceTimersByTime(20);
    }
    // Only the first return after the open came back at once; each later one waits its full backoff.
    expect(adapter.tasks).toHaveLength(2);
    expect(conn.retries).toBe(1);
    lifecycle.emit('online');
    for (let i = 0; i < 5; i += 1) {
      vi.advanceTimersByTime(1000);
      const last = task();
      if (last.readyState === 0) {
        last.emitError('network down');
        last.emitClose(1006, '');
      }
    }
    expect(adapter.tasks).toHaveLength(3);
    expect(giveUps).toEqual([{ reason: 'max-retries', retries: 2 }]);
    expect(conn.state).toBe('CLOSED');
  });

  it('moves a pending retry to suspended when the app goes to the background, and resumes in the foreground', () => {
    const { adapter, conn, lifecycle, task, sub } = start();
    task().emitOpen();
    task().emitClose(1000, 'interrupted');
    expect(sub()).toBe('{"CLOSED":"waiting"}');
    expect(conn.nextRetryAt).not.toBeNull();
    lifecycle.emit('background');
    expect(sub()).toBe('{"CLOSED":"suspended"}');
    expect(conn.nextRetryAt).toBeNull();
    vi.advanceTimersByTime(5000);
    expect(adapter.tasks).toHaveLength(1);
    lifecycle.emit('foreground');
    expect(adapter.tasks).toHaveLength(2);
  });

  it('stays suspended until both the network and the foreground are back', () => {
    const { adapter, lifecycle, task, sub } = start();
    task().emitOpen();
    lifecycle.emit('offline');
    lifecycle.emit('background');
    task().emitClose(1006, '');
    lifecycle.emit('online');
    expect(sub()).toBe('{"CLOSED":"suspended"}');
    expect(adapter.tasks).toHaveLength(1);
    lifecycle.emit('foreground');
    expect(adapter.tasks).toHaveLength(2);
  });

  it('keeps an OPEN socket open while in the background', () => {
    const { conn, lifecycle, task } = start();
    task().emitOpen();
    lifecycle.emit('background');
    vi.advanceTimersByTime(60_000);
    expect(conn.state).toBe('OPEN');
  });

  it('lets close() end a suspended connection at once', async () => {
    const { conn, lifecycle, task } = start();
    task().emitOpen();
    lifecycle.emit('offline');
    task().emitClose(1006, '');
    await expect(conn.close()).resolves.toEqual({ code: 1006, reason: '' });
    expect(conn.actor.getSnapshot().matches({ CLOSED: 'terminated' })).toBe(true);
  });

  it('still gives up on a close that must not be retried, even while offline', () => {
    const { conn, lifecycle, task } = start();
    const giveUps: string[] = [];
    conn.onGiveUp((e) => giveUps.push(e.reason));
    task().emitOpen();
    lifecycle.emit('offline');
    task().emitClose(1008, 'policy');
    expect(giveUps).toEqual(['not-retryable']);
  });

  it('takes the conditions a source reports on subscribe', () => {
    const lifecycle = createLifecycle();
    lifecycle.emit('background');
    const { adapter, task, sub } = start({ lifecycle });
    task().emitOpen();
    task().emitClose(1006, '');
    expect(sub()).toBe('{"CLOSED":"suspended"}');
    expect(adapter.tasks).toHaveLength(1);
  });

  it("uses the adapter's source by default, none with lifecycle: false, and unsubscribes when terminated", async () => {
    vi.useFakeTimers();
    const subscribed: string[] = [];
    const source: LifecycleSource = {
      subscribe: () => {
        subscribed.push('subscribe');
        return () => subscribed.push('unsubscribe');
      },
    };
    const adapter = { ...fakeAdapter(wechatProfile), lifecycle: source };
    const conn = createConnection({ url: URL, adapter });
    expect(subscribed).toEqual(['subscribe']);
    void conn.close();
    adapter.tasks[0]?.emitOpen();
    adapter.tasks[0]?.completeClose();
    await conn.closed;
    expect(subscribed).toEqual(['subscribe', 'unsubscribe']);

    createConnection({ url: URL, adapter, lifecycle: false }).close();
    expect(subscribed).toEqual(['subscribe', 'unsubscribe']);
  });

  it('ignores signals it does not know, and a source that throws on subscribe does not break the connection', async () => {
    vi.useFakeTimers();
    const adapter = fakeAdapter(wechatProfile);
    let emit: ((signal: string) => void) | undefined;
    const loose: LifecycleSource = {
      subscribe: (listener) => {
        emit = listener as (signal: string) => void;
        return () => {};
      },
    };
    const conn = createConnection({ url: URL, adapter, lifecycle: loose });
    emit?.('asleep');
    expect(conn.state).toBe('CONNECTING');

    const throwing: LifecycleSource = {
      subscribe: () => {
        throw new Error('no host');
      },
    };
    const rethrown = captureRethrown();
    const other = createConnection({ url: URL, adapter, lifecycle: throwing });
    await rethrown.flush();
    rethrown.restore();
    expect(other.state).toBe('CONNECTING');
    expect(rethrown.errors).toEqual([new Error('no host')]);
  });

  it('rejects a lifecycle that is not a source', () => {
    expect(() =>
      createConnection({ url: URL, adapter: fakeAdapter(wechatProfile), lifecycle: {} as never }),
    ).toThrow(
      expect.objectContaining({
        code: 'ERR_INVALID_OPTIONS',
        message: expect.stringMatching(/lifecycle must be a source with subscribe/),
      }),
    );
  });
});
