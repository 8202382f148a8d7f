// The framework bindings as a uni-app (Vue 3) or Taro (React) mini-program build imports them: the installed
// package with `lib: ["ES2020"]` and no global typings, beside the app's own vue or react. The returned values keep
// their types (refs in Vue, plain values in React), and both take the same connection. No casts.
import {
  type Connection,
  type ConnectionStatus,
  createConnection,
  type QueueStats,
} from 'socket-task-machine';
import { type UniPlatform, uniAdapter } from 'socket-task-machine/adapters/uni-app';
import * as react from 'socket-task-machine/react';
import * as vue from 'socket-task-machine/vue';

declare const uni: UniPlatform;

export const shared: Connection = createConnection({
  url: 'wss://example.com/socket',
  adapter: uniAdapter({ uni }),
});

export function useVueChat(): string {
  const chat: vue.UseConnectionReturn = vue.useConnection({
    url: 'wss://example.com/chat',
    adapter: uniAdapter({ uni }),
  });
  const status: ConnectionStatus = chat.status.value;
  const queued: QueueStats = chat.queue.value;
  const stop: () => void = vue.useMessage(chat, ({ data }) =>
    typeof data === 'string' ? data : data.byteLength,
  );
  vue.useMessage(shared, () => {});
  vue
    .useConnection(shared)
    .send('hi')
    .catch(() => {});
  // @ts-expect-error: the refs are read-only: the connection sets them.
  chat.status.value = 'open';
  // @ts-expect-error: the handler is a function.
  vue.useMessage(shared, 'log');
  stop();
  return `${status} ${queued.messages} ${chat.lastMessage.value?.data ?? ''}`;
}

export function useReactChat(): string {
  const chat: react.UseConnectionReturn = react.useConnection({
    url: 'wss://example.com/chat',
    adapter: uniAdapter({ uni }),
  });
  const status: ConnectionStatus = chat.status;
  react.useMessage(chat, ({ data }) => (typeof data === 'string' ? data : data.byteLength));
  react.useMessage(shared, () => {});
  chat.close({ code: 1000, complete: () => {} });
  chat.reconnect();
  // @ts-expect-error: the handler is a function.
  react.useMessage(shared, 'log');
  return `${status} ${chat.retries} ${chat.nextRetryAt ?? ''}`;
}

// Neither binding brings the DOM or Node into a mini-program build's types.
// @ts-expect-error: no DOM lib.
export type NoDom = AbortSignal;
// @ts-expect-error: no @types/node.
export type NoNode = Buffer;
