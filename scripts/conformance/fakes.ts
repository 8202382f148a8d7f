// This library's mini-program and cross-platform adapters over the project's fake platforms (test/fixtures/platforms/),
// each fake itself over `ws`: the same set as test/conformance/adapters.test.ts.
import type { WebSocket } from 'ws';
import { alipayAdapter } from '../../src/adapters/alipay.js';
import { baiduAdapter } from '../../src/adapters/baidu.js';
import { douyinAdapter } from '../../src/adapters/douyin.js';
import { qqAdapter } from '../../src/adapters/qq.js';
import { taroAdapter } from '../../src/adapters/taro.js';
import type { SocketAdapter } from '../../src/adapters/types.js';
import { uniAdapter } from '../../src/adapters/uni-app.js';
import { wechatAdapter } from '../../src/adapters/wechat.js';
import { wechatLegacyAdapter } from '../../src/adapters/wechatLegacy.js';
import { createFakeMy } from '../../test/fixtures/platforms/alipay.js';
import { createFakeSwan } from '../../test/fixtures/platforms/baidu.js';
import { createFakeTt } from '../../test/fixtures/platforms/douyin.js';
import { createFakeQq } from '../../test/fixtures/platforms/qq.js';
import { createFakeTaro } from '../../test/fixtures/platforms/taro.js';
import { createFakeUni, type UniRuntime } from '../../test/fixtures/platforms/uni.js';
import { createFakeWx } from '../../test/fixtures/platforms/wechat.js';
import { createFakeLegacyWx } from '../../test/fixtures/platforms/wechatLegacy.js';

type Ws = typeof WebSocket;

/** uni-app's H5 and App runtimes abort a handshake on close, as the shared adapter suite declares them. */
function uniOn(runtime: UniRuntime, ws: Ws): SocketAdapter {
  const adapter = uniAdapter({ uni: createFakeUni({ WebSocket: ws, runtime }) });
  if (runtime === 'mp-weixin') return adapter;
  return { ...adapter, profile: { ...adapter.profile, closeWhileConnecting: 'aborts' } };
}

export const adapters = {
  wechat: (ws: Ws) => wechatAdapter({ wx: createFakeWx({ WebSocket: ws }) }),
  wechatLegacy: (ws: Ws) => wechatLegacyAdapter({ wx: createFakeLegacyWx({ WebSocket: ws }) }),
  qq: (ws: Ws) => qqAdapter({ qq: createFakeQq({ WebSocket: ws }) }),
  baidu: (ws: Ws) => baiduAdapter({ swan: createFakeSwan({ WebSocket: ws }) }),
  douyin: (ws: Ws) => douyinAdapter({ tt: createFakeTt({ WebSocket: ws }) }),
  alipay: (ws: Ws) => alipayAdapter({ my: createFakeMy({ WebSocket: ws }) }),
  alipayFlat: (ws: Ws) => alipayAdapter({ my: createFakeMy({ WebSocket: ws, payloads: 'flat' }) }),
  uniH5: (ws: Ws) => uniOn('h5', ws),
  uniApp: (ws: Ws) => uniOn('app', ws),
  uniWeixin: (ws: Ws) => uniOn('mp-weixin', ws),
  taroWeapp: (ws: Ws) => taroAdapter({ Taro: createFakeTaro({ WebSocket: ws, runtime: 'weapp' }) }),
  taroH5: (ws: Ws) => taroAdapter({ Taro: createFakeTaro({ WebSocket: ws, runtime: 'h5' }) }),
} satisfies Record<string, (ws: Ws) => SocketAdapter>;
