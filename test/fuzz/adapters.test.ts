import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { alipayAdapter } from '../../src/adapters/alipay.js';
import { baiduAdapter } from '../../src/adapters/baidu.js';
import { douyinAdapter } from '../../src/adapters/douyin.js';
import { nodeAdapter } from '../../src/adapters/node.js';
import { qqAdapter } from '../../src/adapters/qq.js';
import { taroAdapter } from '../../src/adapters/taro.js';
import type { SocketAdapter } from '../../src/adapters/types.js';
import { uniAdapter } from '../../src/adapters/uni-app.js';
import { webAdapter } from '../../src/adapters/web.js';
import { wechatAdapter, wechatLegacyAdapter } from '../../src/adapters/wechat.js';
import { type Connection, createConnection } from '../../src/connection/createConnection.js';
import { propertySeed } from '../helpers.js';
import {
  any,
  anything,
  expectClosesCleanly,
  expectNothingEscaped,
  numRuns,
  onlySocketTaskError,
  real,
  STATES,
  URL,
  useFakeTimers,
  watchEscapes,
} from './harness.js';
import { type Faults, NativePlatform, NativeTask } from './nativePlatform.js';

const seed = propertySeed('fuzz/adapters', `numRuns=${numRuns}`);
watchEscapes();

beforeEach(useFakeTimers);
afterEach(() => {
  vi.useRealTimers();
});

type Factory = (options: never) => SocketAdapter;

/** Every factory, with the name of the platform object it takes. */
const FACTORIES: Array<[string, Factory, string]> = [
  ['nodeAdapter', nodeAdapter as Factory, 'WebSocket'],
  ['webAdapter', webAdapter as Factory, 'WebSocket'],
  ['wechatAdapter', wechatAdapter as Factory, 'wx'],
  ['wechatLegacyAdapter', wechatLegacyAdapter as Factory, 'wx'],
  ['qqAdapter', qqAdapter as Factory, 'qq'],
  ['baiduAdapter', baiduAdapter as Factory, 'swan'],
  ['douyinAdapter', douyinAdapter as Factory, 'tt'],
  ['alipayAdapter', alipayAdapter as Factory, 'my'],
  ['uniAdapter', uniAdapter as Factory, 'uni'],
  ['taroAdapter', taroAdapter as Factory, 'Taro'],
];

/** The mini-program factories, over {@link NativePlatform}. */
const NATIVE = FACTORIES.filter(([name]) => name !== 'nodeAdapter' && name !== 'webAdapter');

function expectAdapter(adapter: SocketAdapter): void {
  expect(typeof adapter.name).toBe('string');
  expect(typeof adapter.connect).toBe('function');
  expect(['ignored', 'aborts']).toContain(adapter.profile.closeWhileConnecting);
}

describe.each(FACTORIES)('%s given anything', (name, factory, global) => {
  it('throws only a SocketTaskError, or returns an adapter', async () => {
    const shapes = fc.oneof(
      any,
      any.map((value) => ({ [global]: value })),
      any.map((value) => ({ [global]: { connectSocket: value } })),
    );
    await fc.assert(
      fc.asyncProperty(shapes, async (options) => {
        const given = real(options);
        const { value } = onlySocketTaskError(() => factory(given as never));
        if (value !== undefined) expectAdapter(value);
        await expectNothingEscaped();
      }),
      { seed, numRuns: Math.ceil(numRuns / 2) },
    );
    void name;
  });
});

const faults: fc.Arbitrary<Faults> = fc.record(
  {
    connect: fc.constantFrom('task', 'task', 'task', 'throws', 'returns', 'fails-at-once', 'fails-later'),
    returned: anything,
    failPayload: anything,
    throws: fc.constantFrom(undefined, 'send', 'close', 'onOpen', 'onMessage', 'onError', 'onClose'),
    missing: fc.constantFrom(undefined, 'send', 'close', 'onOpen', 'onMessage', 'onError', 'onClose'),
    readyState: anything,
    ws: fc.oneof(
      anything,
      fc.record({
        readyState: fc.constantFrom(0, 1, 3),
        addEventListener: fc.constant(() => {}),
        close: fc.constant(() => {}),
      }),
      fc.constant({
        readyState: 1,
        addEventListener() {
          throw new Error('addEventListener refused');
        },
        close() {
          throw new Error('close refused');
        },
      }),
    ),
  },
  { requiredKeys: ['connect'] },
);

