import type { SocketAdapter } from './adapters/types.js';
import { defer } from './defer.js';

/**
 * The platform sockets one adapter instance has open, against its profile's `maxConcurrent`. A slot is taken just
 * before `connect()` and given back when that socket is really gone (its close event, or a bounded wait for it),
 * so an abandoned handshake still counts: the platform counts it too.
 */
interface Pool {
  used: number;
  readonly max: number;
  /** Connections waiting for a slot, oldest first. */
  readonly waiters: Set<() => void>;
}

const pools = new WeakMap<SocketAdapter, Pool>();

function poolOf(adapter: SocketAdapter): Pool {
  let pool = pools.get(adapter);
  if (pool === undefined) {
    const { maxConcurrent, replacesAtLimit } = adapter.profile;
    const max = replacesAtLimit ? Number.POSITIVE_INFINITY : maxConcurrent;
    pool = { used: 0, max: max >= 1 ? max : Number.POSITIVE_INFINITY, waiters: new Set() };
    pools.set(adapter, pool);
  }
  return pool;
}

/** One connection's view of its adapter's pool. */
export interface Slots {
  /** The adapter's limit, and the sockets open through it now. */
  readonly max: number;
  readonly used: number;
  free(): boolean;
  /** Takes a slot for one socket of this connection. */
  take(): void;
  /** Gives back a slot this connection took: its socket is gone. */
  release(): void;
  /** Calls `notify` whenever a slot may have become free, until `stopWaiting()`. */
  wait(notify: () => void): void;
  stopWaiting(): void;
  /** Sockets this connection holds now. */
  readonly held: number;
  /** Calls `done` once this connection holds no socket (at once if it holds none). */
  whenReleased(done: () => void): void;
}

export function slotsFor(adapter: SocketAdapter): Slots {
  const pool = poolOf(adapter);
  let held = 0;
  let waiter: (() => void) | undefined;
  let onReleased: (() => void) | undefined;
  return {
    get max() {
      return pool.max;
    },
    get used() {
      return pool.used;
    },
    get held() {
      return held;
    },
    free: () => pool.used < pool.max,
    take() {
      pool.used++;
      held++;
    },
    // Each task machine calls it once, on entering its final state: the machine, not this count, says when.
    release() {
      if (held === 0) return;
      pool.used--;
      held--;
      if (held === 0 && onReleased) {
        const done = onReleased;
        onReleased = undefined;
        done();
      }
      // Deferred: a platform may count the socket until its own close handling has run. Waiters that a timer
      // reaches first only find the slot free a little earlier.
      if (pool.waiters.size > 0) {
        defer(() => {
          for (const notify of [...pool.waiters]) {
            if (pool.used >= pool.max) break;
            notify();
          }
        });
      }
    },
    wait(notify) {
      if (waiter) pool.waiters.delete(waiter);
      waiter = notify;
      pool.waiters.add(notify);
    },
    stopWaiting() {
      if (waiter) pool.waiters.delete(waiter);
      waiter = undefined;
    },
    whenReleased(done) {
      if (held === 0) done();
      else onReleased = done;
    },
  };
}
