import { duration, invalid, read, refuseUnknownKeys } from '../options/optionReaders.js';
import { describe } from '../validate.js';
import type { QueuePolicy } from './sendQueue.js';

export function queuePolicy(option: unknown): QueuePolicy | false {
  if (option === false) return false;
  if (option !== undefined && (typeof option !== 'object' || option === null)) {
    throw invalid(
      `createConnection(): queue must be an object such as { maxMessages: 100 } or false, got ${describe(option)}`,
    );
  }
  const given = option ?? {};
  refuseUnknownKeys(given, ['maxMessages', 'maxBytes', 'overflow', 'ttl', 'holdUntilReady'], 'queue.');
  const o = {
    maxMessages: read(given, 'maxMessages'),
    maxBytes: read(given, 'maxBytes'),
    overflow: read(given, 'overflow'),
    ttl: read(given, 'ttl'),
    holdUntilReady: read(given, 'holdUntilReady'),
  };
  const count = (name: string, value: unknown, fallback: number) => {
    if (value === undefined) return fallback;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
      throw invalid(`createConnection(): queue.${name} must be an integer ≥ 1, got ${describe(value)}`);
    }
    return value;
  };
  const overflow = o.overflow ?? 'reject';
  if (overflow !== 'reject' && overflow !== 'drop-oldest') {
    throw invalid(
      `createConnection(): queue.overflow must be 'reject' or 'drop-oldest', got ${describe(overflow)}`,
    );
  }
  const ttl = o.ttl === undefined ? undefined : duration('queue.ttl', o.ttl, 0);
  const holdUntilReady = o.holdUntilReady ?? false;
  if (typeof holdUntilReady !== 'boolean') {
    throw invalid(
      `createConnection(): queue.holdUntilReady must be a boolean, got ${describe(holdUntilReady)}`,
    );
  }
  return {
    maxMessages: count('maxMessages', o.maxMessages, 1000),
    maxBytes: count('maxBytes', o.maxBytes, 1_048_576),
    overflow,
    ttl,
    holdUntilReady,
  };
}

// Here rather than in options/: the high-water mark is where the write path hands a send to this queue (and, with
// `queue: false`, fails it with ERR_QUEUE_FULL), so it and the queue's maxBytes together bound what one connection
// holds; it is read and defaulted beside the bound it completes.
export function highWaterMarkPolicy(option: unknown): number {
  const highWaterMark = option ?? 1_048_576;
  if (typeof highWaterMark !== 'number' || !Number.isSafeInteger(highWaterMark) || highWaterMark < 1) {
    throw invalid(
      `createConnection(): highWaterMark must be a whole number of bytes ≥ 1, got ${describe(highWaterMark)}`,
    );
  }
  return highWaterMark;
}
