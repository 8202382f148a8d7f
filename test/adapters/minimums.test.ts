import { describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { alipayAdapter } from '../../src/adapters/alipay.js';
import { baiduAdapter } from '../../src/adapters/baidu.js';
import { douyinAdapter } from '../../src/adapters/douyin.js';
import { MINIMUM } from '../../src/adapters/minimums.js';
import { qqAdapter } from '../../src/adapters/qq.js';
import { taroAdapter } from '../../src/adapters/taro.js';
import type { SocketAdapter } from '../../src/adapters/types.js';
import { uniAdapter } from '../../src/adapters/uni-app.js';
import { wechatAdapter } from '../../src/adapters/wechat.js';
import { wechatLegacyAdapter } from '../../src/adapters/wechatLegacy.js';
import { SocketTaskError } from '../../src/errors.js';
import { createFakeMy } from '../fixtures/platforms/alipay.js';
import { createFakeSwan } from '../fixtures/platforms/baidu.js';
import { createFakeTt } from '../fixtures/platforms/douyin.js';
import { createFakeQq } from '../fixtures/platforms/qq.js';
import { createFakeTaro } from '../fixtures/platforms/taro.js';
import { createTaroWeapp } from '../fixtures/platforms/taroMiniProgram.js';
import { createFakeUni } from '../fixtures/platforms/uni.js';
import { createFakeWx } from '../fixtures/platforms/wechat.js';
import { createFakeLegacyWx } from '../fixtures/platforms/wechatLegacy.js';
import { thrown } from '../helpers.js';

type Platform = Record<string, unknown>;

/** One factory: how to call it, a complete platform object, and what its errors must say (written out here). */
interface Row {
  factory: string;
  platform: string;
  make: (platform: Platform) => SocketAdapter;
  complete: () => Platform;
  /** Every function the adapter needs of the platform object. */
  methods: string[];
  /** The fix the message names: the right object, and the version that has the method. */
  pass: string;
}

const ROWS: Row[] = [
  {
    factory: 'wechatAdapter',
    platform: 'wx',
    make: (wx) => wechatAdapter({ wx: wx as never }),
    complete: () => ({ ...createFakeWx({ WebSocket }) }),
    methods: ['connectSocket'],
    pass: "the mini-program's wx object, from WeChat base library 1.7.0 or later",
  },
  {
    factory: 'wechatLegacyAdapter',
    platform: 'wx',
    make: (wx) => wechatLegacyAdapter({ wx: wx as never }),
    complete: () => ({ ...createFakeLegacyWx({ WebSocket }) }),
    methods: [
      'connectSocket',
      'onSocketOpen',
      'onSocketMessage',
      'onSocketError',
      'onSocketClose',
      'sendSocketMessage',
      'closeSocket',
    ],
    pass: "the mini-program's wx object, from WeChat base library 1.0.0 or later",
  },
  {
    factory: 'qqAdapter',
    platform: 'qq',
    make: (qq) => qqAdapter({ qq: qq as never }),
    complete: () => ({ ...createFakeQq({ WebSocket }) }),
    methods: ['connectSocket'],
    pass: "the mini-program's qq object, from QQ base library 1.0.0 or later",
  },
  {
    factory: 'baiduAdapter',
    platform: 'swan',
    make: (swan) => baiduAdapter({ swan: swan as never }),
    complete: () => ({ ...createFakeSwan({ WebSocket }) }),
    methods: ['connectSocket'],
    pass: "the mini-program's swan object, from Baidu base library 1.9.4 or later",
  },
  {
    factory: 'alipayAdapter',
    platform: 'my',
    make: (my) => alipayAdapter({ my: my as never }),
    complete: () => ({ ...createFakeMy({ WebSocket }) }),
    methods: ['connectSocket'],
    pass: "the mini-program's my object, from an Alipay base library whose my.connectSocket takes multiple: true, a version Alipay does not name (opendocs.alipay.com/mini/api/vx19c3); my.canIUse('connectSocket.object.multiple') tells",
  },
  {
    factory: 'douyinAdapter',
    platform: 'tt',
    make: (tt) => douyinAdapter({ tt: tt as never }),
    complete: () => ({ ...createFakeTt({ WebSocket }) }),
    methods: ['connectSocket'],
    pass: "the mini-program's tt object, from Douyin base library 1.0.0 or later",
  },
  {
    factory: 'uniAdapter',
    platform: 'uni',
    make: (uni) => uniAdapter({ uni: uni as never }),
    complete: () => ({ ...createFakeUni({ WebSocket, runtime: 'mp-weixin' }) }),
    methods: ['connectSocket'],
    pass: "uni-app's uni, from uni-app 2.2.6 or later",
  },
  {
    factory: 'taroAdapter',
    platform: 'Taro',
    make: (Taro) => taroAdapter({ Taro: Taro as never }),
    complete: () => ({ ...createFakeTaro({ WebSocket, runtime: 'weapp' }) }),
    methods: ['connectSocket'],
    pass: 'the default export of @tarojs/taro, from Taro 1.0.0 or later',
  },
  {
    factory: 'taroAdapter',
    platform: 'Taro',
    make: (Taro) => taroAdapter({ Taro: Taro as never }),
    complete: () => createTaroWeapp({ WebSocket }).Taro,
    methods: ['connectSocket'],
    pass: 'the default export of @tarojs/taro, from Taro 1.0.0 or later',
  },
];

const literal = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe.each(ROWS)('$factory over a $platform lacking a method it needs', (row) => {
  it('accepts the complete platform object', () => {
    expect(row.make(row.complete()).connect).toEqual(expect.any(Function));
  });

  it.each(row.methods)(
    'fails when created, with ERR_INVALID_ADAPTER naming %s and the version that has it',
    (method) => {
      const platform = row.complete();
      delete platform[method];
      const error = thrown(() => row.make(platform));
      expect(error.code).toBe('ERR_INVALID_ADAPTER');
      expect(error.message).toMatch(
        new RegExp(
          `^${literal(`${row.factory}(): ${row.platform}.${method} must be a function, got undefined; pass ${row.pass}`)}$`,
        ),
      );
    },
  );

  it.each(row.methods)('fails the same way when %s is there but is no function', (method) => {
    const platform = { ...row.complete(), [method]: 'wss://example.com' };
    const error = thrown(() => row.make(platform));
    expect(error.code).toBe('ERR_INVALID_ADAPTER');
    expect(error.message).toMatch(
      new RegExp(
        `^${literal(`${row.factory}(): ${row.platform}.${method} must be a function, got "wss://example.com"; `)}`,
      ),
    );
  });
});

/** Each adapter's connect over a connectSocket that returns `returned`, and the error it must report. */
const NO_TASK: Array<[string, (returned: unknown) => SocketAdapter, string]> = [
  [
    'wechatAdapter',
    (returned) => wechatAdapter({ wx: { connectSocket: () => returned as never } }),
    'wx.connectSocket() returned no SocketTask (got %s); SocketTasks need WeChat base library 1.7.0 or later; older ones have only the global socket API: use wechatLegacyAdapter({ wx })',
  ],
  [
    'qqAdapter',
    (returned) => qqAdapter({ qq: { connectSocket: () => returned as never } }),
    'qq.connectSocket() returned no SocketTask (got %s); SocketTasks need QQ base library 1.0.0 or later',
  ],
  [
    'baiduAdapter',
    (returned) => baiduAdapter({ swan: { connectSocket: () => returned as never } }),
    'swan.connectSocket() returned no SocketTask (got %s); SocketTasks need Baidu base library 1.9.4 or later',
  ],
  [
    'douyinAdapter',
    (returned) => douyinAdapter({ tt: { connectSocket: () => returned as never } }),
    'tt.connectSocket() returned no SocketTask (got %s); SocketTasks need Douyin base library 1.0.0 or later',
  ],
  [
    'alipayAdapter',
    (returned) => alipayAdapter({ my: { connectSocket: () => returned as never } }),
    "my.connectSocket() returned no SocketTask (got %s); SocketTasks need an Alipay base library whose my.connectSocket takes multiple: true, a version Alipay does not name (opendocs.alipay.com/mini/api/vx19c3); my.canIUse('connectSocket.object.multiple') tells",
  ],
  [
    'uniAdapter',
    (returned) => uniAdapter({ uni: { connectSocket: () => returned as never } }),
    'uniAdapter: uni.connectSocket returned no SocketTask (got %s); SocketTasks need uni-app 2.2.6 or later; complete was passed, so uni-app must return one',
  ],
  [
    'taroAdapter',
    (returned) => taroAdapter({ Taro: { connectSocket: () => Promise.resolve(returned as never) } }),
    'Taro.connectSocket() resolved with no SocketTask (got %s); SocketTasks need Taro 1.0.0 or later',
  ],
];

/** A task with every method but `onClose`. */
const withoutOnClose = () => ({ send() {}, close() {}, onOpen() {}, onMessage() {}, onError() {} });

describe.each(NO_TASK)('%s over a connectSocket that hands back no SocketTask', (_, make, template) => {
  it.each([
    ['nothing (a base library before SocketTasks)', undefined, 'undefined'],
    ['a task without onClose', withoutOnClose(), 'an object without onClose()'],
  ])(
    'fails the connect with ERR_PLATFORM naming the version that has SocketTasks, given %s',
    async (__, returned, got) => {
      const adapter = make(returned);
      const error = await (async () => {
        try {
          await adapter.connect({ url: 'wss://example.com/socket' });
        } catch (caught) {
          return caught;
        }
        throw new Error('connect did not fail');
      })();
      expect(error).toBeInstanceOf(SocketTaskError);
      expect((error as SocketTaskError).code).toBe('ERR_PLATFORM');
      expect((error as SocketTaskError).message).toMatch(
        new RegExp(`^${literal(template.replace('%s', got))}$`),
      );
    },
  );
});

describe('MINIMUM', () => {
  it('names, per adapter, the oldest version with what it needs', () => {
    const versions = Object.fromEntries(
      Object.entries(MINIMUM).map(([adapter, row]) => [
        adapter,
        `${row.runtime} ${row.version ?? '(none named)'}`,
      ]),
    );
    expect(versions).toEqual({
      wechat: 'WeChat base library 1.7.0',
      wechatLegacy: 'WeChat base library 1.0.0',
      qq: 'QQ base library 1.0.0',
      baidu: 'Baidu base library 1.9.4',
      alipay: 'Alipay base library (none named)',
      douyin: 'Douyin base library 1.0.0',
      uniApp: 'uni-app 2.2.6',
      taro: 'Taro 1.0.0',
    });
  });
});
