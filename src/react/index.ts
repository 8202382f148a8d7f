import { useEffect, useInsertionEffect, useRef, useSyncExternalStore } from 'react';
import type { MessageEvent } from '../adapters/types.js';
import {
  type ConnectionLike,
  connectionArgument,
  messageArguments,
  sameQueue,
  watchConnection,
} from '../bindings/watch.js';
import {
  type CloseOptions,
  type Connection,
  type ConnectionStatus,
  createConnection,
  type WithCallbacks,
} from '../connection/createConnection.js';
import { rethrowLater } from '../defer.js';
import { SocketTaskError } from '../errors.js';
import type { ConnectionOptions } from '../options/connectionOptions.js';
import type { QueueStats } from '../queue/sendQueue.js';
import type { ReadyStateName } from '../readyState.js';
import { describe, type SocketData } from '../validate.js';

export type { ConnectionLike } from '../bindings/watch.js';

/**
 * What {@link useConnection} returns: the connection's values and its commands. A new object only when one of the
 * values changed, so it can be a dependency of `useMemo` / `useEffect` or a prop of a memoized component.
 */
export interface UseConnectionReturn {
  /** The connection itself, for everything else (`onOpen`, `whenReady`, `onGiveUp`, ...); the same on every render. */
  readonly connection: Connection;
  /** `conn.status`: what a UI shows ('connecting', 'open', 'closing', 'waiting', 'suspended', 'closed'). */
  readonly status: ConnectionStatus;
  /** `conn.state`: the readyState by name. */
  readonly state: ReadyStateName;
  /** `conn.retries`. */
  readonly retries: number;
  /** `conn.nextRetryAt`: when the next attempt starts while `status` is 'waiting', else `null`. */
  readonly nextRetryAt: number | null;
  /** `conn.queue`: the messages (and their bytes) waiting to be written. */
  readonly queue: QueueStats;
  /** The last message received while the component was mounted, `{ data }`; `null` before the first. */
  readonly lastMessage: MessageEvent | null;
  /** `conn.send`, which also refreshes `queue`; the same function on every render. */
  readonly send: Connection['send'];
  /** `conn.close`; the same function on every render. */
  readonly close: Connection['close'];
  /** `conn.reconnect`; the same function on every render. */
  readonly reconnect: () => void;
}

const ignore = () => {};

/** The option as `createConnection` reads it: on the object or a prototype of its own, never `Object.prototype`. */
function ownOption(options: object, name: string): unknown {
  for (let o: object | null = options; o !== null && o !== Object.prototype; o = Object.getPrototypeOf(o)) {
    if (Object.getOwnPropertyDescriptor(o, name) !== undefined)
      return (options as Record<string, unknown>)[name];
  }
  return undefined;
}

/**
 * The same options with `startClosed: true`: every property (getters included, still read once), the same prototype,
 * so `createConnection` sees and validates exactly what it would have.
 */
function heldClosed(options: ConnectionOptions): ConnectionOptions {
  try {
    const copy = Object.create(
      Object.getPrototypeOf(options),
      Object.getOwnPropertyDescriptors(options),
    ) as ConnectionOptions;
    Object.defineProperty(copy, 'startClosed', {
      value: true,
      enumerable: true,
      configurable: true,
      writable: true,
    });
    return copy;
  } catch (error) {
    throw new SocketTaskError(
      'ERR_INVALID_OPTIONS',
      `useConnection(): copying the options threw: ${describe(error)}; pass a plain object`,
      { cause: error },
    );
  }
}

