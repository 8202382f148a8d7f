// Taro: its default export goes to the adapter as it is.
import Taro from '@tarojs/taro';
import { createConnection } from 'socket-task-machine';
import { taroAdapter } from 'socket-task-machine/adapters/taro';

export const conn = createConnection({
  url: 'wss://example.com/ws',
  adapter: taroAdapter({ Taro }), // the H5 build (Taro.getEnv()) uses the browser's online and visibility events
  reconnect: {},
  heartbeat: {},
});
