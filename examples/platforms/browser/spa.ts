// A single-page app: one connection per mounted view; the abort on unmount leaves nothing behind.
import { createConnection } from 'socket-task-machine';
import { webAdapter } from 'socket-task-machine/adapters/web';

const getToken = () => sessionStorage.getItem('token') ?? '';
const render = (update: unknown) => {
  document.querySelector('#feed')?.append(JSON.stringify(update));
};

export function connect(signal: AbortSignal) {
  const conn = createConnection({
    url: () => `wss://example.com/ws?token=${getToken()}`,
    adapter: webAdapter(), // pauses retries while offline or while the tab is hidden
    reconnect: {},
    heartbeat: { interval: 20_000, timeout: 10_000 }, // wall-clock checked: no false timeout in background tabs
    queue: { maxMessages: 200, ttl: 30_000 },
    signal,
  });
  conn.onMessage(({ data }) => render(JSON.parse(String(data))));
  return conn;
}
