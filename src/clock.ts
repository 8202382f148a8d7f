// Elapsed time for the queue's ttl and the heartbeat's throttling check, which must not jump with the wall clock:
// a user or NTP stepping `Date.now()` back an hour would keep a queued message alive for an hour, forward an hour
// would expire a fresh one. `performance.now()` is monotonic where it exists (browsers, Node, newer mini-program
// base libraries); where it does not, the wall clock is read but never allowed to run backwards, so a step back
// stands still instead, and a step forward counts as time passed (a forward step cannot be told from a long
// freeze of the app without a monotonic clock).
let lastWall = Number.NEGATIVE_INFINITY;
let skew = 0;

function clampedWall(): number {
  const wall = Date.now();
  // A step back is absorbed into the skew: the result never decreases.
  if (wall < lastWall) skew += lastWall - wall;
  lastWall = wall;
  return wall + skew;
}

/** Whether the runtime has a monotonic clock; without one, waits are measured by timers alone (see queue.ts). */
export function hasMonotonicClock(): boolean {
  return typeof performance === 'object' && performance !== null && typeof performance.now === 'function';
}

/**
 * ms on a clock that never runs backwards; only differences between two readings mean anything. The global is read
 * on each call, not once: a test's fake clock (or a runtime that installs `performance` late) is then followed.
 */
export function monotonicNow(): number {
  return hasMonotonicClock() ? performance.now() : clampedWall();
}
