// One measurement of one variant, in a fresh process (run.ts pins it to core 0 and starts it with --expose-gc).
// Usage: node --expose-gc --import tsx bench/client.ts <measurement> <variant> <port>
// Prints one line of JSON: { metric: value, ... } in the units of meta.ts.
import { performance } from 'node:perf_hooks';
import { MEASUREMENTS, type MeasurementName, VARIANT_NAMES, type VariantName } from './meta.js';
import { type BenchSocket, VARIANTS, type Variant } from './variants.js';

const MESSAGE = 'hello world 1234'; // 16 bytes, as the server's pushes
// The same 16 bytes as one ArrayBuffer, built once and passed to every binary send, as a producer reusing its
// buffer would. An ArrayBuffer (not a view): what a SocketTask takes, and every variant's send() too.
const BINARY = new TextEncoder().encode(MESSAGE).slice().buffer;
const SIZES = {
  sends: 200_000,
  sendBatch: 1_000,
  sendWarmup: 1,
  sendRounds: 3,
  echoes: 2_000,
  echoWarmup: 200,
  pushes: 200_000,
  burstWarmup: 1,
  bursts: 5,
  connections: 1_000,
  churn: Number(process.env.BENCH_CHURN ?? 10_000),
  reconnects: 50,
  reconnectWarmup: 5,
};

const [measurement, variantName, portText] = process.argv.slice(2) as [MeasurementName, VariantName, string];
if (!(measurement in MEASUREMENTS) || !VARIANT_NAMES.includes(variantName) || !portText) {
  throw new Error(`usage: client.ts <${Object.keys(MEASUREMENTS).join('|')}> <variant> <port>`);
}
const variant: Variant = VARIANTS[variantName];
const base = `ws://127.0.0.1:${portText}`;
const gc = (globalThis as { gc?: () => void }).gc;

interface Hooks {
  onOpen?: (() => void) | undefined;
  onMessage?: (data: unknown) => void;
  onClose?: () => void;
}

function connect(path: string, hooks: Hooks, reconnect = false): BenchSocket {
  return variant(
    base + path,
    {
      onOpen: () => hooks.onOpen?.(),
      onMessage: (data) => hooks.onMessage?.(data),
      onClose: () => hooks.onClose?.(),
    },
    reconnect,
  );
}

function opened(path: string, hooks: Hooks): Promise<BenchSocket> {
  return new Promise((resolve) => {
    const socket = connect(path, hooks);
    hooks.onOpen = () => {
      hooks.onOpen = undefined;
      resolve(socket);
    };
  });
}

