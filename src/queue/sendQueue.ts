import { type Clock, WALL_CLOCK } from '../clock.js';
import { SocketTaskError, type SocketTaskErrorCode } from '../errors.js';
import { utf8ByteLength } from '../validate.js';

/** The `queue` option of `createConnection`: what happens to a `send()` while the connection is not OPEN. */
export interface QueueOptions {
  /** Messages held at most. @defaultValue `1000` */
  maxMessages?: number;
  /** Bytes held at most: UTF-8 bytes of text, `byteLength` of binary. @defaultValue `1048576` (1 MiB) */
  maxBytes?: number;
  /**
   * When a message does not fit: `'reject'` fails the new message, `'drop-oldest'` fails the oldest ones until it
   * fits. Either way the failed message's `send()` fails with `ERR_QUEUE_FULL`.
   * @defaultValue `'reject'`
   */
  overflow?: 'reject' | 'drop-oldest';
  /** ms a message may wait; older ones fail with `ERR_MESSAGE_EXPIRED`. @defaultValue none: messages wait until the end */
  ttl?: number;
  /**
   * Holds the flush after each open until `conn.ready()` is called, e.g. once the server accepted a login sent
   * from `onOpen`. While held, `send()` writes straight to the socket; the queued messages wait.
   * @defaultValue `false`
   */
  holdUntilReady?: boolean;
}

export interface QueuePolicy {
  maxMessages: number;
  maxBytes: number;
  overflow: 'reject' | 'drop-oldest';
  ttl: number | undefined;
  holdUntilReady: boolean;
}

/** What `conn.queue` reports. */
export interface QueueStats {
  /** Messages waiting to be written. */
  messages: number;
  /** Their size in bytes: UTF-8 for text, `byteLength` for binary. */
  bytes: number;
}

interface Entry {
  data: string | ArrayBuffer;
  bytes: number;
  expiresAt: number;
  resolve: () => void;
  reject: (error: SocketTaskError) => void;
  /** Without a monotonic clock: this message's own ttl timer, the only measure of its wait. */
  timer: ReturnType<typeof setTimeout> | undefined;
}

export function byteSize(data: string | ArrayBuffer): number {
  return typeof data === 'string' ? utf8ByteLength(data) : data.byteLength;
}

/**
 * The messages sent while the connection is not OPEN. Each one leaves it exactly once: written by `drain()`,
 * or failed with a code (full, expired, cleared, closed). One timer at most, armed for the oldest message's
 * expiry while there is one: every message has the same ttl, so they expire in order.
 */
export class SendQueue {
  private entries: Entry[] = [];
  private head = 0;
  private total = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly policy: QueuePolicy,
    private readonly clock: Clock = WALL_CLOCK,
  ) {}

  get stats(): QueueStats {
    return { messages: this.entries.length - this.head, bytes: this.total };
  }

  push(data: string | ArrayBuffer, resolve: () => void, reject: (error: SocketTaskError) => void): void {
    const { maxMessages, maxBytes, overflow, ttl } = this.policy;
    const bytes = byteSize(data);
    if (bytes > maxBytes) {
      reject(
        new SocketTaskError(
          'ERR_QUEUE_FULL',
          `send(): the message (${bytes} bytes) is larger than queue.maxBytes (${maxBytes}); it cannot be queued until the connection opens`,
        ),
      );
      return;
    }
    const fits = () => this.entries.length - this.head < maxMessages && this.total + bytes <= maxBytes;
    if (!fits()) {
      if (overflow === 'reject') {
        reject(
          new SocketTaskError(
            'ERR_QUEUE_FULL',
            `send(): the queue is full (${this.stats.messages} messages, ${this.total} bytes; limits ${maxMessages} and ${maxBytes}); wait for the connection to open, or raise queue.maxMessages / queue.maxBytes`,
          ),
        );
        return;
      }
      while (!fits()) {
        this.shift()?.reject(
          new SocketTaskError(
            'ERR_QUEUE_FULL',
            'send(): dropped from the full queue to make room for a newer message (queue.overflow: "drop-oldest")',
          ),
        );
      }
    }
    const expiresAt = ttl === undefined ? Number.POSITIVE_INFINITY : this.clock.now() + ttl;
    const entry: Entry = { data, bytes, expiresAt, resolve, reject, timer: undefined };
    this.entries.push(entry);
    this.total += bytes;
    if (ttl === undefined) return;
    // Where there is no monotonic clock, the wall clock may jump: each message is timed by a timer of its own.
    if (!this.clock.monotonic) entry.timer = setTimeout(() => this.expireOne(entry), ttl);
    else if (this.timer === undefined) this.arm();
  }

  /** Hands the messages still valid to `write`, oldest first, while `canWrite()`; fails the expired ones. */
  drain(
    write: (data: string | ArrayBuffer, resolve: () => void, reject: (e: SocketTaskError) => void) => void,
    canWrite: () => boolean = () => true,
  ) {
    this.expire();
    // One at a time from the live queue: a send() made from a callback during the drain is queued behind the rest.
    while (canWrite()) {
      const entry = this.shift();
      if (entry === undefined) return;
      write(entry.data, entry.resolve, entry.reject);
    }
  }

  /** Fails every queued message with `code`; returns how many there were. */
  fail(code: SocketTaskErrorCode, message: string): number {
    const entries = this.entries.slice(this.head);
    this.reset();
    for (const entry of entries) entry.reject(new SocketTaskError(code, message));
    return entries.length;
  }

  private shift(): Entry | undefined {
    if (this.head === this.entries.length) return undefined;
    const entry = this.entries[this.head++] as Entry;
    this.total -= entry.bytes;
    if (entry.timer !== undefined) clearTimeout(entry.timer);
    if (this.head === this.entries.length) this.reset();
    return entry;
  }

  private reset(): void {
    for (let i = this.head; i < this.entries.length; i++) {
      const { timer } = this.entries[i] as Entry;
      if (timer !== undefined) clearTimeout(timer);
    }
    this.entries = [];
    this.head = 0;
    this.total = 0;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** A message whose own ttl timer fired (no monotonic clock): it expires, wherever it is in the queue. */
  private expireOne(entry: Entry): void {
    entry.timer = undefined;
    const index = this.entries.indexOf(entry, this.head);
    if (index < 0) return;
    if (index === this.head) this.shift();
    else {
      this.entries.splice(index, 1);
      this.total -= entry.bytes;
    }
    entry.reject(this.expired());
  }

  private expired(): SocketTaskError {
    return new SocketTaskError(
      'ERR_MESSAGE_EXPIRED',
      `send(): the message waited longer than queue.ttl (${String(this.policy.ttl)} ms) for the connection to open`,
    );
  }

  private expire(): void {
    // Without a monotonic clock only the messages' own timers say when they expire.
    if (!this.clock.monotonic) return;
    const now = this.clock.now();
    while (this.head < this.entries.length && (this.entries[this.head] as Entry).expiresAt <= now) {
      this.shift()?.reject(this.expired());
    }
  }

  private arm(): void {
    const oldest = this.entries[this.head];
    if (oldest === undefined) return;
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        this.expire();
        this.arm();
      },
      Math.max(0, oldest.expiresAt - this.clock.now()),
    );
  }
}
