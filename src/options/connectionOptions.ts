import type { InspectionEvent, Observer } from 'xstate';
import type { ConnectOptions, LifecycleSource, PlatformProfile, SocketAdapter } from '../adapters/types.js';
import { SocketTaskError } from '../errors.js';
import {
  type HeartbeatOptions,
  type HeartbeatPolicy,
  heartbeatPolicy,
} from '../heartbeat/heartbeatOptions.js';
import { lifecycleSource } from '../lifecycle/lifecycleOptions.js';
import { connectionLimitPolicy } from '../limits/limitOptions.js';
import type { ConnectionMachineInput } from '../machines/connection.js';
import { highWaterMarkPolicy, queuePolicy } from '../queue/queueOptions.js';
import type { QueueOptions, QueuePolicy } from '../queue/sendQueue.js';
import type { ReconnectOptions, ReconnectPolicy } from '../reconnect/backoff.js';
import { reconnectPolicy } from '../reconnect/reconnectOptions.js';
import { copyHeader, describe, headerProblem, protocolsProblem, urlProblem } from '../validate.js';
import { duration, guarded, invalid, read, refuseUnknownKeys } from './optionReaders.js';

/** Resolves the url, protocols and header of one attempt; providers are called anew on every attempt. */
export type ResolveTarget = () => ConnectOptions | Promise<ConnectOptions>;

type MaybePromise<T> = T | Promise<T>;

/**
 * The part of an `AbortSignal` that `createConnection` uses, declared here so that the library's types need neither
 * the DOM lib nor `@types/node`: mini-program projects have neither. A real `AbortSignal` (browser, Node, Deno, Bun)
 * is one as it is; so is any object with these three members.
 *
 * @example
 * ```ts
 * const controller = new AbortController();
 * const conn = createConnection({ url, adapter, signal: controller.signal });
 * controller.abort(); // closes the connection, exactly like conn.close()
 * ```
 */
export interface AbortSignalLike {
  readonly aborted: boolean;
  addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void;
  removeEventListener(type: 'abort', listener: () => void): void;
}

/** Options of {@link createConnection}. */
export interface ConnectionOptions {
  /** `ws://` or `wss://` URL, or a function (sync or async) called on every attempt, e.g. to put a fresh token in. */
  url: string | (() => MaybePromise<string>);
  /** The platform binding, e.g. `nodeAdapter()` or `webAdapter()`. */
  adapter: SocketAdapter;
  /**
   * Subprotocols to offer, or a function (sync or async) called on every attempt, like `url` and `header`; what it
   * returns is checked as the option would be, and a bad answer is reported through `onError`, with no socket made.
   */
  protocols?: string | string[] | (() => MaybePromise<string | string[] | undefined>);
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
   * Retries, with exponential backoff and full jitter, after every close the user did not ask for. `{}` turns it
   * on with the defaults below; without it (or with `false`) the connection ends at its first close.
   * See {@link ReconnectOptions} for each setting.
   * @defaultValue `false`; with `{}`: `initialDelay` 1000, `maxDelay` 30000, `factor` 2, `maxRetries` Infinity,
   * `jitter` 'full', `stableAfter` 5000, no retry after codes 1002, 1003, 1007, 1008, 1009, 1010
   */
  reconnect?: ReconnectOptions | false;
  /**
   * An application-level ping, the only way to detect a half-open connection (a drop that fires neither error nor
   * close). While OPEN, `message` is sent every `interval` ms; if nothing at all arrives within `timeout` ms of a
   * ping, `onError` reports `ERR_HEARTBEAT_TIMEOUT` and the socket is closed. Any inbound message is a sign of life;
   * messages for which `isPong(data)` is true are swallowed. Off unless given, as the server must answer the ping.
   * @defaultValue `false`; when given: `interval` 15000, `timeout` 10000, `message` `'ping'`, `isPong` `data === 'pong'`
   */
  heartbeat?: HeartbeatOptions | false;
  /**
   * Where a `send()` goes while the connection is not OPEN: into a bounded queue, written in order on the next open
   * before `onOpen` runs. Each queued send settles once: written, or failed with `ERR_QUEUE_FULL`,
   * `ERR_MESSAGE_EXPIRED`, `ERR_QUEUE_CLEARED` or `ERR_CLOSED`. `false` fails such a send with `ERR_NOT_OPEN`, as
   * the platforms do. See {@link QueueOptions}.
   * @defaultValue on: `maxMessages` 1000, `maxBytes` 1048576, `overflow` 'reject', no `ttl`, `holdUntilReady` false
   */
  queue?: QueueOptions | false;
  /**
   * Bytes the socket may hold unsent (`conn.bufferedAmount`) before `send()` waits: at or above it, a send goes to
   * the queue (counted against its bounds, with its overflow policy and ttl) and is written, in order, as the socket
   * drains; `onDrain` says when. So what one connection holds is bounded by this plus the queue's `maxBytes`. With
   * `queue: false`, such a send fails with `ERR_QUEUE_FULL`.
   * @defaultValue `1048576` (1 MiB)
   */
  highWaterMark?: number;
  /**
   * Online/offline and foreground/background signals. While offline or in the background, the manager makes no
   * attempt and spends no retry (`CLOSED.suspended`); when both are back, it retries at once. `false` ignores them.
   * @defaultValue the adapter's: the window's `online`/`offline` and `visibilitychange` on the web, `onNetworkStatusChange`
   * / `onAppShow` / `onAppHide` on mini-programs, none on Node
   */
  lifecycle?: LifecycleSource | false;
  /**
   * When every socket the platform allows (its profile's `maxConcurrent`) is open through this adapter instance:
   * `'fail'` makes `createConnection` throw, and a later attempt fail, with `ERR_CONNECTION_LIMIT`; `'wait'` stays
   * CONNECTING until one is free (the connect timeout still applies).
   * @defaultValue `'fail'`
   */
  connectionLimit?: 'fail' | 'wait';
  /**
   * Disposes of the connection when aborted, exactly like `close()`: the socket is closed and `closed` settles.
   */
  signal?: AbortSignalLike;
  /**
   * Lets `ws://` through on a platform whose profile requires `wss://` (mini-programs), e.g. for WeChat DevTools
   * with domain checks off, or a local test server. Devices still refuse it.
   * @defaultValue `false`
   */
  allowInsecure?: boolean;
  /**
   * Creates the connection in `closed`, with no attempt until `conn.reconnect()` (an app that connects after its
   * login). Sends before that fail with `ERR_CLOSED`.
   * @defaultValue `false`
   */
  startClosed?: boolean;
  /** XState inspection observer, e.g. from `@statelyai/inspect`. */
  inspect?: Observer<InspectionEvent> | ((event: InspectionEvent) => void);
}

