import type { Actor } from 'xstate';
import type {
  CloseEvent,
  ErrorEvent,
  LifecycleSignal,
  LifecycleSource,
  MessageEvent,
  OpenEvent,
} from '../adapters/types.js';
import { assertCallbacks, type Callbacks, report } from '../callbacks.js';
import { platformClock } from '../clock.js';
import { defer, rethrowLater } from '../defer.js';
import { Emitter } from '../emitter.js';
import { SocketTaskError } from '../errors.js';
import { type Slots, slotsFor } from '../limits/slots.js';
import {
  type ConnectionEmitted,
  type ConnectionMachineInput,
  type connectionMachine,
  initialContext,
} from '../machines/connection.js';
import { ABNORMAL_CLOSE } from '../machines/task.js';
import {
  type AbortSignalLike,
  type ConnectionOptions,
  resolveOptions,
} from '../options/connectionOptions.js';
import { MAX_DELAY } from '../options/optionReaders.js';
import { type QueueStats, SendQueue } from '../queue/sendQueue.js';
import { describeReadyState, READY_STATE, type ReadyState, type ReadyStateName } from '../readyState.js';
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
import { createManagedActor, managedConnectionMachine } from './effects.js';

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

/**
 * What a UI shows: the machine's states that matter to a person. `waiting`: a retry is scheduled (at
 * `nextRetryAt`); `suspended`: offline or in the background, no attempt until both are back; `closed`: the end of
 * this life (after `close()`, a give-up, or `startClosed`), until `reconnect()`.
 */
export type ConnectionStatus = 'connecting' | 'open' | 'closing' | 'waiting' | 'suspended' | 'closed';

/** One managed WebSocket connection. */
export interface Connection {
  /** The current readyState by name; always agrees with the machine. */
  readonly state: ReadyStateName;
  /** The state a UI needs: `state`, with CLOSED told apart into waiting, suspended and closed. */
  readonly status: ConnectionStatus;
  /** The current readyState as a number, 0–3. */
  readonly readyState: ReadyState;
  /** The running `connectionMachine` actor, for `subscribe`, `getSnapshot` and inspection. */
  readonly actor: Actor<typeof connectionMachine>;
  /**
   * Settles with the close event once this life of the connection is terminated and its socket and timers are
   * gone. After `reconnect()` revived it, reading it again gives the new life's promise.
   */
  readonly closed: Promise<CloseEvent>;
  /** The url of the current or last attempt (a provider's answer included); `''` before the first. */
  readonly url: string;
  /** The subprotocol the server agreed to for the last socket that opened; `''` if none or not known. */
  readonly protocol: string;
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
  /** `cb(status, previous)` on every change of `status`, waiting → suspended and back included. */
  onStatusChange(listener: (status: ConnectionStatus, previous: ConnectionStatus) => void): () => void;
  /**
   * Ready for the application's traffic, after every open: once the queue was written, or, with
   * `queue.holdUntilReady`, when `ready()` is called. The place to subscribe again after each reconnect.
   */
  onReady(listener: () => void): () => void;
  /**
   * Resolves at the next ready (at once when ready now); rejects with `ERR_CLOSED` when this life ends first, or
   * `ERR_READY_TIMEOUT` after `timeout` ms.
   */
  whenReady(timeout?: number): Promise<void>;
  /**
   * A new attempt now, not counted as a retry: from `waiting` or `suspended` the wait is skipped; while OPEN the
   * socket is closed (1000) and a new one opened; while CONNECTING the attempt is abandoned for a new one; after
   * `close()` or a give-up, the connection lives again with its listeners, retries from 0 (once a close still under
   * way has finished). Throws `ERR_CLOSED` once its `signal` aborted.
   */
  reconnect(): void;
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

/** The close a connection created with `startClosed` reports as its first life's. */
const STARTED_CLOSED: CloseEvent = { code: 1000, reason: '' };

const LIFECYCLE_SIGNALS = new Set<unknown>(['online', 'offline', 'foreground', 'background']);

function topState(value: unknown): ReadyStateName {
  return (typeof value === 'string' ? value : Object.keys(value as object)[0]) as ReadyStateName;
}

function statusOf(value: unknown): ConnectionStatus {
  const top = topState(value);
  if (top !== 'CLOSED') return top === 'CONNECTING' ? 'connecting' : top === 'OPEN' ? 'open' : 'closing';
  const sub = (value as { CLOSED?: unknown }).CLOSED;
  return sub === 'waiting' ? 'waiting' : sub === 'suspended' ? 'suspended' : 'closed';
}

/**
 * A promise made only when someone asks for it: most connections never read `closed`, and a promise with its
 * resolver costs more than the connection's other bookkeeping.
 */
class Settlement<T> {
  private made: Promise<T> | undefined = undefined;
  private settle: ((value: T) => void) | undefined = undefined;
  private settled: { value: T } | undefined = undefined;

