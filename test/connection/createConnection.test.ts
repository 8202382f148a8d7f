import { afterEach, describe, expect, it, vi } from 'vitest';
import type { OpenEvent, PlatformProfile, SocketAdapter, SocketTaskLike } from '../../src/adapters/types.js';
import {
  type CloseOptions,
  type Connection,
  createConnection as createManaged,
} from '../../src/connection/createConnection.js';
import type { SocketTaskError, SocketTaskErrorCode } from '../../src/errors.js';
import type { ConnectionOptions } from '../../src/options/connectionOptions.js';
import type { ReadyStateName } from '../../src/readyState.js';
import {
  abortingProfile,
  type FakeSocketTask,
  fakeAdapter,
  wechatProfile,
} from '../fixtures/fakeSocketTask.js';
import { captureRethrown } from '../fixtures/rethrown.js';
import { expectError, flush, freezeFor, record, thrown } from '../helpers.js';

const URL = 'wss://example.test/socket';

/**
 * These tests follow one socket's life, so by default they run without the reconnect policy, which
 * test/reconnect/reconnect.test.ts covers; an explicit `reconnect` option still wins.
 */
function createConnection(options: ConnectionOptions): Connection {
  return createManaged(
    typeof options === 'object' && options !== null && !('reconnect' in options)
      ? { reconnect: false, ...options }
      : options,
  );
}

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

function only<T>(list: readonly T[]): T {
  expect(list).toHaveLength(1);
  return list[0] as T;
}

async function rejection(promise: Promise<unknown> | undefined): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the promise to reject');
}

function start(
  profile: PlatformProfile = wechatProfile,
  options: Partial<ConnectionOptions> = {},
  adapterOptions: Parameters<typeof fakeAdapter>[1] = {},
) {
  const adapter = fakeAdapter(profile, adapterOptions);
  // Counts tasks that reached the manager: with asyncConnect a task is created before it is handed over.
  let handedOver = 0;
  const connect = adapter.connect;
  adapter.connect = (target) => {
    const task = connect(target);
    if (!(task instanceof Promise)) {
      handedOver++;
      return task;
    }
    return task.then((t) => {
      handedOver++;
      return t;
    });
  };
  const conn = createConnection({ url: URL, adapter, ...options });
  const events = record(conn);
  return { adapter, conn, events, handedOver: () => handedOver };
}

async function startOpen(profile: PlatformProfile = wechatProfile, options: Partial<ConnectionOptions> = {}) {
  const h = start(profile, options);
  const task = only(h.adapter.tasks);
  task.emitOpen();
  expect(h.conn.state).toBe('OPEN');
  return { ...h, task };
}

const userCalls = (task: FakeSocketTask, call: 'send' | 'close') =>
  task.log.filter((entry) => entry.kind === 'user' && entry.call === call);

/** A bare task whose `send` the test writes, for platform quirks the fake does not play (uni-app's double fail). */
function stubAdapter(send: SocketTaskLike['send']) {
  const openListeners: Array<(event: OpenEvent) => void> = [];
  const task: SocketTaskLike = {
    send,
    close: () => {},
    onOpen: (cb) => {
      openListeners.push(cb);
    },
    onClose: () => {},
    onError: () => {},
    onMessage: () => {},
  };
  const adapter: SocketAdapter = { name: 'stub', profile: wechatProfile, connect: () => task };
  const open = () => {
    for (const cb of openListeners) cb({});
  };
  return { adapter, open };
}

describe('close() while CONNECTING (docs/platforms.md#close-before-open)', () => {
  const timings = [
    { name: 'sync connect', asyncConnect: false, beforeTask: false },
    { name: 'async connect (Taro), task already there', asyncConnect: true, beforeTask: false },
    { name: 'async connect (Taro), close before the task exists', asyncConnect: true, beforeTask: true },
  ];

  describe.each(timings)('$name', ({ asyncConnect, beforeTask }) => {
    async function closeWhileConnecting(profile: PlatformProfile, closeBeforeOpen?: 'defer' | 'ignore') {
      const h = start(profile, closeBeforeOpen ? { closeBeforeOpen } : {}, { asyncConnect });
      if (!beforeTask) await flush();
      expect(h.handedOver()).toBe(beforeTask ? 0 : 1);
      const done = h.conn.close({ code: 4000, reason: 'bye' });
      await flush();
      expect(h.handedOver()).toBe(1);
      return { ...h, done, task: only(h.adapter.tasks) };
    }

    it('defers the close until open on WeChat, then closes at once without firing onOpen', async () => {
      const { conn, events, done, task, adapter } = await closeWhileConnecting(wechatProfile);
      expect(conn.state).toBe('CONNECTING');
      expect(conn.actor.getSnapshot().matches({ CONNECTING: 'closePending' })).toBe(true);
      expect(userCalls(task, 'close')).toEqual([]);

      task.emitOpen();
      expect(userCalls(task, 'close')).toEqual([
        { kind: 'user', call: 'close', outcome: 'success', args: { code: 4000, reason: 'bye' } },
      ]);
      expect(conn.state).toBe('CLOSING');
      task.emitMessage('between open and close');
      task.completeClose();

      await expect(done).resolves.toEqual({ code: 4000, reason: 'bye' });
      expect(events.open).toEqual([]);
      expect(events.message).toEqual([]);
      expect(events.close).toEqual([{ code: 4000, reason: 'bye' }]);
      expect(events.order).toEqual(['CONNECTING→CLOSING', 'CLOSING→CLOSED', 'close 4000']);
      expect(adapter.tasks.some((t) => t.isLeaking)).toBe(false);
      expect(task.readyStates).toEqual([0, 1, 2, 3]);
    });

    it("hands the close to the platform with 'ignore', which ignores it and opens later", async () => {
      const { conn, events, done, task } = await closeWhileConnecting(wechatProfile, 'ignore');
      expect(userCalls(task, 'close')).toEqual([
        { kind: 'user', call: 'close', outcome: 'ignored', args: { code: 4000, reason: 'bye' } },
      ]);
      expect(conn.actor.getSnapshot().matches({ CONNECTING: 'handshake' })).toBe(true);

      task.emitOpen({ header: { 'x-open': '1' } });
      expect(conn.state).toBe('OPEN');
      expect(events.open).toEqual([{ header: { 'x-open': '1' } }]);

      const second = conn.close({ code: 4001, reason: 'now' });
      expect(userCalls(task, 'close')).toHaveLength(2);
      task.completeClose();
      await expect(second).resolves.toEqual({ code: 4001, reason: 'now' });
      // The first close() was only a request; it settles with the close that actually happened.
      await expect(done).resolves.toEqual({ code: 4001, reason: 'now' });
      expect(events.close).toEqual([{ code: 4001, reason: 'now' }]);
      expect(task.isLeaking).toBe(false);
    });

    it.each(['defer', 'ignore'] as const)(
      "aborts at once on an aborting platform (closeBeforeOpen '%s'): CLOSING, then CLOSED 1006 once",
      async (mode) => {
        const { conn, events, done, task } = await closeWhileConnecting(abortingProfile, mode);
        await expect(done).resolves.toEqual({ code: 1006, reason: '' });
        expect(userCalls(task, 'close')).toEqual([
          { kind: 'user', call: 'close', outcome: 'success', args: { code: 4000, reason: 'bye' } },
        ]);
        expect(events.order).toEqual(['CONNECTING→CLOSING', 'error', 'CLOSING→CLOSED', 'close 1006']);
        expect(events.open).toEqual([]);
        expect(events.close).toEqual([{ code: 1006, reason: '' }]);
        expect(conn.state).toBe('CLOSED');
        expect(task.readyStates).toEqual([0, 2, 3]);
      },
    );
  });

  it('moves to CLOSING synchronously on an aborting platform', () => {
    const { conn } = start(abortingProfile);
    void conn.close();
    expect(conn.state).toBe('CLOSING');
    expect(conn.readyState).toBe(2);
  });

  it('closes a deferred-close task that opens after the close timed out', async () => {
    vi.useFakeTimers();
    const { adapter, conn, events } = start(wechatProfile, { closeTimeout: 100 });
    const done = conn.close();
    const task = only(adapter.tasks);
    task.emitOpen();
    vi.advanceTimersByTime(100);
    await expect(done).resolves.toEqual({ code: 1006, reason: '' });
    expect(userCalls(task, 'close')).toHaveLength(1);
    expect(task.isLeaking).toBe(false);
    expect(events.open).toEqual([]);
  });
});

