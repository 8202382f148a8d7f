// Elapsed time for the queue's ttl and the heartbeat's throttling check, which must not jump with the wall clock:
// a user or NTP stepping `Date.now()` back an hour would keep a queued message alive for an hour, forward an hour
// would expire a fresh one. The monotonic clock comes from the platform, through its adapter (`SocketAdapter.now`:
// `performance.now()` in Node and the browser); nothing here reads a global a mini-program engine may lack. Without
// one, the wall clock is read but never allowed to run backwards, and the queue times each message by a timer of
// its own (see queue/sendQueue.ts).

/** A clock for elapsed times; only differences between two readings mean anything. */
export interface Clock {
  now(): number;
  /** `now()` never jumps with the wall clock; when false, waits that must not are measured by timers instead. */
  readonly monotonic: boolean;
}

let lastWall = Number.NEGATIVE_INFINITY;
let skew = 0;

function clampedWall(): number {
  const wall = Date.now();
  // A step back is absorbed into the skew: the result never decreases.
  if (wall < lastWall) skew += lastWall - wall;
  lastWall = wall;
  return wall + skew;
}

/** The wall clock, never running backwards: what is left where the platform gives no monotonic clock. */
export const WALL_CLOCK: Clock = { now: clampedWall, monotonic: false };

/** The platform's monotonic clock when its adapter has one, else {@link WALL_CLOCK}. */
export function platformClock(now: (() => number) | undefined): Clock {
  return now === undefined ? WALL_CLOCK : { now, monotonic: true };
}
