// The browser: the root, the web adapter over the DOM's own WebSocket and Taro H5's socket, type-checked as the
// installed package with `lib: [..., "DOM"]` and no @types/node. A real AbortController's signal is a signal, and
// the DOM's WebSocket class is one the web adapter takes, with no cast.
import { type AbortSignalLike, createConnection } from 'socket-task-machine';
import type { TaroBrowserSocket } from 'socket-task-machine/adapters/taro';
import { webAdapter } from 'socket-task-machine/adapters/web';

const controller = new AbortController();
const signal: AbortSignalLike = controller.signal;

export const connection = createConnection({
  url: 'wss://example.com/socket',
  adapter: webAdapter({ WebSocket }),
  signal: controller.signal,
});
export const byDefault = createConnection({ url: 'wss://example.com/socket', adapter: webAdapter(), signal });
connection.onMessage(({ data }) => (typeof data === 'string' ? data.length : data.byteLength));

// Taro H5 hands over the browser's WebSocket as `task.ws`.
export const h5Socket: TaroBrowserSocket = new WebSocket('wss://example.com/socket');

createConnection({
  url: 'wss://example.com',
  adapter: webAdapter(),
  // @ts-expect-error: an EventTarget is not a signal: it has no `aborted`.
  signal: new EventTarget(),
});

// @ts-expect-error: no @types/node here.
export type NoNode = Buffer;
