// Defects the fuzz suites found in the connection, its data path, the task actor and the backoff: each regression
// test states the behaviour the fix gives (a broken custom adapter, signal or payload is reported, never thrown).
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { CallOptions, ErrorEvent, SocketAdapter } from '../../src/adapters/types.js';
import { createConnection } from '../../src/connection/createConnection.js';
import { SocketTaskError } from '../../src/errors.js';
import { backoffCeiling } from '../../src/reconnect/backoff.js';
import { fakeAdapter, wechatProfile } from '../fixtures/fakeSocketTask.js';
import { ListeningTask } from '../fixtures/listeningTask.js';

const URL = 'wss://example.test/socket';

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

/** Collects unhandled rejections and uncaught exceptions while `run` runs and a turn after it. */
async function escapes(run: () => Promise<void>): Promise<unknown[]> {
  const caught: unknown[] = [];
  const on = (error: unknown) => caught.push(error);
  process.on('unhandledRejection', on);
  process.on('uncaughtException', on);
  try {
    await run();
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
    // rethrowLater (src/defer.ts) throws from a 0 ms timer: one set now runs after it.
    await new Promise((resolve) => setTimeout(resolve, 0));
  } finally {
    process.off('unhandledRejection', on);
    process.off('uncaughtException', on);
  }
  return caught;
}

/** A custom adapter's task with a synchronous `write`, as the Node and web adapters have. */
class WritingTask extends ListeningTask {
  readonly written: unknown[] = [];
  answers = true;
  send(options: { data: string | ArrayBuffer } & CallOptions): void {
    this.written.push(options.data);
    if (!this.answers) return;
    options.success?.(undefined);
    options.complete?.();
  }
  write(data: string | ArrayBuffer): void {
    this.written.push(data);
  }
  close(options: CallOptions): void {
    options.success?.(undefined);
    queueMicrotask(() => this.emit('close', { code: 1000, reason: '' }));
  }
}

function writingAdapter(tasks: WritingTask[], answers = true): SocketAdapter {
  return {
    name: 'writing',
    profile: { ...wechatProfile, closeWhileConnecting: 'aborts' },
    connect() {
      const task = new WritingTask();
      task.answers = answers;
      tasks.push(task);
      return task;
    },
  };
}

const trap = () => {
  throw new Error('trap');
};

describe("src/connection/effects.ts (the task machine's platform effects)", () => {
  it.each([
    ['a sync connect, a sync url', () => 5, URL],
    ['a sync connect, an async url provider', () => 5, async () => URL],
    ['an async connect', async () => 5, URL],
  ])(
    'regression: %s returning no SocketTask is reported as ERR_PLATFORM and close 1006 at once, with nothing unhandled',
    async (_, connect, url) => {
      const errors: ErrorEvent[] = [];
      const caught = await escapes(async () => {
        const adapter = { name: 'broken', profile: wechatProfile, connect } as unknown as SocketAdapter;
        const conn = createConnection({ url, adapter, connectTimeout: false });
        conn.onError((e) => errors.push(e));
        const closed = await Promise.race([
          conn.closed,
          new Promise((r) => setTimeout(() => r('hang'), 200)),
        ]);
        expect(closed).toEqual({ code: 1006, reason: '' });
      });
      expect(errors.map((e) => e.code)).toEqual(['ERR_PLATFORM']);
      expect(caught).toEqual([]);
    },
  );

  it('regression: close() while the url provider has not answered yet settles, even with connectTimeout: false', async () => {
    vi.useFakeTimers();
    const conn = createConnection({
      url: () => new Promise<string>(() => {}),
      adapter: fakeAdapter(),
      connectTimeout: false,
    });
    let settled = false;
    conn.close().then(() => {
      settled = true;
    });
    await vi.advanceTimersByTimeAsync(60_000);
    expect(settled).toBe(true);
    expect(conn.state).toBe('CLOSED');
  });
});

