// Alipay my.connectSocket and its SocketTask: https://opendocs.alipay.com/mini/api/vx19c3

import { defer } from '../defer.js';
import { SocketTaskError } from '../errors.js';
import { type MiniProgramLifecycleHost, miniProgramLifecycle } from '../lifecycle/platformSources.js';
import { decodeBase64, encodeBase64 } from './base64.js';
import { checkedFactory, requirePlatform, requireSocketTask } from './factory.js';
import { alipayMinimum } from './minimums.js';
import {
  type LooseCallbacks as Callbacks,
  toErrorEvent,
  toMessageData,
  unwrap,
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

/** Alipay mini-programs: up to 5 sockets with `multiple: true`, binary carried as base64 text. */
export const alipayProfile: PlatformProfile = {
  // Undocumented on Alipay. 'ignored' is the value that is safe either way: the manager defers the close until
  // the socket opens, which closes it whether or not Alipay would have aborted the handshake.
  closeWhileConnecting: 'ignored',
  maxConcurrent: 5,
  // my.connectSocket documents "wss 接口地址" and error 20, "请求 url 不支持 ws，请使用 wss".
  requiresSecureUrl: true,
  binary: true,
  headers: true,
  protocols: true,
};

export { alipayMinimum } from './minimums.js';

/**
 * Alipay's SocketTask, as far as the adapter uses it. Its `offOpen` / `offMessage` / `offError` / `offClose` are
 * not needed: each native listener is registered once, for the life of the task, and fans out.
 */
export interface AlipaySocketTask {
  /** `data` is text; binary goes as base64 with `isBuffer: true`. */
  send(options: { data: string; isBuffer?: boolean } & Callbacks): unknown;
  close(options: { code?: number; reason?: string } & Callbacks): unknown;
  onOpen(listener: (result: unknown) => void): void;
  onMessage(listener: (result: unknown) => void): void;
  onError(listener: (result: unknown) => void): void;
  onClose(listener: (result: unknown) => void): void;
}

/** The part of the Alipay global `my` the adapter uses: `connectSocket`, and the lifecycle functions it has. */
export interface AlipayPlatform extends MiniProgramLifecycleHost {
  /** Returns a SocketTask only with `multiple: true`; otherwise nothing, and only the global `my.onSocket*` API works. */
  connectSocket(
    options: {
      url: string;
      multiple: true;
      header?: Record<string, string>;
      protocols?: string[];
    } & Callbacks,
  ): AlipaySocketTask | undefined;
}

export interface AlipayAdapterOptions {
  /** The Alipay global `my`. */
  my: AlipayPlatform;
}

/** `{ data, isBuffer }`, possibly nested under another `data`: base64 text with `isBuffer: true` is binary. */
function toData(payload: unknown): string | ArrayBuffer | undefined {
  const { data, isBuffer } = unwrap(payload);
  // A malformed base64 frame decodes to `undefined` and is dropped rather than delivered as misleading text.
  if (isBuffer === true && typeof data === 'string') return decodeBase64(data);
  return toMessageData(data);
}

/** The listeners `wrapNativeTask` registers: they read any payload, so a call with `unknown` is safe. */
type NativeListener = (payload: never) => void;
const deliver = (listener: NativeListener, payload: unknown) =>
  (listener as (payload: unknown) => void)(payload);

function connect(my: AlipayPlatform, { url, protocols, header }: ConnectOptions): SocketTaskLike {
  // The connect call's own `fail`, passed on as the task's onConnectFail: the task machine decides what it means.
  let deliverFailure: ((event: ErrorEvent) => void) | undefined;
  // One reported inside connectSocket(), before anyone could listen: passed on a turn later, like a platform event.
  let early: ErrorEvent | undefined;

  const options: Parameters<AlipayPlatform['connectSocket']>[0] = {
    url,
    multiple: true,
    fail: (error) => {
      const event = toErrorEvent(error);
      if (deliverFailure) deliverFailure(event);
      else early ??= event;
    },
  };
  if (header) options.header = header;
  if (protocols) options.protocols = protocols;

  let created: unknown;
  try {
    created = my.connectSocket(options);
  } catch (error) {
    throw new SocketTaskError('ERR_PLATFORM', `my.connectSocket() threw: ${toErrorEvent(error).errMsg}`, {
      cause: error,
    });
  }
  // Without `multiple` support only the global my.onSocket* API exists, which this adapter does not drive.
  const t = requireSocketTask<AlipaySocketTask>(created, 'my.connectSocket() returned', alipayMinimum);

  const native = {
    send: (o: Record<string, unknown>) => t.send(o as Parameters<AlipaySocketTask['send']>[0]),
    close: (o: Record<string, unknown>) => t.close(o),
    onOpen: (listener: NativeListener) => t.onOpen((payload) => deliver(listener, payload)),
    onMessage: (listener: NativeListener) => t.onMessage((payload) => deliver(listener, payload)),
    onError: (listener: NativeListener) => t.onError((payload) => deliver(listener, payload)),
    onClose: (listener: NativeListener) => t.onClose((payload) => deliver(listener, payload)),
  };
  const task = wrapNativeTask(native, {
    message: toData,
    send: (data) => (typeof data === 'string' ? { data } : { data: encodeBase64(data), isBuffer: true }),
  });
  task.onConnectFail = (listener) => {
    deliverFailure = listener;
    const failed = early;
    if (failed) defer(() => listener(failed));
  };
  return task;
}

/**
 * Binds the machine to Alipay's `my.connectSocket`, always with `multiple: true` (without it Alipay returns no
 * task and replaces its one global socket). Normalized: binary as base64 with `isBuffer` in both directions,
 * payloads nested under `data`, a close without a code (reported as 1005, "no status received"), errors as
 * `{ error, errorMessage }`, and a failed connect call (reported as an error, then close 1006). `my`'s
 * `onNetworkStatusChange`, `onAppShow` and `onAppHide` are the lifecycle.
 *
 * @example
 * ```ts
 * import { createConnection } from 'socket-task-machine';
 * import { alipayAdapter } from 'socket-task-machine/adapters/alipay';
 *
 * const conn = createConnection({ url: 'wss://example.com/socket', adapter: alipayAdapter({ my }) });
 * ```
 */
export function alipayAdapter(options: AlipayAdapterOptions): SocketAdapter {
  return checkedFactory('alipayAdapter', () => {
    const my = requirePlatform<AlipayPlatform>(
      'alipayAdapter',
      alipayMinimum,
      (options as Partial<AlipayAdapterOptions> | undefined)?.my,
      "the mini-program's my object",
    );
    const lifecycle = miniProgramLifecycle(my);
    return defineSocketAdapter({
      name: 'alipay',
      profile: alipayProfile,
      connect: (target) => connect(my, target),
      ...(lifecycle ? { lifecycle } : {}),
    });
  });
}
