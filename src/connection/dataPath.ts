import type { ErrorEvent, MessageEvent, SocketTaskLike } from '../adapters/types.js';
import { rethrowLater } from '../defer.js';
import { Emitter } from '../emitter.js';
import { SocketTaskError } from '../errors.js';
import type { HeartbeatPolicy } from '../options.js';
import type { SendQueue } from '../queue.js';
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
  // Writes the platform has not answered yet: a platform that never does must not leave a send pending forever.
  private readonly inFlight = new Set<(error: SocketTaskError) => void>();
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
  ) {}

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
      return;
    }
    const inFlight = this.inFlight;
    const settle = (error?: SocketTaskError) => {
      inFlight.delete(settle);
      if (error) reject(error);
      else resolve();
    };
    inFlight.add(settle);
    writeTo(task, data, () => settle(), settle);
  }

  flush(): void {
    const task = this.sendTask;
    if (this.queue === null || task === null) return;
    this.flushing = true;
    try {
      this.queue.drain((data, resolve, reject) => this.write(task, data, resolve, reject));
    } finally {
      this.flushing = false;
    }
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
    if (this.inFlight.size === 0) return;
    const unanswered = [...this.inFlight];
    this.inFlight.clear();
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
    this.pingAt = Date.now();
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
    return Date.now() - this.pingAt;
  }
}
