// checkSocketTask applied to ourselves: every adapter's task, over a real socket to the kit's own server.
import { describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { alipayAdapter } from '../../src/adapters/alipay.js';
import { baiduAdapter } from '../../src/adapters/baidu.js';
import { douyinAdapter } from '../../src/adapters/douyin.js';
import { nodeAdapter } from '../../src/adapters/node.js';
import { qqAdapter } from '../../src/adapters/qq.js';
import { taroAdapter } from '../../src/adapters/taro.js';
import type { SocketAdapter } from '../../src/adapters/types.js';
import { uniAdapter } from '../../src/adapters/uni-app.js';
import { webAdapter } from '../../src/adapters/web.js';
import { wechatAdapter } from '../../src/adapters/wechat.js';
import { wechatLegacyAdapter } from '../../src/adapters/wechatLegacy.js';
import { checkSocketTask, formatReport } from '../../src/conformance/index.js';
import { createFakeMy } from '../fixtures/platforms/alipay.js';
import { createFakeSwan } from '../fixtures/platforms/baidu.js';
import { createFakeTt } from '../fixtures/platforms/douyin.js';
import { createFakeQq } from '../fixtures/platforms/qq.js';
import { createFakeTaro } from '../fixtures/platforms/taro.js';
import { createFakeUni, type UniRuntime } from '../fixtures/platforms/uni.js';
import { createFakeWx } from '../fixtures/platforms/wechat.js';
import { createFakeLegacyWx } from '../fixtures/platforms/wechatLegacy.js';
import { propertySeed } from '../helpers.js';

// FC_RUNS_KIT raises this; npm run conformance runs these adapters (and real WebSocket implementations) into the
// compatibility table of docs/conformance.md.
const numRuns = Number(process.env.FC_RUNS_KIT ?? 100);
const seed = propertySeed('conformance', `numRuns=${numRuns} per implementation`);

/** uni-app's H5 and App runtimes abort a handshake on close, as the shared adapter suite declares them. */
function uniOn(runtime: UniRuntime): SocketAdapter {
  const adapter = uniAdapter({ uni: createFakeUni({ WebSocket, runtime }) });
  if (runtime === 'mp-weixin') return adapter;
  return { ...adapter, profile: { ...adapter.profile, closeWhileConnecting: 'aborts' } };
}

const implementations: Array<[string, () => SocketAdapter]> = [
  ['node', () => nodeAdapter()],
  ['web over ws', () => webAdapter({ WebSocket: WebSocket as never })],
  ['wechat', () => wechatAdapter({ wx: createFakeWx({ WebSocket }) })],
  ['wechat legacy', () => wechatLegacyAdapter({ wx: createFakeLegacyWx({ WebSocket }) })],
  ['qq', () => qqAdapter({ qq: createFakeQq({ WebSocket }) })],
  ['baidu', () => baiduAdapter({ swan: createFakeSwan({ WebSocket }) })],
  ['douyin', () => douyinAdapter({ tt: createFakeTt({ WebSocket }) })],
  ['alipay', () => alipayAdapter({ my: createFakeMy({ WebSocket }) })],
  ['alipay (flat payloads)', () => alipayAdapter({ my: createFakeMy({ WebSocket, payloads: 'flat' }) })],
  ['uni-app (H5)', () => uniOn('h5')],
  ['uni-app (App)', () => uniOn('app')],
  ['uni-app (mp-weixin)', () => uniOn('mp-weixin')],
  ['taro (weapp)', () => taroAdapter({ Taro: createFakeTaro({ WebSocket, runtime: 'weapp' }) })],
  ['taro (h5)', () => taroAdapter({ Taro: createFakeTaro({ WebSocket, runtime: 'h5' }) })],
];

describe('checkSocketTask against every adapter of this library', () => {
  it.each(implementations)(
    'the %s adapter conforms to the model',
    async (name, make) => {
      const adapter = make();
      const started = performance.now();
      const result = await checkSocketTask({
        connect: (target) => adapter.connect(target),
        profile: adapter.profile,
        numRuns,
        seed,
      });
      const seconds = (performance.now() - started) / 1000;
      console.log(
        `[conformance] ${name}: ${numRuns} runs in ${seconds.toFixed(1)} s (${Math.round(numRuns / seconds)} runs/s)`,
      );
      expect(result.ok, formatReport(result)).toBe(true);
    },
    300_000,
  );
});