describe('src/connection/createConnection.ts', () => {
  it('regression: close(options) whose code or reason getter throws gives a SocketTaskError, not a raw error', () => {
    const conn = createConnection({ url: URL, adapter: fakeAdapter() });
    for (const name of ['code', 'reason']) {
      const options = Object.defineProperty({}, name, { get: trap, enumerable: true });
      let error: unknown;
      try {
        (conn.close(options as never) as Promise<unknown> | undefined)?.catch(() => {});
      } catch (e) {
        error = e;
      }
      if (error !== undefined) expect(error).toBeInstanceOf(SocketTaskError);
    }
    conn.close().catch(() => {});
  });

  it('regression: send(proxy) while OPEN on a platform that writes synchronously gives ERR_INVALID_DATA, not a raw error', async () => {
    const tasks: WritingTask[] = [];
    const conn = createConnection({ url: URL, adapter: writingAdapter(tasks) });
    tasks[0]?.emit('open', {});
    expect(conn.state).toBe('OPEN');
    let result: Promise<void> | undefined;
    expect(() => {
      result = conn.send(new Proxy({}, { getPrototypeOf: trap }) as never);
    }).not.toThrow();
    await expect(result).rejects.toMatchObject({ code: 'ERR_INVALID_DATA' });
  });

  it('regression: a signal whose addEventListener throws neither escapes raw from createConnection nor stops the connection', async () => {
    const adapter = fakeAdapter();
    const signal = { aborted: false, addEventListener: trap, removeEventListener() {} };
    const caught = await escapes(async () => {
      const conn = createConnection({ url: URL, adapter, signal: signal as never });
      adapter.tasks[0]?.emitOpen();
      expect(conn.state).toBe('OPEN');
      const closing = conn.close();
      adapter.tasks[0]?.completeClose();
      await closing;
      await conn.closed;
    });
    // The signal's own error is rethrown asynchronously, as any user hook's.
    expect(caught).toEqual([new Error('trap')]);
  });

  it('regression: a signal whose removeEventListener throws still lets the connection tear down: closed settles', async () => {
    const adapter = fakeAdapter();
    const signal = { aborted: false, addEventListener() {}, removeEventListener: trap };
    const caught = await escapes(async () => {
      const conn = createConnection({ url: URL, adapter, signal: signal as never });
      adapter.tasks[0]?.emitOpen();
      const closing = conn.close();
      adapter.tasks[0]?.completeClose();
      const outcome = await Promise.race([
        Promise.all([closing, conn.closed]),
        new Promise((r) => setTimeout(() => r('hang'), 200)),
      ]);
      expect(outcome).not.toBe('hang');
    });
    // The signal's own error may be rethrown, as any user hook's; the teardown must not stop at it.
    for (const error of caught) expect(error).toEqual(new Error('trap'));
  });
});

describe('src/connection/dataPath.ts', () => {
  it("regression: a custom task's message that is not { data: string | ArrayBuffer } is dropped, not thrown into the platform nor passed on", () => {
    const tasks: WritingTask[] = [];
    const conn = createConnection({ url: URL, adapter: writingAdapter(tasks), heartbeat: {} });
    const received: unknown[] = [];
    conn.onMessage(({ data }) => received.push(data));
    tasks[0]?.emit('open', {});
    for (const event of [undefined, null, 5, { data: 5 }, { data: {} }]) {
      expect(() => tasks[0]?.emit('message', event)).not.toThrow();
    }
    tasks[0]?.emit('message', { data: 'ok' });
    expect(received).toEqual(['ok']);
    conn.close();
  });

  it('regression: a send the platform never answers fails once its socket has closed, instead of waiting forever', async () => {
    const tasks: WritingTask[] = [];
    const conn = createConnection({ url: URL, adapter: writingAdapter(tasks, false) });
    // A platform that reports its writes asynchronously (no write()), as every mini-program does.
    Object.assign(tasks[0] as object, { write: undefined });
    tasks[0]?.emit('open', {});
    const fail = vi.fn();
    conn.send('x', { fail });
    tasks[0]?.emit('close', { code: 1006, reason: '' });
    await conn.closed;
    await new Promise((resolve) => setImmediate(resolve));
    expect(fail).toHaveBeenCalledTimes(1);
  });
});

describe('src/reconnect/backoff.ts', () => {
  it('regression: with initialDelay 0 the backoff stays 0 after any number of retries, never NaN', () => {
    const policy = {
      initialDelay: 0,
      maxDelay: 100,
      factor: 2,
      maxRetries: Number.POSITIVE_INFINITY,
      jitter: 'none' as const,
      stableAfter: 5000,
      shouldReconnect: () => true,
    };
    // 2 ** 1100 is Infinity, and 0 * Infinity is NaN: nextRetryAt would read NaN.
    expect(backoffCeiling(policy, 1100)).toBe(0);
  });
});