  promise(): Promise<T> {
    if (this.made === undefined) {
      const { settled } = this;
      this.made =
        settled === undefined
          ? new Promise<T>((resolve) => {
              this.settle = resolve;
            })
          : Promise.resolve(settled.value);
    }
    return this.made;
  }

  resolve(value: T): void {
    if (this.settled !== undefined) return;
    this.settled = { value };
    this.settle?.(value);
    this.settle = undefined;
  }
}

// A class rather than an object of closures: its methods are shared by every connection, and a property read of
// `send` on a class instance is the fast one (an object literal with getters is not).
class ManagedConnection implements Connection {
  readonly actor: Actor<typeof connectionMachine>;
  private readonly path: ConnectionDataPath;
  private readonly slots: Slots;
  private readonly signal: AbortSignalLike | undefined;
  private readonly lifecycle: LifecycleSource | undefined;
  /** This life's `closed`: settled once the platform's sockets are gone too. */
  private lifeClosed!: Settlement<CloseEvent>;
  /** What close() waits for: this life is terminated. */
  private terminatedWith!: Settlement<CloseEvent>;
  private agreedProtocol = '';
  private readonly statusListeners = new Emitter<[status: ConnectionStatus, previous: ConnectionStatus]>();
  private readonly readyListeners = new Emitter<[]>();
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
  private lastStatus: ConnectionStatus = 'connecting';
  private stopLifecycle: (() => void) | undefined;
  // The close() calls not settled yet: they settle when the connection is terminated, or fail when the platform
  // refused the close (closeBeforeOpen: 'ignore' while CONNECTING), which then had no effect.
  private pendingCloses: Array<(error?: SocketTaskError) => void> = [];
  private readonly onAbort = () => {
    if (!this.terminated()) this.actor.send({ type: 'user.close', dispose: true });
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
      startClosed,
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
    // Elapsed times run on the platform's monotonic clock, where its adapter gives one.
    const clock = platformClock(machine.adapter.now);
    this.path = new ConnectionDataPath(
      queuePolicy ? new SendQueue(queuePolicy, clock) : null,
      heartbeat,
      highWaterMark,
      clock,
    );
    this.lifecycle = lifecycle;
    // startClosed: no entry action runs, so the queue is ended here, as CLOSED.terminated's entry would.
    if (startClosed) this.path.ended = true;
    this.newLife();

    const { adapter, resolveTarget, reconnect } = machine;
    // Every field written out, in one order: a rest spread would give each connection's input a map of its own.
    const input: ConnectionMachineInput = {
      platform: adapter.name,
      closeWhileConnecting: adapter.profile.closeWhileConnecting,
      maxSockets: slots.max,
      closeBeforeOpen: machine.closeBeforeOpen,
      errorGrace: machine.errorGrace,
      closeTimeout: machine.closeTimeout,
      connectTimeout: machine.connectTimeout,
      heartbeat: machine.heartbeat,
      reconnect: reconnect && {
        initialDelay: reconnect.initialDelay,
        maxDelay: reconnect.maxDelay,
        factor: reconnect.factor,
        maxRetries: reconnect.maxRetries,
        jitter: reconnect.jitter,
        stableAfter: reconnect.stableAfter,
      },
      holdUntilReady: machine.holdUntilReady,
      connectionLimit: machine.connectionLimit,
    };
    const actor = createManagedActor(
      input,
      {
        adapter,
        resolveTarget,
        dataPath: this.path,
        slots,
        shouldReconnect: reconnect ? reconnect.shouldReconnect : undefined,
      },
      {
        ...(inspect ? { inspect } : {}),
        // startClosed: the first life is over before it began, with no entry action run, so no attempt either.
        ...(startClosed
          ? {
              snapshot: managedConnectionMachine.resolveState({
                value: { CLOSED: { terminated: 'over' } },
                context: { ...initialContext(input), closeInfo: STARTED_CLOSED },
              }),
            }
          : {}),
      },
    );
    this.actor = actor;
    this.path.notify = (type) => actor.send({ type });
    // One listener for every emitted event: xstate keeps a Set and a bound copy per event type subscribed.
    actor.on('*', (emitted) => this.dispatch(emitted));
    actor.subscribe({
      next: () => this.syncState(),
      error: (error) => {
        rethrowLater(error);
        this.endLife(ABNORMAL_CLOSE);
        this.lifeClosed.resolve(ABNORMAL_CLOSE);
      },
    });
    actor.start();
    if (startClosed) {
      // Restored, not entered: no entry action ran, so the first life is settled here, as if it had ended.
      this.terminatedWith.resolve(STARTED_CLOSED);
      this.lifeClosed.resolve(STARTED_CLOSED);
    } else this.listen();
  }