/** Every option `createConnection` knows; any other name is refused, so a typo cannot pass silently. */
export const OPTION_NAMES = new Set([
  'url',
  'adapter',
  'protocols',
  'header',
  'closeBeforeOpen',
  'errorGrace',
  'closeTimeout',
  'connectTimeout',
  'reconnect',
  'heartbeat',
  'queue',
  'highWaterMark',
  'lifecycle',
  'connectionLimit',
  'signal',
  'allowInsecure',
  'startClosed',
  'inspect',
]);

function badAdapter(message: string): SocketTaskError {
  return new SocketTaskError('ERR_INVALID_ADAPTER', `createConnection(): ${message}`);
}

function validateAdapter(adapter: unknown): SocketAdapter {
  const a = adapter as Partial<SocketAdapter> | null;
  if (typeof a !== 'object' || a === null || typeof a.connect !== 'function') {
    throw badAdapter(
      `adapter must be a SocketAdapter such as nodeAdapter() or webAdapter(), got ${describe(adapter)}`,
    );
  }
  const { name, profile, lifecycle, now } = a;
  // The name goes into error messages, where a symbol or an object without toString would throw instead.
  if (typeof name !== 'string') {
    throw badAdapter(`adapter.name must be a string, got ${describe(name)}`);
  }
  const mode = typeof profile === 'object' && profile !== null ? profile.closeWhileConnecting : undefined;
  if (mode !== 'ignored' && mode !== 'aborts') {
    throw badAdapter(`adapter ${name} has no valid profile.closeWhileConnecting; use 'ignored' or 'aborts'`);
  }
  const max = (profile as PlatformProfile).maxConcurrent;
  if (max !== undefined && typeof max !== 'number') {
    throw badAdapter(`adapter ${name} has profile.maxConcurrent ${describe(max)}; use a number, or Infinity`);
  }
  if (
    lifecycle !== undefined &&
    (typeof lifecycle !== 'object' || lifecycle === null || typeof lifecycle.subscribe !== 'function')
  ) {
    throw badAdapter(
      `adapter ${name} has a lifecycle without subscribe(listener), got ${describe(lifecycle)}; leave it out, or use createLifecycle()`,
    );
  }
  if (now !== undefined && typeof now !== 'function') {
    throw badAdapter(
      `adapter ${name} has a now that is not a function, got ${describe(now)}; leave it out, or pass a function of the platform's monotonic ms`,
    );
  }
  return a as SocketAdapter;
}

