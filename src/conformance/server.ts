import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { type WebSocket, WebSocketServer } from 'ws';

/** How the server answers one run's handshake. */
export type Handshake =
  | { kind: 'accept' }
  | { kind: 'delay'; ms: number }
  | { kind: 'refuse' }
  | { kind: 'drop' };

/** The server's side of one run: what it received and the close it saw. */
export interface ServerSide {
  socket: WebSocket | undefined;
  received: Array<string | number[]>;
  close: { code: number; reason: string } | undefined;
  /** The TCP connection is gone (after a close or a drop). */
  ended: boolean;
}

/**
 * The kit's own server on 127.0.0.1: one run at a time, addressed by path (`/run-<n>`), so that a late handshake
 * of an earlier run is turned away instead of being taken for the current one.
 */
export interface ControlledServer {
  url(run: number): string;
  /** Prepares run `run`: its handshake behaviour, and a fresh server side. */
  begin(run: number, handshake: Handshake): ServerSide;
  /** Ends the current run: its sockets are destroyed. */
  end(): void;
  stop(): Promise<void>;
}

export async function startControlledServer(): Promise<ControlledServer> {
  const http: Server = createServer((_req, res) => {
    res.writeHead(404).end();
  });
  const wss = new WebSocketServer({ noServer: true });
  const sockets = new Set<Socket>();
  const timers = new Set<ReturnType<typeof setTimeout>>();
  let run = -1;
  let handshake: Handshake = { kind: 'accept' };
  let side: ServerSide | undefined;

  http.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  http.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    socket.on('error', () => {});
    const match = /^\/run-(\d+)/.exec(req.url ?? '');
    const current = side;
    if (!match || Number(match[1]) !== run || current === undefined || current.socket !== undefined) {
      socket.destroy();
      return;
    }
    const accept = () => {
      if (side !== current || socket.destroyed) return socket.destroy();
      wss.handleUpgrade(req, socket, head, (ws) => {
        current.socket = ws;
        ws.on('message', (data, isBinary) => {
          // A server socket's binaryType is ws's default, 'nodebuffer': each message is one Buffer.
          const bytes = data as Uint8Array & { toString(encoding?: string): string };
          current.received.push(isBinary ? [...bytes] : bytes.toString());
        });
        ws.on('close', (code, reason) => {
          current.close = { code, reason: reason.toString() };
          current.ended = true;
        });
        ws.on('error', () => {});
      });
    };
    switch (handshake.kind) {
      case 'accept':
        return accept();
      case 'delay': {
        const timer = setTimeout(() => {
          timers.delete(timer);
          accept();
        }, handshake.ms);
        timers.add(timer);
        return;
      }
      case 'refuse':
        socket.end('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
        current.ended = true;
        return;
      case 'drop':
        socket.destroy();
        current.ended = true;
        return;
    }
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const { port } = http.address() as AddressInfo;

  const end = () => {
    for (const timer of timers) clearTimeout(timer);
    timers.clear();
    side?.socket?.terminate();
    side = undefined;
  };
  return {
    url: (n) => `ws://127.0.0.1:${port}/run-${n}`,
    begin(n, plan) {
      end();
      run = n;
      handshake = plan;
      side = { socket: undefined, received: [], close: undefined, ended: false };
      return side;
    },
    end,
    async stop() {
      end();
      for (const client of wss.clients) client.terminate();
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}
