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
  /** The extensions the server agreed to: `ws`'s and browsers' have it; `''` for none. */
  readonly extensions?: string;
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

type Callbacks<K extends 'send' | 'close' | 'onOpen' | 'onMessage' | 'onError' | 'onClose'> = Parameters<
  SocketTaskLike[K]
>[0];

// A class, not an object of closures: one per socket, its methods shared by every socket.
class WebTask implements SocketTaskLike {
  private readonly noStatus = noStatusRule(false);
  /** ws's WebSocket without permessage-deflate, known at the open: it masks each message into a new buffer. */
  private copying = false;
  /** Ends the socket without a handshake: only ws's WebSocket can, so only its task has it. */
  declare abort?: () => void;

  constructor(private readonly ws: WebSocketLike) {
    // Blob delivery would make every binary message asynchronous and reorderable; ArrayBuffer keeps order.
    ws.binaryType = 'arraybuffer';
    // Registered before any listener of the connection, so a close always knows what came before it.
    ws.addEventListener('open', this.noStatus.opened);
    ws.addEventListener('error', this.noStatus.errored);
    if (typeof ws.terminate === 'function') this.abort = () => ws.terminate?.();
  }

  send(options: Callbacks<'send'>): void {
    const { ws } = this;
    if (ws.readyState !== OPEN) {
      failNotOpen(ws.readyState, options);
      return;
    }
    settleCall(() => ws.send(options.data), 'send', options);
  }

  write(data: string | ArrayBuffer): void {
    // A WebSocket throws while CONNECTING but silently drops after close: refuse both, as send() does.
    if (this.ws.readyState !== OPEN) throw new Error(`not open, readyState ${this.ws.readyState}`);
    this.ws.send(data);
  }

  close(options: Callbacks<'close'>): void {
    closeWebSocket(this.ws, options);
  }

  get bufferedAmount(): number | undefined {
    return this.ws.bufferedAmount;
  }

  get protocol(): string | undefined {
    return this.ws.protocol;
  }

  // Only ws's WebSocket is known to be done with the bytes when send() returns (with no extension, it masks them
  // into a new buffer at once); a browser's or another class's gets a copy.
  get copiesData(): boolean {
    return this.copying;
  }

  onOpen(callback: Callbacks<'onOpen'>): void {
    this.ws.addEventListener('open', () => {
      const { ws } = this;
      this.copying = typeof ws.terminate === 'function' && ws.extensions === '';
      callback({});
    });
  }

  onMessage(callback: Callbacks<'onMessage'>): void {
    this.ws.addEventListener('message', (event) => {
      const { data } = event as { data: unknown };
      if (typeof data === 'string' || isArrayBuffer(data)) callback({ data });
      else if (ArrayBuffer.isView(data)) {
        callback({
          data: data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) as ArrayBuffer,
        });
      }
    });
  }

  onError(callback: Callbacks<'onError'>): void {
    this.ws.addEventListener('error', (event) => {
      const { message } = event as { message?: unknown };
      callback({ errMsg: typeof message === 'string' && message ? message : 'WebSocket error' });
    });
  }

  onClose(callback: Callbacks<'onClose'>): void {
    this.ws.addEventListener('close', (event) => {
      // A WHATWG CloseEvent always has a code. A WebSocket class that leaves it out gets the rule the
      // mini-program tasks get, not its `wasClean`: W3CWebSocket of the `websocket` package sets that false
      // for every code but 1000.
      callback(toCloseEvent(event, this.noStatus.code()));
    });
  }
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
      connect: ({ url, protocols }) => new WebTask(checked(new WebSocket(url, protocols ?? []))),
      ...(lifecycle ? { lifecycle } : {}),
    });
  });
}
