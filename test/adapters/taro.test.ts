import { afterEach, describe, expect, it, vi } from 'vitest';
import { WebSocket as WsWebSocket } from 'ws';
import { taroAdapter, taroH5Profile, taroProfile } from '../../src/adapters/taro.js';
import type { LifecycleSignal, MessageEvent } from '../../src/adapters/types.js';
import { SocketTaskError } from '../../src/errors.js';
import { withoutLifecycle } from '../fixtures/platforms/appLifecycle.js';
import { createFakeBrowserScope } from '../fixtures/platforms/browser.js';
import { createFakeTaro, type FakeTaroOptions, TARO_H5_LIMIT_ERROR } from '../fixtures/platforms/taro.js';
import { createTaroOverWx, createTaroWeapp, succeedingLate } from '../fixtures/platforms/taroMiniProgram.js';
import { createFakeWx } from '../fixtures/platforms/wechat.js';
import { closedPort } from '../fixtures/wsServer.js';
import { within } from '../helpers.js';
import { adapterLifecycleSuite } from './lifecycleSuite.js';
import { type AdapterSuiteEnv, adapterSuite, useAdapterHarness } from './suite.js';

const withFake =
  (runtime: FakeTaroOptions['runtime'], handOver?: FakeTaroOptions['handOver']) =>
  ({ WebSocket }: AdapterSuiteEnv) =>
    taroAdapter({ Taro: createFakeTaro({ WebSocket, runtime, ...(handOver ? { handOver } : {}) }) });

adapterSuite('taro (weapp)', withFake('weapp'), {
  limitError: /exceed max concurrent count/,
  lateTask: withFake('weapp', 'open'),
});
// Taro's real mini-program layer (processApis of @tarojs/shared) over the WeChat fake.
const overWx = ({ WebSocket }: AdapterSuiteEnv) => taroAdapter({ Taro: createTaroWeapp({ WebSocket }).Taro });
adapterSuite('taro (weapp, processApis over wx)', overWx, {
  limitError: /exceed max cocurrent count/,
  lateTask: ({ WebSocket }) =>
    taroAdapter({ Taro: createTaroOverWx(succeedingLate(createFakeWx({ WebSocket }))).Taro }),
});
adapterSuite('taro (h5)', withFake('h5'), { limitError: /同时最多发起 5 个 socket 请求/ });

describe('taroAdapter', () => {
  it.each([
    [
      undefined,
      /^taroAdapter\(\): Taro must be the default export of @tarojs\/taro, got undefined; pass it as taroAdapter\(\{ Taro \}\)$/,
    ],
    [
      {},
      /^taroAdapter\(\): Taro\.connectSocket must be a function, got undefined; pass the default export of @tarojs\/taro, from Taro 1\.0\.0 or later$/,
    ],
  ])('throws ERR_INVALID_ADAPTER for Taro = %o', (Taro, message) => {
    const attempt = () => taroAdapter({ Taro: Taro as never });
    expect(attempt).toThrow(SocketTaskError);
    expect(attempt).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ADAPTER' }));
    expect(attempt).toThrow(message);
  });

  it.each([
    ['WEB', taroH5Profile],
    ['WEAPP', taroProfile],
    ['ALIPAY', taroProfile],
  ])("takes the profile of the build Taro.getEnv() names: '%s'", (env, profile) => {
    const Taro = { getEnv: () => env, connectSocket: () => new Promise<never>(() => {}) };
    expect(taroAdapter({ Taro }).profile).toBe(profile);
  });

  it('takes the mini-program profile when Taro has no getEnv', () => {
    expect(taroAdapter({ Taro: { connectSocket: () => new Promise<never>(() => {}) } }).profile).toBe(
      taroProfile,
    );
  });
});

