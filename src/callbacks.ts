import { SocketTaskError } from './errors.js';
import { describe } from './validate.js';

/** The seeds' call convention: `success` / `fail` / `complete`, each reported at most once. */
export interface Callbacks<T> {
  success?: (result: T) => void;
  fail?: (error: SocketTaskError) => void;
  complete?: () => void;
}

const NAMES = ['success', 'fail', 'complete'] as const;

/** Throws when a callback is present but not a function: there is nowhere else to report it. */
export function assertCallbacks(api: string, options: object): void {
  for (const name of NAMES) {
    const value = (options as Record<string, unknown>)[name];
    if (value !== undefined && typeof value !== 'function') {
      throw new SocketTaskError(
        'ERR_INVALID_CALLBACK',
        `${api}: ${name} must be a function, got ${describe(value)}`,
      );
    }
  }
}

function hasCallbacks(options: Callbacks<never> | undefined): boolean {
  return (
    options !== undefined &&
    (options.success !== undefined || options.fail !== undefined || options.complete !== undefined)
  );
}

/**
 * Runs `start` and reports its outcome the way the seeds document (seed 004): through the callbacks when any is
 * given, `complete` last and exactly once, never both `success` and `fail`; as a Promise when none is given.
 */
export function report<T>(
  options: Callbacks<T> | undefined,
  start: (resolve: (result: T) => void, reject: (error: SocketTaskError) => void) => void,
): Promise<T> | undefined {
  if (!hasCallbacks(options)) return new Promise<T>(start);
  const { success, fail, complete } = options as Callbacks<T>;
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
    queueMicrotask(() => {
      throw error;
    });
  }
}
