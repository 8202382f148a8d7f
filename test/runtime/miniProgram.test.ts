// The built package, as shipped for mini-programs (miniprogram_dist/, what WeChat's "构建 npm" copies), run inside
// emulated mini-program engines against a real ws server on 127.0.0.1: the shared adapter suite for every
// mini-program adapter, in every engine profile (see test/fixtures/runtime/miniProgramRuntime.ts).
import { describe, expect, it } from 'vitest';
import type * as Shipped from '../../src/miniprogram.js';
import { type AdapterSuiteEnv, adapterSuite, type SuiteFeatures } from '../adapters/suite.js';
import { createFakeMy } from '../fixtures/platforms/alipay.js';
import { createFakeSwan } from '../fixtures/platforms/baidu.js';
import { createFakeTt } from '../fixtures/platforms/douyin.js';
import { createFakeQq } from '../fixtures/platforms/qq.js';
import { createFakeTaro } from '../fixtures/platforms/taro.js';
import { createTaroWeapp } from '../fixtures/platforms/taroMiniProgram.js';
import { createFakeUni, UNI_MP_WEIXIN_LIMIT_TEXT } from '../fixtures/platforms/uni.js';
import { createFakeWx } from '../fixtures/platforms/wechat.js';
import { createFakeLegacyWx } from '../fixtures/platforms/wechatLegacy.js';
import { createMembrane, type Membrane } from '../fixtures/runtime/membrane.js';
import {
  ABSENT_GLOBALS,
  createMiniProgramRuntime,
  RUNTIME_PROFILES,
} from '../fixtures/runtime/miniProgramRuntime.js';
import { shippedMiniProgramDir } from '../fixtures/runtime/shipped.js';

type Library = typeof Shipped;

/** Every mini-program adapter, over its platform fake, handed to the engine through the native bridge. */
function adapters(lib: Library, bridge: Membrane) {
  const made =
    <P>(factory: (platform: P) => ReturnType<Library['wechatAdapter']>, fake: (env: AdapterSuiteEnv) => P) =>
    (env: AdapterSuiteEnv) =>
      factory(bridge.inward(fake(env)));
  const table: Array<
    [string, (env: AdapterSuiteEnv) => ReturnType<Library['wechatAdapter']>, SuiteFeatures]
  > = [
    [
      'wechat',
      made((wx) => lib.wechatAdapter({ wx }), createFakeWx),
      { limitError: /^createSocketTask:fail exceed max cocurrent count$/ },
    ],
    [
      'wechat (legacy global API)',
      made((wx) => lib.wechatLegacyAdapter({ wx }), createFakeLegacyWx),
      { replacesOnLimit: true },
    ],
    ['qq', made((qq) => lib.qqAdapter({ qq }), createFakeQq), { limitError: /^exceed max task count$/ }],
    [
      'baidu',
      made((swan) => lib.baiduAdapter({ swan }), createFakeSwan),
      { limitError: /^createSocketTask:fail exceed max cocurrent count$/ },
    ],
    [
      'alipay',
      made((my) => lib.alipayAdapter({ my }), createFakeMy),
      { errorWithoutClose: true, limitError: /WebSocket 连接数已达上限/ },
    ],
    [
      'douyin',
      made((tt) => lib.douyinAdapter({ tt }), createFakeTt),
      { limitError: /^connectSocket:fail exceed max task count$/ },
    ],
    [
      'uni-app (mp-weixin)',
      made(
        (uni) => lib.uniAdapter({ uni }),
        ({ WebSocket }) => createFakeUni({ WebSocket, runtime: 'mp-weixin' }),
      ),
      { limitError: new RegExp(UNI_MP_WEIXIN_LIMIT_TEXT) },
    ],
    [
      'taro (weapp)',
      made(
        (Taro) => lib.taroAdapter({ Taro }),
        ({ WebSocket }) => createFakeTaro({ WebSocket, runtime: 'weapp' }),
      ),
      {
        limitError: /exceed max concurrent count/,
        lateTask: made(
          (Taro) => lib.taroAdapter({ Taro }),
          ({ WebSocket }) => createFakeTaro({ WebSocket, runtime: 'weapp', handOver: 'open' }),
        ),
      },
    ],
    [
      'taro (weapp, processApis over wx)',
      made(
        (Taro) => lib.taroAdapter({ Taro }),
        (env) => createTaroWeapp(env).Taro,
      ),
      { limitError: /exceed max cocurrent count/ },
    ],
  ];
  return table;
}

const root = shippedMiniProgramDir();

for (const profile of RUNTIME_PROFILES) {
  const runtime = createMiniProgramRuntime(profile, root);
  const lib = runtime.require<Library>('index.js');
  const bridge = createMembrane(runtime.evaluate('({ ArrayBuffer, Uint8Array })'));
  const library = { createConnection: lib.createConnection };

  describe(`mini-program engine (${profile})`, () => {
    it('has none of the web or Node globals, and the library loaded without them', () => {
      for (const name of ABSENT_GLOBALS) expect(runtime.evaluate(`typeof ${name}`), name).toBe('undefined');
      expect(runtime.evaluate('typeof Proxy')).toBe(profile === 'no-proxy' ? 'undefined' : 'function');
      expect(() => runtime.evaluate('eval("1")')).toThrow(/Code generation from strings disallowed/);
      expect(typeof lib.createConnection).toBe('function');
    });

    if (profile === 'ios15') {
      it("runs promise reactions after the timers already due, as iOS 15's setTimeout-based Promise does", async () => {
        const order = runtime.evaluate<() => Promise<string[]>>(`(() => {
          const order = [];
          setTimeout(() => order.push('timer'), 0);
          Promise.resolve().then(() => order.push('then'));
          return new Promise((resolve) => setTimeout(() => setTimeout(() => resolve(order), 0), 0));
        })`);
        expect(await order()).toEqual(['timer', 'then']);
      });
    }
  });

  for (const [name, makeAdapter, features] of adapters(lib, bridge)) {
    adapterSuite(`${name} in the ${profile} engine`, makeAdapter, { ...features, library });
  }
}
