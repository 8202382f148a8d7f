// socket.ts: login, then subscribe again, on every connection. The server forgets a socket's session when it drops,
// so each new socket logs in first; the app's messages wait in the queue until the server has accepted the login
// (holdUntilReady), and onReady subscribes again once they are written.
import { createConnection } from 'socket-task-machine';
import { wechatAdapter } from 'socket-task-machine/adapters/wechat';

export const conn = createConnection({
  // Read on every attempt: a new token after a new login.
  url: () => `wss://example.com/ws?token=${encodeURIComponent(token())}`,
  adapter: wechatAdapter({ wx }),
  reconnect: {},
  startClosed: true, // no socket before the login
  queue: { holdUntilReady: true }, // queued messages wait for conn.ready()
});

function token(): string {
  return String(wx.getStorageSync('token'));
}

// 1. Every open: log in. While the queue is held, this send goes straight to the socket, ahead of the queue.
conn.onOpen(() => {
  conn.send(JSON.stringify({ type: 'login', token: token() })).catch(() => {}); // a drop fails it; the next open logs in
});

// 2. The server accepted the login: release the queue.
conn.onMessage(({ data }) => {
  if (typeof data !== 'string') return;
  const message = JSON.parse(data) as { type: string };
  if (message.type === 'welcome') conn.ready();
  if (message.type === 'login-refused') void logout();
});

// 3. Ready, once the queue is written: subscribe again.
conn.onReady(() => {
  conn.send(JSON.stringify({ type: 'subscribe', topics: ['news'] })).catch(() => {});
});

/** After the user logged in: the first socket, or a new life after logout(), with every listener above kept. */
export function login(newToken: string): void {
  wx.setStorageSync('token', newToken);
  conn.reconnect();
}

/** Closes the socket; the listeners stay for the next login. */
export async function logout(): Promise<void> {
  wx.removeStorageSync('token');
  await conn.close({ code: 1000, reason: 'logout' });
}

/** An application message: written once logged in on the current socket, queued until then. */
export function like(postId: number): Promise<void> {
  return conn.send(JSON.stringify({ type: 'like', postId }));
}
