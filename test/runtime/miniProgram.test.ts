// The built package, as shipped for mini-programs (miniprogram_dist/, what WeChat's "构建 npm" copies), run inside
// emulated mini-program engines against a real ws server on 127.0.0.1: the shared adapter suite for every
// mini-program adapter, in every engine profile (see test/fixtures/runtime/miniProgramRuntime.ts).
import { afterAll, describe, expect, it } from 'vitest';
import { WebSocket as WsWebSocket } from 'ws';
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
  type RuntimeProfile,
} from '../fixtures/runtime/miniProgramRuntime.js';
import { shippedDistProject, shippedMiniProgramDir } from '../fixtures/runtime/shipped.js';
import { echo, startWsServer } from '../fixtures/wsServer.js';

type Library = typeof Shipped;

/** Every mini-program adapter, over its platform fake, handed to the engine through the native bridge. */
function adapters(lib: Library, bridge: Membrane, profile: RuntimeProfile) {
  const errorsBeforeHandOverLost = profile === 'ios15';
  const made =
    <P>(fake: (env: AdapterSuiteEnv) => P, factory: (platform: P) => ReturnType<Library['wechatAdapter']>) =>
    (env: AdapterSuiteEnv) =>
      factory(bridge.inward(fake(env)));
  const table: Array<
    [string, (env: AdapterSuiteEnv) => ReturnType<Library['wechatAdapter']>, SuiteFeatures]
  > = [
    [
      'wechat',
      made(createFakeWx, (wx) => lib.wechatAdapter({ wx })),
      { limitError: /^createSocketTask:fail exceed max cocurrent count$/ },
    ],
    [
      'wechat (legacy global API)',
      made(createFakeLegacyWx, (wx) => lib.wechatLegacyAdapter({ wx })),
      { replacesOnLimit: true },
    ],
    ['qq', made(createFakeQq, (qq) => lib.qqAdapter({ qq })), { limitError: /^exceed max task count$/ }],
    [
      'baidu',
      made(createFakeSwan, (swan) => lib.baiduAdapter({ swan })),
      { limitError: /^createSocketTask:fail exceed max cocurrent count$/ },
    ],
    [
      'alipay',
      made(createFakeMy, (my) => lib.alipayAdapter({ my })),
      { errorWithoutClose: true, limitError: /WebSocket 连接数已达上限/ },
    ],
    [
      'douyin',
      made(createFakeTt, (tt) => lib.douyinAdapter({ tt })),
      { limitError: /^connectSocket:fail exceed max task count$/ },
    ],
    [
      'uni-app (mp-weixin)',
      made(
        ({ WebSocket }) => createFakeUni({ WebSocket, runtime: 'mp-weixin' }),
        (uni) => lib.uniAdapter({ uni }),
      ),
      { limitError: new RegExp(UNI_MP_WEIXIN_LIMIT_TEXT) },
    ],
    [
      'taro (weapp)',
      made(
        ({ WebSocket }) => createFakeTaro({ WebSocket, runtime: 'weapp' }),
        (Taro) => lib.taroAdapter({ Taro }),
      ),
      {
        limitError: /exceed max concurrent count/,
        errorsBeforeHandOverLost,
        lateTask: made(
          ({ WebSocket }) => createFakeTaro({ WebSocket, runtime: 'weapp', handOver: 'open' }),
          (Taro) => lib.taroAdapter({ Taro }),
        ),
      },
    ],
    [
      'taro (weapp, processApis over wx)',
      made(
        (env) => createTaroWeapp(env).Taro,
        (Taro) => lib.taroAdapter({ Taro }),
      ),
      { limitError: /exceed max cocurrent count/, errorsBeforeHandOverLost },
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
      expect(runtime.evaluate('typeof Object.hasOwn')).toBe(profile === 'ios15' ? 'undefined' : 'function');
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

      it('ends a Taro attempt whose limit error came before the hand-over at connectTimeout: error, close 1006, no socket', async () => {
        const server = await startWsServer({ onConnection: echo });
        try {
          const Taro = bridge.inward(createFakeTaro({ WebSocket: WsWebSocket, runtime: 'weapp' }));
          const adapter = lib.taroAdapter({ Taro });
          const options = { url: server.url, reconnect: false, allowInsecure: true } as const;
          const held = [
            lib.createConnection({ ...options, adapter }),
            lib.createConnection({ ...options, adapter }),
          ];
          await Promise.all(held.map((conn) => new Promise((resolve) => conn.onOpen(resolve))));
          // A second adapter cannot see the first one's sockets: the platform refuses the third.
          const extra = lib.createConnection({ ...options, adapter: { ...adapter }, connectTimeout: 300 });
          const errors: string[] = [];
          extra.onError(({ code, errMsg }) => errors.push(String(code ?? errMsg)));
          const closed = await extra.closed;
          expect(closed).toEqual({ code: 1006, reason: '' });
          expect(errors).toHaveLength(1);
          expect(errors[0]).toMatch(/^ERR_CONNECT_TIMEOUT$|exceed max concurrent count/);
          expect(server.connections).toHaveLength(2);
          await Promise.all(held.map((conn) => conn.close()));
        } finally {
          await server.stop();
        }
      });
    }
  });

  for (const [name, makeAdapter, features] of adapters(lib, bridge, profile)) {
    adapterSuite(`${name} in the ${profile} engine`, makeAdapter, { ...features, library });
  }
}

// uni-app and Taro apps take dist/ through their bundler, xstate beside it. Not in the iOS 15 profile: dist/ keeps
// native async functions (ES2020), which a bundler lowering for that engine turns into promise chains, as
// miniprogram_dist/ above has them.
const distProject = shippedDistProject();
afterAll(() => distProject.remove());
for (const profile of RUNTIME_PROFILES.filter((p) => p !== 'ios15')) {
  const runtime = createMiniProgramRuntime(profile, distProject.root);
  const entries = ['index', 'adapters/wechat', 'adapters/uni-app', 'adapters/taro'];
  const lib = Object.assign({}, ...entries.map((entry) => runtime.require(`dist/${entry}.cjs`))) as Library;
  const bridge = createMembrane(runtime.evaluate('({ ArrayBuffer, Uint8Array })'));
  const library = { createConnection: lib.createConnection };
  for (const [name, makeAdapter, features] of adapters(lib, bridge, profile)) {
    if (!/^(wechat|uni-app|taro)/.test(name) || name.includes('legacy')) continue;
    adapterSuite(`${name} from dist/ in the ${profile} engine`, makeAdapter, { ...features, library });
  }
}
