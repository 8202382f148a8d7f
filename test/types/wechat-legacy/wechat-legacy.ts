// Compiles wechatLegacyAdapter against the global `wx` exactly as miniprogram-api-typings declares it.

import type { SocketAdapter } from '../../../src/adapters/types.js';
import { wechatLegacyAdapter } from '../../../src/adapters/wechatLegacy.js';
import type { MiniProgramLifecycleHost } from '../../../src/lifecycle/platformSources.js';

export const adapter: SocketAdapter = wechatLegacyAdapter({ wx });
export const tuned: SocketAdapter = wechatLegacyAdapter({ wx, releaseTimeout: 500 });

// Every lifecycle function the vendor declares, as declared, is one the adapter can subscribe to.
export const lifecycleHost: Required<MiniProgramLifecycleHost> = wx;

// @ts-expect-error a SocketTask is not the global socket API
wechatLegacyAdapter({ wx: wx.connectSocket({ url: 'wss://example.com' }) });
// @ts-expect-error connectSocket alone lacks the global listeners and calls
wechatLegacyAdapter({ wx: { connectSocket: wx.connectSocket } });
// @ts-expect-error the platform object goes under `wx`
wechatLegacyAdapter({ uni: wx });
// @ts-expect-error the platform object is required
wechatLegacyAdapter({});
