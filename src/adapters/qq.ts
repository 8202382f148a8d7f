// QQ qq.connectSocket and SocketTask: https://q.qq.com/wiki/develop/miniprogram/API/network/network_websocket.html

import { checkedFactory } from './factory.js';
import { qqMinimum } from './minimums.js';
import { type MiniProgramSocketPlatform, socketTaskAdapter } from './socketTaskPlatform.js';
import type { PlatformProfile, SocketAdapter } from './types.js';

/** QQ mini-program devices: WeChat's SocketTask API under `qq`, with the same close-before-open caveat. */
export const qqProfile: PlatformProfile = {
  // The timing caveat (closeSocket before open cannot close) holds on QQ devices (docs/platforms.md#close-before-open);
  // the manager defers such a close until open.
  closeWhileConnecting: 'ignored',
  // "QQ小程序平台最多支持同时存在5个socket链接" (uni-app's connectSocket page, docs/platforms.md#connection-limits).
  maxConcurrent: 5,
  requiresSecureUrl: true,
  binary: true,
  headers: true,
  protocols: true,
};

export { qqMinimum } from './minimums.js';

export interface QqAdapterOptions {
  /** The QQ mini-program global `qq`. */
  qq: MiniProgramSocketPlatform;
}

/**
 * Binds the machine to QQ's `qq.connectSocket` SocketTask, which behaves like WeChat's: each native listener is
 * registered once, payloads are normalized, and a failed connect call is reported as error and close.
 *
 * @example
 * ```ts
 * import { createConnection } from 'socket-task-machine';
 * import { qqAdapter } from 'socket-task-machine/adapters/qq';
 *
 * const conn = createConnection({ url: 'wss://example.com/socket', adapter: qqAdapter({ qq }) });
 * ```
 */
export function qqAdapter(options: QqAdapterOptions): SocketAdapter {
  return checkedFactory('qqAdapter', () => {
    return socketTaskAdapter(
      {
        factory: 'qqAdapter',
        name: 'qq',
        minimum: qqMinimum,
        profile: qqProfile,
      },
      options?.qq,
    );
  });
}
