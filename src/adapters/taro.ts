// Taro.connectSocket: https://docs.taro.zone/docs/apis/network/websocket/connectSocket
// and its SocketTask: https://docs.taro.zone/docs/apis/network/websocket/SocketTask

import { defer, rethrowLater } from '../defer.js';
import { SocketTaskError } from '../errors.js';
import {
  browserScope,
  type MiniProgramLifecycleHost,
  miniProgramLifecycle,
  webLifecycle,
} from '../lifecycle/platformSources.js';
import { isArrayBuffer } from '../validate.js';
import { checkedFactory, requirePlatform, requireSocketTask } from './factory.js';
import { taroMinimum } from './minimums.js';
import { type LooseCallbacks as Callbacks, toErrorEvent, wrapNativeTask } from './normalize.js';
import {
  type CloseEvent,
  type ConnectOptions,
  defineSocketAdapter,
  type PlatformProfile,
  type SocketAdapter,
  type SocketTaskLike,
} from './types.js';

/** Taro's mini-program builds (WeChat, Alipay, Baidu, Douyin, QQ, ...): the platform's SocketTask is passed through. */
export const taroProfile: PlatformProfile = {
  // Taro documents WeChat's caveat, a close before onOpen does not close the socket, and its WeChat build hands
  // over WeChat's task; on the other builds it is undocumented, and 'ignored' is the value safe either way.
  closeWhileConnecting: 'ignored',
  // Taro documents "at most 5" (WeChat ≥ 1.7.0), but its WeChat build hands over WeChat's own task, and WeChat
  // devices refuse a third socket (see wechatProfile); Baidu promises no more than "multiple". One profile serves
  // every build, so it takes the tightest.
  maxConcurrent: 2,
  requiresSecureUrl: true,
  binary: true,
  headers: true,
  protocols: true,
};

/** Taro H5 (`Taro.getEnv() === 'WEB'`): its SocketTask wraps the browser's `WebSocket`. */
export const taroH5Profile: PlatformProfile = {
  // A browser aborts the handshake, and Taro H5 passes the close straight to it.
  closeWhileConnecting: 'aborts',
  // The H5 shim refuses a sixth socket: "同时最多发起 5 个 socket 请求".
  maxConcurrent: 5,
  requiresSecureUrl: false,
  binary: true,
  // The shim drops `header`: a browser cannot set handshake headers.
  headers: false,
  protocols: true,
};

export { taroMinimum } from './minimums.js';

/** Taro H5's `task.ws`: the browser `WebSocket`, as far as the adapter uses it. */
export interface TaroBrowserSocket {
  readonly readyState: number;
  close(code?: number, reason?: string): void;
  addEventListener(type: 'close', listener: (event: { code: number; reason: string }) => void): void;
}

/** Taro's SocketTask, as far as the adapter uses it. */
export interface TaroSocketTask {
  readonly readyState?: number;
  readonly ws?: TaroBrowserSocket; // H5 only
  send(option: { data: string | ArrayBuffer } & Callbacks): unknown;
  close(option: { code?: number; reason?: string } & Callbacks): unknown;
  onOpen(callback: (result: unknown) => void): void;
  onMessage(callback: (result: unknown) => void): void;
  onError(callback: (result: unknown) => void): void;
  onClose(callback: (result: unknown) => void): void;
}

/** The part of Taro's default export the adapter uses: `connectSocket`, `getEnv`, and the lifecycle functions. */
export interface TaroPlatform extends MiniProgramLifecycleHost {
  /** `'WEB'` on H5, which gets {@link taroH5Profile}; any other build gets {@link taroProfile}. */
  getEnv?(): string;
  connectSocket(
    option: { url: string; header?: Record<string, string>; protocols?: string[] } & Callbacks,
  ): Promise<TaroSocketTask>;
}

export interface TaroAdapterOptions {
  /** Taro's default export: `import Taro from '@tarojs/taro'`. */
  Taro: TaroPlatform;
}

const OPEN = 1;
const CLOSED = 3;
const CLOSED_BEFORE_HANDOVER =
  'the SocketTask closed before Taro.connectSocket() resolved with it, so how it ended is unknown';

/** The listeners `wrapNativeTask` registers: they read any payload, so a call with `unknown` is safe. */
type NativeListener = (payload: never) => void;
const deliver = (listener: NativeListener, payload: unknown) =>
  (listener as (payload: unknown) => void)(payload);

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}

function isBlob(value: unknown): value is { arrayBuffer(): Promise<ArrayBuffer> } {
  return (
    typeof value === 'object' &&
    value !== null &&
    !isArrayBuffer(value) &&
    typeof (value as { arrayBuffer?: unknown }).arrayBuffer === 'function'
  );
}

