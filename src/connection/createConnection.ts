import type { Actor } from 'xstate';
import type { CloseEvent, ErrorEvent, LifecycleSignal, MessageEvent, OpenEvent } from '../adapters/types.js';
import { assertCallbacks, type Callbacks, report } from '../callbacks.js';
import { defer, rethrowLater } from '../defer.js';
import { Emitter } from '../emitter.js';
import { SocketTaskError } from '../errors.js';
import type { connectionMachine } from '../machines/connection.js';
import { ABNORMAL_CLOSE } from '../machines/task.js';
import { type AbortSignalLike, type ConnectionOptions, resolveOptions } from '../options.js';
import { type QueueStats, SendQueue } from '../queue.js';
import { describeReadyState, READY_STATE, type ReadyState, type ReadyStateName } from '../readyState.js';
import { type Slots, slotsFor } from '../slots.js';
import {
  closeArgsProblem,
  dataProblem,
  describe,
  isArrayBuffer,
  ownedData,
  type SocketData,
  toPlatformData,
} from '../validate.js';
import { ConnectionDataPath, platformFailure } from './dataPath.js';
import { createManagedActor } from './effects.js';

/** Why the manager stopped retrying, and the close it gave up after. */
export interface GiveUpEvent {
  reason: 'max-retries' | 'not-retryable';
  retries: number;
  close: CloseEvent;
}

/** Arguments of {@link Connection.close}. */
export interface CloseOptions {
  /** 1000 or 3000–4999. Without one, the platform's default (usually 1000) is used. */
  code?: number;
  /** At most 123 UTF-8 bytes. */
  reason?: string;
}

/** At least one of the callbacks: then the call reports through them instead of returning a Promise. */
export type WithCallbacks<T> = Callbacks<T> &
  ({ success: (result: T) => void } | { fail: (error: SocketTaskError) => void } | { complete: () => void });

/** One managed WebSocket connection. */
export interface Connection {
  /** The current readyState by name; always agrees with the machine. */
  readonly state: ReadyStateName;
  /** The current readyState as a number, 0–3. */
  readonly readyState: ReadyState;
  /** The running `connectionMachine` actor, for `subscribe`, `getSnapshot` and inspection. */
  readonly actor: Actor<typeof connectionMachine>;
  /** Settles with the close event once the connection is terminated and its socket and timers are gone. */
  readonly closed: Promise<CloseEvent>;
  /** Reconnect attempts since the connection was last stable (OPEN for `reconnect.stableAfter` ms). */
  readonly retries: number;
  /** Wall-clock time (ms since the epoch) of the next reconnect attempt while waiting for it, else `null`. */
  readonly nextRetryAt: number | null;
  /** The messages waiting for the connection to open, or for the socket's buffer to drain, and their bytes. */
  readonly queue: QueueStats;
  /**
   * Bytes handed to the platform and not yet sent: the socket's own `bufferedAmount` on the web and Node; on the
   * other platforms, the bytes of the sends whose `success` has not arrived. At `highWaterMark`, sends wait.
   */
  readonly bufferedAmount: number;
  /**
   * Sends text or binary. While OPEN it is written at once; otherwise it waits in the queue for the next open
   * (or fails with `ERR_NOT_OPEN` under `queue: false`). Settles once the platform reports the write, or with
   * `ERR_QUEUE_FULL`, `ERR_MESSAGE_EXPIRED`, `ERR_QUEUE_CLEARED` or `ERR_CLOSED` (the connection was closed for
   * good: after `close()`, or when the manager stopped retrying).
   */
  send(data: SocketData, callbacks: WithCallbacks<void>): void;
  send(data: SocketData): Promise<void>;
  /**
   * Closes the connection. Settles with the close event once the connection is CLOSED.
   * Invalid arguments fail at once, with no side effect.
   */
  close(options: CloseOptions & WithCallbacks<CloseEvent>): void;
  close(options?: CloseOptions): Promise<CloseEvent>;
  /**
   * With `queue: { holdUntilReady: true }`: the application is ready on this socket (it has logged in, say), so
   * the queued messages are written now. Needed once per open; does nothing at any other time.
   */
  ready(): void;
  /** Fails every queued message with `ERR_QUEUE_CLEARED`; returns how many there were. */
  clearQueue(): number;
  onOpen(listener: (event: OpenEvent) => void): () => void;
  onMessage(listener: (event: MessageEvent) => void): () => void;
  onError(listener: (event: ErrorEvent) => void): () => void;
  onClose(listener: (event: CloseEvent) => void): () => void;
  onStateChange(listener: (state: ReadyStateName, previous: ReadyStateName) => void): () => void;
  /**
   * The manager stopped retrying on its own: `reason` is `'max-retries'` (the retries ran out) or
   * `'not-retryable'` (`shouldReconnect` said no, e.g. the server closed with 1008). Not called after `close()`.
   */
  onGiveUp(listener: (event: GiveUpEvent) => void): () => void;
  /**
   * The socket's buffer, which had reached `highWaterMark`, fell below it and the sends waiting for it were
   * written: a producer that waits for it never holds more than the mark plus the queue.
   */
  onDrain(listener: () => void): () => void;
  /**
   * Every `send()` that fails, with its error, whether or not its caller handles the failure: where the failures
   * of fire-and-forget sends (whose Promise nobody awaits) are seen.
   */
  onSendError(listener: (error: SocketTaskError) => void): () => void;
}

