// socket.ts: the app's one connection, made when the first page imports this module. Pages watch it with
// useConnection(socket) and listen with useMessage(socket, ...): both stop when the page unloads, and the socket
// stays open for the other pages.
import { createConnection } from 'socket-task-machine';
import { uniAdapter } from 'socket-task-machine/adapters/uni-app';

export const socket = createConnection({
  url: 'wss://example.com/ws',
  adapter: uniAdapter({ uni }), // one build for H5, App and every mini-program target
  reconnect: {},
  heartbeat: { interval: 15_000, timeout: 10_000 },
  errorGrace: 500, // the App runtime reports some drops with an error and no close
});

/** What the server sends. */
export type ServerMessage = { type: 'news'; title: string } | { type: 'chat'; from: string; text: string };

/** The server's message in a message event, or `undefined` for anything else. */
export function serverMessage(data: unknown): ServerMessage | undefined {
  return typeof data === 'string' ? (JSON.parse(data) as ServerMessage) : undefined;
}
