// Compiles douyinAdapter({ tt }) against @douyin-microapp/typings' own global `tt` (declared there as
// `const tt: typeof API` in `declare global`): the vendor's object must fit the adapter's structural option
// type as declared, with no cast.
import { douyinAdapter } from '../../../src/adapters/douyin.js';
import type { SocketAdapter } from '../../../src/adapters/types.js';
import type { MiniProgramSocketPlatform, MiniProgramSocketTask } from '../../../src/adapters/wechat.js';
import type { MiniProgramLifecycleHost } from '../../../src/lifecycle/platformSources.js';

export const adapter: SocketAdapter = douyinAdapter({ tt });

// The vendor's SocketTask (with its optional readyState and string-or-number close code) is what the adapter drives.
export const platform: MiniProgramSocketPlatform = tt;
export const task: MiniProgramSocketTask = tt.connectSocket({ url: 'wss://example.com' });
export const readyState: number | undefined = task.readyState;

// Every lifecycle function the vendor declares, as declared, is one the adapter can subscribe to (the typings omit getNetworkType).
export const lifecycleHost: Required<Omit<MiniProgramLifecycleHost, 'getNetworkType'>> = tt;

// @ts-expect-error: the adapter takes `{ tt }`, not `tt` itself.
douyinAdapter(tt);

const requestOnly = { request: tt.request };
// @ts-expect-error: a platform object without connectSocket is not `tt`.
douyinAdapter({ tt: requestOnly });

// @ts-expect-error: tt.request returns a RequestTask, not a SocketTask.
douyinAdapter({ tt: { connectSocket: tt.request } });

// @ts-expect-error: a SocketTask whose send takes text only cannot carry binary frames.
export const wrongTask: MiniProgramSocketTask = { ...task, send: (_options: { data: string }) => {} };
