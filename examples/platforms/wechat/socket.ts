// socket.ts: one adapter instance for the whole app, so WeChat's limit of 2 sockets at once is counted in one place.
import { createConnection } from 'socket-task-machine';
import { wechatAdapter } from 'socket-task-machine/adapters/wechat';

export const adapter = wechatAdapter({ wx }); // lifecycle: wx.onNetworkStatusChange, wx.onAppShow, wx.onAppHide

export const conn = createConnection({
  url: () => `wss://example.com/ws?token=${wx.getStorageSync('token')}`,
  adapter,
  reconnect: {}, // WeChat's 1000 "interrupted" after backgrounding is retried, once the app is shown again
  heartbeat: { interval: 15_000, timeout: 10_000 },
  connectionLimit: 'wait', // a third socket waits for one of the two to close, instead of failing
});