/** The Promises of Blobs being read as ArrayBuffers, which the sequencer waits for. */
const blobReads = new WeakSet<object>();

/**
 * Emits events in arrival order: a Blob becomes an ArrayBuffer only asynchronously, and nothing that arrives
 * meanwhile (text, an error, the close) may overtake it. With nothing pending, events go out synchronously.
 */
function sequencer(): (value: unknown, emit: (value: unknown) => void) => void {
  let tail: Promise<void> | undefined;
  return (value, emit) => {
    // Only the adapter's own Blob reads are waited for. A platform payload never goes through a Promise: one that
    // looks like a thenable (or a Proxy that throws when its `then` is read) must be delivered as it is.
    const read = typeof value === 'object' && value !== null && blobReads.has(value);
    if (tail === undefined && !read) {
      emit(value);
      return;
    }
    const link: Promise<void> = (tail ?? Promise.resolve())
      .then(() => (read ? (value as Promise<unknown>) : undefined))
      .then((converted) => emit(read ? converted : value))
      .catch((error: unknown) => {
        // A listener that throws must surface as it would have synchronously, without stalling the queue.
        rethrowLater(error);
      })
      .finally(() => {
        if (tail === link) tail = undefined;
      });
    tail = link;
  };
}

/** `task.ws` when it is the browser socket it should be (H5); anything else is ignored. */
function browserSocketOf(task: TaroSocketTask): TaroBrowserSocket | undefined {
  const ws: unknown = task.ws;
  return typeof ws === 'object' &&
    ws !== null &&
    typeof (ws as TaroBrowserSocket).addEventListener === 'function' &&
    typeof (ws as TaroBrowserSocket).close === 'function'
    ? (ws as TaroBrowserSocket)
    : undefined;
}

function wrapTaroTask(task: TaroSocketTask): SocketTaskLike {
  const ws = browserSocketOf(task);
  let realClose: CloseEvent | undefined;
  // Taro H5 reports every close as 1006 "abnormal closure" (or your own close's code); the CloseEvent of its
  // browser socket has the real one. Registered before Taro's own `onclose`, so it has run when that fires.
  ws?.addEventListener('close', (event) => {
    const { code, reason } = event ?? {};
    // Only a close that says something: anything else leaves Taro's own event to be normalized.
    if (typeof code === 'number') realClose = { code, reason: typeof reason === 'string' ? reason : '' };
  });
  const inOrder = sequencer();

  const native = {
    get readyState() {
      return task.readyState;
    },
    send(options: { data: string | ArrayBuffer } & Callbacks) {
      const result = task.send(options);
      // Taro H5 rejects outside OPEN after calling `fail`, which already reported it.
      if (isThenable(result)) result.then(undefined, () => {});
    },
    close(options: { code?: number; reason?: string } & Callbacks) {
      // Taro H5 calls ws.close() without the code, so the server would see 1005. Closing the browser socket with
      // the code first leaves Taro's own close a no-op on the socket: it only does its bookkeeping.
      try {
        // No reason is '', as for the web adapter: some WebSocket classes fill in a text of their own.
        if (ws?.readyState === OPEN) ws.close(options.code ?? 1000, options.reason ?? '');
      } catch {
        // Taro's own close below still ends the socket, without the code.
      }
      const result = task.close(options);
      if (isThenable(result)) result.then(undefined, () => {});
    },
    onOpen(listener: NativeListener) {
      task.onOpen((payload) => deliver(listener, payload));
    },
    onMessage(listener: NativeListener) {
      task.onMessage((payload) => {
        // Taro H5 leaves the browser's binaryType at 'blob'. A payload that cannot be read is passed on as it
        // is: the normalization that follows drops it.
        let value: unknown = payload;
        try {
          const data = (payload as { data?: unknown } | null)?.data;
          if (isBlob(data)) {
            const read = Promise.resolve(data.arrayBuffer()).then(
              (buffer) => ({ data: buffer }),
              () => ({}),
            );
            blobReads.add(read);
            value = read;
          }
        } catch {}
        inOrder(value, (event) => deliver(listener, event));
      });
    },
    onError(listener: NativeListener) {
      task.onError((payload) => inOrder(payload, (event) => deliver(listener, event)));
    },
    onClose(listener: NativeListener) {
      // Registering onClose is also what makes Taro H5 release its connection count when a socket errors.
      task.onClose((payload) => inOrder(payload, (event) => deliver(listener, realClose ?? event)));
    },
  };
  const wrapped = wrapNativeTask(native);
  // A task handed over already closed (a refused connection fails before a mini-program build's `success` and the
  // tick after it) told nobody how it ended, and will never tell: its connect failed, and the task machine says so.
  // Read when the listeners are registered, not at the wrap: where promise reactions run on timers (iOS 15) the
  // task may close in between.
  wrapped.onConnectFail = (listener) => {
    if (task.readyState === CLOSED) defer(() => listener({ errMsg: CLOSED_BEFORE_HANDOVER }));
  };
  return wrapped;
}

