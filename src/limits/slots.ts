import type { SocketAdapter } from '../adapters/types.js';
import { defer } from '../defer.js';

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

// A class, not an object of closures: one connection holds one, and its methods are shared by all.
class ConnectionSlots implements Slots {
  held = 0;
  private waiter: (() => void) | undefined = undefined;
  private onReleased: (() => void) | undefined = undefined;

  constructor(private readonly pool: Pool) {}

  get max(): number {
    return this.pool.max;
  }

  get used(): number {
    return this.pool.used;
  }

  free(): boolean {
    return this.pool.used < this.pool.max;
  }

  take(): void {
    this.pool.used++;
    this.held++;
  }

  // Each task machine calls it once, on entering its final state: the machine, not this count, says when.
  release(): void {
    if (this.held === 0) return;
    const { pool } = this;
    pool.used--;
    this.held--;
    if (this.held === 0 && this.onReleased) {
      const done = this.onReleased;
      this.onReleased = undefined;
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
  }

  wait(notify: () => void): void {
    if (this.waiter) this.pool.waiters.delete(this.waiter);
    this.waiter = notify;
    this.pool.waiters.add(notify);
  }

  stopWaiting(): void {
    if (this.waiter) this.pool.waiters.delete(this.waiter);
    this.waiter = undefined;
  }

  whenReleased(done: () => void): void {
    if (this.held === 0) done();
    else this.onReleased = done;
  }
}

export function slotsFor(adapter: SocketAdapter): Slots {
  return new ConnectionSlots(poolOf(adapter));
}
