// Node `ws`: https://github.com/websockets/ws/blob/master/doc/ws.md
import { performance as perfHooks } from 'node:perf_hooks';
import { WebSocket as WsWebSocket } from 'ws';
import { SocketTaskError } from '../errors.js';
import { describe, isArrayBuffer } from '../validate.js';
import { checkedFactory } from './factory.js';
import { closeWebSocket, failNotOpen } from './socketCalls.js';
import {
  defineSocketAdapter,
  type PlatformProfile,
  type SocketAdapter,
  type SocketTaskLike,
} from './types.js';

/** Node's `ws`: a close while CONNECTING aborts the handshake; no connection limit; headers allowed. */
export const nodeProfile: PlatformProfile = {
  closeWhileConnecting: 'aborts',
  maxConcurrent: Number.POSITIVE_INFINITY,
  requiresSecureUrl: false,
  binary: true,
  headers: true,
  protocols: true,
};

export interface NodeAdapterOptions {
  /** The `WebSocket` class of `ws` (or a compatible one). @defaultValue the `ws` package's `WebSocket` */
  WebSocket?: typeof WsWebSocket;
}

const OPEN = 1;

// A Buffer is a Uint8Array: copied out through the ECMAScript view, so this file needs no Node global.
function toArrayBuffer(data: Uint8Array | ArrayBuffer | Uint8Array[]): ArrayBuffer {
  if (isArrayBuffer(data)) return data;
  if (!Array.isArray(data)) {
    const { buffer, byteOffset, byteLength } = data;
    if (byteOffset === 0 && byteLength === buffer.byteLength && isArrayBuffer(buffer)) return buffer;
    return new Uint8Array(buffer, byteOffset, byteLength).slice().buffer;
  }
  let total = 0;
  for (const fragment of data) total += fragment.byteLength;
  const joined = new Uint8Array(total);
  let offset = 0;
  for (const fragment of data) {
    joined.set(fragment, offset);
    offset += fragment.byteLength;
  }
  return joined.buffer;
}

function wrap(ws: WsWebSocket): SocketTaskLike {
  // ws throws on an 'error' event without a listener; the task must never crash the process, even unobserved.
  ws.on('error', () => {});
  let header: Record<string, string> | undefined;
  // Read once at the open rather than on every send: ws builds the extensions string on each read.
  let deflating = true;
  ws.once('open', () => {
    deflating = ws.extensions !== '';
  });
  ws.once('upgrade', (response) => {
    header = {};
    for (const [name, value] of Object.entries(response.headers)) {
      if (value !== undefined) header[name] = Array.isArray(value) ? value.join(', ') : value;
    }
  });
  return {
    send(options) {
      if (ws.readyState !== OPEN) return failNotOpen(ws.readyState, options);
      const { data, success, fail, complete } = options;
      ws.send(data, (error) => {
        if (error) fail?.({ errMsg: `send:fail ${error.message}` });
        else success?.(undefined);
        complete?.();
      });
    },
    write(data) {
      // ws.send() throws while CONNECTING but silently drops after close: refuse both, as send() does.
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
    // Without permessage-deflate, ws masks a client's message into a new buffer inside send(); a compressed one
    // is read later, while zlib works.
    get copiesData() {
      return !deflating;
    },
    abort() {
      ws.terminate();
    },
    onOpen(callback) {
      ws.on('open', () => callback(header ? { header } : {}));
    },
    onMessage(callback) {
      ws.on('message', (data, isBinary) => {
        callback({ data: isBinary ? toArrayBuffer(data) : data.toString() });
      });
    },
    onError(callback) {
      ws.on('error', (error: Error & { code?: string }) =>
        callback(
          error.code === undefined ? { errMsg: error.message } : { errMsg: error.message, code: error.code },
        ),
      );
    },
    onClose(callback) {
      ws.on('close', (code, reason) => callback({ code, reason: reason.toString() }));
    },
  };
}

/**
 * Binds the machine to Node's `ws`, through its EventEmitter API (the fastest receive path).
 *
 * @example
 * ```ts
 * import { createConnection } from 'socket-task-machine';
 * import { nodeAdapter } from 'socket-task-machine/adapters/node';
 *
 * const conn = createConnection({ url: 'ws://127.0.0.1:8080', adapter: nodeAdapter() });
 * ```
 */
export function nodeAdapter(options: NodeAdapterOptions = {}): SocketAdapter {
  return checkedFactory('nodeAdapter', () => {
    if (typeof options !== 'object' || options === null) {
      throw new SocketTaskError(
        'ERR_INVALID_ADAPTER',
        `nodeAdapter(): options must be an object such as { WebSocket }, got ${describe(options)}`,
      );
    }
    const WebSocket = options.WebSocket ?? WsWebSocket;
    if (typeof WebSocket !== 'function') {
      throw new SocketTaskError(
        'ERR_INVALID_ADAPTER',
        `nodeAdapter(): WebSocket must be the ws package's WebSocket class, got ${describe(WebSocket)}`,
      );
    }
    return defineSocketAdapter({
      name: 'node',
      profile: nodeProfile,
      // Node's own module, not a global: the monotonic clock the queue's ttl and the heartbeat read.
      now: () => perfHooks.now(),
      connect({ url, protocols, header }) {
        const ws = new WebSocket(url, protocols ?? [], header ? { headers: header } : {});
        ws.binaryType = 'nodebuffer';
        return wrap(ws);
      },
    });
  });
}
