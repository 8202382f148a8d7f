import { type Actor, createActor, type InspectionEvent, type Observer } from 'xstate';
import type {
  CloseEvent,
  ConnectOptions,
  ErrorEvent,
  MessageEvent,
  OpenEvent,
  SocketAdapter,
  SocketTaskLike,
} from './adapters/types.js';
import { assertCallbacks, type Callbacks, report } from './callbacks.js';
import { SocketTaskError } from './errors.js';
import { connectionMachine } from './machines/connection.js';
import type { DataPath } from './machines/dataPath.js';
import { describeReadyState, READY_STATE, type ReadyState, type ReadyStateName } from './readyState.js';
import {
  closeArgsProblem,
  dataProblem,
  describe,
  headerProblem,
  protocolsProblem,
  type SocketData,
  toPlatformData,
  urlProblem,
} from './validate.js';

type MaybePromise<T> = T | Promise<T>;

/** Options of {@link createConnection}. */
export interface ConnectionOptions {
  /** `ws://` or `wss://` URL, or a function (sync or async) called on every attempt, e.g. to put a fresh token in. */
  url: string | (() => MaybePromise<string>);
  /** The platform binding, e.g. `nodeAdapter()` or `webAdapter()`. */
  adapter: SocketAdapter;
  /** Subprotocols to offer. */
  protocols?: string | string[];
  /** Handshake headers (where the platform allows them), or a function called on every attempt. */
  header?: Record<string, string> | (() => MaybePromise<Record<string, string>>);
  /**
   * What a `close()` while CONNECTING does on a platform that ignores it (WeChat, QQ, Baidu devices).
   * `'defer'` closes the socket the moment it opens, without firing `onOpen`; `'ignore'` hands the close to
   * the platform as is, which has no effect, exactly as the platform documents.
   * @defaultValue `'defer'`
   */
  closeBeforeOpen?: 'defer' | 'ignore';
  /**
   * ms to wait, after an error, for the platform's close event before synthesising close 1006.
   * @defaultValue `1000`
   */
  errorGrace?: number;
  /**
   * ms to wait, after asking the platform to close, for its close event before synthesising close 1006.
   * @defaultValue `5000`
   */
  closeTimeout?: number;
  /**
   * ms an attempt may stay CONNECTING before it is abandoned with an `ERR_CONNECT_TIMEOUT` error and close 1006.
   * The abandoned socket is closed, at once or, where a close while CONNECTING has no effect, the moment it opens.
   * `false` waits for the platform forever.
   * @defaultValue `10000`
   */
  connectTimeout?: number | false;
  /**
   * An application-level ping, the only way to detect a half-open connection (a drop that fires neither error nor
   * close). While OPEN, `message` is sent every `interval` ms; if nothing at all arrives within `timeout` ms of a
   * ping, `onError` reports `ERR_HEARTBEAT_TIMEOUT` and the socket is closed. Any inbound message is a sign of life;
   * messages for which `isPong(data)` is true are swallowed. Off unless given, as the server must answer the ping.
   * @defaultValue `false`; when given: `interval` 15000, `timeout` 10000, `message` `'ping'`, `isPong` `data === 'pong'`
   */
  heartbeat?: HeartbeatOptions | false;
  /**
   * Disposes of the connection when aborted, exactly like `close()`: the socket is closed and `closed` settles.
   */
  signal?: AbortSignal;
  /**
   * Lets `ws://` through on a platform whose profile requires `wss://` (mini-programs), e.g. for WeChat DevTools
   * with domain checks off, or a local test server. Devices still refuse it.
   * @defaultValue `false`
   */
  allowInsecure?: boolean;
  /** XState inspection observer, e.g. from `@statelyai/inspect`. */
  inspect?: Observer<InspectionEvent> | ((event: InspectionEvent) => void);
}

