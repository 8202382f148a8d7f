// The defects the fuzz suites found, one test each, so that none can come back unnoticed.
import { runInNewContext } from 'node:vm';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { nodeAdapter } from '../../src/adapters/node.js';
import { taroAdapter } from '../../src/adapters/taro.js';
import type { SocketAdapter } from '../../src/adapters/types.js';
import { uniAdapter } from '../../src/adapters/uni-app.js';
import { webAdapter } from '../../src/adapters/web.js';
import { wechatAdapter, wechatLegacyAdapter } from '../../src/adapters/wechat.js';
import { createConnection } from '../../src/connection/createConnection.js';
import { fakeAdapter, wechatProfile } from '../fixtures/fakeSocketTask.js';
import { captureRethrown } from '../fixtures/rethrown.js';
import { flush, record, thrown } from '../helpers.js';
import { NativePlatform } from './nativePlatform.js';

const URL = 'wss://example.test/socket';
/** The longest delay setTimeout takes as asked. */
const MAX_DELAY = 2 ** 31 - 1;

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

function detached<T extends ArrayBufferView | ArrayBuffer>(data: T): T {
  const buffer = ArrayBuffer.isView(data) ? data.buffer : data;
  structuredClone(buffer, { transfer: [buffer as ArrayBuffer] });
  return data;
}

describe('timers', () => {
  it.each([
    ['connectTimeout', { connectTimeout: MAX_DELAY + 1 }],
    ['errorGrace', { errorGrace: 3e9 }],
    ['closeTimeout', { closeTimeout: 2 ** 32 }],
    ['heartbeat.interval', { heartbeat: { interval: 2 ** 31 } }],
    ['heartbeat.timeout', { heartbeat: { timeout: 1e10 } }],
    ['reconnect.initialDelay', { reconnect: { initialDelay: 2 ** 31, maxDelay: 2 ** 32 } }],
    ['reconnect.maxDelay', { reconnect: { maxDelay: 2 ** 31 } }],
    ['reconnect.stableAfter', { reconnect: { stableAfter: 2 ** 31 } }],
    ['queue.ttl', { queue: { ttl: 2 ** 31 } }],
  ])(
    'regression: refuses a %s longer than a timer can wait, which setTimeout would run after 1 ms',
    (name, options) => {
      const adapter = fakeAdapter();
      const error = thrown(() => createConnection({ url: URL, adapter, ...options }));
      expect(error.code).toBe('ERR_INVALID_OPTIONS');
      expect(error.message).toMatch(
        new RegExp(
          `^createConnection\\(\\): ${name.replace('.', '\\.')} must be at most 2147483647 ms \\(about 24\\.8 days\\)`,
        ),
      );
      expect(adapter.tasks).toHaveLength(0);
    },
  );

  it('accepts the longest delay a timer can wait, and waits it', async () => {
    vi.useFakeTimers();
    const adapter = fakeAdapter();
    const conn = createConnection({
      url: URL,
      adapter,
      connectTimeout: MAX_DELAY,
      queue: { ttl: MAX_DELAY },
    });
    conn.send('waits').catch(() => {});
    await vi.advanceTimersByTimeAsync(1000);
    expect(conn.state).toBe('CONNECTING');
    expect(conn.queue.messages).toBe(1);
    conn.close();
  });

  it('regression: wechatLegacyAdapter refuses a releaseTimeout longer than a timer can wait', () => {
    const wx = new NativePlatform({ connect: 'task' });
    const error = thrown(() => wechatLegacyAdapter({ wx: wx as never, releaseTimeout: 2 ** 31 }));
    expect(error.code).toBe('ERR_INVALID_ADAPTER');
    expect(error.message).toMatch(/^wechatLegacyAdapter\(\): releaseTimeout must be at most 2147483647 ms/);
  });
});