describe('regressions: the life of each platform task', () => {
  it("keeps CONNECTING and fails that close() when the platform answers an early close with fail under closeBeforeOpen: 'ignore'", async () => {
    const { conn, events, adapter } = start(
      wechatProfile,
      { closeBeforeOpen: 'ignore' },
      { ignoredCloseAnswer: 'fail' },
    );
    const task = only(adapter.tasks);
    const outcomes: string[] = [];
    conn.close({
      code: 4000,
      success: () => outcomes.push('success'),
      fail: (error) => outcomes.push(`fail ${error.code}`),
      complete: () => outcomes.push('complete'),
    });
    expect(outcomes).toEqual([]);
    await flush();
    expect(outcomes).toEqual(['fail ERR_PLATFORM', 'complete']);
    expect(conn.state).toBe('CONNECTING');
    expect(events.error).toEqual([]);

    task.emitOpen();
    expect(conn.state).toBe('OPEN');
    expect(events.open).toHaveLength(1);
    await conn.send('still usable');
    expect(task.sent).toEqual(['still usable']);
    const done = conn.close({ code: 1000 });
    task.completeClose();
    await expect(done).resolves.toEqual({ code: 1000, reason: '' });
    expect(events.close).toEqual([{ code: 1000, reason: '' }]);
  });

  it.each([
    ['close()', (conn: Connection) => void conn.close()],
    ['the signal', (_conn: Connection, controller: AbortController) => controller.abort()],
  ])(
    'settles closed within closeTimeout after %s during a handshake that never completes, with connectTimeout: false',
    async (_name, end) => {
      vi.useFakeTimers();
      const controller = new AbortController();
      const { conn, adapter } = start(wechatProfile, {
        connectTimeout: false,
        closeTimeout: 400,
        signal: controller.signal,
      });
      let settled = false;
      void conn.closed.then(() => {
        settled = true;
      });
      end(conn, controller);
      await vi.advanceTimersByTimeAsync(399);
      expect(conn.state).toBe('CONNECTING');
      expect(settled).toBe(false);
      await vi.advanceTimersByTimeAsync(1);
      expect(conn.state).toBe('CLOSED');
      expect(settled).toBe(true);
      await expect(conn.closed).resolves.toEqual({ code: 1006, reason: '' });
      expect(vi.getTimerCount()).toBe(0);
      // Were the handshake to complete after all, the socket would still be closed at once.
      const task = only(adapter.tasks);
      task.emitOpen();
      expect(task.isLeaking).toBe(false);
    },
  );

  it('does not settle closed after an error that no close follows while the socket is still open, nor leave a timer', async () => {
    vi.useFakeTimers();
    const { conn, task } = await startOpen(wechatProfile, { errorGrace: 100, closeTimeout: 1000 });
    let settled = false;
    void conn.closed.then(() => {
      settled = true;
    });
    task.emitError('transient');
    await vi.advanceTimersByTimeAsync(100);
    expect(conn.state).toBe('CLOSED');
    // The socket was asked to close and has not answered: it is still there.
    expect(task.readyState).toBe(2);
    await vi.advanceTimersByTimeAsync(500);
    expect(settled).toBe(false);
    task.completeClose();
    await vi.advanceTimersByTimeAsync(0);
    expect(settled).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe('error without close', () => {
  it.each([
    { errorGrace: undefined, grace: 1000 },
    { errorGrace: 250, grace: 250 },
    { errorGrace: 0, grace: 0 },
  ])('synthesises CLOSED 1006 exactly $grace ms after an error in OPEN', async ({ errorGrace, grace }) => {
    vi.useFakeTimers();
    const { conn, events, task } = await startOpen(
      wechatProfile,
      errorGrace === undefined ? {} : { errorGrace },
    );
    task.emitError('network down');
    expect(conn.state).toBe('CLOSING');
    expect(conn.actor.getSnapshot().matches({ CLOSING: 'failed' })).toBe(true);
    expect(events.error).toEqual([{ errMsg: 'network down', code: 'ERR_PLATFORM' }]);
    // The manager gives the open task up at once, so nothing leaks whatever the platform does next.
    expect(userCalls(task, 'close')).toHaveLength(1);
    expect(task.isLeaking).toBe(false);

    if (grace > 0) {
      vi.advanceTimersByTime(grace - 1);
      expect(conn.state).toBe('CLOSING');
      expect(events.close).toEqual([]);
    }
    vi.advanceTimersByTime(1);
    expect(conn.state).toBe('CLOSED');
    expect(events.close).toEqual([{ code: 1006, reason: '' }]);
    expect(events.order).toEqual([
      'CONNECTING→OPEN',
      'open',
      'OPEN→CLOSING',
      'error',
      'CLOSING→CLOSED',
      'close 1006',
    ]);
    // The socket has not reported its end yet: `closed` waits for it.
    let settled = false;
    void conn.closed.then(() => {
      settled = true;
    });
    await vi.advanceTimersByTimeAsync(0);
    expect(settled).toBe(false);
    task.completeClose();
    await expect(conn.closed).resolves.toEqual({ code: 1006, reason: '' });
    expect(vi.getTimerCount()).toBe(0);
  });

  it('synthesises CLOSED 1006 after an error while CONNECTING and closes the task if it opens later', async () => {
    vi.useFakeTimers();
    const { adapter, conn, events } = start(wechatProfile, { errorGrace: 500 });
    const task = only(adapter.tasks);
    task.emitError('handshake failed');
    expect(conn.state).toBe('CLOSING');
    vi.advanceTimersByTime(499);
    expect(conn.state).toBe('CLOSING');
    vi.advanceTimersByTime(1);
    expect(conn.state).toBe('CLOSED');

    // The errored handshake's close was handed over at once and WeChat ignored it; the task is closed the
    // moment it opens, and `closed` waits for that socket's end.
    expect(userCalls(task, 'close')).toEqual([{ kind: 'user', call: 'close', outcome: 'ignored', args: {} }]);
    task.emitOpen();
    expect(userCalls(task, 'close')).toEqual([
      { kind: 'user', call: 'close', outcome: 'ignored', args: {} },
      { kind: 'user', call: 'close', outcome: 'success', args: {} },
    ]);
    task.completeClose();
    await expect(conn.closed).resolves.toEqual({ code: 1006, reason: '' });
    expect(task.isLeaking).toBe(false);
    expect(events.open).toEqual([]);
    expect(events.close).toEqual([{ code: 1006, reason: '' }]);
  });

  it('reports the real close code when the platform closes within the grace period', async () => {
    vi.useFakeTimers();
    const { conn, events, task } = await startOpen();
    task.emitError('reset');
    vi.advanceTimersByTime(999);
    task.emitClose(4001, 'gone');
    await expect(conn.closed).resolves.toEqual({ code: 4001, reason: 'gone' });
    vi.advanceTimersByTime(10_000);
    expect(events.close).toEqual([{ code: 4001, reason: 'gone' }]);
    expect(events.error).toHaveLength(1);
  });

  it('does not extend the grace period on a second error', async () => {
    vi.useFakeTimers();
    const { conn, events, task } = await startOpen();
    task.emitError('first');
    vi.advanceTimersByTime(600);
    task.emitError('second');
    vi.advanceTimersByTime(400);
    expect(conn.state).toBe('CLOSED');
    expect(events.error.map((e) => e.errMsg)).toEqual(['first', 'second']);
    expect(events.close).toEqual([{ code: 1006, reason: '' }]);
  });
});

describe('closeTimeout', () => {
  it.each([
    { closeTimeout: undefined, timeout: 5000 },
    { closeTimeout: 50, timeout: 50 },
  ])(
    'synthesises CLOSED 1006 $timeout ms after close() when the platform never closes',
    async ({ closeTimeout, timeout }) => {
      vi.useFakeTimers();
      const { conn, events, task } = await startOpen(
        wechatProfile,
        closeTimeout === undefined ? {} : { closeTimeout },
      );
      const done = conn.close({ code: 1000, reason: 'bye' });
      expect(conn.actor.getSnapshot().matches({ CLOSING: 'closeRequested' })).toBe(true);
      vi.advanceTimersByTime(timeout - 1);
      expect(conn.state).toBe('CLOSING');
      vi.advanceTimersByTime(1);
      await expect(done).resolves.toEqual({ code: 1006, reason: '' });

      // A close the platform sends after the manager gave up is not a second close.
      task.completeClose();
      await flush();
      expect(events.close).toEqual([{ code: 1006, reason: '' }]);
    },
  );

  it('keeps the platform close code when it arrives before the timeout', async () => {
    vi.useFakeTimers();
    const { conn, events, task } = await startOpen();
    const done = conn.close({ code: 3000, reason: 'done' });
    vi.advanceTimersByTime(4999);
    task.completeClose();
    await expect(done).resolves.toEqual({ code: 3000, reason: 'done' });
    vi.advanceTimersByTime(10_000);
    expect(events.close).toEqual([{ code: 3000, reason: 'done' }]);
  });
});

describe('events of another generation', () => {
  it('ignores a stale platform.open while CONNECTING', () => {
    const { conn, events } = start();
    const { generation } = conn.actor.getSnapshot().context;
    conn.actor.send({ type: 'platform.open', generation: generation + 1, event: {} });
    conn.actor.send({ type: 'platform.open', generation: generation - 1, event: {} });
    expect(conn.actor.getSnapshot().matches({ CONNECTING: 'handshake' })).toBe(true);
    expect(events.open).toEqual([]);
    expect(events.order).toEqual([]);
  });

  it('ignores a stale platform.open while a close is pending', () => {
    const { adapter, conn } = start();
    void conn.close();
    const { generation } = conn.actor.getSnapshot().context;
    conn.actor.send({ type: 'platform.open', generation: generation + 1, event: {} });
    expect(conn.actor.getSnapshot().matches({ CONNECTING: 'closePending' })).toBe(true);
    expect(userCalls(only(adapter.tasks), 'close')).toEqual([]);
  });

  it('ignores a stale platform.close and platform.error while OPEN', async () => {
    const { conn, events, task } = await startOpen();
    const { generation } = conn.actor.getSnapshot().context;
    conn.actor.send({
      type: 'platform.close',
      generation: generation + 1,
      event: { code: 1000, reason: '' },
    });
    conn.actor.send({ type: 'platform.error', generation: generation - 1, event: { errMsg: 'old' } });
    expect(conn.state).toBe('OPEN');
    expect(events.close).toEqual([]);
    expect(events.error).toEqual([]);
    await conn.send('still open');
    expect(task.sent).toEqual(['still open']);
  });
});

describe('send()', () => {
  const notOpen = (n: number, name: ReadyStateName) =>
    new RegExp(
      `^send\\(\\): not open: readyState ${n} \\(${name}\\); send from onOpen, or check conn\\.state first$`,
    );

  it('with queue: false, fails with ERR_NOT_OPEN while CONNECTING', async () => {
    const { adapter, conn } = start(wechatProfile, { queue: false });
    expectError(await rejection(conn.send('early')), 'ERR_NOT_OPEN', notOpen(0, 'CONNECTING'));
    expect(userCalls(only(adapter.tasks), 'send')).toEqual([]);
  });

  it('with queue: false, fails with ERR_NOT_OPEN while CLOSING', async () => {
    const { conn, task } = await startOpen(wechatProfile, { queue: false });
    void conn.close();
    expectError(await rejection(conn.send('late')), 'ERR_NOT_OPEN', notOpen(2, 'CLOSING'));
    expect(userCalls(task, 'send')).toEqual([]);
  });

  it('fails with ERR_CLOSED while CLOSING after close(), and once CLOSED', async () => {
    const { conn, task } = await startOpen();
    const done = conn.close();
    expectError(
      await rejection(conn.send('late')),
      'ERR_CLOSED',
      /^send\(\): the connection is closed for good/,
    );
    task.completeClose();
    await done;
    expectError(
      await rejection(conn.send('after')),
      'ERR_CLOSED',
      /^send\(\): the connection is closed for good/,
    );
    expect(userCalls(task, 'send')).toEqual([]);
  });

  it('with queue: false, fails with ERR_NOT_OPEN once CLOSED', async () => {
    const { conn, task } = await startOpen(wechatProfile, { queue: false });
    const done = conn.close();
    task.completeClose();
    await done;
    expectError(await rejection(conn.send('after')), 'ERR_NOT_OPEN', notOpen(3, 'CLOSED'));
    expect(userCalls(task, 'send')).toEqual([]);
  });

  it.each([
    [{ text: 'hi' }, 'an object'],
    [42, '42'],
    [null, 'null'],
    [undefined, 'undefined'],
    [[1, 2], 'an array'],
    [new Blob(['x']), 'a Blob'],
  ])('rejects %o with ERR_INVALID_DATA and sends nothing', async (data, described) => {
    const { conn, task } = await startOpen();
    expectError(
      await rejection(conn.send(data as never)),
      'ERR_INVALID_DATA',
      new RegExp(
        `^send\\(\\): data must be a string, an ArrayBuffer or an ArrayBufferView, got ${described}; serialize objects first`,
      ),
    );
    expect(task.sent).toEqual([]);
    expect(userCalls(task, 'send')).toEqual([]);
    expect(conn.state).toBe('OPEN');
  });

  it('hands a string to the task as is', async () => {
    const { conn, task } = await startOpen();
    await expect(conn.send('héllo')).resolves.toBeUndefined();
    expect(task.sent).toEqual(['héllo']);
  });

  it('hands the task a copy of an ArrayBuffer: the bytes at the call, whatever the caller does with it after', async () => {
    const { conn, task } = await startOpen();
    const bytes = new Uint8Array([1, 2, 3]);
    const sent = conn.send(bytes.buffer);
    bytes.fill(9);
    await sent;
    expect(task.sent[0]).not.toBe(bytes.buffer);
    expect([...new Uint8Array(task.sent[0] as ArrayBuffer)]).toEqual([1, 2, 3]);
  });

  it("hands the caller's ArrayBuffer as is to a task that says it copies data itself", async () => {
    const { conn, task } = await startOpen();
    Object.defineProperty(task, 'copiesData', { value: true });
    const buffer = new Uint8Array([1, 2, 3]).buffer;
    await conn.send(buffer);
    expect(task.sent[0]).toBe(buffer);
  });

  const backing = () => new Uint8Array([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]).buffer;
  it.each([
    ['a Uint8Array over a whole buffer', () => new Uint8Array(backing()), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]],
    ['a subarray', () => new Uint8Array(backing()).subarray(2, 5), [2, 3, 4]],
    ['a DataView at an offset', () => new DataView(backing(), 7), [7, 8, 9]],
    ['a Uint16Array at an offset', () => new Uint16Array(backing(), 2, 2), [2, 3, 4, 5]],
    ['an empty view', () => new Uint8Array(backing(), 4, 0), []],
  ])('converts %s to an ArrayBuffer of exactly its bytes', async (_, view, bytes) => {
    const { conn, task } = await startOpen();
    await conn.send(view());
    const sent = only(task.sent);
    expect(sent).toBeInstanceOf(ArrayBuffer);
    expect([...new Uint8Array(sent as ArrayBuffer)]).toEqual(bytes);
  });

  it('fails with ERR_PLATFORM carrying the platform error as cause when the platform fails', async () => {
    const platformError = { errMsg: 'sendSocketMessage:fail boom' };
    const { adapter, open } = stubAdapter(({ fail }) => fail?.(platformError));
    const conn = createConnection({ url: URL, adapter });
    open();
    const error = await rejection(conn.send('x'));
    expectError(
      error,
      'ERR_PLATFORM',
      /^send\(\): the platform failed to send: sendSocketMessage:fail boom$/,
    );
    expect((error as SocketTaskError).cause).toBe(platformError);
    expect(conn.state).toBe('OPEN');
  });

  it('fails with ERR_PLATFORM when the platform send throws', async () => {
    const { adapter, open } = stubAdapter(() => {
      throw new TypeError('InvalidStateError');
    });
    const conn = createConnection({ url: URL, adapter });
    open();
    const error = await rejection(conn.send('x'));
    expectError(error, 'ERR_PLATFORM', /^send\(\): the platform failed to send: InvalidStateError$/);
    expect((error as SocketTaskError).cause).toBeDefined();
  });

  describe('callbacks (docs/platforms.md#callbacks-or-a-promise)', () => {
    function spies() {
      const calls: string[] = [];
      return {
        calls,
        success: vi.fn(() => calls.push('success')),
        fail: vi.fn((_: SocketTaskError) => calls.push('fail')),
        complete: vi.fn(() => calls.push('complete')),
      };
    }

    it('reports success then complete, once each, never inside the send() call, and returns undefined', async () => {
      const { conn, task } = await startOpen();
      const { calls, success, fail, complete } = spies();
      expect(conn.send('x', { success, fail, complete })).toBeUndefined();
      expect(calls).toEqual([]);
      await flush();
      expect(calls).toEqual(['success', 'complete']);
      expect(task.sent).toEqual(['x']);
    });

    it('reports fail then complete, once each, a turn after the call, when not open and not queueing', async () => {
      const { conn } = start(wechatProfile, { queue: false });
      const { calls, success, fail, complete } = spies();
      expect(conn.send('x', { success, fail, complete })).toBeUndefined();
      expect(calls).toEqual([]);
      await flush();
      expect(calls).toEqual(['fail', 'complete']);
      expectError(
        fail.mock.calls[0]?.[0],
        'ERR_NOT_OPEN',
        /^send\(\): not open: readyState 0 \(CONNECTING\)/,
      );
    });

    it('reports through complete alone when only complete is given', async () => {
      const { conn } = await startOpen();
      const complete = vi.fn();
      expect(conn.send('x', { complete })).toBeUndefined();
      await flush();
      expect(complete).toHaveBeenCalledTimes(1);
    });

    it.each([
      [
        'fail twice (uni-app H5)',
        (o: Parameters<SocketTaskLike['send']>[0]) => {
          o.fail?.({ errMsg: 'first' });
          o.fail?.({ errMsg: 'second' });
          o.complete?.();
          o.complete?.();
        },
      ],
      [
        'fail then success (uni-app App)',
        (o: Parameters<SocketTaskLike['send']>[0]) => {
          o.fail?.({ errMsg: 'first' });
          o.success?.(undefined);
        },
      ],
    ])('reports exactly once when the platform calls %s', async (_, platformSend) => {
      const { adapter, open } = stubAdapter(platformSend);
      const conn = createConnection({ url: URL, adapter });
      open();
      const { calls, success, fail, complete } = spies();
      conn.send('x', { success, fail, complete });
      await flush();
      expect(calls).toEqual(['fail', 'complete']);
      expect(fail.mock.calls[0]?.[0]?.cause).toEqual({ errMsg: 'first' });
    });

    it('returns a Promise when no callback is given', async () => {
      const { conn } = await startOpen();
      const result = conn.send('x');
      expect(result).toBeInstanceOf(Promise);
      await result;
    });

    it('throws ERR_INVALID_CALLBACK for a callback that is not a function, sending nothing', async () => {
      const { conn, task } = await startOpen();
      expectError(
        thrown(() => conn.send('x', { success: 42 } as never)),
        'ERR_INVALID_CALLBACK',
        /^send\(\): success must be a function, got 42$/,
      );
      expectError(
        thrown(() => conn.send('x', (() => {}) as never)),
        'ERR_INVALID_CALLBACK',
        /^send\(\): the second argument must be an object of callbacks, got a function$/,
      );
      expect(task.sent).toEqual([]);
    });
  });
});

describe('close()', () => {
  it.each([
    [{ code: 1001 }, 'ERR_INVALID_CLOSE_CODE', /^close\(\): code 1001 is reserved; use 1000 or 3000–4999$/],
    [{ code: 2999 }, 'ERR_INVALID_CLOSE_CODE', /^close\(\): code 2999 is reserved; use 1000 or 3000–4999$/],
    [{ code: 999 }, 'ERR_INVALID_CLOSE_CODE', /^close\(\): code 999 is out of range; use 1000 or 3000–4999$/],
    [
      { code: 5000 },
      'ERR_INVALID_CLOSE_CODE',
      /^close\(\): code 5000 is out of range; use 1000 or 3000–4999$/,
    ],
    [
      { code: 3000.5 },
      'ERR_INVALID_CLOSE_CODE',
      /^close\(\): code must be an integer, got 3000\.5; use 1000/,
    ],
    [{ code: '1000' }, 'ERR_INVALID_CLOSE_CODE', /^close\(\): code must be an integer, got "1000"; use 1000/],
    [
      { reason: 'é'.repeat(62) },
      'ERR_INVALID_CLOSE_REASON',
      /^close\(\): reason is 124 UTF-8 bytes; shorten it to at most 123 bytes$/,
    ],
    [{ reason: 42 }, 'ERR_INVALID_CLOSE_REASON', /^close\(\): reason must be a string, got 42$/],
  ] as const)('rejects %o with %s and no side effect', async (options, code, message) => {
    const { conn, task } = await startOpen();
    expectError(await rejection(conn.close(options as CloseOptions)), code, message);
    expect(conn.state).toBe('OPEN');
    expect(userCalls(task, 'close')).toEqual([]);
    expect(task.readyState).toBe(1);

    const fail = vi.fn();
    const complete = vi.fn();
    expect(conn.close({ ...(options as object), fail, complete })).toBeUndefined();
    expect(fail).not.toHaveBeenCalled();
    await flush();
    expect(fail).toHaveBeenCalledTimes(1);
    expectError(fail.mock.calls[0]?.[0], code, message);
    expect(complete).toHaveBeenCalledTimes(1);
    expect(conn.state).toBe('OPEN');
  });

  it('rejects invalid arguments while CONNECTING without recording a pending close', async () => {
    const { adapter, conn } = start();
    expectError(
      await rejection(conn.close({ code: 1005 })),
      'ERR_INVALID_CLOSE_CODE',
      /^close\(\): code 1005/,
    );
    expect(conn.actor.getSnapshot().matches({ CONNECTING: 'handshake' })).toBe(true);
    only(adapter.tasks).emitOpen();
    expect(conn.state).toBe('OPEN');
  });

  it('accepts the boundaries: code 1000, 3000, 4999 and a 123-byte reason', async () => {
    for (const code of [1000, 3000, 4999]) {
      const { conn, task } = await startOpen();
      const done = conn.close({ code, reason: '€'.repeat(41) });
      task.completeClose();
      await expect(done).resolves.toEqual({ code, reason: '€'.repeat(41) });
    }
  });

  it('throws ERR_INVALID_CALLBACK for options that are not an object or a callback that is not a function', async () => {
    const { conn } = await startOpen();
    expectError(
      thrown(() => conn.close(1000 as never)),
      'ERR_INVALID_CALLBACK',
      /^close\(\): options must be an object such as \{ code: 1000, reason: 'bye' \}, got 1000$/,
    );
    expectError(
      thrown(() => conn.close({ complete: 'yes' } as never)),
      'ERR_INVALID_CALLBACK',
      /^close\(\): complete must be a function, got "yes"$/,
    );
    expect(conn.state).toBe('OPEN');
  });

  it('resolves at once with the close info when already CLOSED', async () => {
    const { conn, task } = await startOpen();
    const done = conn.close({ code: 4000, reason: 'x' });
    task.completeClose();
    await done;
    await expect(conn.close()).resolves.toEqual({ code: 4000, reason: 'x' });
    const success = vi.fn();
    conn.close({ code: 1000, success });
    await flush();
    expect(success).toHaveBeenCalledExactlyOnceWith({ code: 4000, reason: 'x' });
    expect(userCalls(task, 'close')).toHaveLength(1);
  });

  it('settles every close() call with the same close info, closing the task once', async () => {
    const { conn, task } = await startOpen();
    const first = conn.close({ code: 4000, reason: 'first' });
    const second = conn.close({ code: 4001, reason: 'second' });
    const success = vi.fn();
    const complete = vi.fn();
    conn.close({ success, complete });
    task.completeClose();
    const info = { code: 4000, reason: 'first' };
    await expect(first).resolves.toEqual(info);
    await expect(second).resolves.toEqual(info);
    expect(success).toHaveBeenCalledExactlyOnceWith(info);
    expect(complete).toHaveBeenCalledTimes(1);
    expect(userCalls(task, 'close')).toHaveLength(1);
  });
});

describe('option validation', () => {
  const noHeaders = { ...wechatProfile, headers: false };
  const cases: Array<[string, (adapter: SocketAdapter) => unknown, SocketTaskErrorCode, RegExp]> = [
    [
      'missing options',
      () => undefined,
      'ERR_INVALID_OPTIONS',
      /^createConnection\(\): options must be an object with url and adapter, got undefined$/,
    ],
    [
      'a string instead of options',
      () => URL,
      'ERR_INVALID_OPTIONS',
      /^createConnection\(\): options must be an object with url and adapter, got "wss:\/\/example\.test\/socket"$/,
    ],
    [
      'an unknown option',
      (adapter) => ({ url: URL, adapter, onOpen: () => {} }),
      'ERR_INVALID_OPTIONS',
      /^createConnection\(\): unknown option "onOpen"; known options: url, adapter, protocols, header, /,
    ],
    [
      'a missing adapter',
      () => ({ url: URL }),
      'ERR_INVALID_ADAPTER',
      /^createConnection\(\): adapter must be a SocketAdapter such as nodeAdapter\(\) or webAdapter\(\), got undefined$/,
    ],
    [
      'an adapter without connect',
      () => ({ url: URL, adapter: { name: 'x', profile: wechatProfile } }),
      'ERR_INVALID_ADAPTER',
      /^createConnection\(\): adapter must be a SocketAdapter .*, got an object$/,
    ],
    [
      'an adapter without profile',
      (adapter) => ({ url: URL, adapter: { name: 'bare', connect: adapter.connect } }),
      'ERR_INVALID_ADAPTER',
      /^createConnection\(\): adapter bare has no valid profile\.closeWhileConnecting; use 'ignored' or 'aborts'$/,
    ],
    [
      'a missing url',
      (adapter) => ({ adapter }),
      'ERR_INVALID_URL',
      /^url must be a ws:\/\/ or wss:\/\/ string \(or a function returning one\), got undefined$/,
    ],
    [
      'a number as url',
      (adapter) => ({ url: 8080, adapter }),
      'ERR_INVALID_URL',
      /^url must be a ws:\/\/ or wss:\/\/ string \(or a function returning one\), got 8080$/,
    ],
    [
      'a url that is not a URL',
      (adapter) => ({ url: 'example.test/socket', adapter }),
      'ERR_INVALID_URL',
      /^url "example\.test\/socket" is not a valid URL \(no scheme such as wss:\); use e\.g\. wss:\/\/example\.com\/socket$/,
    ],
    [
      'an http:// url',
      (adapter) => ({ url: 'http://example.test/', adapter }),
      'ERR_INVALID_URL',
      /^url "http:\/\/example\.test\/" has scheme http:; use ws:\/\/ or wss:\/\/$/,
    ],
    [
      'a url with a fragment',
      (adapter) => ({ url: 'wss://example.test/#top', adapter }),
      'ERR_INVALID_URL',
      /^url "wss:\/\/example\.test\/#top" has a fragment; WebSocket URLs cannot carry one, remove "#top"$/,
    ],
    [
      'protocols of the wrong type',
      (adapter) => ({ url: URL, adapter, protocols: 7 }),
      'ERR_INVALID_PROTOCOLS',
      /^protocols must be a string or an array of strings, got 7$/,
    ],
    [
      'a protocol that is not a token',
      (adapter) => ({ url: URL, adapter, protocols: ['chat', 'v 2'] }),
      'ERR_INVALID_PROTOCOLS',
      /^protocols: "v 2" is not a valid subprotocol token; use letters, digits and /,
    ],
    [
      'a duplicated protocol',
      (adapter) => ({ url: URL, adapter, protocols: ['chat', 'chat'] }),
      'ERR_INVALID_PROTOCOLS',
      /^protocols: "chat" is listed twice; list each subprotocol once$/,
    ],
    [
      'a header that is not an object',
      (adapter) => ({ url: URL, adapter, header: ['a: b'] }),
      'ERR_INVALID_HEADER',
      /^header must be an object of string values \(or a function returning one\), got an array$/,
    ],
    [
      'a header with a non-string value',
      (adapter) => ({ url: URL, adapter, header: { 'x-id': 7 } }),
      'ERR_INVALID_HEADER',
      /^header: the value of "x-id" must be a string, got 7; convert it with String\(\)$/,
    ],
    [
      'a header value with CR/LF',
      (adapter) => ({ url: URL, adapter, header: { 'x-id': 'a\r\nInjected: 1' } }),
      'ERR_INVALID_HEADER',
      /^header: the value of "x-id" contains CR, LF or NUL; remove them$/,
    ],
    [
      'a header name that is not a token',
      (adapter) => ({ url: URL, adapter, header: { 'x id': '1' } }),
      'ERR_INVALID_HEADER',
      /^header: "x id" is not a valid header name$/,
    ],
    [
      'a Referer header',
      (adapter) => ({ url: URL, adapter, header: { referer: 'https://a.test' } }),
      'ERR_INVALID_HEADER',
      /^header: Referer cannot be set \(the mini-program platforms forbid it\); remove it$/,
    ],
    [
      'a header on a platform without handshake headers',
      () => ({ url: URL, adapter: fakeAdapter(noHeaders), header: { 'x-id': '1' } }),
      'ERR_INVALID_HEADER',
      /^createConnection\(\): the wechat-sim platform cannot set handshake headers; pass the value in the url instead$/,
    ],
    [
      'an unknown closeBeforeOpen',
      (adapter) => ({ url: URL, adapter, closeBeforeOpen: 'abort' }),
      'ERR_INVALID_OPTIONS',
      /^createConnection\(\): closeBeforeOpen must be 'defer' or 'ignore', got "abort"$/,
    ],
    [
      'a negative errorGrace',
      (adapter) => ({ url: URL, adapter, errorGrace: -1 }),
      'ERR_INVALID_OPTIONS',
      /^createConnection\(\): errorGrace must be a finite number of ms ≥ 0, got -1$/,
    ],
    [
      'an infinite errorGrace',
      (adapter) => ({ url: URL, adapter, errorGrace: Number.POSITIVE_INFINITY }),
      'ERR_INVALID_OPTIONS',
      /^createConnection\(\): errorGrace must be a finite number of ms ≥ 0, got Infinity$/,
    ],
    [
      'a closeTimeout given as a string',
      (adapter) => ({ url: URL, adapter, closeTimeout: '5000' }),
      'ERR_INVALID_OPTIONS',
      /^createConnection\(\): closeTimeout must be a finite number of ms ≥ 0, got "5000"$/,
    ],
    [
      'an inspect that is neither observer nor function',
      (adapter) => ({ url: URL, adapter, inspect: true }),
      'ERR_INVALID_OPTIONS',
      /^createConnection\(\): inspect must be an inspection observer or function, got true$/,
    ],
  ];

  const named = cases.map(([name, options, code, message]) => ({ name, options, code, message }));
  it.each(named)('throws $code at once for $name, creating no task', ({ options, code, message }) => {
    const adapter = fakeAdapter();
    expectError(
      thrown(() => createConnection(options(adapter) as never)),
      code,
      message,
    );
    expect(adapter.tasks).toHaveLength(0);
  });
});

describe('url and header providers', () => {
  it('calls sync providers for the attempt and connects with what they return', () => {
    const adapter = fakeAdapter();
    const url = vi.fn(() => 'wss://example.test/socket?token=abc');
    const header = vi.fn(() => ({ authorization: 'Bearer abc' }));
    createConnection({ url, header, adapter, protocols: 'chat' });
    expect(url).toHaveBeenCalledTimes(1);
    expect(header).toHaveBeenCalledTimes(1);
    expect(only(adapter.tasks).options).toEqual({
      url: 'wss://example.test/socket?token=abc',
      header: { authorization: 'Bearer abc' },
      protocols: ['chat'],
      timeout: 10_000,
    });
  });

  it('waits for async providers before connecting', async () => {
    const adapter = fakeAdapter();
    const url = vi.fn(async () => 'wss://example.test/async');
    const header = vi.fn(async () => ({ 'x-id': '1' }));
    const conn = createConnection({ url, header, adapter });
    expect(adapter.tasks).toHaveLength(0);
    await flush();
    expect(only(adapter.tasks).options).toEqual({
      url: 'wss://example.test/async',
      header: { 'x-id': '1' },
      timeout: 10_000,
    });
    only(adapter.tasks).emitOpen();
    expect(conn.state).toBe('OPEN');
    expect(url).toHaveBeenCalledTimes(1);
    expect(header).toHaveBeenCalledTimes(1);
  });

  it('copies static protocols and header, so later mutation does not leak into the attempt', () => {
    const adapter = fakeAdapter();
    const protocols = ['a'];
    const header = { 'x-id': '1' };
    createConnection({ url: URL, adapter, protocols, header });
    protocols.push('b');
    header['x-id'] = '2';
    expect(only(adapter.tasks).options).toEqual({
      url: URL,
      protocols: ['a'],
      header: { 'x-id': '1' },
      timeout: 10_000,
    });
  });

  const failures: Array<[string, Partial<ConnectionOptions>, string, RegExp]> = [
    [
      'a sync url provider returning an invalid url',
      { url: () => 'https://example.test' },
      'ERR_INVALID_URL',
      /^url "https:\/\/example\.test" has scheme https:; use ws:\/\/ or wss:\/\/$/,
    ],
    [
      'an async url provider returning an invalid url',
      { url: async () => 'not-a-url' },
      'ERR_INVALID_URL',
      /^url "not-a-url" is not a valid URL \(no scheme such as wss:\); use e\.g\. wss:\/\/example\.com\/socket$/,
    ],
    [
      'a url provider returning ws:// on a wss-only platform',
      { url: () => 'ws://example.test', adapter: fakeAdapter({ ...wechatProfile, requiresSecureUrl: true }) },
      'ERR_INVALID_URL',
      /^url "ws:\/\/example\.test": the wechat-sim platform accepts wss:\/\/ only; use wss:\/\/, or pass allowInsecure: true for a development server$/,
    ],
    [
      'a header provider returning a Referer',
      { header: async () => ({ Referer: 'x' }) },
      'ERR_INVALID_HEADER',
      /^header: Referer cannot be set/,
    ],
    // A provider's own exception is not a SocketTaskError, so it is reported under the generic options code.
    [
      'a sync url provider that throws',
      {
        url: () => {
          throw new Error('token expired');
        },
      },
      'ERR_INVALID_OPTIONS',
      /^token expired$/,
    ],
    [
      'an async url provider that rejects',
      { url: () => Promise.reject(new Error('offline')) },
      'ERR_INVALID_OPTIONS',
      /^offline$/,
    ],
  ];

  it.each(failures)(
    'reports %s through onError, then onClose 1006, with no task',
    async (_, options, code, errMsg) => {
      const adapter = fakeAdapter();
      const conn = createConnection({ url: URL, adapter, ...options });
      const events = record(conn);
      await expect(conn.closed).resolves.toEqual({ code: 1006, reason: '' });
      expect(events.error).toHaveLength(1);
      expect(events.error[0]?.code).toBe(code);
      expect(events.error[0]?.errMsg).toMatch(errMsg);
      expect(events.close).toEqual([{ code: 1006, reason: '' }]);
      expect(events.order).toEqual(['CONNECTING→CLOSING', 'error', 'CLOSING→CLOSED', 'close 1006']);
      expect(adapter.tasks).toHaveLength(0);
      const used = options.adapter as ReturnType<typeof fakeAdapter> | undefined;
      expect(used?.tasks ?? []).toHaveLength(0);
    },
  );

  it('reports a connect that throws through onError ERR_PLATFORM, then onClose 1006', async () => {
    const adapter: SocketAdapter = {
      name: 'broken',
      profile: wechatProfile,
      connect: () => {
        throw new Error('exceed max task count');
      },
    };
    const conn = createConnection({ url: URL, adapter });
    const events = record(conn);
    await expect(conn.closed).resolves.toEqual({ code: 1006, reason: '' });
    expect(events.error).toEqual([{ errMsg: 'connect failed: exceed max task count', code: 'ERR_PLATFORM' }]);
    expect(events.close).toEqual([{ code: 1006, reason: '' }]);
  });
});

describe('listeners', () => {
  it('stops calling a listener once it is unsubscribed, and only that one', async () => {
    const { conn, task } = await startOpen();
    const kept = vi.fn();
    const dropped = vi.fn();
    conn.onMessage(kept);
    const off = conn.onMessage(dropped);
    task.emitMessage('one');
    off();
    off();
    task.emitMessage('two');
    expect(kept.mock.calls).toEqual([[{ data: 'one' }], [{ data: 'two' }]]);
    expect(dropped.mock.calls).toEqual([[{ data: 'one' }]]);
  });

  it('returns a working unsubscribe from onOpen, onError, onClose and onStateChange', async () => {
    const adapter = fakeAdapter();
    const conn = createConnection({ url: URL, adapter });
    const events = record(conn);
    const dropped = vi.fn();
    for (const off of [
      conn.onOpen(dropped),
      conn.onError(dropped),
      conn.onClose(dropped),
      conn.onStateChange(dropped),
    ]) {
      off();
    }
    const task = only(adapter.tasks);
    task.emitOpen();
    task.emitError();
    task.emitClose(1000, '');
    await conn.closed;
    expect(events.order).toEqual([
      'CONNECTING→OPEN',
      'open',
      'OPEN→CLOSING',
      'error',
      'CLOSING→CLOSED',
      'close 1000',
    ]);
    expect(dropped).not.toHaveBeenCalled();
  });

  it('throws ERR_INVALID_CALLBACK for a listener that is not a function', () => {
    const { conn } = start();
    expectError(
      thrown(() => conn.onOpen('open' as never)),
      'ERR_INVALID_CALLBACK',
      /^onOpen\(\): listener must be a function, got "open"$/,
    );
    expectError(
      thrown(() => conn.onStateChange(undefined as never)),
      'ERR_INVALID_CALLBACK',
      /^onStateChange\(\): listener must be a function, got undefined$/,
    );
  });

  it('regression: dispatches each event to a snapshot of its listeners, as EventTarget does: one added during it waits, two that swap for each other end', () => {
    const adapter = fakeAdapter();
    const conn = createConnection({ url: URL, adapter });
    const calls: string[] = [];
    conn.onOpen(() => {
      calls.push('first');
      conn.onOpen(() => calls.push('added during open'));
    });
    const offs: Array<() => void> = [];
    const one = () => {
      calls.push('one');
      offs[0]?.();
      offs[1] = conn.onMessage(two);
    };
    const two = () => {
      calls.push('two');
      offs[1]?.();
      offs[0] = conn.onMessage(one);
    };
    offs[0] = conn.onMessage(one);
    const task = only(adapter.tasks);
    task.emitOpen();
    task.emitMessage('a');
    task.emitMessage('b');
    expect(calls).toEqual(['first', 'one', 'two']);
    conn.close();
  });

  it('keeps calling the other listeners and running the machine when a listener throws', async () => {
    const rethrown = captureRethrown();
    const adapter = fakeAdapter();
    const conn = createConnection({ url: URL, adapter });
    const boom = (where: string) => () => {
      throw new Error(`listener failed in ${where}`);
    };
    conn.onStateChange(boom('onStateChange'));
    conn.onOpen(boom('onOpen'));
    conn.onMessage(boom('onMessage'));
    conn.onClose(boom('onClose'));
    const events = record(conn);

    const task = only(adapter.tasks);
    task.emitOpen();
    task.emitMessage('m');
    await conn.send('still works');
    const done = conn.close();
    task.completeClose();
    await expect(done).resolves.toEqual({ code: 1000, reason: '' });
    await flush();

    expect(events.order).toEqual(['CONNECTING→OPEN', 'open', 'OPEN→CLOSING', 'CLOSING→CLOSED', 'close 1000']);
    expect(events.message).toEqual([{ data: 'm' }]);
    expect(task.sent).toEqual(['still works']);
    // Idle until reconnect(): no timer, and every task at its end, nothing more to run.
    expect(conn.actor.getSnapshot().matches({ CLOSED: 'terminated' })).toBe(true);
    expect(
      Object.values(conn.actor.getSnapshot().children).map((child) => child?.getSnapshot().status),
    ).toEqual(['done']);
    await rethrown.flush();
    expect(rethrown.errors.map((e) => (e as Error).message)).toEqual([
      'listener failed in onStateChange',
      'listener failed in onOpen',
      'listener failed in onMessage',
      'listener failed in onStateChange',
      'listener failed in onStateChange',
      'listener failed in onClose',
    ]);
  });

  it('fires onStateChange(state, previous) before onOpen and before onClose, with readyState in step', async () => {
    const { conn, events, task } = await startOpen();
    const seen: Array<[string, number]> = [];
    conn.onStateChange((state) => seen.push([state, conn.readyState]));
    const done = conn.close();
    task.completeClose();
    await done;
    expect(events.order).toEqual(['CONNECTING→OPEN', 'open', 'OPEN→CLOSING', 'CLOSING→CLOSED', 'close 1000']);
    expect(seen).toEqual([
      ['CLOSING', 2],
      ['CLOSED', 3],
    ]);
  });

  it('delivers messages while OPEN and CLOSING only', async () => {
    const { conn, events, task } = await startOpen();
    const binary = new Uint8Array([1, 2]).buffer;
    task.emitMessage('open');
    task.emitMessage(binary);
    void conn.close();
    task.emitMessage('closing');
    task.completeClose();
    task.emitMessage('closed');
    await conn.closed;
    expect(events.message).toEqual([{ data: 'open' }, { data: binary }, { data: 'closing' }]);
    expect(events.message[1]?.data).toBe(binary);
  });
});

describe('teardown', () => {
  it('settles closed once the task is gone, in state CLOSED, readyState 3, the actor idle', async () => {
    const { conn, task } = await startOpen();
    expect(conn.readyState).toBe(1);
    task.emitClose(4002, 'server bye');
    expect(conn.state).toBe('CLOSED');
    await expect(conn.closed).resolves.toEqual({ code: 4002, reason: 'server bye' });
    // Idle until reconnect(): no timer, and every task at its end, nothing more to run.
    expect(conn.actor.getSnapshot().matches({ CLOSED: 'terminated' })).toBe(true);
    expect(
      Object.values(conn.actor.getSnapshot().children).map((child) => child?.getSnapshot().status),
    ).toEqual(['done']);
    expect(conn.state).toBe('CLOSED');
    expect(conn.readyState).toBe(3);
  });

  it('runs a whole life with the auto-driven fake and leaves no task open', async () => {
    vi.useFakeTimers();
    const adapter = fakeAdapter(wechatProfile, { auto: { openAfter: 10, closeAfter: 10, echo: true } });
    const conn = createConnection({ url: URL, adapter });
    const events = record(conn);
    await vi.advanceTimersByTimeAsync(10);
    await conn.send('ping');
    await vi.advanceTimersByTimeAsync(0);
    const done = conn.close({ code: 1000, reason: 'done' });
    await vi.advanceTimersByTimeAsync(10);
    await expect(done).resolves.toEqual({ code: 1000, reason: 'done' });
    expect(events.message).toEqual([{ data: 'ping' }]);
    expect(events.open).toEqual([{ header: { 'x-fake': 'wechat' } }]);
    expect(only(adapter.tasks).isLeaking).toBe(false);
  });
});

describe('inspect', () => {
  it('passes XState inspection events to an inspect function', async () => {
    const types = new Set<string>();
    const adapter = fakeAdapter();
    const conn = createConnection({ url: URL, adapter, inspect: (event) => types.add(event.type) });
    only(adapter.tasks).emitOpen();
    expect(types).toContain('@xstate.snapshot');
    expect(types).toContain('@xstate.event');
    expect(types).toContain('@xstate.actor');
    expect(conn.state).toBe('OPEN');
  });

  it('passes them to an inspection observer too', () => {
    const next = vi.fn();
    const adapter = fakeAdapter();
    createConnection({ url: URL, adapter, inspect: { next } });
    only(adapter.tasks).emitOpen();
    const types = next.mock.calls.map(([event]) => (event as { type: string }).type);
    expect(types).toContain('@xstate.snapshot');
    expect(types).toContain('@xstate.event');
  });
});

describe('secure URLs on platforms that require them', () => {
  const secureOnly: PlatformProfile = { ...wechatProfile, requiresSecureUrl: true };

  it('refuses ws:// at once with ERR_INVALID_URL and creates no task', () => {
    const adapter = fakeAdapter(secureOnly, { name: 'wechat' });
    const attempt = () => createConnection({ url: 'ws://127.0.0.1:1', adapter });
    expect(attempt).toThrow(expect.objectContaining({ code: 'ERR_INVALID_URL' }));
    expect(attempt).toThrow(
      /^url "ws:\/\/127\.0\.0\.1:1": the wechat platform accepts wss:\/\/ only; use wss:\/\//,
    );
    expect(adapter.tasks).toHaveLength(0);
  });

  it('lets ws:// through with allowInsecure: true', () => {
    const adapter = fakeAdapter(secureOnly);
    const conn = createConnection({ url: 'ws://127.0.0.1:1', adapter, allowInsecure: true });
    expect(adapter.tasks).toHaveLength(1);
    expect(adapter.tasks[0]?.options.url).toBe('ws://127.0.0.1:1');
    expect(conn.state).toBe('CONNECTING');
  });

  it('accepts wss:// without allowInsecure', () => {
    const adapter = fakeAdapter(secureOnly);
    createConnection({ url: 'wss://example.test/socket', adapter });
    expect(adapter.tasks).toHaveLength(1);
  });

  it('rejects an allowInsecure that is not a boolean with ERR_INVALID_OPTIONS', () => {
    const adapter = fakeAdapter(secureOnly);
    const attempt = () =>
      createConnection({ url: 'ws://127.0.0.1:1', adapter, allowInsecure: 'yes' as unknown as boolean });
    expect(attempt).toThrow(expect.objectContaining({ code: 'ERR_INVALID_OPTIONS' }));
    expect(attempt).toThrow(/^createConnection\(\): allowInsecure must be a boolean, got "yes"$/);
    expect(adapter.tasks).toHaveLength(0);
  });
});

describe('connect timeout', () => {
  it('abandons an attempt still CONNECTING after 10 s by default: ERR_CONNECT_TIMEOUT, then close 1006', async () => {
    vi.useFakeTimers();
    const adapter = fakeAdapter(abortingProfile);
    const conn = createConnection({ url: URL, adapter });
    const events = record(conn);
    vi.advanceTimersByTime(9_999);
    expect(conn.state).toBe('CONNECTING');
    vi.advanceTimersByTime(1);
    expect(conn.state).toBe('CLOSED');
    const error = only(events.error);
    expect(error.code).toBe('ERR_CONNECT_TIMEOUT');
    expect(error.errMsg).toMatch(
      /^connect timeout: still CONNECTING after 10000 ms; the attempt was abandoned$/,
    );
    expect(only(events.close)).toEqual({ code: 1006, reason: '' });
    expect(events.order).toEqual(['CONNECTING→CLOSED', 'error', 'close 1006']);
    await vi.runAllTimersAsync();
    expect(await conn.closed).toEqual({ code: 1006, reason: '' });
  });

  it('closes the abandoned task at once on a platform where a close while CONNECTING aborts', () => {
    vi.useFakeTimers();
    const adapter = fakeAdapter(abortingProfile);
    createConnection({ url: URL, adapter, connectTimeout: 500 });
    vi.advanceTimersByTime(500);
    const task = only(adapter.tasks);
    expect(task.readyState).toBe(2);
    expect(task.log).toContainEqual(
      expect.objectContaining({ kind: 'user', call: 'close', outcome: 'success' }),
    );
  });

  it('closes the abandoned task the moment it opens where a close while CONNECTING is ignored, and ignores its late events', async () => {
    vi.useFakeTimers();
    const adapter = fakeAdapter(wechatProfile);
    const conn = createConnection({ url: URL, adapter, connectTimeout: 500 });
    const events = record(conn);
    vi.advanceTimersByTime(500);
    expect(conn.state).toBe('CLOSED');
    const task = only(adapter.tasks);
    expect(task.readyState).toBe(0);
    task.emitOpen();
    expect(task.readyState).toBe(2);
    expect(task.isLeaking).toBe(false);
    task.emitMessage('late');
    task.completeClose();
    await vi.runAllTimersAsync();
    expect(events.open).toHaveLength(0);
    expect(events.message).toHaveLength(0);
    expect(events.close).toHaveLength(1);
    expect(conn.state).toBe('CLOSED');
  });

  it('settles a close asked before open on a handshake that never completes', async () => {
    vi.useFakeTimers();
    const adapter = fakeAdapter(wechatProfile);
    const conn = createConnection({ url: URL, adapter, connectTimeout: 2_000 });
    const closing = conn.close({ code: 4000, reason: 'never mind' });
    expect(conn.actor.getSnapshot().matches({ CONNECTING: 'closePending' })).toBe(true);
    vi.advanceTimersByTime(2_000);
    await vi.runAllTimersAsync();
    expect(await closing).toEqual({ code: 1006, reason: '' });
  });

  it('hands the adapter its connectTimeout as the handshake timeout, and none with connectTimeout: false', () => {
    const timed = fakeAdapter();
    const untimed = fakeAdapter();
    createConnection({ url: URL, adapter: timed, connectTimeout: 2500 });
    createConnection({ url: URL, adapter: untimed, connectTimeout: false });
    expect(only(timed.tasks).options.timeout).toBe(2500);
    expect('timeout' in only(untimed.tasks).options).toBe(false);
  });

  it('never abandons an attempt with connectTimeout: false', () => {
    vi.useFakeTimers();
    const adapter = fakeAdapter(wechatProfile);
    const conn = createConnection({ url: URL, adapter, connectTimeout: false });
    vi.advanceTimersByTime(60 * 60 * 1000);
    expect(conn.state).toBe('CONNECTING');
    only(adapter.tasks).emitOpen();
    expect(conn.state).toBe('OPEN');
  });

  it('does not time out an attempt that opened in time', () => {
    vi.useFakeTimers();
    const adapter = fakeAdapter(wechatProfile);
    const conn = createConnection({ url: URL, adapter, connectTimeout: 500 });
    vi.advanceTimersByTime(499);
    only(adapter.tasks).emitOpen();
    vi.advanceTimersByTime(10_000);
    expect(conn.state).toBe('OPEN');
  });

  it.each([[-1], [Number.NaN], ['10s'], [true]])(
    'rejects connectTimeout %s with ERR_INVALID_OPTIONS',
    (value) => {
      const adapter = fakeAdapter(wechatProfile);
      const error = thrown(() => createConnection({ url: URL, adapter, connectTimeout: value as never }));
      expectError(
        error,
        'ERR_INVALID_OPTIONS',
        /^createConnection\(\): connectTimeout must be a finite number of ms ≥ 0/,
      );
      expect(adapter.tasks).toHaveLength(0);
    },
  );
});

describe('disposal by AbortSignal', () => {
  it('closes an OPEN connection when the signal aborts, and settles closed with no listener left on the signal', async () => {
    const controller = new AbortController();
    const removed = vi.spyOn(controller.signal, 'removeEventListener');
    const adapter = fakeAdapter(wechatProfile);
    const conn = createConnection({ url: URL, adapter, signal: controller.signal });
    const events = record(conn);
    const task = only(adapter.tasks);
    task.emitOpen();
    controller.abort();
    expect(conn.state).toBe('CLOSING');
    expect(task.readyState).toBe(2);
    task.completeClose();
    expect(await conn.closed).toEqual({ code: 1000, reason: '' });
    expect(events.close).toHaveLength(1);
    expect(removed).toHaveBeenCalledWith('abort', expect.any(Function));
    // Disposed for good: the actor is stopped, and reconnect() refuses.
    expect(conn.actor.getSnapshot().status).toBe('stopped');
    expect(() => conn.reconnect()).toThrow(expect.objectContaining({ code: 'ERR_CLOSED' }));
  });

  it('ends a connection whose signal is already aborted without ever firing onOpen', async () => {
    const controller = new AbortController();
    controller.abort();
    const adapter = fakeAdapter(abortingProfile);
    const conn = createConnection({ url: URL, adapter, signal: controller.signal });
    const events = record(conn);
    expect(conn.state).toBe('CLOSING');
    await flush();
    expect(await conn.closed).toEqual({ code: 1006, reason: '' });
    expect(events.open).toHaveLength(0);
    expect(events.close).toHaveLength(1);
  });

  it('defers the abort of a CONNECTING socket on a platform that ignores a close while connecting', async () => {
    const controller = new AbortController();
    const adapter = fakeAdapter(wechatProfile);
    const conn = createConnection({ url: URL, adapter, signal: controller.signal });
    controller.abort();
    const task = only(adapter.tasks);
    expect(task.readyState).toBe(0);
    task.emitOpen();
    expect(task.readyState).toBe(2);
    task.completeClose();
    expect(await conn.closed).toEqual({ code: 1000, reason: '' });
  });

  it.each([[{}], ['signal'], [{ aborted: false }]])('rejects signal %j with ERR_INVALID_OPTIONS', (value) => {
    const adapter = fakeAdapter(wechatProfile);
    const error = thrown(() => createConnection({ url: URL, adapter, signal: value as never }));
    expectError(error, 'ERR_INVALID_OPTIONS', /^createConnection\(\): signal must be an AbortSignal, got /);
    expect(adapter.tasks).toHaveLength(0);
  });
});

describe('heartbeat', () => {
  function openWithHeartbeat(heartbeat: NonNullable<Parameters<typeof createConnection>[0]['heartbeat']>) {
    vi.useFakeTimers();
    const adapter = fakeAdapter(wechatProfile);
    const conn = createConnection({ url: URL, adapter, heartbeat });
    const events = record(conn);
    const task = only(adapter.tasks);
    task.emitOpen();
    return { conn, events, task };
  }

  it('is off by default: no ping in an hour of silence, and the connection stays OPEN', () => {
    vi.useFakeTimers();
    const adapter = fakeAdapter(wechatProfile);
    const conn = createConnection({ url: URL, adapter });
    only(adapter.tasks).emitOpen();
    vi.advanceTimersByTime(60 * 60 * 1000);
    expect(only(adapter.tasks).sent).toEqual([]);
    expect(conn.state).toBe('OPEN');
  });

  it('sends the ping every interval and stays OPEN while pongs come back, without passing them to onMessage', () => {
    const { conn, events, task } = openWithHeartbeat({ interval: 1000, timeout: 500 });
    vi.advanceTimersByTime(999);
    expect(task.sent).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(task.sent).toEqual(['ping']);
    task.emitMessage('pong');
    vi.advanceTimersByTime(500 + 1000);
    expect(task.sent).toEqual(['ping', 'ping']);
    task.emitMessage('pong');
    vi.advanceTimersByTime(500);
    expect(conn.state).toBe('OPEN');
    expect(events.message).toEqual([]);
    expect(events.error).toEqual([]);
  });

  it('counts any inbound message as a sign of life, and delivers it', () => {
    const { conn, events, task } = openWithHeartbeat({ interval: 1000, timeout: 500 });
    vi.advanceTimersByTime(1000);
    task.emitMessage('news');
    vi.advanceTimersByTime(500);
    expect(conn.state).toBe('OPEN');
    expect(events.message).toEqual([{ data: 'news' }]);
  });

  it('detects a half-open connection: ERR_HEARTBEAT_TIMEOUT when nothing arrives within the timeout, then a close', async () => {
    const { conn, events, task } = openWithHeartbeat({ interval: 1000, timeout: 500 });
    vi.advanceTimersByTime(1000 + 499);
    expect(conn.state).toBe('OPEN');
    vi.advanceTimersByTime(1);
    // Presumed dead: CLOSED at once, without waiting errorGrace for a close the dead link cannot carry.
    expect(conn.state).toBe('CLOSED');
    const error = only(events.error);
    expect(error.code).toBe('ERR_HEARTBEAT_TIMEOUT');
    expect(error.errMsg).toMatch(
      /^heartbeat timeout: nothing received within 500 ms of a ping; the connection is presumed dead$/,
    );
    expect(only(events.close)).toEqual({ code: 1006, reason: '' });
    expect(events.order).toEqual(['CONNECTING→OPEN', 'open', 'OPEN→CLOSED', 'error', 'close 1006']);
    // WeChat's task cannot be ended without a handshake: it is asked to close, and given up after closeTimeout.
    expect(task.readyState).toBe(2);
    await vi.runAllTimersAsync();
    expect(await conn.closed).toEqual({ code: 1006, reason: '' });
  });

  it('regression: ends a socket presumed dead by the heartbeat without a handshake where it can, and closed follows at once', async () => {
    vi.useFakeTimers();
    const adapter = fakeAdapter(wechatProfile, { abortable: true });
    const conn = createConnection({ url: URL, adapter, heartbeat: { interval: 1000, timeout: 500 } });
    const events = record(conn);
    const task = only(adapter.tasks);
    task.emitOpen();
    vi.advanceTimersByTime(1500);
    expect(conn.state).toBe('CLOSED');
    expect(task.log.filter((entry) => entry.kind === 'user' && entry.call !== 'send')).toEqual([
      { kind: 'user', call: 'abort', outcome: 'success' },
    ]);
    await vi.advanceTimersByTimeAsync(0);
    await expect(conn.closed).resolves.toEqual({ code: 1006, reason: '' });
    expect(vi.getTimerCount()).toBe(0);
    expect(only(events.close)).toEqual({ code: 1006, reason: '' });
  });

  it('does not declare a timeout when its timer fired late (a throttled background page): it pings again', () => {
    const { conn, events, task } = openWithHeartbeat({ interval: 1000, timeout: 500 });
    vi.advanceTimersByTime(1000);
    expect(task.sent).toEqual(['ping']);
    // The page was frozen: far more time passed than the timeout before the timer could run.
    freezeFor(60_000);
    vi.advanceTimersByTime(500);
    expect(conn.state).toBe('OPEN');
    expect(task.sent).toEqual(['ping', 'ping']);
    expect(events.error).toEqual([]);
    vi.advanceTimersByTime(500);
    expect(only(events.error).code).toBe('ERR_HEARTBEAT_TIMEOUT');
  });

  it.each([
    ['forward', 3_600_000],
    ['back', -3_600_000],
  ])(
    'declares the timeout on time when the wall clock steps %s an hour: a step is not a frozen page',
    (_, step) => {
      const { conn, events, task } = openWithHeartbeat({ interval: 1000, timeout: 500 });
      vi.advanceTimersByTime(1000);
      expect(task.sent).toEqual(['ping']);
      vi.setSystemTime(Date.now() + step);
      vi.advanceTimersByTime(500);
      expect(task.sent).toEqual(['ping']);
      expect(only(events.error).code).toBe('ERR_HEARTBEAT_TIMEOUT');
      expect(conn.state).toBe('CLOSED');
    },
  );

  it('sends the message a function makes, binary included, and recognises pongs with isPong', () => {
    let n = 0;
    const { conn, events, task } = openWithHeartbeat({
      interval: 100,
      timeout: 50,
      message: () => new Uint8Array([9, ++n]),
      isPong: (data) => typeof data !== 'string' && new Uint8Array(data)[0] === 10,
    });
    vi.advanceTimersByTime(100);
    task.emitMessage(new Uint8Array([10]).buffer);
    vi.advanceTimersByTime(50 + 100);
    expect(task.sent.map((d) => [...new Uint8Array(d as ArrayBuffer)])).toEqual([
      [9, 1],
      [9, 2],
    ]);
    expect(events.message).toEqual([]);
    expect(conn.state).toBe('OPEN');
  });

  it('delivers a message whose isPong throws, sends no ping when message() throws, and rethrows both errors', async () => {
    const { conn, events, task } = openWithHeartbeat({
      interval: 100,
      timeout: 50,
      message: () => {
        throw new Error('message bug');
      },
      isPong: () => {
        throw new Error('isPong bug');
      },
    });
    // After openWithHeartbeat, which installs the fake timers that rethrown errors go through.
    const rethrown = captureRethrown();
    task.emitMessage('hello');
    vi.advanceTimersByTime(100);
    await rethrown.flush();
    rethrown.restore();
    expect(events.message).toEqual([{ data: 'hello' }]);
    expect(task.sent).toEqual([]);
    expect(rethrown.errors).toEqual([new Error('isPong bug'), new Error('message bug')]);
    expect(conn.state).toBe('OPEN');
  });

  it('stops pinging once the connection is closing', () => {
    const { conn, task } = openWithHeartbeat({ interval: 1000, timeout: 500 });
    conn.close();
    vi.advanceTimersByTime(10_000);
    expect(task.sent).toEqual([]);
  });

  it.each([
    [{ interval: 0 }, /^createConnection\(\): heartbeat\.interval must be a finite number of ms > 0, got 0$/],
    [{ timeout: -5 }, /^createConnection\(\): heartbeat\.timeout must be a finite number of ms > 0, got -5$/],
    [
      { message: 42 },
      /^createConnection\(\): heartbeat\.message must be a string, an ArrayBuffer, a view or a function/,
    ],
    [{ isPong: 'pong' }, /^createConnection\(\): heartbeat\.isPong must be a function, got "pong"$/],
    [
      true,
      /^createConnection\(\): heartbeat must be an object such as \{ interval: 15000 \} or false, got true$/,
    ],
  ])('rejects heartbeat %j with ERR_INVALID_OPTIONS', (heartbeat, message) => {
    const adapter = fakeAdapter(wechatProfile);
    const error = thrown(() => createConnection({ url: URL, adapter, heartbeat: heartbeat as never }));
    expectError(error, 'ERR_INVALID_OPTIONS', message);
    expect(adapter.tasks).toHaveLength(0);
  });
});