/** The `heartbeat` option of {@link createConnection}. */
export interface HeartbeatOptions {
  /** ms between the end of one check and the next ping. @defaultValue `15000` */
  interval?: number;
  /** ms to wait for any message after a ping. @defaultValue `10000` */
  timeout?: number;
  /** The ping, or a function making it. @defaultValue `'ping'` */
  message?: SocketData | (() => SocketData);
  /** Recognizes the server's answer, which is then not passed to `onMessage`. @defaultValue `data === 'pong'` */
  isPong?: (data: string | ArrayBuffer) => boolean;
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
  /**
   * Sends text or binary while OPEN; fails with `ERR_NOT_OPEN` otherwise.
   * Settles once the platform reports the write.
   */
  send(data: SocketData, callbacks: WithCallbacks<void>): void;
  send(data: SocketData): Promise<void>;
  /**
   * Closes the connection. Settles with the close event once the connection is CLOSED.
   * Invalid arguments fail at once, with no side effect.
   */
  close(options: CloseOptions & WithCallbacks<CloseEvent>): void;
  close(options?: CloseOptions): Promise<CloseEvent>;
  onOpen(listener: (event: OpenEvent) => void): () => void;
  onMessage(listener: (event: MessageEvent) => void): () => void;
  onError(listener: (event: ErrorEvent) => void): () => void;
  onClose(listener: (event: CloseEvent) => void): () => void;
  onStateChange(listener: (state: ReadyStateName, previous: ReadyStateName) => void): () => void;
}

const OPTION_NAMES = new Set([
  'url',
  'adapter',
  'protocols',
  'header',
  'closeBeforeOpen',
  'errorGrace',
  'closeTimeout',
  'connectTimeout',
  'heartbeat',
  'signal',
  'allowInsecure',
  'inspect',
]);

function invalid(message: string): SocketTaskError {
  return new SocketTaskError('ERR_INVALID_OPTIONS', message);
}

function duration(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw invalid(`createConnection(): ${name} must be a finite number of ms ≥ 0, got ${describe(value)}`);
  }
  return value;
}

interface HeartbeatPolicy {
  interval: number;
  timeout: number;
  message: SocketData | (() => SocketData);
  isPong: (data: string | ArrayBuffer) => boolean;
}

function heartbeatPolicy(option: unknown): HeartbeatPolicy | false {
  if (option === undefined || option === false) return false;
  if (typeof option !== 'object' || option === null) {
    throw invalid(
      `createConnection(): heartbeat must be an object such as { interval: 15000 } or false, got ${describe(option)}`,
    );
  }
  const { interval, timeout, message, isPong } = option as HeartbeatOptions;
  const positive = (name: string, value: unknown, fallback: number) => {
    if (value === undefined) return fallback;
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
      throw invalid(
        `createConnection(): heartbeat.${name} must be a finite number of ms > 0, got ${describe(value)}`,
      );
    }
    return value;
  };
  if (message !== undefined && typeof message !== 'function' && dataProblem(message)) {
    throw invalid(
      `createConnection(): heartbeat.message must be a string, an ArrayBuffer, a view or a function, got ${describe(message)}`,
    );
  }
  if (isPong !== undefined && typeof isPong !== 'function') {
    throw invalid(`createConnection(): heartbeat.isPong must be a function, got ${describe(isPong)}`);
  }
  return {
    interval: positive('interval', interval, 15_000),
    timeout: positive('timeout', timeout, 10_000),
    message: message ?? 'ping',
    isPong: isPong ?? ((data) => data === 'pong'),
  };
}