/** One component's connection: what `useSyncExternalStore` reads, and the mount and unmount that own it. */
class ConnectionStore {
  readonly connection: Connection;
  readonly owned: boolean;
  readonly send: Connection['send'];
  readonly close: Connection['close'];
  readonly reconnect = () => this.connection.reconnect();
  // A render React throws away (StrictMode's second render, a suspended or interrupted one) must open no socket,
  // so a connection this hook creates is created closed and started by the mount. Until it has left 'closed' it
  // reads as the 'connecting' it is about to be, not as a 'closed' that would flash in the UI.
  private held: boolean;
  // Not started yet, or closed by this hook at an unmount: the next mount (a later mount of the same instance, as
  // <Activity> does, included) starts it.
  private stopped: boolean;
  private closeTimer: ReturnType<typeof setTimeout> | undefined;
  private lastMessage: MessageEvent | null = null;
  private readonly changed = new Set<() => void>();
  private snapshot: UseConnectionReturn;

  constructor(given: { connection: Connection } | { options: ConnectionOptions }) {
    if ('options' in given) {
      const startClosed = ownOption(given.options, 'startClosed');
      // A startClosed that is not a boolean goes through as given, for createConnection to refuse.
      const options =
        startClosed === undefined || startClosed === false ? heldClosed(given.options) : given.options;
      this.connection = createConnection(options);
      this.owned = true;
      this.held = options !== given.options;
    } else {
      this.connection = given.connection;
      this.owned = false;
      this.held = false;
    }
    this.stopped = this.held;
    const connection = this.connection;
    this.send = ((data: SocketData, callbacks?: WithCallbacks<void>) => {
      // Effects run children first: a child's effect may send before this component's mount has started it.
      if (this.held && this.stopped) this.start();
      const result = callbacks === undefined ? connection.send(data) : connection.send(data, callbacks);
      this.notify();
      return result;
    }) as Connection['send'];
    // Callbacks, when given, travel inside the options object: one call covers both overloads.
    this.close = ((options?: CloseOptions) => {
      this.held = false;
      this.stopped = false;
      return connection.close(options);
    }) as Connection['close'];
    this.snapshot = this.read();
  }

  readonly subscribe = (onChange: () => void): (() => void) => {
    // A copy: an adapter may hand over one event object for every message, and each message must be a new value.
    const stop = watchConnection(this.connection, onChange, ({ data }) => {
      this.lastMessage = { data };
    });
    this.changed.add(onChange);
    return () => {
      stop();
      this.changed.delete(onChange);
    };
  };

  readonly getSnapshot = (): UseConnectionReturn => {
    const { connection, snapshot: last } = this;
    if (this.held && connection.status !== 'closed') this.held = false;
    const status = this.held ? 'connecting' : connection.status;
    const state = this.held ? 'CONNECTING' : connection.state;
    const queue = connection.queue;
    if (
      status !== last.status ||
      state !== last.state ||
      connection.retries !== last.retries ||
      connection.nextRetryAt !== last.nextRetryAt ||
      !sameQueue(queue, last.queue) ||
      this.lastMessage !== last.lastMessage
    ) {
      this.snapshot = this.read();
    }
    return this.snapshot;
  };

  readonly mount = (): (() => void) => {
    if (this.closeTimer !== undefined) {
      clearTimeout(this.closeTimer);
      this.closeTimer = undefined;
    } else if (this.stopped) {
      this.start();
    }
    return this.unmount;
  };

  private start(): void {
    this.stopped = false;
    try {
      this.connection.reconnect();
    } catch (error) {
      // Its signal aborted: the connection is disposed for good, as its owner asked, and reads as closed.
      this.held = false;
      if (!(error instanceof SocketTaskError && error.code === 'ERR_CLOSED')) rethrowLater(error);
    }
    this.notify();
  }

  private readonly unmount = (): void => {
    if (!this.owned) return;
    // StrictMode and Fast Refresh unmount and mount again in the same commit: the close waits a turn, and that
    // mount cancels it, so the socket is neither closed nor made twice.
    this.closeTimer = setTimeout(() => {
      this.closeTimer = undefined;
      this.stopped = this.connection.status !== 'closed';
      this.held = false;
      this.connection.close().then(ignore, ignore);
    }, 0);
  };

