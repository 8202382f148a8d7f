import { type Actor, createActor } from 'xstate';
import type { CloseEvent, ErrorEvent, MessageEvent, OpenEvent, SocketTaskLike } from './adapters/types.js';
import { assertCallbacks, type Callbacks, report } from './callbacks.js';
import { SocketTaskError } from './errors.js';
import { connectionMachine } from './machines/connection.js';
import type { DataPath } from './machines/dataPath.js';
import { type ConnectionOptions, resolveOptions } from './options.js';
import { type QueueStats, SendQueue } from './queue.js';
import { describeReadyState, READY_STATE, type ReadyState, type ReadyStateName } from './readyState.js';
import { slotsFor } from './slots.js';
import { closeArgsProblem, dataProblem, describe, type SocketData, toPlatformData } from './validate.js';

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
  /** The messages waiting for the connection to open, and their bytes. */
  readonly queue: QueueStats;
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
}

function reportListenerError(error: unknown): void {
  // Like EventTarget: a throwing listener neither stops the others nor corrupts the machine.
  queueMicrotask(() => {
    throw error;
  });
}

function dispatch<A extends unknown[]>(listeners: Set<(...args: A) => void>, ...args: A): void {
  for (const listener of listeners) {
    try {
      listener(...args);
    } catch (error) {
      reportListenerError(error);
    }
  }
}

function subscribe<L>(listeners: Set<L>, listener: L, api: string): () => void {
  if (typeof listener !== 'function') {
    throw new SocketTaskError(
      'ERR_INVALID_CALLBACK',
      `${api}(): listener must be a function, got ${describe(listener)}`,
    );
  }
  listeners.add(listener);
  return () => {
    listeners.delete(listener);
  };
}

const LIFECYCLE_SIGNALS = new Set(['online', 'offline', 'foreground', 'background'] as const);

