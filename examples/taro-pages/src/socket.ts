// src/socket.ts: the app's one connection, made when the first page imports this module. Pages watch it with
// useConnection(socket) and listen with useMessage(socket, ...): both stop when the page unmounts, and the socket
// stays open for the other pages.
import Taro from '@tarojs/taro';
import { createConnection } from 'socket-task-machine';
import { taroAdapter } from 'socket-task-machine/adapters/taro';

export const socket = createConnection({
  url: 'wss://example.com/ws',
  adapter: taroAdapter({ Taro }), // the H5 build (Taro.getEnv()) uses the browser's online and visibility events
  reconnect: {},
  heartbeat: { interval: 15_000, timeout: 10_000 },
});

/** What the server sends. */
export type ServerMessage = { type: 'news'; title: string } | { type: 'chat'; from: string; text: string };

/** The server's message in a message event, or `undefined` for anything else. */
export function serverMessage(data: unknown): ServerMessage | undefined {
  return typeof data === 'string' ? (JSON.parse(data) as ServerMessage) : undefined;
}