  private notify(): void {
    for (const onChange of [...this.changed]) onChange();
  }

  private read(): UseConnectionReturn {
    const { connection } = this;
    return Object.freeze({
      connection,
      status: this.held ? 'connecting' : connection.status,
      state: this.held ? 'CONNECTING' : connection.state,
      retries: connection.retries,
      nextRetryAt: connection.nextRetryAt,
      queue: connection.queue,
      lastMessage: this.lastMessage,
      send: this.send,
      close: this.close,
      reconnect: this.reconnect,
    });
  }
}

/**
 * A connection for a React component, read through `useSyncExternalStore`: every value of one render comes from
 * the same moment of the connection, and the component renders again only when one of them changed.
 *
 * Given options, it creates the connection once per component instance and closes it when the component
 * unmounts. The options are read at the first render only and are not compared afterwards: a new object literal on
 * every render changes nothing. To connect elsewhere, remount the component with a new `key`, or create the
 * connection yourself and pass it in. Given a connection, it only watches it: the connection is left open, and a
 * different connection on a later render is watched from then on.
 *
 * Safe under StrictMode and concurrent rendering: the socket is opened by the mount, never by a render, and the
 * double mount of StrictMode makes one socket.
 *
 * @throws {SocketTaskError} `ERR_INVALID_OPTIONS` when given neither options nor a connection; whatever
 * `createConnection` throws for invalid options.
 *
 * @example
 * ```tsx
 * import { useConnection, useMessage } from 'socket-task-machine/react';
 * import { taroAdapter } from 'socket-task-machine/adapters/taro';
 *
 * function Chat() {
 *   const chat = useConnection({ url: 'wss://example.com/chat', adapter: taroAdapter({ Taro }) });
 *   const [lines, setLines] = useState<string[]>([]);
 *   useMessage(chat, ({ data }) => setLines((all) => [...all, String(data)]));
 *   return <button disabled={chat.status !== 'open'} onClick={() => chat.send('hi')}>{chat.status}</button>;
 * }
 * ```
 */
export function useConnection(optionsOrConnection: ConnectionOptions | ConnectionLike): UseConnectionReturn {
  const given = connectionArgument<ConnectionOptions>('useConnection()', optionsOrConnection);
  const stores = useRef<ConnectionStore | null>(null);
  let store = stores.current;
  if (
    store === null ||
    (given.connection !== undefined ? store.connection !== given.connection : !store.owned)
  ) {
    store = new ConnectionStore(given.connection !== undefined ? { connection: given.connection } : given);
    stores.current = store;
  }
  useEffect(() => store.mount(), [store]);
  return useSyncExternalStore(store.subscribe, store.getSnapshot, store.getSnapshot);
}

/**
 * Calls `handler` with every message `connection` receives (`{ data }`, as `onMessage` listeners get it) while the
 * component is mounted. The subscription is made once per connection; each message goes to the handler of the
 * latest render, so an inline arrow function neither resubscribes nor sees stale state.
 *
 * @throws {SocketTaskError} `ERR_INVALID_OPTIONS` when `connection` is not a connection (nor what `useConnection`
 * returned); `ERR_INVALID_CALLBACK` when `handler` is not a function.
 *
 * @example
 * ```tsx
 * const chat = useConnection(sharedConnection);
 * useMessage(chat, ({ data }) => {
 *   if (typeof data === 'string') setLines((all) => [...all, data]);
 * });
 * ```
 */
export function useMessage(connection: ConnectionLike, handler: (event: MessageEvent) => void): void {
  const [target] = messageArguments('useMessage()', connection, handler);
  const latest = useRef(handler);
  // Written at commit, not during a render React may throw away; insertion effects run before any layout effect
  // and never on the server.
  useInsertionEffect(() => {
    latest.current = handler;
  });
  useEffect(() => target.onMessage((event) => latest.current(event)), [target]);
}
