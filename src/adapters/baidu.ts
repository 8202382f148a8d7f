// Baidu swan.connectSocket: https://smartprogram.baidu.com/docs/develop/api/net/websocket_swan-connectSocket/
// and its SocketTask: https://smartprogram.baidu.com/docs/develop/api/net/websocket_SocketTask/

import { checkedFactory } from './factory.js';
import { baiduMinimum } from './minimums.js';
import { type MiniProgramSocketPlatform, socketTaskAdapter } from './socketTaskPlatform.js';
import type { PlatformProfile, SocketAdapter } from './types.js';

/** Baidu smart-program devices (base library 1.9.4+): WeChat's SocketTask API under `swan`. */
export const baiduProfile: PlatformProfile = {
  // The timing caveat (closeSocket before open cannot close) holds on Baidu devices (docs/platforms.md#close-before-open);
  // the manager defers such a close until open.
  closeWhileConnecting: 'ignored',
  // Baidu promises only "multiple" sockets from base 1.9.4 (docs/platforms.md#connection-limits) and names no number. 2 is the least that
  // "multiple" guarantees, and the tightest limit seen on the WeChat runtime Baidu's API copies.
  maxConcurrent: 2,
  requiresSecureUrl: true,
  binary: true,
  headers: true,
  protocols: true,
};

export { baiduMinimum } from './minimums.js';

export interface BaiduAdapterOptions {
  /** The Baidu smart-program global `swan`. */
  swan: MiniProgramSocketPlatform;
}

/**
 * Binds the machine to Baidu's `swan.connectSocket` SocketTask (base library 1.9.4+), which behaves like
 * WeChat's: each native listener is registered once, payloads are normalized, and a failed connect call is
 * reported as error and close.
 *
 * @example
 * ```ts
 * import { createConnection } from 'socket-task-machine';
 * import { baiduAdapter } from 'socket-task-machine/adapters/baidu';
 *
 * const conn = createConnection({ url: 'wss://example.com/socket', adapter: baiduAdapter({ swan }) });
 * ```
 */
export function baiduAdapter(options: BaiduAdapterOptions): SocketAdapter {
  return checkedFactory('baiduAdapter', () => {
    return socketTaskAdapter(
      {
        factory: 'baiduAdapter',
        name: 'baidu',
        minimum: baiduMinimum,
        profile: baiduProfile,
      },
      options?.swan,
    );
  });
}