describe('send(data) with data that is not what it claims', () => {
  const open = () => {
    const adapter = fakeAdapter();
    const conn = createConnection({ url: URL, adapter });
    return { adapter, conn };
  };

  it.each([
    ['a detached ArrayBuffer', () => detached(new ArrayBuffer(8))],
    ['a Uint8Array over a detached buffer', () => detached(new Uint8Array(8))],
    ['a DataView over a detached buffer', () => detached(new DataView(new ArrayBuffer(8)))],
  ])(
    'regression: refuses %s with ERR_INVALID_DATA, queued or not, instead of a raw TypeError',
    async (_, make) => {
      const { adapter, conn } = open();
      const message = /^send\(\): data is a detached \(transferred\) buffer, which has no bytes left; /;
      await expect(conn.send(make())).rejects.toMatchObject({
        code: 'ERR_INVALID_DATA',
        message: expect.stringMatching(message),
      });
      adapter.tasks[0]?.emitOpen();
      await expect(conn.send(make())).rejects.toMatchObject({ code: 'ERR_INVALID_DATA' });
      const fail = vi.fn();
      conn.send(make(), { fail });
      await flush();
      expect(fail.mock.calls[0]?.[0]).toMatchObject({ code: 'ERR_INVALID_DATA' });
      expect(adapter.tasks[0]?.sent).toEqual([]);
    },
  );

  it('regression: refuses an object that only inherits from ArrayBuffer.prototype, instead of a raw TypeError', async () => {
    const { conn } = open();
    await expect(conn.send(Object.create(ArrayBuffer.prototype))).rejects.toMatchObject({
      code: 'ERR_INVALID_DATA',
      message: expect.stringMatching(
        /^send\(\): data inherits from ArrayBuffer\.prototype but is not an ArrayBuffer/,
      ),
    });
  });

  it('regression: refuses a Proxy, even a revoked one, with ERR_INVALID_DATA', async () => {
    const { conn } = open();
    const { proxy, revoke } = Proxy.revocable({}, {});
    revoke();
    await expect(conn.send(proxy as never)).rejects.toMatchObject({
      code: 'ERR_INVALID_DATA',
      message: expect.stringMatching(/got a revoked proxy;/),
    });
    const trap = () => {
      throw new Error('trap');
    };
    const hostile = new Proxy({}, { get: trap, getPrototypeOf: trap });
    await expect(conn.send(hostile as never)).rejects.toMatchObject({ code: 'ERR_INVALID_DATA' });
  });

  it('regression: sends an ArrayBuffer of another realm (a vm context) whole, as any ArrayBuffer', async () => {
    const { adapter, conn } = open();
    const foreign = runInNewContext('new Uint8Array([1, 2, 3]).buffer') as ArrayBuffer;
    expect(foreign instanceof ArrayBuffer).toBe(false);
    const sending = conn.send(foreign);
    adapter.tasks[0]?.emitOpen();
    await sending;
    expect([...new Uint8Array(adapter.tasks[0]?.sent[0] as ArrayBuffer)]).toEqual([1, 2, 3]);
  });
});

describe('send(data, callbacks) and close(options) with callbacks that cannot be read', () => {
  it('regression: send(data, callbacks) with a callbacks object whose getter throws gives ERR_INVALID_CALLBACK with the cause, not a raw error', () => {
    const conn = createConnection({ url: URL, adapter: fakeAdapter() });
    const callbacks = {
      get success(): never {
        throw new Error('getter bug');
      },
    };
    const error = thrown(() => conn.send('x', callbacks as never));
    expect(error.code).toBe('ERR_INVALID_CALLBACK');
    expect(error.message).toBe('send(): reading success threw; pass plain functions');
    expect(error.cause).toEqual(new Error('getter bug'));
    conn.close();
  });

  it('regression: send(data, callbacks) with a Proxy as callbacks gives ERR_INVALID_CALLBACK', () => {
    const conn = createConnection({ url: URL, adapter: fakeAdapter() });
    const trap = () => {
      throw new Error('trap');
    };
    expect(thrown(() => conn.send('x', new Proxy({}, { get: trap }) as never)).code).toBe(
      'ERR_INVALID_CALLBACK',
    );
    expect(thrown(() => conn.close(new Proxy({}, { get: trap }) as never)).code).toBe('ERR_INVALID_CALLBACK');
    conn.close();
  });

  it('regression: a callback getter that answers a function when checked, then something else, is refused at once, not called', async () => {
    const conn = createConnection({ url: URL, adapter: fakeAdapter() });
    const rethrown = captureRethrown();
    let reads = 0;
    const callbacks = {
      get success() {
        reads++;
        return reads === 1 ? () => {} : 5;
      },
    };
    const error = thrown(() => conn.send('x', callbacks as never));
    expect(error.code).toBe('ERR_INVALID_CALLBACK');
    expect(error.message).toBe('callbacks: success must be a function, got 5');
    await rethrown.flush();
    expect(rethrown.errors).toEqual([]);
    conn.close();
  });
});

