// A `ws` echo server on 127.0.0.1 that can go down and come back on the same port. It records what each
// connection received and which TCP sockets are still open, for "in order, no duplicates" and "no zombies" checks.
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { type WebSocket, WebSocketServer } from 'ws';
import { until } from '../helpers.js';

/** The close code and reason a server-side socket got. */
export interface EchoClose {
  code: number;
  reason: string;
}

/** The server side of one accepted WebSocket, and everything it saw. */
export interface EchoConnection {
  /** 0 for the first connection ever accepted, counting up across restarts. */
  readonly id: number;
  /** Which listen accepted it: 0 for the first, one more per {@link EchoServer.start}. */
  readonly generation: number;
  /** The request path of the upgrade, e.g. `/chat?x=1`. */
  readonly path: string;
  readonly socket: WebSocket;
  /** The TCP socket underneath, e.g. for `bytesRead`. */
  readonly tcp: Socket;
  /** Every message received, in order: text as a string, binary as a Buffer. */
  readonly messages: readonly (string | Buffer)[];
  /** The code of the first error on the TCP socket, e.g. `ECONNRESET`; undefined if none. */
  readonly tcpError: string | undefined;
  /** The close this socket got; undefined while it is open. */
  readonly close: EchoClose | undefined;
  /** Resolves with {@link EchoConnection.close} once the socket is closed. */
  readonly closed: Promise<EchoClose>;
}

export interface EchoServerOptions {
  /** @defaultValue 0: an ephemeral port, kept for every restart */
  port?: number;
}

export interface EchoServer {
  readonly port: number;
  /** `ws://127.0.0.1:<port><path>` */
  url(path?: string): string;
  /** The current `ws` server; undefined while stopped. */
  readonly server: WebSocketServer | undefined;
  readonly listening: boolean;
  /** Every WebSocket accepted so far, across restarts, in order. */
  readonly connections: readonly EchoConnection[];
  /** TCP sockets accepted and not yet closed, upgraded or not: one left after its client is gone is a zombie. */
  readonly openSockets: readonly Socket[];
  /** Resolves with `connections[index]` once it has been accepted; rejects after `timeoutMs`. */
  connection(index?: number, timeoutMs?: number): Promise<EchoConnection>;
  /** Destroys every socket and stops listening; resolves once all are closed. No-op while stopped. */
  stop(): Promise<void>;
  /** Listens again on the same port. No-op while listening. */
  start(): Promise<void>;
  /** {@link EchoServer.stop}, then {@link EchoServer.start}. */
  restart(): Promise<void>;
}

/**
 * Starts a `ws` server on 127.0.0.1 that sends every message back as it came, text as text, binary as binary.
 *
 * @example
 * ```ts
 * const server = await startEchoServer();
 * await server.restart();
 * expect(server.openSockets).toEqual([]);
 * await server.stop();
 * ```
 */
export async function startEchoServer(options: EchoServerOptions = {}): Promise<EchoServer> {
  let port = options.port ?? 0;
  let generation = -1;
  let current: { http: Server; wss: WebSocketServer } | undefined;
  const connections: EchoConnection[] = [];
  const open = new Map<Socket, Promise<void>>();

  const accept = (socket: WebSocket, tcp: Socket, path: string, acceptedBy: number): void => {
    const messages: (string | Buffer)[] = [];
    let tcpError: string | undefined;
    let close: EchoClose | undefined;
    // Listeners on both, since an 'error' with none would throw out of the server; tests read the close.
    tcp.on('error', (error: NodeJS.ErrnoException) => {
      tcpError ??= error.code ?? error.message;
    });
    socket.on('error', () => {});
    socket.on('message', (data: Buffer, isBinary) => {
      messages.push(isBinary ? data : data.toString());
      socket.send(data, { binary: isBinary });
    });
    const closed = new Promise<EchoClose>((resolve) =>
      socket.once('close', (code, reason) => {
        close = { code, reason: reason.toString() };
        resolve(close);
      }),
    );
    connections.push({
      id: connections.length,
      generation: acceptedBy,
      path,
      socket,
      tcp,
      messages,
      get tcpError() {
        return tcpError;
      },
      get close() {
        return close;
      },
      closed,
    });
  };

  const listen = async (): Promise<void> => {
    if (current) return;
    generation += 1;
    const thisGeneration = generation;
    const http = createServer((_request, response) => {
      response.writeHead(426).end();
    });
    const wss = new WebSocketServer({ server: http });
    // ws re-emits the http server's errors (EADDRINUSE); the listen below reports them.
    wss.on('error', () => {});
    http.on('connection', (socket: Socket) => {
      open.set(
        socket,
        new Promise((resolve) =>
          socket.once('close', () => {
            open.delete(socket);
            resolve();
          }),
        ),
      );
    });
    wss.on('connection', (socket, request) =>
      accept(socket, request.socket as Socket, request.url ?? '', thisGeneration),
    );
    const listenOn = (at: number) =>
      new Promise<void>((resolve, reject) => {
        http.once('error', reject);
        http.listen(at, '127.0.0.1', () => {
          http.off('error', reject);
          resolve();
        });
      });
    if (port !== 0) await listenOn(port);
    else {
      // Below the ephemeral range (32768+ on Linux), which listen(0) anywhere else never hands out: while this
      // server is down for a restart, no other test's server can take its port and receive its clients.
      for (let attempt = 0; ; attempt++) {
        try {
          await listenOn(20_000 + Math.floor(Math.random() * 12_000));
          break;
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE' || attempt === 20) throw error;
        }
      }
    }
    port = (http.address() as AddressInfo).port;
    current = { http, wss };
  };

  const shutDown = async (): Promise<void> => {
    if (!current) return;
    const { http, wss } = current;
    current = undefined;
    for (const client of wss.clients) client.terminate();
    // Sockets that never upgraded (a stalled handshake) are not ws clients; they go too.
    for (const socket of open.keys()) socket.destroy();
    // With an external http server, ws calls back once its last client is gone.
    await new Promise<void>((resolve) => wss.close(() => resolve()));
    await new Promise<void>((resolve, reject) => http.close((error) => (error ? reject(error) : resolve())));
    await Promise.all(open.values());
  };

  // One step at a time, so a start racing a stop never listens twice or closes the new listener.
  let chain: Promise<void> = Promise.resolve();
  const serially = (step: () => Promise<void>): Promise<void> => {
    const result = chain.then(step);
    chain = result.catch(() => {});
    return result;
  };

  await serially(listen);

  return {
    get port() {
      return port;
    },
    url: (path = '/') => `ws://127.0.0.1:${port}${path.startsWith('/') ? '' : '/'}${path}`,
    get server() {
      return current?.wss;
    },
    get listening() {
      return current !== undefined;
    },
    connections,
    get openSockets() {
      return [...open.keys()];
    },
    connection: (index = 0, timeoutMs = 2000) =>
      until(() => connections[index], `echo server connection #${index}`, timeoutMs),
    stop: () => serially(shutDown),
    start: () => serially(listen),
    restart: () =>
      serially(async () => {
        await shutDown();
        await listen();
      }),
  };
}