const quantile = (sorted: number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
const median = (values: number[]) =>
  quantile(
    [...values].sort((a, b) => a - b),
    0.5,
  );
const tick = () => new Promise((resolve) => setImmediate(resolve));

/**
 * Rounds of `sends` sends of `message` on one connection, each followed by a text '?' until the server's count
 * acknowledges every message so far: the median rate of the measured rounds, in k msg/s. The first round only
 * warms up, so that what is compared is the steady state, not how long each variant's code takes to be optimized.
 */
async function sendThroughput(message: string | ArrayBuffer): Promise<number> {
  const hooks: Hooks = {};
  const socket = await opened('/count', hooks);
  const rates: number[] = [];
  let total = 0;
  for (let round = 0; round < SIZES.sendWarmup + SIZES.sendRounds; round++) {
    total += SIZES.sends;
    const expected = String(total);
    const acked = new Promise<void>((resolve) => {
      hooks.onMessage = (data) => {
        if (String(data) === expected) resolve();
      };
    });
    const start = performance.now();
    // Batches with a turn of the event loop between them, so the socket drains as a real sender's would.
    for (let sent = 0; sent < SIZES.sends; sent += SIZES.sendBatch) {
      for (let i = 0; i < SIZES.sendBatch; i++) socket.send(message);
      await tick();
    }
    socket.send('?');
    await acked;
    if (round >= SIZES.sendWarmup) rates.push(SIZES.sends / (performance.now() - start));
  }
  return median(rates);
}

async function send(): Promise<Record<string, number>> {
  return { send: await sendThroughput(MESSAGE) };
}

async function sendBinary(): Promise<Record<string, number>> {
  return { sendBinary: await sendThroughput(BINARY) };
}

async function echo(): Promise<Record<string, number>> {
  const hooks: Hooks = {};
  const socket = await opened('/echo', hooks);
  const rtts: number[] = [];
  for (let i = 0; i < SIZES.echoWarmup + SIZES.echoes; i++) {
    const start = performance.now();
    await new Promise<void>((resolve) => {
      hooks.onMessage = () => resolve();
      socket.send(MESSAGE);
    });
    if (i >= SIZES.echoWarmup) rtts.push((performance.now() - start) * 1000);
  }
  rtts.sort((a, b) => a - b);
  return { echoP50: quantile(rtts, 0.5), echoP99: quantile(rtts, 0.99) };
}

async function burst(): Promise<Record<string, number>> {
  const hooks: Hooks = {};
  const socket = await opened('/push', hooks);
  const rates: number[] = [];
  // A burst lasts a fraction of a second: one warm-up burst first, then the median of several, so that JIT
  // tiering and a stray GC in one of them do not decide the figure.
  for (let round = 0; round < SIZES.burstWarmup + SIZES.bursts; round++) {
    let received = 0;
    const done = new Promise<void>((resolve) => {
      hooks.onMessage = () => {
        if (++received === SIZES.pushes) resolve();
      };
    });
    const start = performance.now();
    socket.send(`go:${SIZES.pushes}`);
    await done;
    if (round >= SIZES.burstWarmup) rates.push(SIZES.pushes / (performance.now() - start));
  }
  return { burst: median(rates) };
}

function heapUsed(): number {
  gc?.();
  gc?.();
  return process.memoryUsage().heapUsed;
}

async function connections(): Promise<Record<string, number>> {
  if (!gc) throw new Error('run the client with --expose-gc');
  const before = heapUsed();
  const start = performance.now();
  const sockets = await Promise.all(Array.from({ length: SIZES.connections }, () => openTracked('/idle')));
  const ms = performance.now() - start;
  const after = heapUsed();
  const result = { connectionsTime: ms, connectionsHeap: (after - before) / sockets.length };
  await closeAll(sockets);
  return result;
}

function closeAll(sockets: BenchSocket[]): Promise<void> {
  let open = sockets.length;
  return new Promise((resolve) => {
    for (const socket of sockets) {
      closing.set(socket, () => {
        if (--open === 0) resolve();
      });
      socket.close();
    }
  });
}
// What each socket opened by openTracked() runs on its close event.
const closing = new Map<BenchSocket, () => void>();

function openTracked(path: string): Promise<BenchSocket> {
  return new Promise((resolve) => {
    const socket: BenchSocket = connect(path, {
      onOpen: () => resolve(socket),
      onClose: () => closing.get(socket)?.(),
    });
  });
}

async function churn(): Promise<Record<string, number>> {
  const start = performance.now();
  const sockets = await Promise.all(Array.from({ length: SIZES.churn }, () => openTracked('/idle')));
  await closeAll(sockets);
  return { churn: performance.now() - start };
}

async function reconnect(): Promise<Record<string, number>> {
  const latencies: number[] = [];
  let droppedAt = 0;
  let opens = 0;
  let socket: BenchSocket | undefined;
  await new Promise<void>((resolve) => {
    socket = connect(
      '/drop',
      {
        onOpen: () => {
          if (opens++ > 0) latencies.push(performance.now() - droppedAt);
          if (latencies.length === SIZES.reconnectWarmup + SIZES.reconnects) resolve();
          else socket?.send('drop');
        },
        onClose: () => {
          droppedAt = performance.now();
        },
      },
      true,
    );
  });
  socket?.close();
  return { reconnect: median(latencies.slice(SIZES.reconnectWarmup)) };
}

const run: Record<MeasurementName, () => Promise<Record<string, number>>> = {
  send,
  sendBinary,
  echo,
  burst,
  connections,
  churn,
  reconnect,
};

const result = await run[measurement]();
process.stdout.write(`${JSON.stringify(result)}\n`);
process.exit(0);
