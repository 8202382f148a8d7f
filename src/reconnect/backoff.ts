import type { CloseEvent } from '../adapters/types.js';

/** What `shouldReconnect` is asked about: the close that just happened and the retries spent so far. */
export interface ReconnectContext extends CloseEvent {
  /** Reconnect attempts made since the connection was last stable. */
  retries: number;
}

/** The `reconnect` option of `createConnection`. */
export interface ReconnectOptions {
  /** ms before the first retry (before jitter). @defaultValue `1000` */
  initialDelay?: number;
  /** The longest wait between two attempts (before jitter). @defaultValue `30000` */
  maxDelay?: number;
  /** Each retry waits `factor` times longer than the one before. @defaultValue `2` */
  factor?: number;
  /** Retries before giving up; `Infinity` never gives up. @defaultValue `Infinity` */
  maxRetries?: number;
  /**
   * `'full'` waits a random time between 0 and the backoff, drawn anew for every attempt, so clients that lost
   * the same server do not come back in step; `'none'` waits exactly the backoff.
   * @defaultValue `'full'`
   */
  jitter?: 'full' | 'none';
  /** ms a connection must stay OPEN for its retry count to start again from 0. @defaultValue `5000` */
  stableAfter?: number;
  /**
   * Close codes after which the manager does not come back: the server said the client itself is at fault.
   * @defaultValue `[1002, 1003, 1007, 1008, 1009, 1010]`
   */
  noReconnectCodes?: number[];
  /**
   * Decides whether to retry after a close the user did not ask for (a close the user asked for never retries).
   * @defaultValue retry unless the code is one of `noReconnectCodes`; WeChat's 1000 "interrupted" after the app
   * was backgrounded, 1001 and 1006 all retry.
   */
  shouldReconnect?: (close: ReconnectContext) => boolean;
}

/** The timing of the reconnect policy, which the machine runs: data only. */
export interface ReconnectSchedule {
  initialDelay: number;
  maxDelay: number;
  factor: number;
  maxRetries: number;
  jitter: 'full' | 'none';
  stableAfter: number;
}

/** The reconnect policy: every option filled in. */
export interface ReconnectPolicy extends ReconnectSchedule {
  shouldReconnect: (close: ReconnectContext) => boolean;
}

/** Protocol and policy errors: retrying the same client would be refused the same way. */
export const NO_RECONNECT_CODES: readonly number[] = [1002, 1003, 1007, 1008, 1009, 1010];

/** The backoff before jitter: `initialDelay · factor^retries`, capped at `maxDelay`. */
export function backoffCeiling(policy: ReconnectSchedule, retries: number): number {
  // 0 · factor^retries is NaN once the power overflows to Infinity, after about a thousand retries.
  if (policy.initialDelay === 0) return 0;
  return Math.min(policy.maxDelay, policy.initialDelay * policy.factor ** retries);
}

/**
 * ms to wait before retry number `retries + 1`: `initialDelay · factor^retries`, capped at `maxDelay`, and with
 * full jitter a uniform draw in [0, that). `random` is a draw in [0, 1).
 */
export function backoffDelay(policy: ReconnectSchedule, retries: number, random: number): number {
  const ceiling = backoffCeiling(policy, retries);
  return policy.jitter === 'full' ? Math.floor(random * ceiling) : ceiling;
}
