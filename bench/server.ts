// The benchmark's server, run in its own process (pinned to core 1 by run.ts): a `ws` server doing almost no work
// per message, so the client under test is what the figures measure. The path of the URL picks the mode.
import type { Socket } from 'node:net';
import { type WebSocket, WebSocketServer } from 'ws';

const PAYLOAD = Buffer.from('hello world 1234'); // 16 bytes, the message every mode uses
// One unmasked text frame (FIN + opcode 1, 7-bit length): pushes are written as prebuilt frames, not ws.send()
// calls, so that framing on the server cannot be the bottleneck of the burst-receive measurement.
const FRAME = Buffer.concat([Buffer.from([0x81, PAYLOAD.length]), PAYLOAD]);
const frames = new Map<number, Buffer>();

function framesOf(count: number): Buffer {
  let buffer = frames.get(count);
  if (buffer === undefined) {
    buffer = Buffer.alloc(FRAME.length * count);
    for (let i = 0; i < count; i++) FRAME.copy(buffer, i * FRAME.length);
    frames.set(count, buffer);
  }
  return buffer;
}

const QUESTION = 63; // '?'

// Counts every message, text or binary; only a text '?' asks for the count.
function count(ws: WebSocket): void {
  let received = 0;
  ws.on('message', (data: Buffer, isBinary: boolean) => {
    if (!isBinary && data.length === 1 && data[0] === QUESTION) ws.send(String(received));
    else received++;
  });
}

function echo(ws: WebSocket): void {
  ws.on('message', (data: Buffer, isBinary: boolean) => ws.send(data, { binary: isBinary }));
}

function push(ws: WebSocket): void {
  ws.on('message', (data: Buffer) => {
    const n = Number(data.toString().slice('go:'.length));
    // ws keeps the net.Socket in a private field; the sender is idle, so a raw write cannot interleave a frame.
    (ws as unknown as { _socket: Socket })._socket.write(framesOf(n));
  });
}

function drop(ws: WebSocket): void {
  // A drop without a close frame, as a lost connection looks to the client (close 1006).
  ws.on('message', (data: Buffer) => {
    if (data.toString() === 'drop') ws.terminate();
  });
}

const modes: Record<string, (ws: WebSocket) => void> = {
  '/count': count,
  '/echo': echo,
  '/push': push,
  '/drop': drop,
};

const server = new WebSocketServer({
  host: '127.0.0.1',
  port: 0,
  backlog: 65535,
  perMessageDeflate: false,
  clientTracking: false,
});
server.on('connection', (ws, request) => {
  ws.on('error', () => {});
  modes[request.url ?? '']?.(ws); // any other path ('/idle'): open, then nothing but the close handshake
});
server.on('listening', () => {
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('expected a TCP address');
  process.stdout.write(`READY ${address.port}\n`);
});
process.on('SIGTERM', () => process.exit(0));
