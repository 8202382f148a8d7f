// A service talking to another service: a fresh token on every attempt, bounded queue, shutdown on SIGTERM.
import { createConnection } from 'socket-task-machine';
import { nodeAdapter } from 'socket-task-machine/adapters/node';

async function serviceToken(): Promise<string> {
  return process.env.UPSTREAM_TOKEN ?? ''; // or fetched from your identity provider
}

const shutdown = new AbortController();
export const conn = createConnection({
  url: 'wss://upstream.internal/feed',
  adapter: nodeAdapter(),
  header: async () => ({ authorization: `Bearer ${await serviceToken()}` }), // fresh on every attempt
  reconnect: { initialDelay: 500, maxDelay: 10_000 },
  heartbeat: { interval: 10_000, timeout: 5_000 },
  queue: { maxBytes: 4 * 1024 * 1024, ttl: 60_000 },
  signal: shutdown.signal,
});
conn.onGiveUp(({ reason, close }) => console.error('upstream gone:', reason, close.code));
process.on('SIGTERM', async () => {
  shutdown.abort();
  await conn.closed; // socket, timers and queue all released
});