function insecureUrlProblem(
  adapter: SocketAdapter,
  url: string,
  allowInsecure: boolean,
): SocketTaskError | undefined {
  if (allowInsecure || !adapter.profile.requiresSecureUrl) return undefined;
  // The scheme ignores case: "WS://host" is as insecure as "ws://host". The url was validated: ws: or wss:.
  if (url.slice(0, 3).toLowerCase() !== 'ws:') return undefined;
  return new SocketTaskError(
    'ERR_INVALID_URL',
    `url ${JSON.stringify(url)}: the ${adapter.name} platform accepts wss:// only; use wss://, or pass allowInsecure: true for a development server`,
  );
}

function isThenable<T>(value: MaybePromise<T>): value is Promise<T> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}

/** A header checked and copied: the copy is what is sent, so a getter cannot change it after the check. */
function checkedHeader(header: unknown): Record<string, string> {
  const copy = copyHeader(header);
  const problem = headerProblem(copy ?? header);
  if (problem) throw problem;
  return copy as Record<string, string>;
}

function errorText(error: unknown): string {
  try {
    return error instanceof Error ? error.message : String(error);
  } catch {
    return describe(error);
  }
}

/**
 * The inspection observer as one function, `next` read once. XState calls it synchronously inside `createActor`
 * and every `send`, so one that throws would break `createConnection()` and `close()`: it is a user hook like the
 * others, its error rethrown asynchronously.
 */
function inspection(inspect: unknown): ((event: InspectionEvent) => void) | undefined {
  if (inspect === undefined) return undefined;
  if (typeof inspect === 'function') return guarded(inspect as (event: InspectionEvent) => void, undefined);
  if (typeof inspect !== 'object' || inspect === null) {
    throw invalid(
      `createConnection(): inspect must be an inspection observer or function, got ${describe(inspect)}`,
    );
  }
  const next = read(inspect, 'next');
  // XState calls only `next`: an observer without one observes nothing.
  if (next === undefined) return undefined;
  if (typeof next !== 'function') {
    throw invalid(`createConnection(): inspect.next must be a function, got ${describe(next)}`);
  }
  return guarded((event: InspectionEvent) => next.call(inspect, event), undefined);
}

/** The options of one connection, validated, with their defaults filled in. */
export interface ResolvedOptions {
  /** The machine's input, with the adapter, the providers and the whole reconnect policy it is made from. */
  machine: Omit<ConnectionMachineInput, 'platform' | 'closeWhileConnecting' | 'maxSockets' | 'reconnect'> & {
    adapter: SocketAdapter;
    resolveTarget: ResolveTarget;
    reconnect: ReconnectPolicy | false;
  };
  /** The whole heartbeat policy: the machine times it, the data path sends the ping and spots the pong. */
  heartbeat: HeartbeatPolicy | false;
  /** `false`: a send while not OPEN fails with `ERR_NOT_OPEN`. */
  queue: QueuePolicy | false;
  highWaterMark: number;
  lifecycle: LifecycleSource | undefined;
  signal: AbortSignalLike | undefined;
  inspect: ((event: InspectionEvent) => void) | undefined;
  startClosed: boolean;
}

/**
 * Validates every option before anything happens: a bad one throws a SocketTaskError and nothing is created. Options
 * may come from untrusted input (parsed JSON): a getter or a Proxy that throws while they are read is reported as
 * `ERR_INVALID_OPTIONS`, with its error as the cause.
 */
export function resolveOptions(options: ConnectionOptions): ResolvedOptions {
  try {
    return resolve(options);
  } catch (error) {
    if (error instanceof SocketTaskError) throw error;
    throw new SocketTaskError(
      'ERR_INVALID_OPTIONS',
      `createConnection(): reading the options threw: ${errorText(error)}; pass plain values`,
      { cause: error },
    );
  }
}

