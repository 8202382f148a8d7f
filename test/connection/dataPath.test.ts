// The allocation-free send(): a task with write() (a platform that writes synchronously) while OPEN.
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer, WebSocket as WsWebSocket } from 'ws';
import { nodeAdapter } from '../../src/adapters/node.js';
import type { ConnectOptions, SocketTaskLike } from '../../src/adapters/types.js';
import { type WebSocketConstructor, webAdapter } from '../../src/adapters/web.js';
import { type Connection, createConnection } from '../../src/connection/createConnection.js';
import { SocketTaskError } from '../../src/errors.js';
import { FakeSocketTask, fakeAdapter, wechatProfile } from '../fixtures/fakeSocketTask.js';

/** A fake platform task that also writes synchronously, as a WebSocket does. */
class WritingTask extends FakeSocketTask {
  readonly written: Array<string | ArrayBuffer> = [];
  failWith: Error | undefined;

  write(data: string | ArrayBuffer): void {
    if (this.failWith) throw this.failWith;
    if (this.readyState !== 1) throw new Error('not open');
    this.written.push(data);
  }
}

function writingAdapter() {
  const adapter = fakeAdapter(wechatProfile);
  const tasks: WritingTask[] = [];
  return {
    tasks,
    adapter: {
      ...adapter,
      connect(target: Parameters<typeof adapter.connect>[0]): SocketTaskLike {
        const task = new WritingTask(target, wechatProfile);
        tasks.push(task);
        return task;
      },
    },
  };
}

/** Closes the connection the way the platform would: the task completes its close at once. */
async function end(conn: Connection, task: FakeSocketTask | undefined): Promise<void> {
  const closing = conn.close();
  task?.completeClose();
  await closing;
}

describe('send() on a task that writes synchronously', () => {
  it('writes through write() and returns the same settled Promise for every callback-free send while OPEN', async () => {
    const { adapter, tasks } = writingAdapter();
    const conn = createConnection({ url: 'wss://example.test/socket', adapter });
    tasks[0]?.emitOpen();
    const first = conn.send('one');
    const second = conn.send(new TextEncoder().encode('two').buffer);
    expect(second).toBe(first);
    await expect(first).resolves.toBeUndefined();
    expect(tasks[0]?.written).toEqual(['one', new TextEncoder().encode('two').buffer]);
    expect(tasks[0]?.sent).toEqual([]);
    await end(conn, tasks[0]);
  });

  it('rejects that one send with ERR_PLATFORM carrying the thrown error as cause when write() throws', async () => {
    const { adapter, tasks } = writingAdapter();
    const conn = createConnection({ url: 'wss://example.test/socket', adapter });
    const task = tasks[0] as WritingTask;
    task.emitOpen();
    const boom = new Error('socket buffer full');
    task.failWith = boom;
    const error = await conn.send('lost').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SocketTaskError);
    expect(error).toMatchObject({ code: 'ERR_PLATFORM', cause: boom });
    expect((error as Error).message).toMatch(/socket buffer full/);
    task.failWith = undefined;
    await expect(conn.send('next')).resolves.toBeUndefined();
    expect(task.written).toEqual(['next']);
    await end(conn, tasks[0]);
  });

  it('queues a send made while the queue is being written behind it, so the order holds', async () => {
    const { adapter, tasks } = writingAdapter();
    const conn = createConnection({ url: 'wss://example.test/socket', adapter });
    conn.send('q1', { success: () => void conn.send('from-callback') });
    void conn.send('q2');
    void conn.send('q3');
    tasks[0]?.emitOpen();
    expect(tasks[0]?.written).toEqual(['q1', 'q2', 'q3', 'from-callback']);
    await end(conn, tasks[0]);
  });

  it('uses send() and its callbacks, not write(), when callbacks are given', async () => {
    const { adapter, tasks } = writingAdapter();
    const conn = createConnection({ url: 'wss://example.test/socket', adapter });
    tasks[0]?.emitOpen();
    const outcome = await new Promise((resolve) => conn.send('cb', { success: () => resolve('success') }));
    expect(outcome).toBe('success');
    expect(tasks[0]?.written).toEqual(['cb']);
    await end(conn, tasks[0]);
  });
});

describe('write() of the Node and web adapters', () => {
  let server: WebSocketServer | undefined;
  afterEach(async () => {
    await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined));
    server = undefined;
  });

  it.each([
    ['node', () => nodeAdapter()],
    ['web', () => webAdapter({ WebSocket: WsWebSocket as unknown as WebSocketConstructor })],
  ] as const)('%s: throws while CONNECTING, writes once OPEN, in order', async (_name, make) => {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    server = wss;
    await new Promise((resolve) => wss.once('listening', resolve));
    const received: string[] = [];
    const three = new Promise<void>((resolve) =>
      wss.on('connection', (ws) =>
        ws.on('message', (data) => {
          received.push(data.toString());
          if (received.length === 3) resolve();
        }),
      ),
    );
    const { port } = wss.address() as { port: number };
    const task = (await make().connect({ url: `ws://127.0.0.1:${port}` })) as SocketTaskLike;
    expect(() => task.write?.('early')).toThrow(/not open/);
    await new Promise<void>((resolve) => task.onOpen(() => resolve()));
    task.write?.('a');
    task.write?.('b');
    task.write?.('c');
    await three;
    expect(received).toEqual(['a', 'b', 'c']);
    const closed = new Promise<void>((resolve) => task.onClose(() => resolve()));
    task.close({ code: 1000 });
    await closed;
    expect(() => task.write?.('late')).toThrow(/not open/);
  });
});

