// Compiles wechatAdapter({ wx }) against miniprogram-api-typings' own global `wx`: the vendor's object must fit
// the adapter's structural option type as declared, with no cast.

import type { SocketAdapter } from '../../../src/adapters/types.js';
import {
  type MiniProgramSocketPlatform,
  type MiniProgramSocketTask,
  wechatAdapter,
} from '../../../src/adapters/wechat.js';
import type { MiniProgramLifecycleHost } from '../../../src/lifecycle/platformSources.js';

export const adapter: SocketAdapter = wechatAdapter({ wx });

// The vendor's SocketTask, as connectSocket returns it, is what the adapter drives.
export const platform: MiniProgramSocketPlatform = wx;
export const task: MiniProgramSocketTask = wx.connectSocket({ url: 'wss://example.com' });

// Every lifecycle function the vendor declares, as declared, is one the adapter can subscribe to.
export const lifecycleHost: Required<MiniProgramLifecycleHost> = wx;

const toldOnline = (_listener: (result: { online: boolean }) => void) => {};
// @ts-expect-error: a network listener told `online`, not `isConnected`, is not one the adapter can read.
wechatAdapter({ wx: { connectSocket: wx.connectSocket, onNetworkStatusChange: toldOnline } });

// @ts-expect-error: the adapter takes `{ wx }`, not `wx` itself.
wechatAdapter(wx);

const requestOnly = { request: wx.request };
// @ts-expect-error: a platform object without connectSocket is not `wx`.
wechatAdapter({ wx: requestOnly });

// @ts-expect-error: wx.request returns a RequestTask, not a SocketTask.
wechatAdapter({ wx: { connectSocket: wx.request } });

// @ts-expect-error: a connectSocket that needs an option the adapter never passes cannot be driven.
wechatAdapter({ wx: { connectSocket: (_options: { url: string; method: 'GET' }) => task } });

// @ts-expect-error: a task without onMessage is not a SocketTask.
export const wrongTask: MiniProgramSocketTask = { ...task, onMessage: undefined };
