// The six clients under test, behind one small interface so every measurement runs the same code for each.
// Every variant uses the bench's own copy of `ws` (passed explicitly to the library's adapters too).
import { WebSocket as PartySocket } from 'partysocket';
import ReconnectingWebSocketModule from 'reconnecting-websocket';
import WebSocket from 'ws';
import { nodeAdapter } from '../dist/adapters/node.js';
import { type WebSocketConstructor, webAdapter } from '../dist/adapters/web.js';
import { createConnection } from '../dist/index.js';
import type { VariantName } from './meta.js';

export interface Handlers {
  onOpen(): void;
  onMessage(data: unknown): void;
  onClose(): void;
}

export interface BenchSocket {
  /** Text, or binary as an ArrayBuffer (what every variant, and a SocketTask, takes). */
  send(data: string | ArrayBuffer): void;
  /** A clean close, code 1000; never reconnects. */
  close(): void;
}

/** `reconnect`: come back at once (zero delay) after a close the client did not ask for. */
export type Variant = (url: string, handlers: Handlers, reconnect: boolean) => BenchSocket;

// reconnecting-websocket is CommonJS with `module.exports = ReconnectingWebSocket` but types it as a default
// export, so under NodeNext the default import is typed as the module object.
const ReconnectingWebSocket =
  ReconnectingWebSocketModule as unknown as typeof ReconnectingWebSocketModule.default;

const noop = () => {};

const wsEventEmitter: Variant = (url, handlers) => {
  const ws = new WebSocket(url);
  ws.on('error', noop);
  ws.on('open', handlers.onOpen);
  // Text is delivered as a string, as every other variant (and ws's own onmessage) delivers it.
  ws.on('message', (data: Buffer, isBinary: boolean) =>
    handlers.onMessage(isBinary ? data : data.toString()),
  );
  ws.on('close', handlers.onClose);
  return { send: (data) => ws.send(data), close: () => ws.close(1000) };
};

const wsOnMessage: Variant = (url, handlers) => {
  const ws = new WebSocket(url);
  ws.binaryType = 'arraybuffer';
  ws.onerror = noop;
  ws.onopen = handlers.onOpen;
  ws.onmessage = (event) => handlers.onMessage(event.data);
  ws.onclose = handlers.onClose;
  return { send: (data) => ws.send(data), close: () => ws.close(1000) };
};

// The minimal delays both reconnecting-websocket and partysocket accept: 0 (retry timer is setTimeout(0)).
function peerOptions(reconnect: boolean) {
  return {
    WebSocket,
    maxRetries: reconnect ? Number.POSITIVE_INFINITY : 0,
    minReconnectionDelay: 0,
    maxReconnectionDelay: 0,
    reconnectionDelayGrowFactor: 1,
    connectionTimeout: 30_000,
  };
}

const reconnectingWebSocket: Variant = (url, handlers, reconnect) => {
  const ws = new ReconnectingWebSocket(url, [], peerOptions(reconnect));
  ws.addEventListener('error', noop);
  ws.addEventListener('open', handlers.onOpen);
  ws.addEventListener('message', (event) => handlers.onMessage(event.data));
  ws.addEventListener('close', handlers.onClose);
  return { send: (data) => ws.send(data), close: () => ws.close(1000) };
};

const partysocket: Variant = (url, handlers, reconnect) => {
  const ws = new PartySocket(url, [], peerOptions(reconnect));
  ws.addEventListener('error', noop);
  ws.addEventListener('open', handlers.onOpen);
  ws.addEventListener('message', (event) => handlers.onMessage(event.data));
  ws.addEventListener('close', handlers.onClose);
  return { send: (data) => ws.send(data), close: () => ws.close(1000) };
};

function machine(adapter: () => Parameters<typeof createConnection>[0]['adapter']): Variant {
  return (url, handlers, reconnect) => {
    const conn = createConnection({
      url,
      adapter: adapter(),
      reconnect: reconnect ? { initialDelay: 0, maxDelay: 0 } : false,
    });
    conn.onError(noop);
    conn.onOpen(handlers.onOpen);
    conn.onMessage((event) => handlers.onMessage(event.data));
    conn.onClose(handlers.onClose);
    // The quick start's form: send(data) returns a Promise, left unobserved as most callers do.
    return { send: (data) => void conn.send(data), close: () => void conn.close({ code: 1000 }) };
  };
}

export const VARIANTS = {
  'ws (EventEmitter)': wsEventEmitter,
  'ws (onmessage)': wsOnMessage,
  'reconnecting-websocket': reconnectingWebSocket,
  partysocket,
  'socket-task-machine (nodeAdapter)': machine(() => nodeAdapter({ WebSocket })),
  'socket-task-machine (webAdapter)': machine(() =>
    webAdapter({ WebSocket: WebSocket as unknown as WebSocketConstructor }),
  ),
} satisfies Record<VariantName, Variant>;
