import { guarded, invalid, MAX_DELAY, read, refuseUnknownKeys, tooLong } from '../options/optionReaders.js';
import { describe } from '../validate.js';
import {
  NO_RECONNECT_CODES,
  type ReconnectContext,
  type ReconnectOptions,
  type ReconnectPolicy,
} from './backoff.js';

/** Every setting the reconnect option knows; any other name is refused. */
export const RECONNECT_OPTION_NAMES: readonly string[] = [
  'initialDelay',
  'maxDelay',
  'factor',
  'maxRetries',
  'jitter',
  'stableAfter',
  'noReconnectCodes',
  'shouldReconnect',
];

export function reconnectPolicy(option: unknown): ReconnectPolicy | false {
  // Opt-in: without it a connection is one socket's life, and `closed` settles at its first close.
  if (option === undefined || option === false) return false;
  if (option !== undefined && (typeof option !== 'object' || option === null)) {
    throw invalid(
      `createConnection(): reconnect must be an object such as { maxRetries: 10 } or false, got ${describe(option)}`,
    );
  }
  refuseUnknownKeys(option, RECONNECT_OPTION_NAMES, 'reconnect.');
  const o = {
    initialDelay: read(option, 'initialDelay'),
    maxDelay: read(option, 'maxDelay'),
    factor: read(option, 'factor'),
    maxRetries: read(option, 'maxRetries'),
    jitter: read(option, 'jitter'),
    stableAfter: read(option, 'stableAfter'),
    noReconnectCodes: read(option, 'noReconnectCodes'),
    shouldReconnect: read(option, 'shouldReconnect') as ReconnectOptions['shouldReconnect'],
  };
  const number = (name: string, value: unknown, fallback: number, min: number, allowInfinity = false) => {
    if (value === undefined) return fallback;
    const ok =
      typeof value === 'number' &&
      value >= min &&
      (Number.isFinite(value) || (allowInfinity && value === Infinity));
    if (!ok)
      throw invalid(
        `createConnection(): reconnect.${name} must be a number ≥ ${min}, got ${describe(value)}`,
      );
    return value as number;
  };
  const delay = (name: string, value: unknown, fallback: number) => {
    const ms = number(name, value, fallback, 0);
    if (ms > MAX_DELAY) throw tooLong(`reconnect.${name}`, ms);
    return ms;
  };
  const initialDelay = delay('initialDelay', o.initialDelay, 1000);
  const maxDelay = delay('maxDelay', o.maxDelay, 30_000);
  if (maxDelay < initialDelay) {
    throw invalid(
      `createConnection(): reconnect.maxDelay (${maxDelay}) must not be below initialDelay (${initialDelay})`,
    );
  }
  const factor = number('factor', o.factor, 2, 1);
  const maxRetries = number('maxRetries', o.maxRetries, Number.POSITIVE_INFINITY, 0, true);
  if (Number.isFinite(maxRetries) && !Number.isInteger(maxRetries)) {
    throw invalid(
      `createConnection(): reconnect.maxRetries must be an integer or Infinity, got ${maxRetries}`,
    );
  }
  const stableAfter = delay('stableAfter', o.stableAfter, 5000);
  const jitter = o.jitter ?? 'full';
  if (jitter !== 'full' && jitter !== 'none') {
    throw invalid(`createConnection(): reconnect.jitter must be 'full' or 'none', got ${describe(jitter)}`);
  }
  const given = o.noReconnectCodes ?? NO_RECONNECT_CODES;
  // Copied before it is checked: the caller keeps the array, and what was checked is what is used.
  const codes: unknown[] = Array.isArray(given) ? [...given] : [];
  if (!Array.isArray(given) || !codes.every((c) => Number.isInteger(c))) {
    throw invalid(
      `createConnection(): reconnect.noReconnectCodes must be an array of close codes, got ${describe(given)}`,
    );
  }
  if (o.shouldReconnect !== undefined && typeof o.shouldReconnect !== 'function') {
    throw invalid(
      `createConnection(): reconnect.shouldReconnect must be a function, got ${describe(o.shouldReconnect)}`,
    );
  }
  return {
    initialDelay,
    maxDelay,
    factor,
    maxRetries,
    jitter,
    stableAfter,
    // A hook that throws gives up (onGiveUp says not-retryable) rather than breaking the machine; its error is rethrown.
    shouldReconnect: o.shouldReconnect
      ? guarded(o.shouldReconnect, false)
      : o.noReconnectCodes === undefined
        ? retriesByDefault
        : codeFilter(new Set(codes as number[])),
  };
}

function codeFilter(noReconnect: Set<number>): (close: ReconnectContext) => boolean {
  return (close) => !noReconnect.has(close.code);
}

// The default policy, shared: built once rather than once per connection.
const retriesByDefault = codeFilter(new Set(NO_RECONNECT_CODES));
