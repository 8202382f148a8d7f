/** The callbacks every platform call takes (docs/platforms.md#callbacks-or-a-promise): each fires at most once; `complete` always fires. */
export interface CallOptions<T = unknown> {
  success?: (result: T) => void;
  fail?: (error: { errMsg: string; code?: string | number }) => void;
  complete?: () => void;
}

/** Payload of an open event, normalized on every platform. */
export interface OpenEvent {
  header?: Record<string, string>;
}

/** Payload of a message event: text, or binary as an `ArrayBuffer`. */
export interface MessageEvent {
  data: string | ArrayBuffer;
}

/** Payload of an error event: `errMsg` always present, whatever shape the platform used. */
export interface ErrorEvent {
  errMsg: string;
  code?: string | number;
}

/** Payload of a close event: the code is always a number and the reason always a string. */
export interface CloseEvent {
  code: number;
  reason: string;
}

/**
 * The seeds' `SocketTask`, normalized: what every adapter's `connect()` hands the machine.
 * A WeChat task already has this shape; the web and Node adapters wrap a `WebSocket` into it.
 */
export interface SocketTaskLike {
  send(options: { data: string | ArrayBuffer } & CallOptions): void;
  /**
   * Optional, for platforms whose send completes synchronously (a WHATWG `WebSocket`, `ws`): writes `data` at once
   * with no callbacks, or throws. With it, a callback-free `conn.send(data)` settles at once with one shared
   * Promise, the way `ws.send(data)` returns, instead of allocating a Promise and callbacks per message.
   */
  write?(data: string | ArrayBuffer): void;
  /**
   * Optional: ends the socket at once, without a close handshake (`ws`'s `terminate()`). The manager calls it when
   * a socket it gave up on still has not reported its close `closeTimeout` ms later (a close frame lost on a
   * half-open link), so that no socket outlives its connection; it must then report its close.
   */
  abort?(): void;
  close(options: { code?: number; reason?: string } & CallOptions): void;
  /**
   * Optional: bytes handed to the socket and not yet sent (a `WebSocket`'s or `ws`'s own `bufferedAmount`). Without
   * it, the manager counts the bytes of the sends the platform has not answered yet.
   */
  readonly bufferedAmount?: number | undefined;
  /**
   * Optional: `true` when `send()` and `write()` are done with a binary `data` by the time they return (`ws`
   * without permessage-deflate copies it into the masked frame at once). Otherwise the manager hands them a copy,
   * since the caller may reuse its buffer as soon as `conn.send()` returns and a platform may read it later (`ws`
   * compressing it, a bridge serializing it).
   */
  readonly copiesData?: boolean | undefined;
  /** Optional: the subprotocol the server agreed to once open (`WebSocket.protocol`); `''` for none. */
  readonly protocol?: string | undefined;
  onOpen(callback: (event: OpenEvent) => void): void;
  onClose(callback: (event: CloseEvent) => void): void;
  onError(callback: (event: ErrorEvent) => void): void;
  onMessage(callback: (event: MessageEvent) => void): void;
  /**
   * Optional: where the platform's connect call reports `fail` after it handed the task over (the SocketTask
   * platforms' `connectSocket({ fail })`), the adapter reports it here, as it comes, and nothing else: the task
   * machine decides what it means (an error, then close 1006, the error left out when one was reported already; a
   * socket that opens after it is closed at once).
   */
  onConnectFail?(callback: (event: ErrorEvent) => void): void;
}

/** How a platform's socket behaves where the platforms disagree (docs/platforms.md#behaviour-by-situation). */
export interface PlatformProfile {
  /** `'ignored'`: a close while CONNECTING has no effect (WeChat, QQ, Baidu devices). `'aborts'`: it aborts the handshake. */
  closeWhileConnecting: 'ignored' | 'aborts';
  /** Sockets open at once; `Infinity` where the platform has no limit. */
  maxConcurrent: number;
  /** Mini-programs accept `wss://` only. */
  requiresSecureUrl: boolean;
  binary: boolean;
  headers: boolean;
  protocols: boolean;
  /**
   * At the limit, a new socket replaces the old one instead of failing (WeChat's legacy global API), so the
   * manager does not count sockets against `maxConcurrent`.
   */
  replacesAtLimit?: boolean;
}

/** A change in the conditions a socket lives in: the network, or whether the app is in the foreground. */
export type LifecycleSignal = 'online' | 'offline' | 'foreground' | 'background';

/**
 * One source of lifecycle signals. `subscribe` may report the current conditions at once (e.g. `'offline'` when
 * there is no network now) and returns a function that stops the signals and releases every listener.
 */
export interface LifecycleSource {
  subscribe(listener: (signal: LifecycleSignal) => void): () => void;
}

export interface ConnectOptions {
  url: string;
  protocols?: string[];
  header?: Record<string, string>;
  /**
   * ms the handshake may take: the connection's `connectTimeout`. An adapter whose platform takes a handshake
   * timeout passes it on (WeChat's `timeout`), because where a close while CONNECTING has no effect, only the
   * platform can end a handshake that never completes.
   */
  timeout?: number;
}

/** Binds the machine to one platform's socket object. */
export interface SocketAdapter {
  name: string;
  profile: PlatformProfile;
  connect(options: ConnectOptions): SocketTaskLike | Promise<SocketTaskLike>;
  /** The platform's network and foreground/background signals, used unless `createConnection` is given its own. */
  lifecycle?: LifecycleSource;
  /**
   * The platform's monotonic clock in ms (`performance.now()`), for the queue's ttl and the heartbeat's check: it
   * must not jump when the wall clock is stepped. Without it the wall clock is used, never allowed to run
   * backwards, and each queued message is timed by a timer of its own.
   */
  now?: () => number;
}

/**
 * Exists only for type inference, like crossws' `defineWebSocketAdapter`.
 *
 * @example
 * ```ts
 * export const myAdapter = (opts: { my: MyPlatform }) =>
 *   defineSocketAdapter({ name: 'my', profile, connect: ({ url }) => opts.my.connectSocket({ url }) });
 * ```
 */
export function defineSocketAdapter<A extends SocketAdapter>(adapter: A): A {
  return adapter;
}