  /**
   * What the machine emitted, to the listeners. An emitted event is delivered once its whole macrostep is done,
   * and a zero-delay retry leaves CLOSED in the same macrostep it entered it: the state an event belongs to is
   * reported first, then where it went.
   */
  private dispatch(emitted: ConnectionEmitted): void {
    switch (emitted.type) {
      case 'drain':
        this.drainListeners.emit();
        return;
      case 'ready':
        this.readyListeners.emit();
        return;
      case 'open':
        this.agreedProtocol = this.path.protocolOf(emitted.event);
        this.reach('OPEN');
        this.openListeners.emit(emitted.event);
        this.syncState();
        return;
      case 'error':
        this.syncState();
        this.errorListeners.emit(emitted.event);
        return;
      case 'closeRefused':
        this.refuseCloses(emitted.error);
        return;
      case 'giveup':
        this.syncState();
        this.giveUpListeners.emit(emitted.event);
        return;
      case 'close':
        this.reach('CLOSED');
        this.closeListeners.emit(emitted.event);
        this.syncState();
        return;
      case 'terminated':
        this.endLife(emitted.close);
        return;
      case 'lifeOver':
        // Stopped for good once the signal aborted: from outside the actor's own step, which is still running.
        if (this.signal?.aborted === true) defer(() => this.actor.stop());
        this.lifeClosed.resolve(emitted.close);
        return;
      case 'revived':
        this.newLife();
        this.listen();
        // After anything the signal or the lifecycle source reported on being listened to.
        this.actor.send({ type: 'life.resumed' });
        return;
    }
  }

  /** The close() calls the platform refused while CONNECTING fail: under closeBeforeOpen: 'ignore' they did nothing. */
  private refuseCloses(error: ErrorEvent): void {
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
  }

  /** The promises of a new life: `closed`, and the one close() waits for. */
  private newLife(): void {
    this.lifeClosed = new Settlement();
    // close() settles when the connection is terminated; `closed` also waits for the platform's socket to go.
    this.terminatedWith = new Settlement();
  }

  /** Listens to the signal and the lifecycle source for this life; the teardown of the life lets both go. */
  private listen(): void {
    const { signal, lifecycle, actor } = this;
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
    if (lifecycle) {
      try {
        this.stopLifecycle = lifecycle.subscribe((change: LifecycleSignal) => {
          // Listened to only while a life lasts (its end lets go): every signal counts, a new life's first included.
          if (!LIFECYCLE_SIGNALS.has(change)) return;
          actor.send({ type: `lifecycle.${change}` });
        });
      } catch (error) {
        rethrowLater(error);
      }
    }
  }

  get closed(): Promise<CloseEvent> {
    return this.lifeClosed.promise();
  }

  get status(): ConnectionStatus {
    return statusOf(this.actor.getSnapshot().value);
  }

  get url(): string {
    return this.path.url;
  }

  get protocol(): string {
    return this.agreedProtocol;
  }

  reconnect(): void {
    if (this.signal?.aborted === true) {
      throw new SocketTaskError(
        'ERR_CLOSED',
        'reconnect(): the connection was disposed when its signal aborted; create a new one',
      );
    }
    // The machine decides: at once, once the close under way is done, or once this life's sockets are gone.
    this.actor.send({ type: 'user.reconnect' });
  }

