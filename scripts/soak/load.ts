// The load part of `npm run soak`: SOAK_CONNECTIONS managed connections (Node adapter) through the fault proxy,
// sending steadily while random faults hit random connections for SOAK_SECONDS. Prints one line of JSON.
// Run with --expose-gc: the heap is compared after gc at the start and at the end, both with every connection OPEN.
import { type ChildProcess, fork } from 'node:child_process';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { WebSocket } from 'ws';
import { nodeAdapter } from '../../src/adapters/node.js';
import { type Connection, createConnection } from '../../src/connection/createConnection.js';
import { SocketTaskError } from '../../src/errors.js';
import { type ConnectionMode, faults } from '../../test/faults/proxy.js';
import type { NetworkCommand, NetworkReply } from './network.js';

const CONNECTIONS = Number(process.env.SOAK_CONNECTIONS ?? 1000);
const SECONDS = Number(process.env.SOAK_SECONDS ?? 60);
const SEND_EVERY_MS = 200;
const FAULT_EVERY_MS = 50;
const BOUND_MS = 60_000;

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');
const heap = () => {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
};
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function within<T>(what: string, probe: () => T | undefined | false, ms = BOUND_MS): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`soak: timed out after ${ms} ms waiting for ${what}`);
    await sleep(20);
  }
}

// ------------------------------------------------------------------------------------------------ the network

const network: ChildProcess = fork(new URL('./network.ts', import.meta.url), {
  execArgv: ['--import', 'tsx'],
  stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
});
const replies: NetworkReply[] = [];
network.on('message', (reply: NetworkReply) => replies.push(reply));
const command = (c: NetworkCommand) => network.send(c);
async function reply<T extends NetworkReply['type']>(type: T): Promise<Extract<NetworkReply, { type: T }>> {
  const found = await within(`the network's ${type}`, () => {
    const index = replies.findIndex((r) => r.type === type);
    return index >= 0 ? replies.splice(index, 1)[0] : undefined;
  });
  return found as Extract<NetworkReply, { type: T }>;
}
const { port } = await reply('ready');

// --------------------------------------------------------------------------------------------- the connections

const outcomes = { sent: 0, written: 0, failed: {} as Record<string, number>, other: 0 };
let reconnects = 0;
const adapter = nodeAdapter({ WebSocket });
const connections: Connection[] = [];
for (let i = 0; i < CONNECTIONS; i++) {
  const conn = createConnection({
    url: `ws://127.0.0.1:${port}/soak-${i}`,
    adapter,
    reconnect: { initialDelay: 50, maxDelay: 1000 },
    heartbeat: { interval: 2000, timeout: 2000 },
    connectTimeout: 3000,
    closeTimeout: 1000,
  });
  conn.onError(() => {});
  conn.onStateChange((state, previous) => {
    if (previous === 'CLOSED' && state === 'CONNECTING') reconnects++;
  });
  connections.push(conn);
}
const allOpen = () => connections.every((c) => c.state === 'OPEN');
await within('every connection to open', allOpen);

const sendAll = () => {
  for (const conn of connections) {
    outcomes.sent++;
    conn.send(`m${outcomes.sent}`).then(
      () => {
        outcomes.written++;
      },
      (error: unknown) => {
        if (error instanceof SocketTaskError)
          outcomes.failed[error.code] = (outcomes.failed[error.code] ?? 0) + 1;
        else outcomes.other++;
      },
    );
  }
};
const settled = () =>
  outcomes.written + outcomes.other + Object.values(outcomes.failed).reduce((a, b) => a + b, 0);

// Warm up with traffic and no fault, so that the start figure is taken from a process in its working shape.
const warm = setInterval(sendAll, SEND_EVERY_MS);
await sleep(3000);
clearInterval(warm);
await within('the warm-up sends to settle', () => settled() === outcomes.sent);
const heapStart = heap();
const sentBeforeSoak = outcomes.sent;

// -------------------------------------------------------------------------------------------------- the soak

const pick = (): ConnectionMode => {
  const r = Math.random();
  if (r < 0.4) return faults.reset();
  if (r < 0.55)
    return faults.cutAt(Math.floor(Math.random() * 40), Math.random() < 0.5 ? 'toServer' : 'toClient');
  if (r < 0.7) return faults.blackhole();
  if (r < 0.9) return faults.latency(1 + Math.floor(Math.random() * 50));
  return faults.pass();
};
const delay = monitorEventLoopDelay({ resolution: 10 });
delay.enable();
const started = Date.now();
const traffic = setInterval(sendAll, SEND_EVERY_MS);
const faulting = setInterval(() => command({ type: 'fault', mode: pick() }), FAULT_EVERY_MS);
// Now and then new connections are refused or stalled for a moment, and the server restarts twice.
const refusing = setInterval(() => {
  command({ type: 'newConnections', mode: Math.random() < 0.5 ? faults.refuse() : faults.stallHandshake() });
  setTimeout(() => command({ type: 'newConnections', mode: faults.pass() }), 300);
}, 5000);
const restarts = [1 / 3, 2 / 3].map((at) =>
  setTimeout(() => command({ type: 'restart' }), SECONDS * 1000 * at),
);
await sleep(SECONDS * 1000);
clearInterval(traffic);
clearInterval(faulting);
clearInterval(refusing);
for (const timer of restarts) clearTimeout(timer);
const soakSeconds = (Date.now() - started) / 1000;
delay.disable();
const sentDuringSoak = outcomes.sent - sentBeforeSoak;
const reconnectsDuringSoak = reconnects;

// ------------------------------------------------------------------------------------------------ the ending

// The network heals: every connection comes back and writes what it queued.
command({ type: 'heal' });
await within('every connection to be OPEN again after the network healed', allOpen);
await within('every send to settle', () => settled() === outcomes.sent);
await sleep(500);
const heapEnd = heap();

await Promise.race([
  Promise.all(connections.map((conn) => conn.close({ code: 1000 }).then(() => conn.closed))),
  sleep(BOUND_MS).then(() => {
    throw new Error('soak: closing every connection took too long');
  }),
]);
const withoutOutcome = outcomes.sent - settled();
// No zombies: once every connection is closed, the server holds no socket (polled: its closes arrive last).
let zombies = -1;
for (let attempt = 0; attempt < 50; attempt++) {
  command({ type: 'census' });
  const now = await reply('census');
  zombies = now.serverSockets;
  if (zombies === 0) break;
  await sleep(100);
}
command({ type: 'stop' });
await reply('stopped');

process.stdout.write(
  `${JSON.stringify({
    connections: CONNECTIONS,
    seconds: soakSeconds,
    reconnects: reconnectsDuringSoak,
    reconnectsPerSecond: reconnectsDuringSoak / soakSeconds,
    sent: outcomes.sent,
    sentDuringSoak,
    written: outcomes.written,
    failed: outcomes.failed,
    otherErrors: outcomes.other,
    withoutOutcome,
    heapStart,
    heapEnd,
    eventLoopDelayP99Ms: delay.percentile(99) / 1e6,
    eventLoopDelayMaxMs: delay.max / 1e6,
    zombies,
  })}\n`,
);
process.exit(0);