/** One view per Taro object, so that its lifecycle listeners are still registered once per Taro. */
const lifecycleHosts = new WeakMap<object, MiniProgramLifecycleHost>();

/**
 * Taro as the lifecycle's host. A mini-program build's `processApis` turns `Taro.getNetworkType` into a Promise
 * that rejects whenever the platform calls `fail`, callbacks or not: that rejection is absorbed here, or the
 * library would leave an unhandled rejection behind on a failed network query.
 */
function lifecycleHost(Taro: TaroPlatform): MiniProgramLifecycleHost {
  const { getNetworkType } = Taro;
  if (typeof getNetworkType !== 'function') return Taro;
  let host = lifecycleHosts.get(Taro);
  if (host === undefined) {
    const view: MiniProgramLifecycleHost = Object.create(Taro);
    view.getNetworkType = (options) => {
      const result: unknown = getNetworkType.call(Taro, { ...options, fail: () => {} } as typeof options);
      if (isThenable(result)) result.then(undefined, () => {});
    };
    host = view;
    lifecycleHosts.set(Taro, host);
  }
  return host;
}

function toTask(value: unknown): SocketTaskLike {
  return wrapTaroTask(
    requireSocketTask<TaroSocketTask>(value, 'Taro.connectSocket() resolved with', taroMinimum),
  );
}

function connect(Taro: TaroPlatform, { url, protocols, header }: ConnectOptions) {
  const option: Parameters<TaroPlatform['connectSocket']>[0] = { url };
  if (header) option.header = header;
  if (protocols) option.protocols = protocols;
  let created: unknown;
  try {
    created = Taro.connectSocket(option);
  } catch (error) {
    throw new SocketTaskError('ERR_PLATFORM', `Taro.connectSocket() threw: ${toErrorEvent(error).errMsg}`, {
      cause: error,
    });
  }
  // Taro resolves only after the platform's `success` (and a tick more on mini-program builds): the task may
  // arrive open, and `wrapNativeTask` then reports that open from its readyState. One promise hop here, not
  // three: where promise reactions run on timers (iOS 15), each hop is a timer that the open may beat.
  if (!isThenable(created)) return toTask(created);
  const pending = created;
  return new Promise<SocketTaskLike>((resolve, reject) => {
    pending.then((value) => {
      try {
        resolve(toTask(value));
      } catch (error) {
        reject(error);
      }
    }, reject);
  });
}

/**
 * Binds the machine to `Taro.connectSocket` on every Taro build: a task handed over after it opened still reports
 * the open; on H5, `Blob`s become `ArrayBuffer`s in order, the real close code is read from `task.ws`, the close
 * code reaches the server, and a failed send's rejected Promise is absorbed. Profile: {@link taroH5Profile} where
 * `Taro.getEnv()` is `'WEB'`, else {@link taroProfile}. The lifecycle is the browser's `online` / `offline` and
 * `visibilitychange` on H5, else `Taro.onNetworkStatusChange`, `Taro.onAppShow` and `Taro.onAppHide`.
 *
 * @example
 * ```ts
 * import Taro from '@tarojs/taro';
 * import { createConnection } from 'socket-task-machine';
 * import { taroAdapter } from 'socket-task-machine/adapters/taro';
 *
 * const conn = createConnection({ url: 'wss://example.com/socket', adapter: taroAdapter({ Taro }) });
 * ```
 */
export function taroAdapter(options: TaroAdapterOptions): SocketAdapter {
  return checkedFactory('taroAdapter', () => {
    const Taro = requirePlatform<TaroPlatform>(
      'taroAdapter',
      taroMinimum,
      (options as Partial<TaroAdapterOptions> | undefined)?.Taro,
      'the default export of @tarojs/taro',
    );
    let h5: boolean;
    try {
      h5 = typeof Taro.getEnv === 'function' && Taro.getEnv() === 'WEB';
    } catch (cause) {
      throw new SocketTaskError(
        'ERR_INVALID_ADAPTER',
        'taroAdapter(): Taro.getEnv() threw; pass the default export of @tarojs/taro',
        { cause },
      );
    }
    // H5 reads the browser's events first-hand; Taro's own functions are for a global scope without them.
    const lifecycle =
      (h5 ? webLifecycle(browserScope()) : undefined) ?? miniProgramLifecycle(lifecycleHost(Taro));
    return defineSocketAdapter({
      name: 'taro',
      profile: h5 ? taroH5Profile : taroProfile,
      connect: (target) => connect(Taro, target),
      ...(lifecycle ? { lifecycle } : {}),
    });
  });
}
