import { SocketTaskError } from '../errors.js';
import { describe } from '../validate.js';
import { type PlatformMinimum, requirement } from './minimums.js';

/**
 * Runs an adapter factory's checks. The platform object comes from the caller and may be anything: a getter or a
 * Proxy that throws while it is read is reported as `ERR_INVALID_ADAPTER`, with its error as the cause, never raw.
 */
export function checkedFactory<A>(factory: string, build: () => A): A {
  try {
    return build();
  } catch (error) {
    if (error instanceof SocketTaskError) throw error;
    throw new SocketTaskError(
      'ERR_INVALID_ADAPTER',
      `${factory}(): reading the platform object threw; pass the platform's own object`,
      { cause: error },
    );
  }
}

/** The methods of the seeds' SocketTask that every adapter calls. */
export const SOCKET_TASK_METHODS = ['send', 'close', 'onOpen', 'onMessage', 'onError', 'onClose'] as const;

function isObjectLike(value: unknown): value is Record<string, unknown> {
  return (typeof value === 'object' || typeof value === 'function') && value !== null;
}

/** The first of `methods` that `value` does not have as a function; `undefined` when it has them all. */
export function missingMethod(value: unknown, methods: readonly string[]): string | undefined {
  if (!isObjectLike(value)) return methods[0];
  return methods.find((method) => typeof value[method] !== 'function');
}

/**
 * Checks, when an adapter is created, the platform object it was given: an object with every function of
 * `minimum.methods`, or `ERR_INVALID_ADAPTER` naming the one missing and the version that has it. `what` names
 * the right object: `"the mini-program's wx object"`.
 */
export function requirePlatform<P>(
  factory: string,
  minimum: PlatformMinimum,
  platform: unknown,
  what: string,
): P {
  const name = minimum.platform;
  if (!isObjectLike(platform)) {
    throw new SocketTaskError(
      'ERR_INVALID_ADAPTER',
      `${factory}(): ${name} must be ${what}, got ${describe(platform)}; pass it as ${factory}({ ${name} })`,
    );
  }
  const missing = missingMethod(platform, minimum.methods);
  if (missing !== undefined) {
    throw new SocketTaskError(
      'ERR_INVALID_ADAPTER',
      `${factory}(): ${name}.${missing} must be a function, got ${describe(platform[missing])}; pass ${what}, from ${requirement(minimum)}`,
    );
  }
  return platform as P;
}

/**
 * What `connectSocket` handed back, when it is a SocketTask; else `ERR_PLATFORM` naming what it lacks and the
 * version that has SocketTasks. `call` says what came back how: `'wx.connectSocket() returned'`; `fix` is the
 * way out where there is one besides that version.
 */
export function requireSocketTask<T>(
  value: unknown,
  call: string,
  minimum: PlatformMinimum,
  fix?: string,
): T {
  const missing = missingMethod(value, SOCKET_TASK_METHODS);
  if (missing === undefined) return value as T;
  // A task short of a method says which; anything else (a Promise, `undefined`) is simply not a task.
  const partial =
    isObjectLike(value) && SOCKET_TASK_METHODS.some((method) => typeof value[method] === 'function');
  const got = partial ? `${describe(value)} without ${missing}()` : describe(value);
  throw new SocketTaskError(
    'ERR_PLATFORM',
    `${call} no SocketTask (got ${got}); SocketTasks need ${requirement(minimum)}${fix ? `; ${fix}` : ''}`,
  );
}
