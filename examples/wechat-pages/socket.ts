// socket.ts: the app's one connection. It is made once, when the first page imports this module, and every page
// shares it: pages subscribe to what they show and let go when they unload; no page closes the socket.
import { createConnection } from 'socket-task-machine';
import { wechatAdapter } from 'socket-task-machine/adapters/wechat';

export const conn = createConnection({
  url: 'wss://example.com/ws',
  adapter: wechatAdapter({ wx }),
  reconnect: {}, // after a drop: status 'waiting', then a new socket
  heartbeat: { interval: 15_000, timeout: 10_000 },
});

/** What the server sends. */
export type ServerMessage = { type: 'news'; title: string } | { type: 'chat'; room: string; text: string };
/** What the pages send. */
export type ClientMessage =
  | { type: 'join'; room: string }
  | { type: 'leave'; room: string }
  | { type: 'say'; room: string; text: string };

/** Calls `listener` with every message from the server; returns the function that stops it. */
export function onServerMessage(listener: (message: ServerMessage) => void): () => void {
  return conn.onMessage(({ data }) => {
    if (typeof data === 'string') listener(JSON.parse(data) as ServerMessage);
  });
}

/** Sends now, or once the socket is open again (the queue holds it meanwhile). */
export function sendToServer(message: ClientMessage): void {
  conn.send(JSON.stringify(message)).catch((error) => console.warn('not sent:', error.code, error.message));
}
