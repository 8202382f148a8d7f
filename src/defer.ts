// Mini-program runtimes need not have `queueMicrotask`, and on iOS 15 and below WeChat's `Promise` is a polyfill
// built on `setTimeout`, so its callbacks run as ordinary tasks, after timers already due. What is deferred here
// runs after the call that scheduled it has returned, in the order it was scheduled, and nothing that uses it may
// depend on it running before a timer.
const settled = Promise.resolve();

/** Runs `fn` later, never inside the current call; an error it throws is rethrown like a listener's. */
export function defer(fn: () => void): void {
  settled.then(() => {
    try {
      fn();
    } catch (error) {
      rethrowLater(error);
    }
  });
}

/**
 * Like an EventTarget listener's error: a user hook that throws neither stops the library nor reaches the code that
 * called it; the error surfaces as an uncaught exception (`App.onError` on a mini-program, `uncaughtException` on
 * Node). A timer, not a Promise: a rejection would be reported as something else, or not at all.
 */
export function rethrowLater(error: unknown): void {
  setTimeout(() => {
    throw error;
  }, 0);
}