function topState(value: unknown): ReadyStateName {
  return (typeof value === 'string' ? value : Object.keys(value as object)[0]) as ReadyStateName;
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
  const { machine, heartbeat, queue: queuePolicy, lifecycle, signal, inspect } = resolveOptions(options);
  const slots = slotsFor(machine.adapter);
  if (machine.connectionLimit === 'fail' && !slots.free()) {
    throw new SocketTaskError(
      'ERR_CONNECTION_LIMIT',
      `createConnection(): the ${machine.adapter.name} platform allows ${slots.max} sockets at once and all are open through this adapter; close one first, or pass connectionLimit: 'wait'`,
    );
  }
  const queue = queuePolicy ? new SendQueue(queuePolicy) : null;
  // Set once no message can be written any more (close() was called, or the manager gave up).
  let ended = false;
  let flushing = false;

  const openListeners = new Set<(event: OpenEvent) => void>();
  const messageListeners = new Set<(event: MessageEvent) => void>();
  const errorListeners = new Set<(event: ErrorEvent) => void>();
  const closeListeners = new Set<(event: CloseEvent) => void>();
  const stateListeners = new Set<(state: ReadyStateName, previous: ReadyStateName) => void>();
  const giveUpListeners = new Set<(event: GiveUpEvent) => void>();

  // The hot path: written only by the machine's data-path actions, read by send() and by the task's messages.
  let attachedGeneration = 0;
  let attachedTask: SocketTaskLike | null = null;
  let liveGeneration = 0;
  let sendTask: SocketTaskLike | null = null;
  // Heartbeat bookkeeping: a counter on the hot path is cheaper than a clock read per message.
  let received = 0;
  let receivedAtPing = 0;
  let pingAt = 0;
  const isPong = heartbeat ? heartbeat.isPong : undefined;
  const dataPath: DataPath = {
    attach(generation, task) {
      attachedGeneration = generation;
      attachedTask = task;
    },
    message(generation, event) {
      if (generation !== liveGeneration) return;
      received++;
      if (isPong?.(event.data)) return;
      // The receive hot path: no rest-argument array per message, unlike dispatch().
      for (const listener of messageListeners) {
        try {
          listener(event);
        } catch (error) {
          reportListenerError(error);
        }
      }
    },
    open(generation) {
      liveGeneration = generation;
      sendTask = attachedGeneration === generation ? attachedTask : null;
    },
    stopSending() {
      sendTask = null;
    },
    flush() {
      const task = sendTask;
      if (queue === null || task === null) return;
      flushing = true;
      try {
        queue.drain((data, resolve, reject) => write(task, data, resolve, reject));
      } finally {
        flushing = false;
      }
    },
    endQueue() {
      ended = true;
      queue?.fail(
        'ERR_CLOSED',
        'send(): the connection was closed for good before the message could be written',
      );
    },
    close() {
      sendTask = null;
      attachedTask = null;
      liveGeneration = 0;
    },
    ping() {
      receivedAtPing = received;
      pingAt = Date.now();
      if (!heartbeat || sendTask === null) return;
      let ping: unknown;
      try {
        ping = typeof heartbeat.message === 'function' ? heartbeat.message() : heartbeat.message;
      } catch (error) {
        // No ping goes out, so the timeout reports the connection as dead: a broken hook is not hidden.
        reportListenerError(error);
        return;
      }
      if (dataProblem(ping)) return;
      const data = toPlatformData(ping as SocketData);
      // A ping that fails to go out simply gets no answer: the timeout reports the dead socket.
      try {
        sendTask.send({ data });
      } catch {}
    },
    heardSincePing: () => received !== receivedAtPing,
    msSincePing: () => Date.now() - pingAt,
  };

  const actor = createActor(connectionMachine, {
    input: { ...machine, dataPath, slots },
    ...(inspect ? { inspect } : {}),
  });

  let lastState: ReadyStateName = 'CONNECTING';
  // Runs before every emitted event and on every snapshot, so onStateChange always precedes onOpen/onClose.
  const syncState = () => {
    const next = topState(actor.getSnapshot().value);
    if (next === lastState) return;
    const previous = lastState;
    lastState = next;
    dispatch(stateListeners, next, previous);
  };

  let resolveClosed!: (event: CloseEvent) => void;
  const closed = new Promise<CloseEvent>((resolve) => {
    resolveClosed = resolve;
  });
  // close() settles when the connection is terminated; `closed` also waits for the platform's socket to go.
  let resolveTerminated!: (event: CloseEvent) => void;
  const terminatedWith = new Promise<CloseEvent>((resolve) => {
    resolveTerminated = resolve;
  });
  let finished = false;
  const onAbort = () => {
    if (!finished && !terminated()) actor.send({ type: 'user.close' });
  };
  let stopLifecycle: (() => void) | undefined;
  const finish = () => {
    if (finished) return;
    finished = true;
    const info = actor.getSnapshot().context.closeInfo ?? { code: 1006, reason: '' };
    // Stopping from inside the actor's own notification would re-enter it; a microtask later it is idle.
    queueMicrotask(() => {
      signal?.removeEventListener('abort', onAbort);
      try {
        stopLifecycle?.();
      } catch (error) {
        reportListenerError(error);
      }
      stopLifecycle = undefined;
      actor.stop();
      openListeners.clear();
      messageListeners.clear();
      errorListeners.clear();
      closeListeners.clear();
      stateListeners.clear();
      giveUpListeners.clear();
      // Torn down means the platform's sockets too: a socket that was still closing (or an abandoned handshake on
      // a platform that ignores a close while CONNECTING) is waited for, for at most closeTimeout.
      resolveTerminated(info);
      slots.whenReleased(() => resolveClosed(info));
    });
  };

  actor.on('open', ({ event }) => {
    syncState();
    dispatch(openListeners, event);
  });
  actor.on('error', ({ event }) => {
    syncState();
    dispatch(errorListeners, event);
  });
  actor.on('giveup', ({ event }) => {
    syncState();
    dispatch(giveUpListeners, event);
  });
  actor.on('close', ({ event }) => {
    syncState();
    dispatch(closeListeners, event);
  });
  actor.subscribe({
    next: (snapshot) => {
      syncState();
      if (snapshot.matches({ CLOSED: 'terminated' })) finish();
    },
    error: (error) => {
      reportListenerError(error);
      finish();
    },
  });
  actor.start();

  const currentState = (): ReadyStateName => topState(actor.getSnapshot().value);
  const terminated = () => actor.getSnapshot().matches({ CLOSED: 'terminated' });
  if (signal) {
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  }
  if (lifecycle && !finished) {
    try {
      stopLifecycle = lifecycle.subscribe((change) => {
        if (finished || !LIFECYCLE_SIGNALS.has(change)) return;
        actor.send({ type: `lifecycle.${change}` });
      });
    } catch (error) {
      reportListenerError(error);
    }
  }

  function write(
    task: SocketTaskLike,
    data: string | ArrayBuffer,
    resolve: () => void,
    reject: (error: SocketTaskError) => void,
  ): void {
    const fail = (error: unknown) =>
      reject(
        new SocketTaskError(
          'ERR_PLATFORM',
          `send(): the platform failed to send: ${(error as ErrorEvent | null)?.errMsg ?? String(error)}`,
          { cause: error },
        ),
      );
    try {
      task.send({ data, success: () => resolve(), fail });
    } catch (error) {
      fail(error instanceof Error ? { errMsg: error.message, cause: error } : error);
    }
  }

  function send(data: SocketData, callbacks?: WithCallbacks<void>): Promise<void> | undefined {
    if (callbacks !== undefined) {
      if (typeof callbacks !== 'object' || callbacks === null) {
        throw new SocketTaskError(
          'ERR_INVALID_CALLBACK',
          `send(): the second argument must be an object of callbacks, got ${describe(callbacks)}`,
        );
      }
      assertCallbacks('send()', callbacks);
    }
    return report<void>(callbacks, (resolve, reject) => {
      const problem = dataProblem(data);
      if (problem) return reject(problem);
      const task = sendTask;
      if (task !== null && !flushing) return write(task, toPlatformData(data), resolve, reject);
      if (queue === null) {
        return reject(
          new SocketTaskError(
            'ERR_NOT_OPEN',
            `send(): not open: ${describeReadyState(currentState())}; send from onOpen, or check conn.state first`,
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
      const platformData = toPlatformData(data);
      // The message may wait a long time: a copy, so that the caller can reuse its buffer at once.
      queue.push(typeof platformData === 'string' ? platformData : platformData.slice(0), resolve, reject);
    });
  }

  function close(options?: CloseOptions & Callbacks<CloseEvent>): Promise<CloseEvent> | undefined {
    if (options !== undefined) {
      if (typeof options !== 'object' || options === null) {
        throw new SocketTaskError(
          'ERR_INVALID_CALLBACK',
          `close(): options must be an object such as { code: 1000, reason: 'bye' }, got ${describe(options)}`,
        );
      }
      assertCallbacks('close()', options);
    }
    const code = options?.code;
    const reason = options?.reason;
    return report<CloseEvent>(options, (resolve, reject) => {
      const problem = closeArgsProblem(code, reason);
      if (problem) return reject(problem);
      terminatedWith.then(resolve);
      if (finished || terminated()) return;
      const event: { type: 'user.close'; code?: number; reason?: string } = { type: 'user.close' };
      if (code !== undefined) event.code = code;
      if (reason !== undefined) event.reason = reason;
      actor.send(event);
    });
  }

  return {
    get state() {
      return currentState();
    },
    get retries() {
      return actor.getSnapshot().context.retries;
    },
    get nextRetryAt() {
      return actor.getSnapshot().context.nextRetryAt;
    },
    get queue() {
      return queue ? queue.stats : { messages: 0, bytes: 0 };
    },
    ready() {
      if (!finished) actor.send({ type: 'user.ready' });
    },
    clearQueue() {
      return queue
        ? queue.fail('ERR_QUEUE_CLEARED', 'send(): removed from the queue by conn.clearQueue()')
        : 0;
    },
    get readyState() {
      return READY_STATE[currentState()];
    },
    actor,
    closed,
    send: send as Connection['send'],
    close: close as Connection['close'],
    onOpen: (listener) => subscribe(openListeners, listener, 'onOpen'),
    onMessage: (listener) => subscribe(messageListeners, listener, 'onMessage'),
    onError: (listener) => subscribe(errorListeners, listener, 'onError'),
    onClose: (listener) => subscribe(closeListeners, listener, 'onClose'),
    onStateChange: (listener) => subscribe(stateListeners, listener, 'onStateChange'),
    onGiveUp: (listener) => subscribe(giveUpListeners, listener, 'onGiveUp'),
  };
}