// Shared by every send that the platform completed synchronously: one settled Promise, not one per message.
const WRITTEN: Promise<void> = Promise.resolve();
const ignore = () => {};
const NO_QUEUE: QueueStats = Object.freeze({ messages: 0, bytes: 0 });

function subscribe<A extends unknown[]>(
  listeners: Emitter<A>,
  listener: (...args: A) => void,
  api: string,
): () => void {
  if (typeof listener !== 'function') {
    throw new SocketTaskError(
      'ERR_INVALID_CALLBACK',
      `${api}(): listener must be a function, got ${describe(listener)}`,
    );
  }
  return listeners.add(listener);
}

const LIFECYCLE_SIGNALS = new Set<unknown>(['online', 'offline', 'foreground', 'background']);

function topState(value: unknown): ReadyStateName {
  return (typeof value === 'string' ? value : Object.keys(value as object)[0]) as ReadyStateName;
}

// A class rather than an object of closures: its methods are shared by every connection, and a property read of
// `send` on a class instance is the fast one (an object literal with getters is not).
class ManagedConnection implements Connection {
  readonly actor: Actor<typeof connectionMachine>;
  readonly closed: Promise<CloseEvent>;
  private readonly path: ConnectionDataPath;
  private readonly slots: Slots;
  private readonly signal: AbortSignalLike | undefined;
  private readonly terminatedWith: Promise<CloseEvent>;
  private readonly openListeners = new Emitter<[event: OpenEvent]>();
  private readonly errorListeners = new Emitter<[event: ErrorEvent]>();
  private readonly closeListeners = new Emitter<[event: CloseEvent]>();
  private readonly stateListeners = new Emitter<[state: ReadyStateName, previous: ReadyStateName]>();
  private readonly giveUpListeners = new Emitter<[event: GiveUpEvent]>();
  private readonly drainListeners = new Emitter<[]>();
  private readonly sendErrorListeners = new Emitter<[error: SocketTaskError]>();
  private readonly sendFailed = (error: SocketTaskError) => {
    defer(() => this.sendErrorListeners.emit(error));
  };
  private lastState: ReadyStateName = 'CONNECTING';
  private finished = false;
  private stopLifecycle: (() => void) | undefined;
  private resolveClosed!: (event: CloseEvent) => void;
  private resolveTerminated!: (event: CloseEvent) => void;
  // The close() calls not settled yet: they settle when the connection is terminated, or fail when the platform
  // refused the close (closeBeforeOpen: 'ignore' while CONNECTING), which then had no effect.
  private pendingCloses: Array<(error?: SocketTaskError) => void> = [];
  private readonly onAbort = () => {
    if (!this.finished && !this.terminated()) this.actor.send({ type: 'user.close', dispose: true });
  };

