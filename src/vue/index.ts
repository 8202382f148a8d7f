import { getCurrentScope, onScopeDispose, type Ref, shallowRef } from 'vue';
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
import type { ConnectionOptions } from '../options/connectionOptions.js';
import type { QueueStats } from '../queue/sendQueue.js';
import type { ReadyStateName } from '../readyState.js';
import type { SocketData } from '../validate.js';

export type { ConnectionLike } from '../bindings/watch.js';

/** What {@link useConnection} returns: the connection's values as read-only refs, and its commands. */
export interface UseConnectionReturn {
  /** The connection itself, for everything else (`onOpen`, `whenReady`, `onGiveUp`, ...). */
  readonly connection: Connection;
  /** `conn.status`: what a UI shows ('connecting', 'open', 'closing', 'waiting', 'suspended', 'closed'). */
  readonly status: Readonly<Ref<ConnectionStatus>>;
  /** `conn.state`: the readyState by name. */
  readonly state: Readonly<Ref<ReadyStateName>>;
  /** `conn.retries`. */
  readonly retries: Readonly<Ref<number>>;
  /** `conn.nextRetryAt`: when the next attempt starts while `status` is 'waiting', else `null`. */
  readonly nextRetryAt: Readonly<Ref<number | null>>;
  /** `conn.queue`: the messages (and their bytes) waiting to be written. */
  readonly queue: Readonly<Ref<QueueStats>>;
  /** The last message received since the composable was called, `{ data }`; `null` before the first. */
  readonly lastMessage: Readonly<Ref<MessageEvent | null>>;
  /** `conn.send`, which also refreshes `queue`. */
  readonly send: Connection['send'];
  /** `conn.close`. */
  readonly close: Connection['close'];
  /** `conn.reconnect`. */
  readonly reconnect: () => void;
}

const ignore = () => {};

/**
 * A connection for a Vue 3 component (or any effect scope), its values as refs that follow every change.
 *
 * Given options, it creates the connection at once and closes it when the calling component unmounts or the effect
 * scope is stopped. Given a connection (shared by several components, say), it only watches it: the connection is
 * left open. Called outside any scope, it works but nothing is ever closed or unwatched for you. The options are
 * read once: to connect elsewhere, close this connection and call `useConnection` again, or pass a connection.
 *
 * @throws {SocketTaskError} `ERR_INVALID_OPTIONS` when given neither options nor a connection; whatever
 * `createConnection` throws for invalid options.
 *
 * @example
 * ```ts
 * import { useConnection, useMessage } from 'socket-task-machine/vue';
 * import { uniAdapter } from 'socket-task-machine/adapters/uni-app';
 *
 * const { status, send, connection } = useConnection({ url: 'wss://example.com/chat', adapter: uniAdapter({ uni }) });
 * useMessage(connection, ({ data }) => messages.value.push(String(data)));
 * ```
 */
export function useConnection(optionsOrConnection: ConnectionOptions | ConnectionLike): UseConnectionReturn {
  const given = connectionArgument<ConnectionOptions>('useConnection()', optionsOrConnection);
  const owned = given.options !== undefined;
  const connection = given.options !== undefined ? createConnection(given.options) : given.connection;

  const status = shallowRef(connection.status);
  const state = shallowRef(connection.state);
  const retries = shallowRef(connection.retries);
  const nextRetryAt = shallowRef(connection.nextRetryAt);
  const queue = shallowRef(connection.queue);
  const lastMessage = shallowRef<MessageEvent | null>(null);
  // A shallowRef triggers only when its value changes, so assigning unchanged values costs no render.
  const refresh = () => {
    status.value = connection.status;
    state.value = connection.state;
    retries.value = connection.retries;
    nextRetryAt.value = connection.nextRetryAt;
    const next = connection.queue;
    if (!sameQueue(next, queue.value)) queue.value = next;
  };
  // A copy: an adapter may hand over one event object for every message, and each message must be a new value.
  const stop = watchConnection(connection, refresh, ({ data }) => {
    lastMessage.value = { data };
  });
  // The values may have moved between creation and the subscription (a synchronous adapter).
  refresh();

  if (getCurrentScope()) {
    onScopeDispose(() => {
      stop();
      if (owned) connection.close().then(ignore, ignore);
    });
  }

  const send = ((data: SocketData, callbacks?: WithCallbacks<void>) => {
    const result = callbacks === undefined ? connection.send(data) : connection.send(data, callbacks);
    refresh();
    return result;
  }) as Connection['send'];
  // Callbacks, when given, travel inside the options object: one call covers both overloads.
  const close = ((options?: CloseOptions) => connection.close(options)) as Connection['close'];

  return {
    connection,
    status,
    state,
    retries,
    nextRetryAt,
    queue,
    lastMessage,
    send,
    close,
    reconnect: () => connection.reconnect(),
  };
}

/**
 * Calls `handler` with every message `connection` receives (`{ data }`, as `onMessage` listeners get it) until the
 * calling component unmounts or the effect scope is stopped. Returns the function that stops it sooner; called
 * outside any scope, only that function stops it.
 *
 * @throws {SocketTaskError} `ERR_INVALID_OPTIONS` when `connection` is not a connection (nor what `useConnection`
 * returned); `ERR_INVALID_CALLBACK` when `handler` is not a function.
 *
 * @example
 * ```ts
 * const chat = useConnection(sharedConnection);
 * useMessage(chat, ({ data }) => {
 *   if (typeof data === 'string') lines.value.push(data);
 * });
 * ```
 */
export function useMessage(connection: ConnectionLike, handler: (event: MessageEvent) => void): () => void {
  const [target, listener] = messageArguments('useMessage()', connection, handler);
  const stop = target.onMessage(listener);
  if (getCurrentScope()) onScopeDispose(stop);
  return stop;
}
