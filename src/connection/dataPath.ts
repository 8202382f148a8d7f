import type { ErrorEvent, MessageEvent, OpenEvent, SocketTaskLike } from '../adapters/types.js';
import { type Clock, WALL_CLOCK } from '../clock.js';
import { rethrowLater } from '../defer.js';
import { Emitter } from '../emitter.js';
import { SocketTaskError } from '../errors.js';
import type { HeartbeatPolicy } from '../heartbeat/heartbeatOptions.js';
import { byteSize, type SendQueue } from '../queue/sendQueue.js';
import { dataProblem, isArrayBuffer, type SocketData, toPlatformData } from '../validate.js';

export function platformFailure(error: unknown): SocketTaskError {
  const errMsg =
    error instanceof Error ? error.message : ((error as ErrorEvent | null)?.errMsg ?? String(error));
  return new SocketTaskError('ERR_PLATFORM', `send(): the platform failed to send: ${errMsg}`, {
    cause: error,
  });
}

/** Writes one message and reports the platform's outcome; at once where the platform writes synchronously. */
export function writeTo(
  task: SocketTaskLike,
  data: string | ArrayBuffer,
  resolve: () => void,
  reject: (error: SocketTaskError) => void,
): void {
  if (task.write !== undefined) {
    let failure: SocketTaskError | undefined;
    try {
      task.write(data);
    } catch (error) {
      failure = platformFailure(error);
    }
    // Outside the try: an exception from the caller's callbacks is not the platform's failure.
    if (failure) reject(failure);
    else resolve();
    return;
  }
  const fail = (error: unknown) => reject(platformFailure(error));
  try {
    task.send({ data, success: () => resolve(), fail });
  } catch (error) {
    fail(error);
  }
}

/**
 * One connection's hot path: which task sends go to, and where its messages go. Only the machine's data-path
 * actions change it; `send()` and the task's messages read it without going through the actor. A class, so that
 * a connection costs one object here instead of a closure per method.
 */
export class ConnectionDataPath {
  /** The task that is OPEN and accepts sends, else `null`. */
  sendTask: SocketTaskLike | null = null;
  /** `sendTask` when its platform writes synchronously (it has `write()`): the allocation-free `send()`. */
  writeTask: SocketTaskLike | null = null;
  /** True while the queue is being written: a send made meanwhile queues behind it, keeping the order. */
  flushing = false;
  /** No message can be written any more: `close()` was called, or the manager gave up. */
  ended = false;
  readonly messageListeners = new Emitter<[event: MessageEvent]>();
  /** The url of the current or last attempt; `''` before the first. */
  url = '';
  /** Tells the machine the socket's buffer reached the high-water mark, or fell below it again. */
  notify: (type: 'buffer.full' | 'buffer.drained') => void = () => {};
  // Writes the platform has not answered yet: a platform that never does must not leave a send pending forever.
  // Made at the first such write: a platform that writes synchronously never needs it.
  private inFlight: Set<(error: SocketTaskError) => void> | null = null;
  /** Bytes of the writes in flight: the buffered amount of a platform that reports none of its own. */
  private inFlightBytes = 0;
  /** While the buffer is above the mark: the timer that polls it, or the wait for a write's answer. */
  private drainTimer: ReturnType<typeof setTimeout> | undefined;
  private drainPoll = 0;
  private awaitingDrain = false;
  private attachedGeneration = 0;
  private attachedTask: SocketTaskLike | null = null;
  private liveGeneration = 0;
  // Heartbeat bookkeeping: a counter on the hot path is cheaper than a clock read per message.
  private received = 0;
  private receivedAtPing = 0;
  private pingAt = 0;

  constructor(
    readonly queue: SendQueue | null,
    private readonly heartbeat: HeartbeatPolicy | false,
    /** Bytes the platform may hold unsent before sends wait in the queue. */
    readonly highWaterMark: number,
    private readonly clock: Clock = WALL_CLOCK,
  ) {}

  /** Bytes handed to the platform and not yet sent: its socket's own count, else the writes not yet answered. */
  bufferedAmount(): number {
    const task = this.attachedTask;
    const own = task === null ? undefined : task.bufferedAmount;
    return typeof own === 'number' ? own : this.inFlightBytes;
  }

  /**
   * The hot path's upper bound on the bytes written since the buffer was last read, and how many may go before it
   * is read again: reading a socket's count on every send costs more than the send, so it is read only once the
   * sends since could have filled the room left below the mark. A send can never pass the mark by more than itself.
   */
  unchecked = 0;
  slack = 0;

  /** After a write: tells the machine once the buffer reached the mark, so that the next sends wait. */
  checkPressure(): void {
    this.unchecked = 0;
    const room = this.highWaterMark - this.bufferedAmount();
    this.slack = room > 0 ? room : 0;
    if (room <= 0) this.notify('buffer.full');
  }

  /** The buffer is at the mark: sends wait in the queue until it drains. */
  pause(): void {
    this.sendTask = null;
    this.writeTask = null;
  }

