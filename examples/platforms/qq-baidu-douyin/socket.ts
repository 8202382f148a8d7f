// QQ, Baidu and Douyin take the same options as WeChat; each adapter takes its platform's global.

import { createConnection } from 'socket-task-machine';
import type { BaiduAdapterOptions } from 'socket-task-machine/adapters/baidu';
import { baiduAdapter } from 'socket-task-machine/adapters/baidu';
import { douyinAdapter } from 'socket-task-machine/adapters/douyin';
import type { QqAdapterOptions } from 'socket-task-machine/adapters/qq';
import { qqAdapter } from 'socket-task-machine/adapters/qq';

// QQ and Baidu publish no typings: declare their globals as the adapters take them (Douyin's typings declare tt).
declare const qq: QqAdapterOptions['qq'];
declare const swan: BaiduAdapterOptions['swan'];

export const qqConnection = createConnection({
  url: 'wss://example.com/ws',
  adapter: qqAdapter({ qq }),
  reconnect: {},
  heartbeat: {},
});

export const baiduConnection = createConnection({
  url: 'wss://example.com/ws',
  adapter: baiduAdapter({ swan }), // 2 sockets at once
  reconnect: {},
  heartbeat: {},
});

export const douyinConnection = createConnection({
  url: 'wss://example.com/ws',
  adapter: douyinAdapter({ tt }), // a close with 1001 in the background is retried once the app is shown again
  reconnect: {},
  heartbeat: {},
});
