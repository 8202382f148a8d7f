// Douyin tt.connectSocket: https://developer.open-douyin.com/docs/resource/zh-CN/mini-app/develop/api/network/web-socket/tt-connect-socket
// and SocketTask.onClose (code typed string): https://developer.open-douyin.com/docs/resource/zh-CN/mini-game/develop/api/network/websocket/socket-task/socket-task-on-close

import { checkedFactory } from './factory.js';
import { douyinMinimum } from './minimums.js';
import { type MiniProgramSocketPlatform, socketTaskAdapter } from './socketTaskPlatform.js';
import type { PlatformProfile, SocketAdapter } from './types.js';

/** Douyin (ByteDance) mini-programs: WeChat-shaped SocketTask with `readyState`, string close codes. */
export const douyinProfile: PlatformProfile = {
  // Undocumented. 'ignored' is the safe answer either way: the manager then never hands the platform a close
  // while CONNECTING (it closes the moment the socket opens), so whether Douyin would abort or ignore it, no
  // socket leaks; 'aborts' would trust a close that may silently do nothing and leave an open socket behind.
  // It also honours "call the task's methods only after connectSocket succeeded".
  closeWhileConnecting: 'ignored',
  // "最多可以同时存在 5 个 WebSocket 连接" (tt.connectSocket, Tips); older sockets are not closed for a new one.
  maxConcurrent: 5,
  requiresSecureUrl: true,
  binary: true,
  headers: true,
  protocols: true,
};

export { douyinMinimum } from './minimums.js';

export interface DouyinAdapterOptions {
  /** The Douyin mini-program global `tt`. */
  tt: MiniProgramSocketPlatform;
}

/**
 * Binds the machine to Douyin's `tt.connectSocket` SocketTask. Close codes that arrive as strings (`'1000'`)
 * reach `onClose` as numbers; a connect whose `fail` fires (invalid options leave `readyState` undefined and the
 * task silent) is reported as error and close; each native listener is registered once, right after the call,
 * as Douyin's own sample does, so events before and after `success` are both seen.
 *
 * @example
 * ```ts
 * import { createConnection } from 'socket-task-machine';
 * import { douyinAdapter } from 'socket-task-machine/adapters/douyin';
 *
 * const conn = createConnection({ url: 'wss://example.com/socket', adapter: douyinAdapter({ tt }) });
 * ```
 */
export function douyinAdapter(options: DouyinAdapterOptions): SocketAdapter {
  return checkedFactory('douyinAdapter', () => {
    return socketTaskAdapter(
      {
        factory: 'douyinAdapter',
        name: 'douyin',
        minimum: douyinMinimum,
        profile: douyinProfile,
      },
      options?.tt,
    );
  });
}
