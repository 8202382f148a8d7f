// The app's one connection, made with the global `wx` as the vendor's typings declare it.
import { createConnection } from 'socket-task-machine';
import { wechatAdapter } from 'socket-task-machine/adapters/wechat';

export const connection = createConnection({
  url: 'wss://example.com/socket',
  adapter: wechatAdapter({ wx }),
});

// No DOM in this project: were it to leak in through a typing, this directive would be unused and fail the check.
// @ts-expect-error: no DOM lib.
export type NoDom = EventTarget;
