// WeChat wx.connectSocket: https://developers.weixin.qq.com/miniprogram/dev/api/network/websocket/wx.connectSocket.html
// and its SocketTask: https://developers.weixin.qq.com/miniprogram/dev/api/network/websocket/SocketTask.html
import { checkedFactory } from './factory.js';
import { wechatMinimum } from './minimums.js';
import { type MiniProgramSocketPlatform, socketTaskAdapter } from './socketTaskPlatform.js';
import type { PlatformProfile, SocketAdapter } from './types.js';

/** WeChat mini-program devices: a close while CONNECTING is ignored; wss:// only. */
export const wechatProfile: PlatformProfile = {
  // docs/platforms.md#close-before-open: closeSocket before onSocketOpen "cannot close the WebSocket"; the manager defers it until open.
  closeWhileConnecting: 'ignored',
  // WeChat's own pages disagree: today's says 5 from base 1.7.0, its older network-socket one "2 connections from 1.7.0",
  // an older edition "5 (mini-games) / 2 (mini-programs)", and devices report a third socket failing with
  // "exceed max cocurrent count" (developers.weixin.qq.com/community/develop/doc/000c6c4a190b90376cf2901346d800,
  // netease-im/NIM_Web_Weapp_Demo#9). 2 is the value no device has been seen to refuse (docs/platforms.md#connection-limits).
  maxConcurrent: 2,
  requiresSecureUrl: true,
  binary: true,
  headers: true,
  protocols: true,
};

export { type PlatformMinimum, wechatLegacyMinimum, wechatMinimum } from './minimums.js';

export interface WechatAdapterOptions {
  /** The WeChat global `wx` (base library 1.7.0+, where `connectSocket` returns a SocketTask). */
  wx: MiniProgramSocketPlatform;
}

/**
 * Binds the machine to WeChat's `wx.connectSocket` SocketTask: each native listener registered once, payloads
 * normalized, a failed connect call reported as error and close.
 *
 * @example
 * ```ts
 * import { createConnection } from 'socket-task-machine';
 * import { wechatAdapter } from 'socket-task-machine/adapters/wechat';
 *
 * const conn = createConnection({ url: 'wss://example.com/socket', adapter: wechatAdapter({ wx }) });
 * ```
 */
export function wechatAdapter(options: WechatAdapterOptions): SocketAdapter {
  return checkedFactory('wechatAdapter', () => {
    return socketTaskAdapter(
      {
        factory: 'wechatAdapter',
        name: 'wechat',
        minimum: wechatMinimum,
        profile: wechatProfile,
        noTaskFix: 'older ones have only the global socket API: use wechatLegacyAdapter({ wx })',
        handshakeTimeout: true,
      },
      options?.wx,
    );
  });
}

export type {
  MiniProgramSocketPlatform,
  MiniProgramSocketTask,
  SocketTaskConnectOptions,
} from './socketTaskPlatform.js';

// The legacy global API lives on the same `wx`, so it shares this subpath (docs/platforms.md#wechat-legacy-global-api).
export {
  type WechatLegacyAdapterOptions,
  type WechatLegacyPlatform,
  wechatLegacyAdapter,
  wechatLegacyProfile,
} from './wechatLegacy.js';