/** A mini-program task whose `success` comes only when the test says the platform sent the bytes. */
class SlowTask extends FakeSocketTask {
  readonly pending: Array<() => void> = [];

  override send(options: Parameters<FakeSocketTask['send']>[0]): void {
    if (this.readyState !== 1) {
      super.send(options);
      return;
    }
    this.sent.push(options.data);
    this.pending.push(() => {
      options.success?.(undefined);
      options.complete?.();
    });
  }

  /** The platform answers the oldest `n` sends. */
  answer(n = 1): void {
    for (const done of this.pending.splice(0, n)) done();
  }
}

describe('backpressure on a platform without bufferedAmount (the mini-programs)', () => {
  function start(options: { highWaterMark: number; queue?: false }) {
    const tasks: SlowTask[] = [];
    const adapter = {
      ...fakeAdapter(wechatProfile),
      connect(target: ConnectOptions) {
        const task = new SlowTask(target, wechatProfile);
        tasks.push(task);
        return task;
      },
    };
    const conn = createConnection({ url: 'wss://example.test/socket', adapter, ...options });
    return { conn, tasks };
  }
  const flushTurns = async () => {
    for (let i = 0; i < 5; i++) await Promise.resolve();
  };

  it('counts the bytes of unanswered sends, queues at the mark, and writes in order as the platform answers', async () => {
    const { conn, tasks } = start({ highWaterMark: 10 });
    const task = tasks[0] as SlowTask;
    task.emitOpen();
    const drains: number[] = [];
    conn.onDrain(() => drains.push(conn.bufferedAmount));
    const outcomes: string[] = [];
    for (const text of ['aaaa', 'bbbb', 'cccc', 'dddd']) conn.send(text).then(() => outcomes.push(text));
    // 12 bytes handed over reach the mark of 10: the fourth send waits in the queue.
    expect(conn.bufferedAmount).toBe(12);
    expect(task.sent).toEqual(['aaaa', 'bbbb', 'cccc']);
    expect(conn.queue).toEqual({ messages: 1, bytes: 4 });

    task.answer(1);
    await flushTurns();
    expect(outcomes).toEqual(['aaaa']);
    expect(task.sent).toEqual(['aaaa', 'bbbb', 'cccc', 'dddd']);
    expect(conn.queue).toEqual({ messages: 0, bytes: 0 });
    expect(drains).toEqual([12]);
    expect(conn.bufferedAmount).toBe(12);

    task.answer(3);
    await flushTurns();
    expect(outcomes).toEqual(['aaaa', 'bbbb', 'cccc', 'dddd']);
    expect(conn.bufferedAmount).toBe(0);
    task.emitClose(1000, '');
  });

  it('fails a send at the mark with ERR_QUEUE_FULL under queue: false, and reports it to onSendError', async () => {
    const { conn, tasks } = start({ highWaterMark: 4, queue: false });
    const task = tasks[0] as SlowTask;
    task.emitOpen();
    const reported: string[] = [];
    conn.onSendError((error) => reported.push(error.code));
    await Promise.race([conn.send('aaaa'), flushTurns()]);
    await expect(conn.send('bbbb')).rejects.toMatchObject({
      code: 'ERR_QUEUE_FULL',
      message: expect.stringMatching(/highWaterMark \(4\).*wait for onDrain/),
    });
    expect(reported).toEqual(['ERR_QUEUE_FULL']);
    task.answer(1);
    await flushTurns();
    const third = conn.send('cccc');
    expect(task.sent).toEqual(['aaaa', 'cccc']);
    task.answer(1);
    await third;
    task.emitClose(1000, '');
  });

  it('fails the sends still unanswered when the socket closes, and counts nothing after', async () => {
    const { conn, tasks } = start({ highWaterMark: 100 });
    const task = tasks[0] as SlowTask;
    task.emitOpen();
    const sent = conn.send('aaaa');
    expect(conn.bufferedAmount).toBe(4);
    task.emitClose(1006, '');
    await expect(sent).rejects.toMatchObject({ code: 'ERR_PLATFORM' });
    expect(conn.bufferedAmount).toBe(0);
    // The platform's late answer changes nothing.
    task.answer(1);
    expect(conn.bufferedAmount).toBe(0);
  });
});
