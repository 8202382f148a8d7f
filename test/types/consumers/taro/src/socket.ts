// A Taro 4 app's socket module, as a user writes it: Taro's default export goes to the adapter as it is.
import Taro from '@tarojs/taro';
import { createConnection } from 'socket-task-machine';
import { taroAdapter } from 'socket-task-machine/adapters/taro';

export const connection = createConnection({
  url: 'wss://example.com/socket',
  adapter: taroAdapter({ Taro }),
  reconnect: { maxRetries: 10 },
});

connection.onMessage(({ data }) => {
  if (typeof data === 'string') Taro.showToast({ title: data, icon: 'none' });
});

export function leave(): Promise<unknown> {
  return connection.close({ code: 1000, reason: 'page closed' });
}
