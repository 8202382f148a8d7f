import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { bundleBrowserScript } from '../../scripts/bundle.js';
import { echo, startWsServer, type TestWsServer } from '../fixtures/wsServer.js';

/** A ws path whose server side closes the connection with this code and reason as soon as it is accepted. */
export const SERVER_CLOSE = { path: '/server-close', code: 4002, reason: 'bye' } as const;

export interface BrowserTestServer extends TestWsServer {
  /** `http://127.0.0.1:<port>/`: the page that loads the bundled library as `window.stm`. */
  readonly pageUrl: string;
  /** Resolves once every TCP socket that ever asked for a WebSocket upgrade is closed; rejects after `timeoutMs`. */
  upgradesSettled(timeoutMs?: number): Promise<void>;
}

/** Bundles test/browser/page.ts (and through it the library and xstate) into one script, in memory. */
export function bundlePage(): Promise<string> {
  return bundleBrowserScript(fileURLToPath(new URL('./page.ts', import.meta.url)));
}

const HTML =
  '<!doctype html><meta charset="utf-8"><title>socket-task-machine</title><script src="/stm.js"></script>';

/**
 * The test ws server (echo, or a server-initiated close on {@link SERVER_CLOSE}.path) whose http server also
 * serves the page and the bundle, so the page and its sockets share one origin on 127.0.0.1.
 */
export async function startBrowserTestServer(script: string): Promise<BrowserTestServer> {
  const server = await startWsServer({
    onConnection: (connection) => {
      if (connection.request.url === SERVER_CLOSE.path) {
        connection.socket.close(SERVER_CLOSE.code, SERVER_CLOSE.reason);
      } else echo(connection);
    },
  });
  // startWsServer answers every plain request with 426; this one also serves the page, on the same server.
  const http = server.wss.options.server as Server;
  http.removeAllListeners('request');
  http.on('request', (request, response) => {
    if (request.url === '/') {
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(HTML);
    } else if (request.url === '/stm.js') {
      response.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8' }).end(script);
    } else response.writeHead(404).end();
  });

  const upgrades = new Set<Promise<void>>();
  http.on('upgrade', (_request, socket: Socket) => {
    upgrades.add(
      new Promise((resolve) => (socket.destroyed ? resolve() : socket.once('close', () => resolve()))),
    );
  });

  return {
    ...server,
    pageUrl: `http://127.0.0.1:${server.port}/`,
    upgradesSettled(timeoutMs = 2000) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      return Promise.race([
        Promise.all(upgrades).then(() => {}),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () =>
              reject(new Error(`timed out after ${timeoutMs} ms waiting for every upgraded socket to close`)),
            timeoutMs,
          );
        }),
      ]).finally(() => clearTimeout(timer));
    },
  };
}
