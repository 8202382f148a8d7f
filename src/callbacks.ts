import { defer, rethrowLater } from './defer.js';
import { SocketTaskError } from './errors.js';
import { describe } from './validate.js';

/** The seeds' call convention: `success` / `fail` / `complete`, each reported at most once. */
export interface Callbacks<T> {
  success?: (result: T) => void;
  fail?: (error: SocketTaskError) => void;
  complete?: () => void;
}

const NAMES = ['success', 'fail', 'complete'] as const;

/**
 * The callbacks of `options`, each read once. Throws `ERR_INVALID_CALLBACK` when one is present but not a
 * function, or when reading it throws (a getter, a Proxy): there is nowhere else to report it.
 */
function readCallbacks<T>(api: string, options: object): Callbacks<T> {
  const callbacks: Record<string, unknown> = {};
  for (const name of NAMES) {
    let value: unknown;
    try {
      value = (options as Record<string, unknown>)[name];
    } catch (cause) {
      throw new SocketTaskError(
        'ERR_INVALID_CALLBACK',
        `${api}: reading ${name} threw; pass plain functions`,
        {
          cause,
        },
      );
    }
    if (value !== undefined && typeof value !== 'function') {
      throw new SocketTaskError(
        'ERR_INVALID_CALLBACK',
        `${api}: ${name} must be a function, got ${describe(value)}`,
      );
    }
    if (value !== undefined) callbacks[name] = value;
  }
  return callbacks as Callbacks<T>;
}

/** Throws when a callback is present but not a function: there is nowhere else to report it. */
export function assertCallbacks(api: string, options: object): void {
  readCallbacks(api, options);
}

const ignore = () => {};

/**
 * Runs `start` and reports its outcome as the platforms do (docs/platforms.md#callbacks-or-a-promise): through the callbacks when any is
 * given, `complete` last and exactly once, never both `success` and `fail`; as a Promise when none is given.
 * The callbacks are read once, here, and checked again: a getter that answered a function to
 * {@link assertCallbacks} cannot hand over something else now.
 *
 * The callbacks never run inside the call that caused them, as on the platforms: an outcome known at once is
 * reported a promise turn later, so a pump that sends its next message from `success` does not recurse. A Promise
 * that fails is marked handled: a fire-and-forget call cannot crash the process (Node) or raise
 * `unhandledrejection` (browsers), and whoever awaits it still sees the failure.
 */
export function report<T>(
  options: Callbacks<T> | undefined,
  start: (resolve: (result: T) => void, reject: (error: SocketTaskError) => void) => void,
): Promise<T> | undefined {
  const callbacks =
    typeof options === 'object' && options !== null ? readCallbacks<T>('callbacks', options) : undefined;
  const { success, fail, complete } = callbacks ?? {};
  if (success === undefined && fail === undefined && complete === undefined) {
    let promise: Promise<T> | undefined;
    let failedAtOnce = false;
    promise = new Promise<T>((resolve, reject) =>
      start(resolve, (error) => {
        reject(error);
        // Only a failure pays for the extra handler; a success allocates nothing more.
        if (promise === undefined) failedAtOnce = true;
        else promise.then(undefined, ignore);
      }),
    );
    if (failedAtOnce) promise.then(undefined, ignore);
    return promise;
  }
  let settled = false;
  let starting = true;
  const settle = (callback: ((arg: never) => void) | undefined, arg: unknown) => {
    if (settled) return;
    settled = true;
    if (!starting) {
      invoke(callback, arg as never);
      invoke(complete, undefined);
      return;
    }
    defer(() => {
      invoke(callback, arg as never);
      invoke(complete, undefined);
    });
  };
  start(
    (result) => settle(success, result),
    (error) => settle(fail, error),
  );
  starting = false;
  return undefined;
}

// A throwing user callback must neither skip `complete` nor unwind into the platform's callback, where it would be
// mistaken for a platform failure: it is rethrown asynchronously, like an EventTarget listener's error.
function invoke<A>(callback: ((arg: A) => void) | undefined, arg: A): void {
  if (callback === undefined) return;
  try {
    callback(arg);
  } catch (error) {
    rethrowLater(error);
  }
}
