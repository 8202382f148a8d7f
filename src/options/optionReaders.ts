// What every policy's resolver reads its option with. Imported by the policy folders and by connectionOptions.ts;
// it imports no policy, so that no folder depends on another through it.
import { rethrowLater } from '../defer.js';
import { SocketTaskError } from '../errors.js';
import { describe } from '../validate.js';

/**
 * A user hook that cannot break the machine: if it throws, `fallback` is used and the error is rethrown
 * asynchronously, like a throwing listener.
 */
export function guarded<A extends unknown[], R>(hook: (...args: A) => R, fallback: R): (...args: A) => R {
  return (...args) => {
    try {
      return hook(...args);
    } catch (error) {
      rethrowLater(error);
      return fallback;
    }
  };
}

export function invalid(message: string): SocketTaskError {
  return new SocketTaskError('ERR_INVALID_OPTIONS', message);
}

/** The longest delay a timer can take: setTimeout runs a longer one after 1 ms instead. */
export const MAX_DELAY = 2 ** 31 - 1;

export function tooLong(name: string, value: number): SocketTaskError {
  return invalid(
    `createConnection(): ${name} must be at most ${MAX_DELAY} ms (about 24.8 days), the longest a timer can wait, got ${value}; use false where the option allows it to wait forever`,
  );
}

export function duration(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw invalid(`createConnection(): ${name} must be a finite number of ms ≥ 0, got ${describe(value)}`);
  }
  if (value > MAX_DELAY) throw tooLong(name, value);
  return value;
}

/** Edit distance, for the option a typo most likely meant. */
function distance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) {
      next[j] = Math.min(
        (row[j] as number) + 1,
        (next[j - 1] as number) + 1,
        (row[j - 1] as number) + (a[i - 1]?.toLowerCase() === b[j - 1]?.toLowerCase() ? 0 : 1),
      );
    }
    row = next;
  }
  return row[b.length] as number;
}

/**
 * Refuses a key `known` does not list, naming the nearest known one: `reconnect: { maxRetry: 3 }` would otherwise
 * pass silently and leave the default in place.
 */
export function refuseUnknownKeys(given: object, known: readonly string[], prefix: string): void {
  for (const name of Object.keys(given)) {
    if (known.includes(name)) continue;
    let nearest: string | undefined;
    let best = Math.max(2, Math.ceil(name.length / 3)) + 1;
    let bestPrefix = -1;
    for (const candidate of known) {
      const d = distance(name, candidate);
      let prefix = 0;
      while (prefix < name.length && name[prefix]?.toLowerCase() === candidate[prefix]?.toLowerCase())
        prefix++;
      // A tie goes to the longer common prefix: maxRetry is maxRetries (3), not maxDelay (3).
      if (d < best || (d === best && nearest !== undefined && prefix > bestPrefix)) {
        best = d;
        bestPrefix = prefix;
        nearest = candidate;
      }
    }
    const hint = nearest === undefined ? '' : ` did you mean "${prefix}${nearest}"?`;
    const scope = prefix === '' ? 'options' : `${prefix.slice(0, -1)} options`;
    throw invalid(
      `createConnection(): unknown option "${prefix}${name}";${hint} known ${scope}: ${known.join(', ')}`,
    );
  }
}

/**
 * Reads an option where it is defined: on the object itself or on a prototype of its own (a class, or
 * `Object.create(defaults)`), never on `Object.prototype`. A polluted `Object.prototype.allowInsecure` elsewhere in
 * the app must not turn an option on.
 */
export function read(object: object, name: string): unknown {
  for (let o: object | null = object; o !== null && o !== Object.prototype; o = Object.getPrototypeOf(o)) {
    // Not Object.hasOwn: ES2022, missing before iOS 15.4's engine.
    if (Object.getOwnPropertyDescriptor(o, name) !== undefined)
      return (object as Record<string, unknown>)[name];
  }
  return undefined;
}
