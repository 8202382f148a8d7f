// What the Vue and React bindings share: telling a connection from options, validating a handler, and one
// subscription to everything that can change what a UI shows.
import type { MessageEvent } from '../adapters/types.js';
import type { Connection } from '../connection/createConnection.js';
import { SocketTaskError } from '../errors.js';
import type { QueueStats } from '../queue/sendQueue.js';
import { describe } from '../validate.js';

/** A connection, or what `useConnection` returned for one (it carries the connection as `connection`). */
export type ConnectionLike = Connection | { readonly connection: Connection };

function isConnection(value: unknown): value is Connection {
  if (typeof value !== 'object' || value === null) return false;
  const { actor, onMessage, onStatusChange } = value as Partial<Connection>;
  return (
    typeof onMessage === 'function' &&
    typeof onStatusChange === 'function' &&
    typeof actor === 'object' &&
    actor !== null &&
    typeof actor.subscribe === 'function'
  );
}

/** The connection `value` is or holds, or `undefined` when it is neither. */
export function asConnection(value: unknown): Connection | undefined {
  if (isConnection(value)) return value;
  if (typeof value === 'object' && value !== null && 'connection' in value) {
    const held = (value as { connection: unknown }).connection;
    if (isConnection(held)) return held;
  }
  return undefined;
}

/** `useConnection`'s argument: a connection (or what `useConnection` returned), else options, which must be an object. */
export function connectionArgument<O>(
  api: string,
  value: unknown,
): { connection: Connection; options?: undefined } | { connection?: undefined; options: O } {
  const connection = asConnection(value);
  if (connection) return { connection };
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new SocketTaskError(
      'ERR_INVALID_OPTIONS',
      `${api}: pass connection options such as { url, adapter } or a Connection from createConnection(), got ${describe(value)}`,
    );
  }
  return { options: value as O };
}

/** `useMessage`'s arguments, checked before anything subscribes. */
export function messageArguments(
  api: string,
  connection: unknown,
  handler: unknown,
): [Connection, (event: MessageEvent) => void] {
  const target = asConnection(connection);
  if (!target) {
    throw new SocketTaskError(
      'ERR_INVALID_OPTIONS',
      `${api}: the first argument must be a Connection (from createConnection() or useConnection().connection), got ${describe(connection)}`,
    );
  }
  if (typeof handler !== 'function') {
    throw new SocketTaskError(
      'ERR_INVALID_CALLBACK',
      `${api}: the handler must be a function such as ({ data }) => {...}, got ${describe(handler)}`,
    );
  }
  return [target, handler as (event: MessageEvent) => void];
}

/** Whether two queue readings count the same messages and bytes (each reading is a new object). */
export function sameQueue(a: QueueStats, b: QueueStats): boolean {
  return a.messages === b.messages && a.bytes === b.bytes;
}

/**
 * Calls `changed` whenever what a UI shows of `connection` may have changed: every snapshot of its actor (state,
 * retries, nextRetryAt, the queue flushed on open), every status change, every message (after `message`), a drain,
 * and every failed send (a queued message that expired or was cleared leaves the queue with no snapshot). Returns
 * the function that removes all of it.
 */
export function watchConnection(
  connection: Connection,
  changed: () => void,
  message?: (event: MessageEvent) => void,
): () => void {
  const subscription = connection.actor.subscribe({ next: changed, error: changed });
  const stops = [
    () => subscription.unsubscribe(),
    connection.onStatusChange(changed),
    connection.onMessage((event) => {
      message?.(event);
      changed();
    }),
    connection.onDrain(changed),
    connection.onSendError(changed),
  ];
  return () => {
    for (const stop of stops) stop();
  };
}