const event = fc.record({
  to: fc.constantFrom('task', 'task', 'task', 'global', 'fail', 'lifecycle', 'send', 'time'),
  kind: fc.constantFrom('open', 'message', 'error', 'close'),
  signal: fc.constantFrom('network', 'show', 'hide') as fc.Arbitrary<'network' | 'show' | 'hide'>,
  task: fc.nat(),
  payload: fc.oneof(
    any,
    // The shapes the platforms really send, with anything inside.
    fc.record({ data: any }),
    fc.record({ data: any, isBuffer: fc.boolean() }),
    fc.record({ code: any, reason: any }),
    fc.record({ header: any }),
    fc.record({ errMsg: any, code: any }),
    fc.record({ data: fc.record({ code: any, reason: any, data: any }) }),
  ),
});

function watchShapes(conn: Connection): void {
  conn.onOpen((e) => {
    expect(typeof e).toBe('object');
    if (e.header !== undefined)
      for (const value of Object.values(e.header)) expect(typeof value).toBe('string');
  });
  conn.onMessage(({ data }) => expect(typeof data === 'string' || data instanceof ArrayBuffer).toBe(true));
  conn.onError(({ errMsg, code }) => {
    expect(typeof errMsg).toBe('string');
    expect(code === undefined || typeof code === 'string' || typeof code === 'number').toBe(true);
  });
  conn.onClose(({ code, reason }) => {
    expect(Number.isInteger(code) && code >= 0 && code <= 0xffff).toBe(true);
    expect(typeof reason).toBe('string');
  });
}

describe.each(NATIVE)('%s over a platform that misbehaves', (name, factory, global) => {
  it('events with any payload, in any order, calls that throw or return anything: only documented errors, and a clean close', async () => {
    await fc.assert(
      fc.asyncProperty(
        faults,
        fc.array(event, { maxLength: 15 }),
        fc.boolean(),
        async (platformFaults, events, reconnect) => {
          const platform = new NativePlatform(platformFaults, name === 'taroAdapter');
          const { value: adapter } = onlySocketTaskError(() => factory({ [global]: platform } as never));
          if (adapter === undefined) return;
          const { value: conn } = onlySocketTaskError(() =>
            createConnection({
              url: URL,
              adapter,
              errorGrace: 50,
              closeTimeout: 50,
              connectTimeout: 500,
              ...(reconnect ? { reconnect: { initialDelay: 10, maxDelay: 10, maxRetries: 2 } } : {}),
            }),
          );
          if (conn === undefined) return;
          watchShapes(conn);
          await Promise.resolve();
          for (const e of events) {
            const task =
              platform.tasks.length === 0 ? undefined : platform.tasks[e.task % platform.tasks.length];
            const payload = real(e.payload);
            if (e.to === 'task') task?.emit(e.kind as 'open', payload);
            else if (e.to === 'global') platform.emitGlobal(e.kind as 'open', payload);
            else if (e.to === 'fail') platform.failLater.shift()?.();
            else if (e.to === 'lifecycle') platform.signal(e.signal, payload);
            else if (e.to === 'send') {
              conn.send('fuzz').catch((error: unknown) => expect(error).toHaveProperty('code'));
            } else await vi.advanceTimersByTimeAsync(100);
            expect(STATES).toContain(conn.state);
          }
          // Back in the foreground and online, so that a suspended retry does not wait for it.
          platform.signal('network', { isConnected: true });
          platform.signal('show', {});
          await expectClosesCleanly(conn, () => {
            for (const task of platform.tasks) {
              if (!task.opened && !task.closed) task.emit('open', {});
              if (task.closeRequested && !task.closed) task.emit('close', { code: 1000, reason: '' });
            }
            if (platform.globalCloseRequested) {
              platform.globalCloseRequested = false;
              platform.emitGlobal('close', { code: 1000, reason: '' });
            }
            for (const fail of platform.failLater.splice(0)) fail();
          });
          await expectNothingEscaped();
        },
      ),
      { seed, numRuns: Math.ceil(numRuns / 2) },
    );
  });
});

describe('NativeTask', () => {
  it('is a task of the fuzz platform, with the six methods unless told otherwise', () => {
    const task = new NativeTask({}, { connect: 'task', missing: 'onClose' });
    expect(typeof task.send).toBe('function');
    expect(task.onClose).toBeUndefined();
  });
});
