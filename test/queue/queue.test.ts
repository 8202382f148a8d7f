import { afterEach, describe, expect, it, vi } from 'vitest';
import { type Clock, WALL_CLOCK } from '../../src/clock.js';
import { createConnection } from '../../src/connection/createConnection.js';
import type { SocketTaskError } from '../../src/errors.js';
import type { ConnectionOptions } from '../../src/options/connectionOptions.js';
import { type QueuePolicy, SendQueue } from '../../src/queue/sendQueue.js';
import { type FakeSocketTask, fakeAdapter, wechatProfile } from '../fixtures/fakeSocketTask.js';

const URL = 'wss://example.test/socket';

afterEach(() => {
  vi.useRealTimers();
});

const policy = (overrides: Partial<QueuePolicy> = {}): QueuePolicy => ({
  maxMessages: 1000,
  maxBytes: 1_048_576,
  overflow: 'reject',
  ttl: undefined,
  holdUntilReady: false,
  ...overrides,
});

/** The platform's monotonic clock, as the Node and web adapters give it; fake timers move it. */
const monotonic: Clock = { now: () => performance.now(), monotonic: true };

/** A queue whose every message records its outcome by name, on `clock`. */
function recordingQueue(overrides: Partial<QueuePolicy> = {}, clock: Clock = monotonic) {
  const queue = new SendQueue(policy(overrides), clock);
  const outcomes: string[] = [];
  const push = (data: string | ArrayBuffer, name = String(data)) =>
    queue.push(
      data,
      () => outcomes.push(`${name} written`),
      (error: SocketTaskError) => outcomes.push(`${name} ${error.code}`),
    );
  const drain = () => {
    const written: Array<string | ArrayBuffer> = [];
    queue.drain((data, resolve) => {
      written.push(data);
      resolve();
    });
    return written;
  };
  return { queue, outcomes, push, drain };
}

