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

function headersOf(response: {
  headers: Record<string, string | string[] | undefined>;
}): Record<string, string> {
  const header: Record<string, string> = {};
  for (const [name, value] of Object.entries(response.headers)) {
    if (value !== undefined) header[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return header;
}

// A class, not an object of closures: one per socket, its methods shared by every socket.
class NodeTask implements SocketTaskLike {
  private header: Record<string, string> | undefined = undefined;
  // Read once at the open rather than on every send: ws builds the extensions string on each read.
  private deflating = true;

  constructor(private readonly ws: WsWebSocket) {
    // ws throws on an 'error' event without a listener; the task must never crash the process, even unobserved.
    ws.on('error', noop);
    ws.once('upgrade', (response) => {
      this.header = headersOf(response);
    });
  }

  send(options: Parameters<SocketTaskLike['send']>[0]): void {
    const { ws } = this;
    if (ws.readyState !== OPEN) {
      failNotOpen(ws.readyState, options);
      return;
    }
    const { data, success, fail, complete } = options;
    ws.send(data, (error) => {
      if (error) fail?.({ errMsg: `send:fail ${error.message}` });
      else success?.(undefined);
      complete?.();
    });
  }

  write(data: string | ArrayBuffer): void {
    // ws.send() throws while CONNECTING but silently drops after close: refuse both, as send() does.
    if (this.ws.readyState !== OPEN) throw new Error(`not open, readyState ${this.ws.readyState}`);
    this.ws.send(data);
  }

  close(options: Parameters<SocketTaskLike['close']>[0]): void {
    closeWebSocket(this.ws, options);
  }

  get bufferedAmount(): number {
    return this.ws.bufferedAmount;
  }

  get protocol(): string {
    return this.ws.protocol;
  }

  // Without permessage-deflate, ws masks a client's message into a new buffer inside send(); a compressed one
  // is read later, while zlib works.
  get copiesData(): boolean {
    return !this.deflating;
  }

  abort(): void {
    this.ws.terminate();
  }

  onOpen(callback: Parameters<SocketTaskLike['onOpen']>[0]): void {
    this.ws.on('open', () => {
      this.deflating = this.ws.extensions !== '';
      callback(this.header ? { header: this.header } : {});
    });
  }

  onMessage(callback: Parameters<SocketTaskLike['onMessage']>[0]): void {
    this.ws.on('message', (data, isBinary) => {
      callback({ data: isBinary ? toArrayBuffer(data) : data.toString() });
    });
  }

  onError(callback: Parameters<SocketTaskLike['onError']>[0]): void {
    this.ws.on('error', (error: Error & { code?: string }) =>
      callback(
        error.code === undefined ? { errMsg: error.message } : { errMsg: error.message, code: error.code },
      ),
    );
  }

  onClose(callback: Parameters<SocketTaskLike['onClose']>[0]): void {
    this.ws.on('close', (code, reason) => callback({ code, reason: reason.toString() }));
  }
}

function noop(): void {}

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
        return new NodeTask(ws);
      },
    });
  });
}