  onStatusChange(listener: (status: ConnectionStatus, previous: ConnectionStatus) => void): () => void {
    return subscribe(this.statusListeners, listener, 'onStatusChange');
  }

  onReady(listener: () => void): () => void {
    return subscribe(this.readyListeners, listener, 'onReady');
  }

  whenReady(timeout?: number): Promise<void> {
    if (timeout !== undefined && !(typeof timeout === 'number' && timeout >= 0 && timeout <= MAX_DELAY)) {
      throw new SocketTaskError(
        'ERR_INVALID_OPTIONS',
        `whenReady(): timeout must be a number of ms from 0 to ${MAX_DELAY}, or left out to wait as long as the connection lives, got ${describe(timeout)}`,
      );
    }
    const ready = new Promise<void>((resolve, reject) => {
      if (this.actor.getSnapshot().matches({ OPEN: { queue: 'flowing' } })) {
        resolve();
        return;
      }
      if (this.terminated()) {
        reject(
          new SocketTaskError('ERR_CLOSED', 'whenReady(): the connection is closed; call reconnect() first'),
        );
        return;
      }
      let timer: ReturnType<typeof setTimeout> | undefined;
      const done = (settle: () => void) => {
        offReady();
        offStatus();
        if (timer !== undefined) clearTimeout(timer);
        settle();
      };
      const offReady = this.onReady(() => done(resolve));
      const offStatus = this.onStatusChange((status) => {
        if (status !== 'closed') return;
        done(() =>
          reject(new SocketTaskError('ERR_CLOSED', 'whenReady(): the connection closed before it was ready')),
        );
      });
      if (timeout !== undefined) {
        timer = setTimeout(
          () =>
            done(() =>
              reject(new SocketTaskError('ERR_READY_TIMEOUT', `whenReady(): not ready within ${timeout} ms`)),
            ),
          timeout,
        );
      }
    });
    ready.then(undefined, ignore);
    return ready;
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
      // At most 3 UTF-8 bytes per UTF-16 unit, and 14 bytes of frame header.
      path.unchecked += typeof data === 'string' ? data.length * 3 + 14 : data.byteLength + 14;
      if (path.unchecked >= path.slack) path.checkPressure();
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
      if (this.terminated()) {
        // The last call wins: a reconnect() still waiting for this life's sockets to go is called off.
        this.actor.send({ type: 'user.close' });
        this.terminatedWith.promise().then(resolve);
        return;
      }
      this.pendingCloses.push((error) => {
        if (error) defer(() => reject(error));
        else this.terminatedWith.promise().then(resolve);
      });
      const event: { type: 'user.close'; code?: number; reason?: string } = { type: 'user.close' };
      if (code !== undefined) event.code = code as number;
      if (reason !== undefined) event.reason = reason as string;
      this.actor.send(event);
    });
  }

  ready(): void {
    this.actor.send({ type: 'user.ready' });
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

  /** This life has ended: CLOSED.terminated, or an actor that can no longer run. */
  private terminated(): boolean {
    const snapshot = this.actor.getSnapshot();
    return snapshot.status !== 'active' || snapshot.matches({ CLOSED: 'terminated' });
  }

  // Runs on every emitted event and every snapshot, so onStateChange always precedes onOpen/onClose.
  private syncState(): void {
    this.reach(this.state);
  }

  private reach(next: ReadyStateName): void {
    if (next !== this.lastState) {
      const previous = this.lastState;
      this.lastState = next;
      this.stateListeners.emit(next, previous);
    }
    const status = this.status;
    if (status === this.lastStatus) return;
    const was = this.lastStatus;
    this.lastStatus = status;
    this.statusListeners.emit(status, was);
  }

  /** The machine ended this life: close() calls settle, and the signal and the lifecycle source are let go. */
  private endLife(info: CloseEvent): void {
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
      // The connection's own listeners stay: reconnect() revives it with them. Nothing outside holds them.
      this.terminatedWith.resolve(info);
      // The machine waits in CLOSED.terminated.releasing until each task machine has run to its final state (its
      // socket's close, or closeTimeout at most); then it idles, with no timer and no child, until reconnect().
      this.slots.whenReleased(() => defer(() => this.actor.send({ type: 'life.released' })));
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
