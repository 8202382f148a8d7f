// Compiles taroAdapter({ Taro }) against @tarojs/taro's own default export: the vendor's object must fit the
// adapter's structural option type as declared, with no cast.
import Taro from '@tarojs/taro';
import { type TaroPlatform, type TaroSocketTask, taroAdapter } from '../../../src/adapters/taro.js';
import type { SocketAdapter } from '../../../src/adapters/types.js';
import type { MiniProgramLifecycleHost } from '../../../src/lifecycle/platformSources.js';

export const adapter: SocketAdapter = taroAdapter({ Taro });

// The SocketTask that Taro.connectSocket resolves with, `ws` (H5 only) included, is what the adapter drives.
export const platform: TaroPlatform = Taro;
export const connecting: Promise<TaroSocketTask> = Taro.connectSocket({ url: 'wss://example.com' });

// Every lifecycle function the vendor declares, as declared, is one the adapter can subscribe to.
export const lifecycleHost: Required<MiniProgramLifecycleHost> = Taro;

// @ts-expect-error: the adapter takes `{ Taro }`, not `Taro` itself.
taroAdapter(Taro);

// @ts-expect-error: an object without connectSocket is not Taro.
taroAdapter({ Taro: { request: Taro.request } });

// @ts-expect-error: a connectSocket that returns the task itself, not a Promise of it, is not Taro's.
taroAdapter({ Taro: { connectSocket: (_option: { url: string }) => ({ readyState: 1 }) } });

declare const vendorTask: Taro.SocketTask;
export const h5Task: TaroSocketTask = vendorTask;

// @ts-expect-error: a task whose `ws` has no addEventListener cannot hand over the real CloseEvent.
export const wrongTask: TaroSocketTask = { ...vendorTask, ws: { readyState: 1, close() {} } };
