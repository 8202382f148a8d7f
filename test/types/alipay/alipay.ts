// Compiles alipayAdapter({ my }) against @mini-types/my's own global `my`: the vendor's object must fit the
// adapter's structural option type as declared, with no cast.
import { type AlipayPlatform, type AlipaySocketTask, alipayAdapter } from '../../../src/adapters/alipay.js';
import type { SocketAdapter } from '../../../src/adapters/types.js';
import type { MiniProgramLifecycleHost } from '../../../src/lifecycle/platformSources.js';

export const adapter: SocketAdapter = alipayAdapter({ my });

// The vendor's SocketTask, returned by connectSocket({ multiple: true }), is what the adapter drives.
export const platform: AlipayPlatform = my;
export const task: AlipaySocketTask = my.connectSocket({ url: 'wss://example.com', multiple: true });

// Every lifecycle function the vendor declares, as declared, is one the adapter can subscribe to.
export const lifecycleHost: Required<MiniProgramLifecycleHost> = my;

// @ts-expect-error: the adapter takes `{ my }`, not `my` itself.
alipayAdapter(my);

// @ts-expect-error: a platform object without connectSocket is not `my`.
alipayAdapter({ my: { request: my.request } });

// @ts-expect-error: WeChat's shape, a connectSocket returning a number, is not Alipay's.
alipayAdapter({ my: { connectSocket: (_options: { url: string }) => 42 } });

// @ts-expect-error: a SocketTask whose send takes an ArrayBuffer only cannot carry Alipay's base64 text.
export const wrongTask: AlipaySocketTask = { ...task, send: (_options: { data: ArrayBuffer }) => {} };