  constructor(options: ConnectionOptions) {
    const {
      machine,
      heartbeat,
      queue: queuePolicy,
      highWaterMark,
      lifecycle,
      signal,
      inspect,
    } = resolveOptions(options);
    const slots = slotsFor(machine.adapter);
    if (machine.connectionLimit === 'fail' && !slots.free()) {
      throw new SocketTaskError(
        'ERR_CONNECTION_LIMIT',
        `createConnection(): the ${machine.adapter.name} platform allows ${slots.max} sockets at once and all are open through this adapter; close one first, or pass connectionLimit: 'wait'`,
      );
    }
    this.slots = slots;
    this.signal = signal;
    this.path = new ConnectionDataPath(
      queuePolicy ? new SendQueue(queuePolicy) : null,
      heartbeat,
      highWaterMark,
    );
    this.closed = new Promise<CloseEvent>((resolve) => {
      this.resolveClosed = resolve;
    });
    // close() settles when the connection is terminated; `closed` also waits for the platform's socket to go.
    this.terminatedWith = new Promise<CloseEvent>((resolve) => {
      this.resolveTerminated = resolve;
    });

    const { adapter, resolveTarget, reconnect, ...timing } = machine;
    const actor = createManagedActor(
      {
        ...timing,
        platform: adapter.name,
        closeWhileConnecting: adapter.profile.closeWhileConnecting,
        maxSockets: slots.max,
        reconnect: reconnect && {
          initialDelay: reconnect.initialDelay,
          maxDelay: reconnect.maxDelay,
          factor: reconnect.factor,
          maxRetries: reconnect.maxRetries,
          jitter: reconnect.jitter,
          stableAfter: reconnect.stableAfter,
        },
      },
      {
        adapter,
        resolveTarget,
        dataPath: this.path,
        slots,
        shouldReconnect: reconnect ? reconnect.shouldReconnect : undefined,
      },
      inspect ? { inspect } : {},
    );
    this.actor = actor;
    this.path.notify = (type) => actor.send({ type });
    actor.on('drain', () => this.drainListeners.emit());
    // An emitted event is delivered once its whole macrostep is done, and a zero-delay retry leaves CLOSED in
    // the same macrostep it entered it: the state an event belongs to is reported first, then where it went.
    actor.on('open', ({ event }) => {
      this.reach('OPEN');
      this.openListeners.emit(event);
      this.syncState();
    });
    actor.on('error', ({ event }) => {
      this.syncState();
      this.errorListeners.emit(event);
    });
    actor.on('closeRefused', ({ error }) => {
      const refused = this.pendingCloses;
      this.pendingCloses = [];
      for (const settle of refused) {
        settle(
          new SocketTaskError(
            'ERR_PLATFORM',
            `close(): the platform refused a close while CONNECTING (${error.errMsg}); with closeBeforeOpen: 'ignore' it has no effect, and the connection goes on`,
            { cause: error },
          ),
        );
      }
    });
    actor.on('giveup', ({ event }) => {
      this.syncState();
      this.giveUpListeners.emit(event);
    });
    actor.on('close', ({ event }) => {
      this.reach('CLOSED');
      this.closeListeners.emit(event);
      this.syncState();
    });
    actor.subscribe({
      next: (snapshot) => {
        this.syncState();
        if (snapshot.matches({ CLOSED: 'terminated' })) this.finish();
      },
      error: (error) => {
        rethrowLater(error);
        this.finish();
      },
    });
    actor.start();

    if (signal) {
      if (signal.aborted) this.onAbort();
      else {
        try {
          signal.addEventListener('abort', this.onAbort, { once: true });
        } catch (error) {
          // A signal that cannot be listened to cannot end the connection; close() still can.
          rethrowLater(error);
        }
      }
    }
    if (lifecycle && !this.finished) {
      try {
        this.stopLifecycle = lifecycle.subscribe((change: LifecycleSignal) => {
          if (this.finished || !LIFECYCLE_SIGNALS.has(change)) return;
          actor.send({ type: `lifecycle.${change}` });
        });
      } catch (error) {
        rethrowLater(error);
      }
    }
  }

  get state(): ReadyStateName {
    return topState(this.actor.getSnapshot().value);
  }

  get readyState(): ReadyState {
    return READY_STATE[this.state];
  }

  get retries(): number {
    return this.actor.getSnapshot().context.retries;
  }

  get nextRetryAt(): number | null {
    return this.actor.getSnapshot().context.nextRetryAt;
  }

  get queue(): QueueStats {
    const { queue } = this.path;
    return queue ? queue.stats : NO_QUEUE;
  }