function validateAdapter(adapter: unknown): SocketAdapter {
  const a = adapter as Partial<SocketAdapter> | null;
  if (typeof a !== 'object' || a === null || typeof a.connect !== 'function') {
    throw new SocketTaskError(
      'ERR_INVALID_ADAPTER',
      `createConnection(): adapter must be a SocketAdapter such as nodeAdapter() or webAdapter(), got ${describe(adapter)}`,
    );
  }
  const mode = a.profile?.closeWhileConnecting;
  if (mode !== 'ignored' && mode !== 'aborts') {
    throw new SocketTaskError(
      'ERR_INVALID_ADAPTER',
      `createConnection(): adapter ${String(a.name)} has no valid profile.closeWhileConnecting; use 'ignored' or 'aborts'`,
    );
  }
  return a as SocketAdapter;
}

function insecureUrlProblem(
  adapter: SocketAdapter,
  url: string,
  allowInsecure: boolean,
): SocketTaskError | undefined {
  if (allowInsecure || !adapter.profile.requiresSecureUrl || !url.startsWith('ws:')) return undefined;
  return new SocketTaskError(
    'ERR_INVALID_URL',
    `url ${JSON.stringify(url)}: the ${adapter.name} platform accepts wss:// only; use wss://, or pass allowInsecure: true for a development server`,
  );
}