  /** Watches the buffer until it falls below the mark, then tells the machine. */
  watchDrain(): void {
    const task = this.attachedTask;
    if (task === null || typeof task.bufferedAmount !== 'number') {
      // Drained as the platform answers the writes in flight (see settle in write()).
      this.awaitingDrain = true;
      return;
    }
    // No platform reports a drain event through the SocketTask shape: the count is polled, soon at first (a fast
    // link drains in a millisecond) and less often while it stays full (a slow one), 1 ms doubling up to 64 ms.
    this.drainPoll = 1;
    const poll = () => {
      this.drainTimer = undefined;
      if (this.bufferedAmount() < this.highWaterMark) {
        this.notify('buffer.drained');
        return;
      }
      this.drainPoll = Math.min(this.drainPoll * 2, 64);
      this.drainTimer = setTimeout(poll, this.drainPoll);
    };
    this.drainTimer = setTimeout(poll, this.drainPoll);
  }

  stopWatchingDrain(): void {
    this.awaitingDrain = false;
    if (this.drainTimer !== undefined) clearTimeout(this.drainTimer);
    this.drainTimer = undefined;
  }

  /** The buffer drained: sends go to the socket again. */
  resume(): void {
    this.open(this.liveGeneration);
  }

  attach(generation: number, task: SocketTaskLike): void {
    this.attachedGeneration = generation;
    this.attachedTask = task;
  }

  message(generation: number, event: MessageEvent): void {
    if (generation !== this.liveGeneration) return;
    // A custom adapter may pass anything: only the normalized shape reaches the listeners.
    const data = (event as { data?: unknown } | null | undefined)?.data;
    if (typeof data !== 'string' && !isArrayBuffer(data)) return;
    this.received++;
    if (this.heartbeat !== false && this.heartbeat.isPong(event.data)) return;
    this.messageListeners.emit(event);
  }

  open(generation: number): void {
    this.liveGeneration = generation;
    // The first send on this socket reads its buffer.
    this.unchecked = 0;
    this.slack = 0;
    const task = this.attachedGeneration === generation ? this.attachedTask : null;
    this.sendTask = task;
    this.writeTask = task?.write !== undefined ? task : null;
  }

  stopSending(): void {
    this.sendTask = null;
    this.writeTask = null;
  }

  /** Writes one message to `task`, remembering it until the platform answers or the socket closes. */
  write(
    task: SocketTaskLike,
    data: string | ArrayBuffer,
    resolve: () => void,
    reject: (error: SocketTaskError) => void,
  ): void {
    if (task.write !== undefined) {
      writeTo(task, data, resolve, reject);
      this.checkPressure();
      return;
    }
    let inFlight = this.inFlight;
    if (inFlight === null) {
      inFlight = new Set();
      this.inFlight = inFlight;
    }
    const counted = typeof task.bufferedAmount === 'number' ? 0 : byteSize(data);
    const settle = (error?: SocketTaskError) => {
      if (inFlight.delete(settle)) this.inFlightBytes -= counted;
      if (error) reject(error);
      else resolve();
      if (this.awaitingDrain && this.inFlightBytes < this.highWaterMark) {
        this.awaitingDrain = false;
        this.notify('buffer.drained');
      }
    };
    inFlight.add(settle);
    this.inFlightBytes += counted;
    writeTo(task, data, () => settle(), settle);
    this.checkPressure();
  }

  flush(): void {
    const task = this.sendTask;
    if (this.queue === null || task === null) return;
    this.flushing = true;
    try {
      // Written while the buffer is below the mark; the rest waits for the drain.
      this.queue.drain(
        (data, resolve, reject) => this.write(task, data, resolve, reject),
        () => this.bufferedAmount() < this.highWaterMark,
      );
    } finally {
      this.flushing = false;
    }
  }

  /** The subprotocol the server agreed to for the open socket: the task's own, else the open's header. */
  protocolOf(event: OpenEvent): string {
    const own = this.attachedTask?.protocol;
    if (typeof own === 'string') return own;
    const header = event.header?.['sec-websocket-protocol'];
    return typeof header === 'string' ? header : '';
  }

  /** A new life after close() or a give-up: sends are queued again. */
  reopen(): void {
    this.ended = false;
  }

  endQueue(): void {
    this.ended = true;
    this.queue?.fail(
      'ERR_CLOSED',
      'send(): the connection was closed for good before the message could be written',
    );
  }

  close(): void {
    this.sendTask = null;
    this.writeTask = null;
    this.attachedTask = null;
    this.liveGeneration = 0;
    this.stopWatchingDrain();
    if (this.inFlight === null || this.inFlight.size === 0) return;
    const unanswered = [...this.inFlight];
    this.inFlight.clear();
    this.inFlightBytes = 0;
    for (const fail of unanswered) {
      fail(
        new SocketTaskError(
          'ERR_PLATFORM',
          'send(): the socket closed before the platform reported the write; the message may not have been sent',
        ),
      );
    }
  }

  ping(): void {
    this.receivedAtPing = this.received;
    this.pingAt = this.clock.now();
    const { heartbeat, sendTask } = this;
    if (heartbeat === false || sendTask === null) return;
    let ping: unknown;
    try {
      ping = typeof heartbeat.message === 'function' ? heartbeat.message() : heartbeat.message;
    } catch (error) {
      // No ping goes out, so the timeout reports the connection as dead: a broken hook is not hidden.
      rethrowLater(error);
      return;
    }
    if (dataProblem(ping)) return;
    // A ping that fails to go out simply gets no answer: the timeout reports the dead socket.
    try {
      sendTask.send({ data: toPlatformData(ping as SocketData) });
    } catch {}
  }

  heardSincePing(): boolean {
    return this.received !== this.receivedAtPing;
  }

  msSincePing(): number {
    return this.clock.now() - this.pingAt;
  }
}
