// The SocketTask platforms: WeChat, QQ, Baidu and Douyin hand out the same SocketTask (docs/platforms.md#the-sockettask) from a
// `connectSocket` that takes the same options; this is what their four adapters share.
import { SocketTaskError } from '../errors.js';
import { type MiniProgramLifecycleHost, miniProgramLifecycle } from '../lifecycle/platformSources.js';
import { requirePlatform, requireSocketTask } from './factory.js';
import type { PlatformMinimum } from './minimums.js';
import {
  type LooseCallbacks as Callbacks,
  type NativeSocketTask,
  toErrorEvent,
  wrapNativeTask,
} from './normalize.js';
import {
  type ConnectOptions,
  defineSocketAdapter,
  type ErrorEvent,
  type PlatformProfile,
  type SocketAdapter,
  type SocketTaskLike,
} from './types.js';

/** What the adapters pass to `connectSocket`: the options every SocketTask platform documents. */
export type SocketTaskConnectOptions = {
  url: string;
  header?: Record<string, string>;
  protocols?: string[];
  /** WeChat (base library 2.10.0+): ms before the platform itself gives up the handshake. */
  timeout?: number;
} & Callbacks;

/**
 * The SocketTask of WeChat, QQ, Baidu and Douyin (docs/platforms.md#the-sockettask), as far as the adapters use it. Payloads are `unknown`:
 * they differ per platform (Douyin's close code may be a string, WeChat's open adds `profile`) and normalize.ts
 * reads them defensively, so a listener that accepts anything is what every vendor's task must be able to call.
 */
export interface MiniProgramSocketTask {
  /** Douyin only: `undefined` when the options were invalid and no socket was created. */
  readonly readyState?: number | undefined;
  send: (options: { data: string | ArrayBuffer } & Callbacks) => void;
  close: (options: { code?: number; reason?: string } & Callbacks) => void;
  onOpen: (listener: (result: unknown) => void) => void;
  onMessage: (listener: (result: unknown) => void) => void;
  onError: (listener: (result: unknown) => void) => void;
  onClose: (listener: (result: unknown) => void) => void;
}

/**
 * A platform object with a SocketTask-returning `connectSocket`: `wx`, `qq`, `swan`, `tt`. Its network and
 * `onAppShow` / `onAppHide` functions, where it has them, are the adapter's lifecycle source.
 */
export interface MiniProgramSocketPlatform extends MiniProgramLifecycleHost {
  connectSocket: (options: SocketTaskConnectOptions) => MiniProgramSocketTask;
}

/** What the shared connect needs to know of its platform. */
export interface SocketTaskPlatformInfo {
  /** What the adapter needs of the platform object, and since which version: named in its errors. */
  minimum: PlatformMinimum;
  /** What to do instead where a base library has no SocketTask (WeChat: its legacy adapter). */
  noTaskFix?: string;
  /** The platform documents a `timeout` option of `connectSocket` (WeChat): the connectTimeout is passed on. */
  handshakeTimeout?: boolean;
}

/**
 * The connect of every SocketTask platform: calls `connectSocket` with callbacks and hands the task to
 * `wrapNativeTask` in the same tick (WeChat fires `onOpen` only to listeners registered by then; Douyin's own
 * sample registers them right away too, though its docs say to use the task after `success`). A `fail` of the
 * connect call itself (over the connection limit, invalid options) may be the only report, the task staying
 * silent: it is passed on as the task's `onConnectFail`, and the task machine decides what it means.
 */
function connectSocketTask(
  platform: MiniProgramSocketPlatform,
  info: SocketTaskPlatformInfo,
  { url, protocols, header, timeout }: ConnectOptions,
): SocketTaskLike {
  // A fail reported inside connectSocket(), before it returned: the call failed, and there is no task to report on.
  let failedEarly: { error: unknown } | undefined;
  let connectFailed: ((event: ErrorEvent) => void) | undefined;
  let returned = false;

  const options: SocketTaskConnectOptions = {
    url,
    fail: (error) => {
      if (returned) connectFailed?.(toErrorEvent(error));
      else failedEarly = { error };
    },
    // uni-app and some runtimes return a task only when a callback is passed; `complete` costs nothing.
    complete: () => {},
  };
  if (header) options.header = header;
  if (protocols) options.protocols = protocols;
  // A close while CONNECTING has no effect here: a handshake that never completes is ended by the platform only.
  if (info.handshakeTimeout && timeout !== undefined) options.timeout = timeout;

  const global = info.minimum.platform;
  let created: unknown;
  try {
    created = platform.connectSocket(options);
  } catch (error) {
    const message = `${global}.connectSocket() threw: ${toErrorEvent(error).errMsg}`;
    throw new SocketTaskError('ERR_PLATFORM', message, { cause: error });
  } finally {
    returned = true;
  }
  if (failedEarly) {
    throw new SocketTaskError(
      'ERR_PLATFORM',
      `${global}.connectSocket() failed: ${toErrorEvent(failedEarly.error).errMsg}`,
      { cause: failedEarly.error },
    );
  }
  const t = requireSocketTask<MiniProgramSocketTask>(
    created,
    `${global}.connectSocket() returned`,
    info.minimum,
    info.noTaskFix,
  );

  // The wrapper's listeners take the platform's payloads as they come (`never` in NativeSocketTask's types).
  const native: NativeSocketTask = {
    get readyState() {
      return t.readyState;
    },
    send: (o) => t.send(o as Parameters<MiniProgramSocketTask['send']>[0]),
    close: (o) => t.close(o),
    onOpen: (listener) => t.onOpen(listener as (payload: unknown) => void),
    onMessage: (listener) => t.onMessage(listener as (payload: unknown) => void),
    onError: (listener) => t.onError(listener as (payload: unknown) => void),
    onClose: (listener) => t.onClose(listener as (payload: unknown) => void),
  };
  const task = wrapNativeTask(native);
  task.onConnectFail = (listener) => {
    connectFailed = listener;
  };
  return task;
}

/** What distinguishes one SocketTask platform's adapter from another's. */
export interface SocketTaskAdapterSpec extends SocketTaskPlatformInfo {
  /** The factory's name, for error messages: `'wechatAdapter'`. */
  factory: string;
  /** The adapter's name: `'wechat'`. */
  name: string;
  profile: PlatformProfile;
}

/**
 * The whole factory of a SocketTask platform (WeChat, QQ, Baidu, Douyin): the platform object is checked at once,
 * every connect goes through {@link connectSocketTask}, and the platform's own network and app show / hide
 * events are the lifecycle.
 */
export function socketTaskAdapter(
  spec: SocketTaskAdapterSpec,
  platform: MiniProgramSocketPlatform | undefined,
): SocketAdapter {
  const { minimum } = spec;
  const checked = requirePlatform<MiniProgramSocketPlatform>(
    spec.factory,
    minimum,
    platform,
    `the mini-program's ${minimum.platform} object`,
  );
  const info: SocketTaskPlatformInfo = { minimum };
  if (spec.noTaskFix !== undefined) info.noTaskFix = spec.noTaskFix;
  if (spec.handshakeTimeout) info.handshakeTimeout = true;
  const lifecycle = miniProgramLifecycle(checked);
  return defineSocketAdapter({
    name: spec.name,
    profile: spec.profile,
    connect: (target) => connectSocketTask(checked, info, target),
    ...(lifecycle ? { lifecycle } : {}),
  });
}
