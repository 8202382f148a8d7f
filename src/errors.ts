/** Every stable code a {@link SocketTaskError} can carry. The README lists each one with its cause and fix. */
export const ERROR_CODES = [
  'ERR_INVALID_OPTIONS',
  'ERR_INVALID_ADAPTER',
  'ERR_INVALID_URL',
  'ERR_INVALID_PROTOCOLS',
  'ERR_INVALID_HEADER',
  'ERR_INVALID_CALLBACK',
  'ERR_INVALID_CLOSE_CODE',
  'ERR_INVALID_CLOSE_REASON',
  'ERR_INVALID_DATA',
  'ERR_NOT_OPEN',
  'ERR_QUEUE_FULL',
  'ERR_MESSAGE_EXPIRED',
  'ERR_QUEUE_CLEARED',
  'ERR_CLOSED',
  'ERR_CONNECTION_LIMIT',
  'ERR_CONNECT_TIMEOUT',
  'ERR_HEARTBEAT_TIMEOUT',
  'ERR_READY_TIMEOUT',
  'ERR_PLATFORM',
] as const;

export type SocketTaskErrorCode = (typeof ERROR_CODES)[number];

/**
 * The one error class of socket-task-machine. `code` is stable and safe to branch on; `message` names the
 * problem and the fix; `cause` carries the platform's own error when there is one.
 *
 * @example
 * ```ts
 * try {
 *   await conn.send('hi');
 * } catch (err) {
 *   if (err instanceof SocketTaskError && err.code === 'ERR_NOT_OPEN') retryLater();
 * }
 * ```
 */
export class SocketTaskError extends Error {
  override readonly name = 'SocketTaskError';
  readonly code: SocketTaskErrorCode;

  constructor(code: SocketTaskErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}