describe('taroAdapter on a mini-program build (weapp)', () => {
  const { env, connect } = useAdapterHarness(withFake('weapp'));

  it.each([
    ['the hand-written Taro fake', (e: AdapterSuiteEnv) => withFake('weapp', 'open')(e)],
    [
      'processApis over wx',
      (e: AdapterSuiteEnv) => taroAdapter({ Taro: createTaroOverWx(succeedingLate(createFakeWx(e))).Taro }),
    ],
  ])(
    'reports an error then close 1006, and no open, for a task handed over already closed (%s)',
    async (_, late) => {
      const probe = connect({ url: `ws://127.0.0.1:${await closedPort()}`, adapter: late(env) });
      expect(await within(probe.conn.closed, 'closed')).toEqual({ code: 1006, reason: '' });
      expect(probe.opens).toEqual([]);
      expect(probe.log).toEqual(['error', 'close']);
      expect(probe.errors[0]?.errMsg).toMatch(
        /^the SocketTask closed before Taro\.connectSocket\(\) resolved with it/,
      );
    },
  );
});

describe("taroAdapter over Taro's real mini-program layer (processApis of @tarojs/shared over wx)", () => {
  const { env, serve, connect } = useAdapterHarness(overWx);

  it("receives the task only after wx reported success, with Taro's copy of the success result on it", async () => {
    const server = await serve();
    const { Taro, wx } = createTaroWeapp(env);
    const adapter = taroAdapter({ Taro });
    const errMsg = () => (wx.tasks[0] as { errMsg?: unknown } | undefined)?.errMsg;
    const seen: unknown[] = [];
    const probe = connect({
      url: server.url,
      adapter: {
        ...adapter,
        connect(target) {
          const task = adapter.connect(target);
          seen.push(task instanceof Promise, wx.tasks.length, errMsg());
          Promise.resolve(task).then(() => seen.push(errMsg()));
          return task;
        },
      },
    });
    await within(probe.opened, 'open');
    expect(seen).toEqual([true, 1, undefined, 'connectSocket:ok']);
  });

  it('reports a connect call that fails (over the limit) as an error naming the platform text, then close 1006', async () => {
    const server = await serve();
    const { Taro } = createTaroWeapp(env);
    const first = taroAdapter({ Taro });
    // Separate adapters over one Taro: none of them counts the others' sockets, so the platform must refuse.
    for (let i = 0; i < 2; i += 1) {
      await within(connect({ url: server.url, adapter: { ...first } }).opened, 'open');
    }
    const extra = connect({ url: server.url, adapter: { ...first }, errorGrace: 10 });
    expect(await within(extra.conn.closed, 'closed')).toEqual({ code: 1006, reason: '' });
    expect(extra.log).toEqual(['error', 'close']);
    expect(extra.errors[0]).toMatchObject({
      code: 'ERR_PLATFORM',
      errMsg: expect.stringMatching(/exceed max cocurrent count/),
    });
    expect(server.connections).toHaveLength(2);
  });

  it('absorbs the rejection of the Promise processApis makes of Taro.getNetworkType when the platform calls fail', async () => {
    const wx = createFakeWx(env);
    const failing = {
      ...wx,
      getNetworkType({ fail }: { fail?: (result: unknown) => void }) {
        queueMicrotask(() =>
          fail?.({ errMsg: 'getNetworkType:fail network api interrupted in suspend state' }),
        );
      },
    } as unknown as typeof wx;
    const { Taro } = createTaroOverWx(failing);
    const unhandled: unknown[] = [];
    const record = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', record);
    try {
      const signals: LifecycleSignal[] = [];
      const unsubscribe = taroAdapter({ Taro }).lifecycle?.subscribe((signal) => signals.push(signal));
      // Node reports an unhandled rejection once the turn that left it has ended.
      for (let i = 0; i < 2; i += 1) await new Promise((resolve) => setImmediate(resolve));
      unsubscribe?.();
      expect(unhandled).toEqual([]);
      expect(signals).toEqual([]);
    } finally {
      process.off('unhandledRejection', record);
    }
  });
});