describe('adapters given to createConnection', () => {
  const base = { profile: wechatProfile, connect: () => fakeAdapter().connect({ url: URL }) };

  it.each([
    [
      'a symbol as name',
      { ...base, name: Symbol('x') },
      /^createConnection\(\): adapter\.name must be a string, got a symbol$/,
    ],
    [
      'an object without toString as name',
      { ...base, name: Object.create(null) },
      /^createConnection\(\): adapter\.name must be a string, got an object$/,
    ],
    [
      'a symbol as profile.maxConcurrent',
      { ...base, name: 'x', profile: { ...wechatProfile, maxConcurrent: Symbol('x') } },
      /^createConnection\(\): adapter x has profile\.maxConcurrent a symbol; use a number, or Infinity$/,
    ],
    [
      'a lifecycle without subscribe',
      { ...base, name: 'x', lifecycle: {} },
      /^createConnection\(\): adapter x has a lifecycle without subscribe\(listener\), got an object; /,
    ],
  ])(
    'regression: refuses an adapter with %s with ERR_INVALID_ADAPTER, not a raw TypeError',
    (_, adapter, message) => {
      const error = thrown(() => createConnection({ url: URL, adapter: adapter as never }));
      expect(error.code).toBe('ERR_INVALID_ADAPTER');
      expect(error.message).toMatch(message);
    },
  );
});

describe('adapter factories', () => {
  const trap = () => {
    throw new Error('trap');
  };

  it.each([
    ['wechatAdapter', () => wechatAdapter(new Proxy({}, { get: trap }) as never)],
    ['wechatAdapter', () => wechatAdapter({ wx: new Proxy({}, { get: trap }) } as never)],
    ['wechatLegacyAdapter', () => wechatLegacyAdapter({ wx: new Proxy({}, { get: trap }) } as never)],
    ['uniAdapter', () => uniAdapter({ uni: new Proxy({}, { get: trap }) } as never)],
    ['taroAdapter', () => taroAdapter({ Taro: new Proxy({}, { get: trap }) } as never)],
    ['webAdapter', () => webAdapter(new Proxy({}, { get: trap }) as never)],
    ['nodeAdapter', () => nodeAdapter(new Proxy({}, { get: trap }) as never)],
  ])('regression: %s given a Proxy that throws gives ERR_INVALID_ADAPTER with the cause', (factory, make) => {
    const error = thrown(make);
    expect(error.code).toBe('ERR_INVALID_ADAPTER');
    expect(error.message).toBe(
      `${factory}(): reading the platform object threw; pass the platform's own object`,
    );
    expect(error.cause).toEqual(new Error('trap'));
  });

  it.each([
    ['webAdapter', () => webAdapter(null as never)],
    ['nodeAdapter', () => nodeAdapter(null as never)],
    ['webAdapter', () => webAdapter('WebSocket' as never)],
  ])(
    'regression: %s given options that are not an object gives ERR_INVALID_ADAPTER, not a raw TypeError',
    (factory, make) => {
      const error = thrown(make);
      expect(error.code).toBe('ERR_INVALID_ADAPTER');
      expect(error.message).toMatch(
        new RegExp(`^${factory}\\(\\): options must be an object such as \\{ WebSocket \\}, got `),
      );
    },
  );

  it('regression: taroAdapter whose Taro.getEnv throws gives ERR_INVALID_ADAPTER with the cause', () => {
    const error = thrown(() =>
      taroAdapter({
        Taro: {
          getEnv: () => {
            throw new Error('no env');
          },
          connectSocket: () => new Promise<never>(() => {}),
        },
      }),
    );
    expect(error.code).toBe('ERR_INVALID_ADAPTER');
    expect(error.message).toBe('taroAdapter(): Taro.getEnv() threw; pass the default export of @tarojs/taro');
  });

  it('regression: webAdapter whose WebSocket makes no WebSocket reports ERR_PLATFORM and close 1006, not a TypeError', async () => {
    const adapter = webAdapter({ WebSocket: class {} as never });
    const conn = createConnection({ url: URL, adapter });
    const events = record(conn);
    await expect(conn.closed).resolves.toEqual({ code: 1006, reason: '' });
    expect(events.error).toHaveLength(1);
    expect(events.error[0]?.code).toBe('ERR_PLATFORM');
    expect(events.error[0]?.errMsg).toMatch(
      /without send, close and addEventListener; pass a WHATWG WebSocket class$/,
    );
  });
});