function resolve(given: ConnectionOptions): ResolvedOptions {
  if (typeof given !== 'object' || given === null) {
    throw invalid(
      `createConnection(): options must be an object with url and adapter, got ${describe(given)}`,
    );
  }
  refuseUnknownKeys(given, [...OPTION_NAMES], '');
  // Each option is read exactly once: a getter cannot pass the checks with one value and be used with another.
  const options: Record<string, unknown> = {};
  for (const name of OPTION_NAMES) options[name] = read(given, name);
  const adapter = validateAdapter(options.adapter);
  const url = options.url as ConnectionOptions['url'];
  const allowInsecure = options.allowInsecure ?? false;
  if (typeof allowInsecure !== 'boolean') {
    throw invalid(`createConnection(): allowInsecure must be a boolean, got ${describe(allowInsecure)}`);
  }
  if (typeof url !== 'function') {
    const problem = urlProblem(url) ?? insecureUrlProblem(adapter, url, allowInsecure);
    if (problem) throw problem;
  }
  const givenHeader = options.header;
  if (givenHeader !== undefined && !adapter.profile.headers) {
    throw new SocketTaskError(
      'ERR_INVALID_HEADER',
      `createConnection(): the ${adapter.name} platform cannot set handshake headers; pass the value in the url instead`,
    );
  }
  const header =
    givenHeader === undefined || typeof givenHeader === 'function'
      ? (givenHeader as ConnectionOptions['header'])
      : checkedHeader(givenHeader);
  const givenProtocols = options.protocols;
  // Copied before it is checked, so that the caller's array can change neither the check nor the handshake.
  const checkedProtocols = (given: unknown): string[] | undefined => {
    if (given === undefined) return undefined;
    const list = typeof given === 'string' ? [given] : given;
    const copy = Array.isArray(list) ? Array.from(list) : list;
    const problem = protocolsProblem(copy);
    if (problem) throw problem;
    return copy as string[];
  };
  const protocols =
    typeof givenProtocols === 'function'
      ? (givenProtocols as () => MaybePromise<string | string[] | undefined>)
      : checkedProtocols(givenProtocols);
  const startClosed = options.startClosed ?? false;
  if (typeof startClosed !== 'boolean') {
    throw invalid(`createConnection(): startClosed must be a boolean, got ${describe(startClosed)}`);
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
  const reconnect = reconnectPolicy(options.reconnect);
  const queue = queuePolicy(options.queue);
  const highWaterMark = highWaterMarkPolicy(options.highWaterMark);
  const lifecycle = lifecycleSource(options.lifecycle, adapter);
  const connectionLimit = connectionLimitPolicy(options.connectionLimit);
  const signal = options.signal as AbortSignalLike | undefined;
  if (
    signal !== undefined &&
    (typeof signal !== 'object' ||
      signal === null ||
      typeof signal.aborted !== 'boolean' ||
      typeof signal.addEventListener !== 'function' ||
      // Needed at teardown, where its absence would stop `closed` from ever settling.
      typeof signal.removeEventListener !== 'function')
  ) {
    throw invalid(`createConnection(): signal must be an AbortSignal, got ${describe(signal)}`);
  }
  const inspect = inspection(options.inspect);

  const makeTarget = (
    resolvedUrl: unknown,
    resolvedHeader: unknown,
    resolvedProtocols: unknown,
  ): ConnectOptions => {
    const urlError = urlProblem(resolvedUrl);
    if (urlError) throw urlError;
    const target: ConnectOptions = { url: resolvedUrl as string };
    const insecure = insecureUrlProblem(adapter, target.url, allowInsecure);
    if (insecure) throw insecure;
    // A fresh copy for every attempt: the platform may keep or change the object it is given.
    if (resolvedHeader !== undefined) target.header = checkedHeader(resolvedHeader);
    const offered = typeof protocols === 'function' ? checkedProtocols(resolvedProtocols) : protocols;
    if (offered) target.protocols = [...offered];
    if (connectTimeout !== false) target.timeout = connectTimeout;
    return target;
  };
  const resolveTarget = (): MaybePromise<ConnectOptions> => {
    const u = typeof url === 'function' ? url() : url;
    const h = typeof header === 'function' ? header() : header;
    const p = typeof protocols === 'function' ? protocols() : undefined;
    if (isThenable(u) || isThenable(h) || isThenable(p)) {
      return Promise.all([u, h, p]).then(([ru, rh, rp]) => makeTarget(ru, rh, rp));
    }
    return makeTarget(u, h, p);
  };

  return {
    machine: {
      adapter,
      resolveTarget,
      closeBeforeOpen,
      errorGrace,
      closeTimeout,
      connectTimeout,
      heartbeat: heartbeat && { interval: heartbeat.interval, timeout: heartbeat.timeout },
      reconnect,
      holdUntilReady: queue !== false && queue.holdUntilReady,
      connectionLimit,
    },
    heartbeat,
    queue,
    highWaterMark,
    lifecycle,
    signal,
    inspect,
    startClosed,
  };
}