function isThenable<T>(value: MaybePromise<T>): value is Promise<T> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
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
  if (typeof options !== 'object' || options === null) {
    throw invalid(
      `createConnection(): options must be an object with url and adapter, got ${describe(options)}`,
    );
  }
  for (const name of Object.keys(options)) {
    if (!OPTION_NAMES.has(name)) {
      throw invalid(
        `createConnection(): unknown option "${name}"; known options: ${[...OPTION_NAMES].join(', ')}`,
      );
    }
  }
  const adapter = validateAdapter(options.adapter);
  const { url, header } = options;
  const allowInsecure = options.allowInsecure ?? false;
  if (typeof allowInsecure !== 'boolean') {
    throw invalid(`createConnection(): allowInsecure must be a boolean, got ${describe(allowInsecure)}`);
  }
  if (typeof url !== 'function') {
    const problem = urlProblem(url) ?? insecureUrlProblem(adapter, url, allowInsecure);
    if (problem) throw problem;
  }
  if (header !== undefined && !adapter.profile.headers) {
    throw new SocketTaskError(
      'ERR_INVALID_HEADER',
      `createConnection(): the ${adapter.name} platform cannot set handshake headers; pass the value in the url instead`,
    );
  }
  if (header !== undefined && typeof header !== 'function') {
    const problem = headerProblem(header);
    if (problem) throw problem;
  }
  let protocols: string[] | undefined;
  if (options.protocols !== undefined) {
    const problem = protocolsProblem(options.protocols);
    if (problem) throw problem;
    protocols = typeof options.protocols === 'string' ? [options.protocols] : [...options.protocols];
  }
  const closeBeforeOpen = options.closeBeforeOpen ?? 'defer';
  if (closeBeforeOpen !== 'defer' && closeBeforeOpen !== 'ignore') {
    throw invalid(
      `createConnection(): closeBeforeOpen must be 'defer' or 'ignore', got ${describe(closeBeforeOpen)}`,
    );
  }
  const errorGrace = duration('errorGrace', options.errorGrace, 1000);
  const closeTimeout = duration('closeTimeout', options.closeTimeout, 5000);
  const connectTimeout =
    options.connectTimeout === false ? false : duration('connectTimeout', options.connectTimeout, 10_000);
  const heartbeat = heartbeatPolicy(options.heartbeat);
  const { signal } = options;
  if (
    signal !== undefined &&
    (typeof signal !== 'object' ||
      signal === null ||
      typeof signal.aborted !== 'boolean' ||
      typeof signal.addEventListener !== 'function')
  ) {
    throw invalid(`createConnection(): signal must be an AbortSignal, got ${describe(signal)}`);
  }
  const { inspect } = options;
  if (
    inspect !== undefined &&
    typeof inspect !== 'function' &&
    (typeof inspect !== 'object' || inspect === null)
  ) {
    throw invalid(
      `createConnection(): inspect must be an inspection observer or function, got ${describe(inspect)}`,
    );
  }

  const makeTarget = (resolvedUrl: unknown, resolvedHeader: unknown): ConnectOptions => {
    const urlError = urlProblem(resolvedUrl);
    if (urlError) throw urlError;
    const target: ConnectOptions = { url: resolvedUrl as string };
    const insecure = insecureUrlProblem(adapter, target.url, allowInsecure);
    if (insecure) throw insecure;
    if (resolvedHeader !== undefined) {
      const headerError = headerProblem(resolvedHeader);
      if (headerError) throw headerError;
      target.header = { ...(resolvedHeader as Record<string, string>) };
    }
    if (protocols) target.protocols = [...protocols];
    return target;
  };
  const resolveTarget = (): MaybePromise<ConnectOptions> => {
    const u = typeof url === 'function' ? url() : url;
    const h = typeof header === 'function' ? header() : header;
    if (isThenable(u) || isThenable(h)) return Promise.all([u, h]).then(([ru, rh]) => makeTarget(ru, rh));
    return makeTarget(u, h);
  };

  const openListeners = new Set<(event: OpenEvent) => void>();
  const messageListeners = new Set<(event: MessageEvent) => void>();
  const errorListeners = new Set<(event: ErrorEvent) => void>();
  const closeListeners = new Set<(event: CloseEvent) => void>();
  const stateListeners = new Set<(state: ReadyStateName, previous: ReadyStateName) => void>();

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
    close() {
      sendTask = null;
      attachedTask = null;
      liveGeneration = 0;
    },
    ping() {
      receivedAtPing = received;
      pingAt = Date.now();
      if (!heartbeat || sendTask === null) return;
      const ping = typeof heartbeat.message === 'function' ? heartbeat.message() : heartbeat.message;
      if (dataProblem(ping)) return;
      // A ping that fails to go out simply gets no answer: the timeout reports the dead socket.
      try {
        sendTask.send({ data: toPlatformData(ping) });
      } catch {}
    },
    heardSincePing: () => received !== receivedAtPing,
    msSincePing: () => Date.now() - pingAt,
  };

  const actor = createActor(connectionMachine, {
    input: {
      adapter,
      resolveTarget,
      dataPath,
      closeBeforeOpen,
      errorGrace,
      closeTimeout,
      connectTimeout,
      heartbeat: heartbeat && { interval: heartbeat.interval, timeout: heartbeat.timeout },
    },
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
  let finished = false;
  const onAbort = () => {
    if (!finished && currentState() !== 'CLOSED') actor.send({ type: 'user.close' });
  };
  const finish = () => {
    if (finished) return;
    finished = true;
    const info = actor.getSnapshot().context.closeInfo ?? { code: 1006, reason: '' };
    // Stopping from inside the actor's own notification would re-enter it; a microtask later it is idle.
    queueMicrotask(() => {
      signal?.removeEventListener('abort', onAbort);
      actor.stop();
      openListeners.clear();
      messageListeners.clear();
      errorListeners.clear();
      closeListeners.clear();
      stateListeners.clear();
      resolveClosed(info);
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
  if (signal) {
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
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
      if (task === null) {
        return reject(
          new SocketTaskError(
            'ERR_NOT_OPEN',
            `send(): not open: ${describeReadyState(currentState())}; send from onOpen, or check conn.state first`,
          ),
        );
      }
      const fail = (error: unknown) =>
        reject(
          new SocketTaskError(
            'ERR_PLATFORM',
            `send(): the platform failed to send: ${(error as ErrorEvent | null)?.errMsg ?? String(error)}`,
            { cause: error },
          ),
        );
      try {
        task.send({ data: toPlatformData(data), success: () => resolve(), fail });
      } catch (error) {
        fail(error instanceof Error ? { errMsg: error.message, cause: error } : error);
      }
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
      closed.then(resolve);
      if (finished || currentState() === 'CLOSED') return;
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
  };
}