describe('SendQueue', () => {
  it('counts UTF-8 bytes of text and byteLength of binary', () => {
    const { queue, push } = recordingQueue();
    push('é关😀');
    push(new ArrayBuffer(7), 'binary');
    expect(queue.stats).toEqual({ messages: 2, bytes: 2 + 3 + 4 + 7 });
  });

  it('drains in order and empties', () => {
    const { queue, outcomes, push, drain } = recordingQueue();
    for (const m of ['a', 'b', 'c']) push(m);
    expect(drain()).toEqual(['a', 'b', 'c']);
    expect(outcomes).toEqual(['a written', 'b written', 'c written']);
    expect(queue.stats).toEqual({ messages: 0, bytes: 0 });
  });

  it("with overflow 'reject', fails the new message with ERR_QUEUE_FULL at maxMessages and keeps the others", () => {
    const { queue, outcomes, push, drain } = recordingQueue({ maxMessages: 2 });
    for (const m of ['a', 'b', 'c']) push(m);
    expect(outcomes).toEqual(['c ERR_QUEUE_FULL']);
    expect(drain()).toEqual(['a', 'b']);
    expect(queue.stats.messages).toBe(0);
  });

  it("with overflow 'drop-oldest', fails the oldest messages until the new one fits in maxBytes", () => {
    const { outcomes, push, drain } = recordingQueue({ maxBytes: 6, overflow: 'drop-oldest' });
    push('aa');
    push('bb');
    push('cc');
    push('dddd');
    expect(outcomes).toEqual(['aa ERR_QUEUE_FULL', 'bb ERR_QUEUE_FULL']);
    expect(drain()).toEqual(['cc', 'dddd']);
  });

  it('refuses a message larger than maxBytes whatever the policy, without dropping anything', () => {
    const { queue, outcomes, push } = recordingQueue({ maxBytes: 4, overflow: 'drop-oldest' });
    push('ab');
    push('abcde');
    expect(outcomes).toEqual(['abcde ERR_QUEUE_FULL']);
    expect(queue.stats).toEqual({ messages: 1, bytes: 2 });
  });

  it('holds the byte bound under a flood of sends', () => {
    const { queue, push } = recordingQueue({ maxBytes: 1000, maxMessages: 100_000, overflow: 'drop-oldest' });
    for (let i = 0; i < 10_000; i++) {
      push('x'.repeat(i % 97));
      expect(queue.stats.bytes).toBeLessThanOrEqual(1000);
    }
  });

  it('fails each message with ERR_MESSAGE_EXPIRED ttl ms after its own send, with one timer at most', () => {
    vi.useFakeTimers();
    const { queue, outcomes, push, drain } = recordingQueue({ ttl: 100 });
    push('a');
    vi.advanceTimersByTime(60);
    push('b');
    expect(vi.getTimerCount()).toBe(1);
    vi.advanceTimersByTime(40);
    expect(outcomes).toEqual(['a ERR_MESSAGE_EXPIRED']);
    vi.advanceTimersByTime(59);
    expect(drain()).toEqual(['b']);
    expect(outcomes).toEqual(['a ERR_MESSAGE_EXPIRED', 'b written']);
    expect(queue.stats.messages).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  it.each([
    ['back', -3_600_000],
    ['forward', 3_600_000],
  ])('expires a ttl: 300 message 300 ms after its send when the wall clock steps %s an hour', (_, step) => {
    vi.useFakeTimers();
    const { queue, outcomes, push, drain } = recordingQueue({ ttl: 300 });
    push('a');
    vi.advanceTimersByTime(100);
    vi.setSystemTime(Date.now() + step);
    push('b');
    // A drain right after the step: a forward step must not expire either message early.
    expect(queue.stats.messages).toBe(2);
    vi.advanceTimersByTime(199);
    expect(outcomes).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(outcomes).toEqual(['a ERR_MESSAGE_EXPIRED']);
    vi.advanceTimersByTime(99);
    expect(drain()).toEqual(['b']);
    vi.advanceTimersByTime(3_600_000);
    expect(outcomes).toEqual(['a ERR_MESSAGE_EXPIRED', 'b written']);
    expect(vi.getTimerCount()).toBe(0);
  });

  it.each([
    ['back', -3_600_000],
    ['forward', 3_600_000],
  ])(
    'without a platform clock (a mini-program base library), times each ttl by its own timer: a wall step %s an hour changes nothing',
    (_, step) => {
      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
      try {
        const { queue, outcomes, push, drain } = recordingQueue({ ttl: 300 }, WALL_CLOCK);
        push('a');
        vi.advanceTimersByTime(100);
        vi.setSystemTime(Date.now() + step);
        push('b');
        expect(vi.getTimerCount()).toBe(2);
        vi.advanceTimersByTime(199);
        expect(outcomes).toEqual([]);
        vi.advanceTimersByTime(1);
        expect(outcomes).toEqual(['a ERR_MESSAGE_EXPIRED']);
        expect(queue.stats).toEqual({ messages: 1, bytes: 1 });
        vi.advanceTimersByTime(99);
        expect(drain()).toEqual(['b']);
        expect(outcomes).toEqual(['a ERR_MESSAGE_EXPIRED', 'b written']);
        // The written message's timer went with it.
        expect(vi.getTimerCount()).toBe(0);
      } finally {
        vi.unstubAllGlobals();
      }
    },
  );

  it("without performance.now, failing the queue clears every message's own timer", () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    try {
      const { queue, outcomes, push } = recordingQueue({ ttl: 100 }, WALL_CLOCK);
      push('a');
      push('b');
      expect(vi.getTimerCount()).toBe(2);
      expect(queue.fail('ERR_CLOSED', 'closed')).toBe(2);
      expect(outcomes).toEqual(['a ERR_CLOSED', 'b ERR_CLOSED']);
      expect(vi.getTimerCount()).toBe(0);
    } finally {
      vi.unstubAllGlobals();
    }
  });

  it('fails every message with the given code and stops its timer', () => {
    vi.useFakeTimers();
    const { queue, outcomes, push } = recordingQueue({ ttl: 100 });
    push('a');
    push('b');
    expect(queue.fail('ERR_CLOSED', 'closed')).toBe(2);
    expect(outcomes).toEqual(['a ERR_CLOSED', 'b ERR_CLOSED']);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('queues a send made from a callback during the drain behind the rest', () => {
    const queue = new SendQueue(policy());
    const written: string[] = [];
    queue.push(
      'a',
      () =>
        queue.push(
          'from callback',
          () => {},
          () => {},
        ),
      () => {},
    );
    queue.push(
      'b',
      () => {},
      () => {},
    );
    queue.drain((data, resolve) => {
      written.push(String(data));
      resolve();
    });
    expect(written).toEqual(['a', 'b', 'from callback']);
  });
});

function start(options: Partial<ConnectionOptions> = {}) {
  const adapter = fakeAdapter(wechatProfile);
  const conn = createConnection({ url: URL, adapter, reconnect: false, ...options });
  const task = (): FakeSocketTask => {
    const last = adapter.tasks.at(-1);
    if (!last) throw new Error('no task');
    return last;
  };
  return { adapter, conn, task };
}

const settled = (promise: Promise<unknown>) =>
  promise.then(
    () => 'written',
    (error: SocketTaskError) => error.code,
  );

describe('the queue of a connection', () => {
  it('writes the queued messages in order before any onOpen listener runs', () => {
    const { conn, task } = start();
    conn.send('one');
    conn.send(new Uint8Array([1, 2]));
    const seenByOnOpen: Array<string | ArrayBuffer>[] = [];
    conn.onOpen(() => seenByOnOpen.push([...task().sent]));
    task().emitOpen();
    expect(seenByOnOpen).toEqual([['one', new Uint8Array([1, 2]).buffer]]);
  });

  it('copies a queued buffer, so the caller may reuse it at once', () => {
    const { conn, task } = start();
    const buffer = new Uint8Array([1, 2, 3]);
    conn.send(buffer);
    buffer.fill(9);
    task().emitOpen();
    expect([...new Uint8Array(task().sent[0] as ArrayBuffer)]).toEqual([1, 2, 3]);
  });

  it('reports the count and bytes in conn.queue', () => {
    const { conn } = start();
    conn.send('héllo');
    conn.send(new ArrayBuffer(10));
    expect(conn.queue).toEqual({ messages: 2, bytes: 6 + 10 });
  });

  it('fails the sends beyond maxMessages with ERR_QUEUE_FULL and writes the rest', async () => {
    const { conn, task } = start({ queue: { maxMessages: 2 } });
    const outcomes = ['a', 'b', 'c'].map((m) => settled(conn.send(m)));
    task().emitOpen();
    expect(await Promise.all(outcomes)).toEqual(['written', 'written', 'ERR_QUEUE_FULL']);
    expect(task().sent).toEqual(['a', 'b']);
  });

  it('expires messages after ttl with ERR_MESSAGE_EXPIRED, and writes the younger ones', async () => {
    vi.useFakeTimers();
    const { conn, task } = start({ queue: { ttl: 1000 }, connectTimeout: false });
    const old = settled(conn.send('old'));
    vi.advanceTimersByTime(600);
    const young = settled(conn.send('young'));
    vi.advanceTimersByTime(400);
    expect(await old).toBe('ERR_MESSAGE_EXPIRED');
    task().emitOpen();
    expect(await young).toBe('written');
    expect(task().sent).toEqual(['young']);
  });

  it('fails every queued message with ERR_QUEUE_CLEARED on clearQueue(), and keeps queueing after', async () => {
    const { conn, task } = start();
    const cleared = [settled(conn.send('a')), settled(conn.send('b'))];
    expect(conn.clearQueue()).toBe(2);
    expect(await Promise.all(cleared)).toEqual(['ERR_QUEUE_CLEARED', 'ERR_QUEUE_CLEARED']);
    const later = settled(conn.send('c'));
    task().emitOpen();
    expect(await later).toBe('written');
    expect(task().sent).toEqual(['c']);
  });

  it('fails the queued messages with ERR_CLOSED when close() is called before open', async () => {
    const { conn } = start();
    const queued = settled(conn.send('a'));
    void conn.close();
    expect(await queued).toBe('ERR_CLOSED');
    expect(await settled(conn.send('b'))).toBe('ERR_CLOSED');
  });

  it('reports a platform failure to write a queued message as ERR_PLATFORM, once', async () => {
    const { conn, task } = start();
    const queued = settled(conn.send('a'));
    task().send = ({ fail, complete }) => {
      fail?.({ errMsg: 'sendSocketMessage:fail boom' });
      complete?.();
    };
    task().emitOpen();
    expect(await queued).toBe('ERR_PLATFORM');
  });

  describe('with holdUntilReady', () => {
    it('holds the queue while onOpen authenticates, writes straight from onOpen, then flushes on ready()', () => {
      const { conn, task } = start({ queue: { holdUntilReady: true } });
      conn.send('queued 1');
      conn.send('queued 2');
      conn.onOpen(() => conn.send('login'));
      task().emitOpen();
      expect(conn.actor.getSnapshot().matches({ OPEN: { queue: 'held' } })).toBe(true);
      expect(task().sent).toEqual(['login']);
      expect(conn.queue.messages).toBe(2);

      conn.ready();
      expect(conn.actor.getSnapshot().matches({ OPEN: { queue: 'flowing' } })).toBe(true);
      expect(task().sent).toEqual(['login', 'queued 1', 'queued 2']);
    });

    it('holds again after a reconnect, until the next ready()', () => {
      vi.useFakeTimers();
      const { conn, task } = start({
        queue: { holdUntilReady: true },
        reconnect: { initialDelay: 10, maxDelay: 10, jitter: 'none' },
      });
      task().emitOpen();
      conn.ready();
      task().emitClose(1006, '');
      conn.send('during the drop');
      vi.advanceTimersByTime(10);
      task().emitOpen();
      expect(task().sent).toEqual([]);
      conn.ready();
      expect(task().sent).toEqual(['during the drop']);
    });

    it('ignores ready() outside a held open', () => {
      const { conn, task } = start({ queue: { holdUntilReady: true } });
      conn.ready();
      conn.send('queued');
      task().emitOpen();
      expect(task().sent).toEqual([]);
      expect(conn.actor.getSnapshot().matches({ OPEN: { queue: 'held' } })).toBe(true);
    });
  });

  it.each([
    [{ maxMessages: 0 }, /queue\.maxMessages must be an integer ≥ 1, got 0/],
    [{ maxBytes: 1.5 }, /queue\.maxBytes must be an integer ≥ 1, got 1\.5/],
    [{ overflow: 'drop-newest' }, /queue\.overflow must be 'reject' or 'drop-oldest', got "drop-newest"/],
    [{ ttl: -1 }, /queue\.ttl must be a finite number of ms ≥ 0, got -1/],
    [{ holdUntilReady: 'yes' }, /queue\.holdUntilReady must be a boolean, got "yes"/],
    ['big', /queue must be an object such as \{ maxMessages: 100 \} or false, got "big"/],
  ])('rejects queue %o with ERR_INVALID_OPTIONS', (queue, message) => {
    expect(() => start({ queue: queue as never })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_OPTIONS', message: expect.stringMatching(message) }),
    );
  });
});