describe('taroAdapter on H5', () => {
  const { env, serve, connect, open } = useAdapterHarness(withFake('h5'));

  /** Collects the next `count` messages of a connection, in arrival order. */
  const messages = (
    conn: { onMessage(listener: (event: MessageEvent) => void): () => void },
    count: number,
  ) =>
    within(
      new Promise<Array<string | number[]>>((resolve) => {
        const seen: Array<string | number[]> = [];
        const off = conn.onMessage(({ data }) => {
          seen.push(typeof data === 'string' ? data : [...new Uint8Array(data)]);
          if (seen.length === count) {
            off();
            resolve(seen);
          }
        });
      }),
      `${count} messages`,
    );

  it('converts Blobs to ArrayBuffers without letting a text message, or the close, overtake them', async () => {
    const server = await serve({
      onConnection: ({ socket }) => {
        socket.on('message', () => {
          socket.send(Buffer.from([1, 2, 3]));
          socket.send('after one binary');
          socket.send(Buffer.alloc(64 * 1024, 7));
          socket.send(Buffer.from([4]));
          socket.send('last');
          socket.close(4000, 'done');
        });
      },
    });
    const Taro = createFakeTaro({ ...env, runtime: 'h5' });
    const probe = await open(server, { adapter: taroAdapter({ Taro }) });
    const order: string[] = [];
    probe.conn.onMessage(({ data }) => order.push(typeof data === 'string' ? 'text' : 'binary'));
    probe.conn.onClose(() => order.push('close'));
    const received = messages(probe.conn, 5);
    await probe.conn.send('go');

    const [first, second, third, fourth, fifth] = await received;
    expect([first, second, fourth, fifth]).toEqual([[1, 2, 3], 'after one binary', [4], 'last']);
    expect(third).toEqual(Array(64 * 1024).fill(7));
    expect(await within(probe.conn.closed, 'closed')).toEqual({ code: 4000, reason: 'done' });
    expect(order).toEqual(['binary', 'text', 'binary', 'binary', 'text', 'close']);
  });

  it('reports the real close code from task.ws, not the 1006 Taro H5 fabricates', async () => {
    const server = await serve({});
    const Taro = createFakeTaro({ ...env, runtime: 'h5' });
    const probe = await open(server, { adapter: taroAdapter({ Taro }) });
    probe.peer.socket.close(4002, 'server bye');

    expect(await within(probe.conn.closed, 'closed')).toEqual({ code: 4002, reason: 'server bye' });
    expect(Taro.reportedCloses).toEqual([{ code: 1006, reason: 'abnormal closure' }]);
  });

  it("sends the close code Taro H5's own close never passes to the socket", async () => {
    const server = await serve({});
    const Taro = createFakeTaro({ ...env, runtime: 'h5' });
    const raw = await Taro.connectSocket({ url: server.url });
    await within(new Promise((resolve) => raw.onOpen(resolve)), 'raw open');
    raw.close({ code: 4001, reason: 'raw' });
    expect(await within((await server.connection(0)).closed, 'raw close')).toEqual({
      code: 1005,
      reason: '',
    });

    const probe = await open(server, { adapter: taroAdapter({ Taro }) });
    await within(probe.conn.close({ code: 4001, reason: 'bye' }), 'close');
    expect(await within(probe.peer.closed, 'server close')).toEqual({ code: 4001, reason: 'bye' });
  });

  it('keeps Taro H5 from leaking its connection count when handshakes fail', async () => {
    const url = `ws://127.0.0.1:${await closedPort()}`;
    const server = await serve();
    const Taro = createFakeTaro({ ...env, runtime: 'h5' });

    // Used raw, with only onError registered, five failed sockets exhaust the count for good.
    for (let i = 0; i < 5; i++) {
      const task = await Taro.connectSocket({ url });
      await within(new Promise((resolve) => task.onError(resolve)), 'raw error');
    }
    await expect(Taro.connectSocket({ url: server.url })).rejects.toEqual({ errMsg: TARO_H5_LIMIT_ERROR });

    const fresh = createFakeTaro({ ...env, runtime: 'h5' });
    for (let i = 0; i < 6; i++) {
      const probe = connect({ url, adapter: taroAdapter({ Taro: fresh }) });
      expect(await within(probe.conn.closed, 'closed')).toEqual({ code: 1006, reason: '' });
    }
    const { conn } = await open(server, { adapter: taroAdapter({ Taro: fresh }) });
    expect(conn.state).toBe('OPEN');
  });

  it('reports a send outside OPEN through fail once, swallowing the rejected Promise Taro H5 returns', async () => {
    const server = await serve();
    const task = await taroAdapter({ Taro: createFakeTaro({ ...env, runtime: 'h5' }) }).connect({
      url: server.url,
    });
    const calls: unknown[] = [];
    task.send({
      data: 'too early',
      fail: (error) => calls.push(error),
      complete: () => calls.push('complete'),
    });
    expect(calls).toEqual([{ errMsg: 'SocketTask.send:fail SocketTask.readState is not OPEN' }, 'complete']);
    await within(
      new Promise<void>((resolve) => {
        task.onOpen(() => task.close({}));
        task.onClose(() => resolve());
      }),
      'open and close',
    );
  });

  it('fans each event out to every listener although Taro H5 keeps only the last registration', async () => {
    const server = await serve();
    const Taro = createFakeTaro({ ...env, runtime: 'h5' });
    const raw = await Taro.connectSocket({ url: server.url });
    const rawCalls: string[] = [];
    raw.onOpen(() => rawCalls.push('first'));
    raw.onOpen(() => rawCalls.push('second'));
    await within(new Promise((resolve) => raw.ws?.addEventListener('open', resolve)), 'raw open');
    expect(rawCalls).toEqual(['second']);
    raw.close({});

    const probe = await open(server, { adapter: taroAdapter({ Taro }) });
    const replies = [probe.nextMessage(), probe.nextMessage()];
    await probe.conn.send('to both');
    expect(await Promise.all(replies)).toEqual([{ data: 'to both' }, { data: 'to both' }]);
  });
});