describe('platform payloads that cannot be normalized', () => {
  const wechat = () => {
    const wx = new NativePlatform({ connect: 'task' });
    const conn = createConnection({ url: URL, adapter: wechatAdapter({ wx: wx as never }) });
    return { wx, conn, events: record(conn), task: () => wx.tasks[0] as NonNullable<(typeof wx.tasks)[0]> };
  };

  it('regression: an open whose header holds a value without toString still opens the connection (that value left out)', () => {
    const { conn, events, task } = wechat();
    expect(() => task().emit('open', { header: { a: Object.create(null), b: 1, c: 'x' } })).not.toThrow();
    expect(conn.state).toBe('OPEN');
    expect(events.open).toEqual([{ header: { b: '1', c: 'x' } }]);
    conn.close();
  });

  it('regression: keeps a response header named "__proto__" as a header', () => {
    const { conn, events, task } = wechat();
    task().emit('open', { header: JSON.parse('{ "__proto__": "x" }') });
    expect(Object.entries(events.open[0]?.header ?? {})).toEqual([['__proto__', 'x']]);
    conn.close();
  });

  it('regression: a close code that is not 16 bits is reported as 1005 (no status)', async () => {
    const { conn, events, task } = wechat();
    task().emit('open', {});
    task().emit('close', { code: 70_000, reason: 'x' });
    await conn.closed;
    expect(events.close).toEqual([{ code: 1005, reason: 'x' }]);
  });

  it('regression: payloads that throw when read (a Proxy) are dropped or reported plainly, never thrown into the platform', async () => {
    const { conn, events, task } = wechat();
    const trap = () => {
      throw new Error('trap');
    };
    const hostile = () =>
      new Proxy(
        {},
        { get: trap, has: trap, ownKeys: trap, getOwnPropertyDescriptor: trap, getPrototypeOf: trap },
      );
    expect(() => task().emit('open', hostile())).not.toThrow();
    expect(conn.state).toBe('OPEN');
    expect(() => task().emit('message', hostile())).not.toThrow();
    task().emit('message', { data: 'after' });
    expect(events.message.map((e) => e.data)).toEqual(['after']);
    expect(() => task().emit('error', hostile())).not.toThrow();
    expect(() => task().emit('close', hostile())).not.toThrow();
    await conn.closed;
    expect(events.error.map((e) => e.errMsg)).toEqual(['unknown socket error']);
    // A close without a readable code after an error is not clean (noStatusRule in src/adapters/normalize.ts).
    expect(events.close).toEqual([{ code: 1006, reason: '' }]);
  });

  it('regression: a network status the platform reports unreadably changes nothing and does not throw into it', () => {
    const { wx, conn, task } = wechat();
    const trap = () => {
      throw new Error('trap');
    };
    expect(() => wx.signal('network', new Proxy({}, { get: trap, has: trap }))).not.toThrow();
    task().emit('open', {});
    expect(conn.state).toBe('OPEN');
    conn.close();
  });
});