  send(data: SocketData, callbacks: WithCallbacks<void>): void;
  send(data: SocketData): Promise<void>;
  send(data: SocketData, callbacks?: WithCallbacks<void>): Promise<void> | undefined {
    // The hot path: OPEN on a synchronous platform, below the high-water mark, nothing queued ahead, no
    // callbacks. No allocation for text; binary is copied unless the platform takes it at once (see copiesData).
    const path = this.path;
    const task = path.writeTask;
    if (
      task !== null &&
      callbacks === undefined &&
      !path.flushing &&
      (typeof data === 'string' || isArrayBuffer(data))
    ) {
      try {
        (task.write as (data: string | ArrayBuffer) => void)(
          typeof data === 'string' || task.copiesData === true ? data : data.slice(0),
        );
      } catch (error) {
        const failure = platformFailure(error);
        this.sendFailed(failure);
        const failed = Promise.reject(failure);
        failed.then(undefined, ignore);
        return failed;
      }
      if ((task.bufferedAmount as number) >= path.highWaterMark) path.notify('buffer.full');
      return WRITTEN;
    }
    return this.sendSlowly(data, callbacks);
  }

  get bufferedAmount(): number {
    return this.path.bufferedAmount();
  }

  close(options: CloseOptions & WithCallbacks<CloseEvent>): void;
  close(options?: CloseOptions): Promise<CloseEvent>;
  close(options?: CloseOptions & Callbacks<CloseEvent>): Promise<CloseEvent> | undefined {
    if (options !== undefined) {
      if (typeof options !== 'object' || options === null) {
        throw new SocketTaskError(
          'ERR_INVALID_CALLBACK',
          `close(): options must be an object such as { code: 1000, reason: 'bye' }, got ${describe(options)}`,
        );
      }
      assertCallbacks('close()', options);
    }
    let code: unknown;
    let reason: unknown;
    try {
      code = options?.code;
      reason = options?.reason;
    } catch (error) {
      throw new SocketTaskError(
        'ERR_INVALID_CALLBACK',
        `close(): reading its options threw: ${describe(error)}`,
        {
          cause: error,
        },
      );
    }
    return report<CloseEvent>(options, (resolve, reject) => {
      const problem = closeArgsProblem(code, reason);
      if (problem) return reject(problem);
      if (this.finished || this.terminated()) {
        this.terminatedWith.then(resolve);
        return;
      }
      this.pendingCloses.push((error) => {
        if (error) defer(() => reject(error));
        else this.terminatedWith.then(resolve);
      });
      const event: { type: 'user.close'; code?: number; reason?: string } = { type: 'user.close' };
      if (code !== undefined) event.code = code as number;
      if (reason !== undefined) event.reason = reason as string;
      this.actor.send(event);
    });
  }

  ready(): void {
    if (!this.finished) this.actor.send({ type: 'user.ready' });
  }

  clearQueue(): number {
    const { queue } = this.path;
    return queue ? queue.fail('ERR_QUEUE_CLEARED', 'send(): removed from the queue by conn.clearQueue()') : 0;
  }

  onOpen(listener: (event: OpenEvent) => void): () => void {
    return subscribe(this.openListeners, listener, 'onOpen');
  }

  onMessage(listener: (event: MessageEvent) => void): () => void {
    return subscribe(this.path.messageListeners, listener, 'onMessage');
  }

  onError(listener: (event: ErrorEvent) => void): () => void {
    return subscribe(this.errorListeners, listener, 'onError');
  }

  onClose(listener: (event: CloseEvent) => void): () => void {
    return subscribe(this.closeListeners, listener, 'onClose');
  }

  onStateChange(listener: (state: ReadyStateName, previous: ReadyStateName) => void): () => void {
    return subscribe(this.stateListeners, listener, 'onStateChange');
  }

  onGiveUp(listener: (event: GiveUpEvent) => void): () => void {
    return subscribe(this.giveUpListeners, listener, 'onGiveUp');
  }

  onDrain(listener: () => void): () => void {
    return subscribe(this.drainListeners, listener, 'onDrain');
  }

  onSendError(listener: (error: SocketTaskError) => void): () => void {
    return subscribe(this.sendErrorListeners, listener, 'onSendError');
  }