adapterLifecycleSuite('taro (weapp)', {
  platform: (env) => {
    const Taro = createFakeTaro({ ...env, runtime: 'weapp' });
    return { adapter: () => taroAdapter({ Taro }), device: Taro.device };
  },
  bare: (env) => taroAdapter({ Taro: withoutLifecycle(createFakeTaro({ ...env, runtime: 'weapp' })) }),
});

adapterLifecycleSuite('taro (weapp, processApis over wx)', {
  platform: (env) => {
    const { Taro, wx } = createTaroWeapp(env);
    return { adapter: () => taroAdapter({ Taro }), device: wx.device };
  },
  bare: (env) =>
    taroAdapter({
      Taro: createTaroOverWx(withoutLifecycle(createFakeWx(env)) as ReturnType<typeof createFakeWx>).Taro,
    }),
});

describe('taroAdapter: lifecycle on H5', () => {
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  it("uses the browser's online, offline and visibilitychange, not Taro's own functions, where getEnv() is 'WEB'", () => {
    const browser = createFakeBrowserScope();
    for (const [name, value] of Object.entries(browser.window)) vi.stubGlobal(name, value);
    const Taro = createFakeTaro({ WebSocket: WsWebSocket, runtime: 'h5' });
    const signals: LifecycleSignal[] = [];
    const unsubscribe = taroAdapter({ Taro }).lifecycle?.subscribe((signal) => signals.push(signal));
    browser.hide();
    browser.goOffline();
    Taro.device.show();
    expect(signals).toEqual(['background', 'offline']);
    expect(Taro.device.listenerCount('appShow')).toBe(0);
    unsubscribe?.();
    expect(browser.listenerCount('visibilitychange')).toBe(0);
  });

  it("falls back to Taro's onAppShow, onAppHide and onNetworkStatusChange on H5 when the global scope is no browser's", () => {
    const Taro = createFakeTaro({ WebSocket: WsWebSocket, runtime: 'h5' });
    const signals: LifecycleSignal[] = [];
    const unsubscribe = taroAdapter({ Taro }).lifecycle?.subscribe((signal) => signals.push(signal));
    Taro.device.hide();
    Taro.device.show();
    expect(signals).toEqual(['background', 'foreground']);
    unsubscribe?.();
  });
});
