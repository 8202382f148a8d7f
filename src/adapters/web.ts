// WHATWG WebSocket: https://websockets.spec.whatwg.org/ and https://developer.mozilla.org/docs/Web/API/WebSocket
import { SocketTaskError } from '../errors.js';
import { browserScope, monotonicClock, webLifecycle } from '../lifecycle/platformSources.js';
import { describe, isArrayBuffer } from '../validate.js';
import { checkedFactory } from './factory.js';
import { noStatusRule, toCloseEvent } from './normalize.js';
import { closeWebSocket, failNotOpen, settleCall } from './socketCalls.js';
import {
  defineSocketAdapter,
  type PlatformProfile,
  type SocketAdapter,
  type SocketTaskLike,
} from './types.js';

/** Browsers, Deno, Bun, Node's global WebSocket: a close while CONNECTING aborts; no handshake headers. */
export const webProfile: PlatformProfile = {
  closeWhileConnecting: 'aborts',
  maxConcurrent: Number.POSITIVE_INFINITY,
  requiresSecureUrl: false,
  binary: true,
  headers: false,
  protocols: true,
};

/** The part of the WHATWG `WebSocket` the adapter uses. */
export interface WebSocketLike {
  readonly readyState: number;
  /** Bytes queued and not yet sent; a class that lacks it is counted by the manager instead. */
  readonly bufferedAmount?: number;
  /** The agreed subprotocol once open. */
  readonly protocol?: string;
  binaryType: string;
  send(data: string | ArrayBuffer): void;
  close(code?: number, reason?: string): void;
  // `unknown`, not a narrower event type: both the DOM's and ws's WebSocket must be assignable to this.
  addEventListener(type: 'open' | 'message' | 'error' | 'close', listener: (event: unknown) => void): void;
  /** `ws`'s WebSocket only: ends the socket without a close handshake. Browsers have no equivalent. */
  terminate?(): void;
}

/** A `WebSocket` constructor: the browser's, or a compatible one such as the `ws` package's. */
export type WebSocketConstructor = new (url: string, protocols?: string | string[]) => WebSocketLike;

export interface WebAdapterOptions {
  /** @defaultValue `globalThis.WebSocket` */
  WebSocket?: WebSocketConstructor;
}

const OPEN = 1;

/** A class that is not a WebSocket would fail later, where nothing could report it: refused at connect. */
function checked(ws: WebSocketLike): WebSocketLike {
  const methods = ['send', 'close', 'addEventListener'] as const;
  if (typeof ws === 'object' && ws !== null && methods.every((m) => typeof ws[m] === 'function')) return ws;
  throw new SocketTaskError(
    'ERR_PLATFORM',
    `webAdapter(): new WebSocket() gave ${describe(ws)}, without send, close and addEventListener; pass a WHATWG WebSocket class`,
  );
}

function wrap(ws: WebSocketLike): SocketTaskLike {
  // Blob delivery would make every binary message asynchronous and reorderable; ArrayBuffer keeps order.
  ws.binaryType = 'arraybuffer';
  // Registered before any listener of the connection, so a close always knows what came before it.
  const noStatus = noStatusRule(false);
  ws.addEventListener('open', noStatus.opened);
  ws.addEventListener('error', noStatus.errored);
  const task: SocketTaskLike = {
    send(options) {
      if (ws.readyState !== OPEN) return failNotOpen(ws.readyState, options);
      settleCall(() => ws.send(options.data), 'send', options);
    },
    write(data) {
      // A WebSocket throws while CONNECTING but silently drops after close: refuse both, as send() does.
      if (ws.readyState !== OPEN) throw new Error(`not open, readyState ${ws.readyState}`);
      ws.send(data);
    },
    close(options) {
      closeWebSocket(ws, options);
    },
    get bufferedAmount() {
      return ws.bufferedAmount;
    },
    get protocol() {
      return ws.protocol;
    },
    onOpen(callback) {
      ws.addEventListener('open', () => callback({}));
    },
    onMessage(callback) {
      ws.addEventListener('message', (event) => {
        const { data } = event as { data: unknown };
        if (typeof data === 'string' || isArrayBuffer(data)) callback({ data });
        else if (ArrayBuffer.isView(data)) {
          callback({
            data: data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) as ArrayBuffer,
          });
        }
      });
    },
    onError(callback) {
      ws.addEventListener('error', (event) => {
        const { message } = event as { message?: unknown };
        callback({ errMsg: typeof message === 'string' && message ? message : 'WebSocket error' });
      });
    },
    onClose(callback) {
      ws.addEventListener('close', (event) => {
        // A WHATWG CloseEvent always has a code. A WebSocket class that leaves it out gets the rule the
        // mini-program tasks get, not its `wasClean`: W3CWebSocket of the `websocket` package sets that false
        // for every code but 1000.
        callback(toCloseEvent(event, noStatus.code()));
      });
    },
  };
  // ws's WebSocket can end a socket whose close handshake never completes; a browser's cannot.
  if (typeof ws.terminate === 'function') task.abort = () => ws.terminate?.();
  return task;
}

/**
 * Binds the machine to a WHATWG `WebSocket`: browsers, Deno, Bun, Node 22's global, or `ws`'s WebSocket. In a
 * browser or a worker, the global scope's `online` / `offline` events and the document's `visibilitychange` are
 * the lifecycle; where the global scope has no `addEventListener` (Node) there is none.
 *
 * @example
 * ```ts
 * import { createConnection } from 'socket-task-machine';
 * import { webAdapter } from 'socket-task-machine/adapters/web';
 *
 * const conn = createConnection({ url: 'wss://example.com/socket', adapter: webAdapter() });
 * ```
 */
export function webAdapter(options: WebAdapterOptions = {}): SocketAdapter {
  return checkedFactory('webAdapter', () => {
    if (typeof options !== 'object' || options === null) {
      throw new SocketTaskError(
        'ERR_INVALID_ADAPTER',
        `webAdapter(): options must be an object such as { WebSocket }, got ${describe(options)}`,
      );
    }
    // `globalThis` is ES2020: an engine without it has no global WebSocket either, and gets the error below.
    const scope =
      typeof globalThis === 'undefined' ? {} : (globalThis as { WebSocket?: WebSocketConstructor });
    const WebSocket = options.WebSocket ?? scope.WebSocket;
    if (typeof WebSocket !== 'function') {
      throw new SocketTaskError(
        'ERR_INVALID_ADAPTER',
        `webAdapter(): no WebSocket class; pass one, e.g. webAdapter({ WebSocket }) (got ${describe(WebSocket)})`,
      );
    }
    const lifecycle = webLifecycle(browserScope());
    // The same scope the default WebSocket comes from: Node 22, Deno and Bun have a performance there too.
    const now = monotonicClock(scope);
    return defineSocketAdapter({
      name: 'web',
      profile: webProfile,
      ...(now ? { now } : {}),
      connect: ({ url, protocols }) => wrap(checked(new WebSocket(url, protocols ?? []))),
      ...(lifecycle ? { lifecycle } : {}),
    });
  });
}
