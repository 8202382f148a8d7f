import { rethrowLater } from './defer.js';
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

/**
 * Runs `start` and reports its outcome the way the seeds document (seed 004): through the callbacks when any is
 * given, `complete` last and exactly once, never both `success` and `fail`; as a Promise when none is given.
 * The callbacks are read once, here, and checked again: a getter that answered a function to
 * {@link assertCallbacks} cannot hand over something else now.
 */
export function report<T>(
  options: Callbacks<T> | undefined,
  start: (resolve: (result: T) => void, reject: (error: SocketTaskError) => void) => void,
): Promise<T> | undefined {
  const callbacks =
    typeof options === 'object' && options !== null ? readCallbacks<T>('callbacks', options) : undefined;
  const { success, fail, complete } = callbacks ?? {};
  if (success === undefined && fail === undefined && complete === undefined) return new Promise<T>(start);
  let settled = false;
  start(
    (result) => {
      if (settled) return;
      settled = true;
      invoke(success, result);
      invoke(complete, undefined);
    },
    (error) => {
      if (settled) return;
      settled = true;
      invoke(fail, error);
      invoke(complete, undefined);
    },
  );
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