describe('tasks that cannot be listened to', () => {
  it.each([
    ['wechatAdapter, synchronously', false],
    ['taroAdapter, through its Promise', true],
  ])(
    'regression: %s: a task whose onOpen throws is reported as ERR_PLATFORM and close 1006, and closed',
    async (_, promise) => {
      const platform = new NativePlatform({ connect: 'task', throws: 'onOpen' }, promise);
      const adapter: SocketAdapter = promise
        ? taroAdapter({ Taro: platform as never })
        : wechatAdapter({ wx: platform as never });
      const unhandled: unknown[] = [];
      const onUnhandled = (error: unknown) => unhandled.push(error);
      process.on('unhandledRejection', onUnhandled);
      try {
        const conn = createConnection({ url: URL, adapter, connectTimeout: false });
        const events = record(conn);
        await expect(conn.closed).resolves.toEqual({ code: 1006, reason: '' });
        expect(events.error).toEqual([
          { errMsg: 'the platform refused a SocketTask listener: onOpen refused', code: 'ERR_PLATFORM' },
        ]);
        expect(platform.tasks[0]?.closeRequested).toBe(true);
        await new Promise((resolve) => setImmediate(resolve));
        expect(unhandled).toEqual([]);
      } finally {
        process.off('unhandledRejection', onUnhandled);
      }
    },
  );

  it('regression: uniAdapter refuses a task without all six methods, as the other adapters do', async () => {
    const uni = new NativePlatform({ connect: 'task', missing: 'onClose' });
    const conn = createConnection({ url: URL, adapter: uniAdapter({ uni: uni as never }) });
    const events = record(conn);
    await expect(conn.closed).resolves.toEqual({ code: 1006, reason: '' });
    expect(events.error[0]?.code).toBe('ERR_PLATFORM');
    expect(events.error[0]?.errMsg).toMatch(/uni\.connectSocket returned no SocketTask/);
  });
});

describe('Taro', () => {
  const taro = (ws: unknown) => {
    const Taro = new NativePlatform({ connect: 'task', ws }, true);
    const conn = createConnection({ url: URL, adapter: taroAdapter({ Taro: Taro as never }) });
    return { Taro, conn, events: record(conn) };
  };

  it('regression: a task.ws that is not a browser socket is ignored, not a TypeError that fails the connect', async () => {
    const { Taro, conn } = taro(5);
    await flush();
    Taro.tasks[0]?.emit('open', {});
    expect(conn.state).toBe('OPEN');
    conn.close();
  });

  it("regression: a task.ws whose close throws still lets Taro's own close end the socket", async () => {
    const ws = {
      readyState: 1,
      addEventListener() {},
      close() {
        throw new Error('ws close refused');
      },
    };
    const { Taro, conn } = taro(ws);
    await flush();
    Taro.tasks[0]?.emit('open', {});
    conn.close();
    expect(Taro.tasks[0]?.closeRequested).toBe(true);
  });

  it('regression: a message payload with a then method is delivered in order, and does not hold back the close after it', async () => {
    const { Taro, conn, events } = taro(undefined);
    await flush();
    const task = Taro.tasks[0] as NonNullable<(typeof Taro.tasks)[0]>;
    task.emit('open', {});
    // A payload that looks like a thenable (built from entries, as the linter refuses a literal `then`).
    task.emit(
      'message',
      Object.fromEntries([
        ['data', 'first'],
        ['then', () => {}],
      ]),
    );
    task.emit('message', { data: 'second' });
    task.emit('close', { code: 1000, reason: '' });
    await flush();
    expect(events.message.map((e) => e.data)).toEqual(['first', 'second']);
    await expect(conn.closed).resolves.toEqual({ code: 1000, reason: '' });
  });
});

describe('WeChat legacy API', () => {
  it('regression: a wx.closeSocket that throws while a socket is replaced does not fail the new connection', async () => {
    vi.useFakeTimers();
    const wx = new NativePlatform({ connect: 'task' });
    wx.closeSocket = () => {
      throw new Error('closeSocket refused');
    };
    const adapter = wechatLegacyAdapter({ wx: wx as never, releaseTimeout: 100 });
    const first = createConnection({ url: URL, adapter });
    wx.emitGlobal('open', {});
    expect(first.state).toBe('OPEN');
    const second = createConnection({ url: URL, adapter });
    const events = record(second);
    await vi.advanceTimersByTimeAsync(0);
    expect(events.error).toEqual([]);
    expect(second.state).toBe('CONNECTING');
    // The old socket never reports its close: after releaseTimeout the platform replaces it.
    await vi.advanceTimersByTimeAsync(100);
    expect(wx.tasks).toHaveLength(2);
    wx.emitGlobal('open', {});
    expect(second.state).toBe('OPEN');
  });
});