  // Everything but the hot path: validation, callbacks, asynchronous platforms, the queue.
  private sendSlowly(data: SocketData, callbacks?: WithCallbacks<void>): Promise<void> | undefined {
    if (callbacks !== undefined) {
      if (typeof callbacks !== 'object' || callbacks === null) {
        throw new SocketTaskError(
          'ERR_INVALID_CALLBACK',
          `send(): the second argument must be an object of callbacks, got ${describe(callbacks)}`,
        );
      }
      assertCallbacks('send()', callbacks);
    }
    return report<void>(callbacks, (resolve, rejectCaller) => {
      const reject = (error: SocketTaskError) => {
        rejectCaller(error);
        this.sendFailed(error);
      };
      const problem = dataProblem(data);
      if (problem) return reject(problem);
      const { sendTask, queue, flushing, ended } = this.path;
      if (sendTask !== null && !flushing) {
        const platformData = sendTask.copiesData === true ? toPlatformData(data) : ownedData(data);
        return this.path.write(sendTask, platformData, resolve, reject);
      }
      if (queue === null) {
        if (this.actor.getSnapshot().matches({ OPEN: { buffer: 'above' } })) {
          return reject(
            new SocketTaskError(
              'ERR_QUEUE_FULL',
              `send(): the socket holds ${this.bufferedAmount} unsent bytes, at or above highWaterMark (${this.path.highWaterMark}), and queue: false leaves the message nowhere to wait; wait for onDrain`,
            ),
          );
        }
        return reject(
          new SocketTaskError(
            'ERR_NOT_OPEN',
            `send(): not open: ${describeReadyState(this.state)}; send from onOpen, or check conn.state first`,
          ),
        );
      }
      if (ended) {
        return reject(
          new SocketTaskError(
            'ERR_CLOSED',
            'send(): the connection is closed for good (close() was called, or the manager gave up); create a new one',
          ),
        );
      }
      queue.push(ownedData(data), resolve, reject);
    });
  }

  private terminated(): boolean {
    return this.actor.getSnapshot().matches({ CLOSED: 'terminated' });
  }

  // Runs on every emitted event and every snapshot, so onStateChange always precedes onOpen/onClose.
  private syncState(): void {
    this.reach(this.state);
  }

  private reach(next: ReadyStateName): void {
    if (next === this.lastState) return;
    const previous = this.lastState;
    this.lastState = next;
    this.stateListeners.emit(next, previous);
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    const info = this.actor.getSnapshot().context.closeInfo ?? ABNORMAL_CLOSE;
    const settled = this.pendingCloses;
    this.pendingCloses = [];
    for (const settle of settled) settle();
    // Stopping from inside the actor's own notification would re-enter it; deferred (src/defer.ts), it is idle.
    defer(() => {
      try {
        this.signal?.removeEventListener('abort', this.onAbort);
      } catch (error) {
        rethrowLater(error);
      }
      try {
        this.stopLifecycle?.();
      } catch (error) {
        rethrowLater(error);
      }
      this.stopLifecycle = undefined;
      this.openListeners.clear();
      this.path.messageListeners.clear();
      this.errorListeners.clear();
      this.closeListeners.clear();
      this.stateListeners.clear();
      this.giveUpListeners.clear();
      this.drainListeners.clear();
      this.resolveTerminated(info);
      // Torn down means the platform's sockets too: each task machine runs to its final state by itself (its
      // socket's close, or closeTimeout at most), and only then is the actor stopped.
      this.slots.whenReleased(() =>
        defer(() => {
          this.actor.stop();
          this.resolveClosed(info);
        }),
      );
    });
  }
}

/**
 * Opens a managed WebSocket connection on any platform. Invalid options throw a {@link SocketTaskError} at once.
 *
 * @example
 * ```ts
 * import { createConnection } from 'socket-task-machine';
 * import { nodeAdapter } from 'socket-task-machine/adapters/node';
 *
 * const conn = createConnection({ url: 'ws://127.0.0.1:8080', adapter: nodeAdapter() });
 * conn.onOpen(() => conn.send('hello'));
 * conn.onMessage(({ data }) => console.log(data));
 * await conn.close({ code: 1000, reason: 'bye' });
 * ```
 */
export function createConnection(options: ConnectionOptions): Connection {
  return new ManagedConnection(options);
}
