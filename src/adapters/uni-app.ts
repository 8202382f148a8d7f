// uni-app: https://uniapp.dcloud.net.cn/api/request/websocket.html and
// https://uniapp.dcloud.net.cn/api/request/socket-task.html

import { defer } from '../defer.js';
import { type MiniProgramLifecycleHost, miniProgramLifecycle } from '../lifecycle/platformSources.js';
import { checkedFactory, requirePlatform, requireSocketTask } from './factory.js';
import { uniMinimum } from './minimums.js';
import { type NativeSocketTask, toErrorEvent, wrapNativeTask } from './normalize.js';
import { defineSocketAdapter, type ErrorEvent, type PlatformProfile, type SocketAdapter } from './types.js';

/**
 * One profile for every runtime uni-app builds to, so each value is the one that is safe on all of them:
 * - `closeWhileConnecting: 'ignored'`: mini-program builds ignore a close while CONNECTING and uni-app documents
 *   the same for every runtime, while H5 and App abort. Declaring 'ignored' makes the manager defer the close
 *   to the open, which ends the socket on every runtime; declaring 'aborts' would leak it on mini-programs.
 * - `maxConcurrent: 5`: WeChat, QQ and Douyin builds allow 5 at once; H5 and App (2.2.6+) have no limit. App in
 *   custom-component mode holds one; no single value covers it.
 * - `requiresSecureUrl`: mini-program builds accept wss:// only; `allowInsecure` lets ws:// through for H5 and
 *   development servers.
 * - `headers`: mini-programs and App 2.9.6+ send them; H5 cannot (a browser sets no handshake headers).
 */
export const uniProfile: PlatformProfile = {
  closeWhileConnecting: 'ignored',
  maxConcurrent: 5,
  requiresSecureUrl: true,
  binary: true,
  headers: true,
  protocols: true,
};

export { uniMinimum } from './minimums.js';

// `unknown` parameters, so that any vendor typing of these callbacks (`(result: GeneralCallbackResult) => void`)
// accepts what the adapter passes.
type Callback = (result: unknown) => void;
type CallOptions = { success?: Callback; fail?: Callback; complete?: Callback };

/** uni-app's SocketTask, as every runtime hands it out. `readyState` exists at runtime though not in the typings. */
export interface UniSocketTask {
  send(options: { data: string | ArrayBuffer } & CallOptions): void;
  close(options: { code?: number; reason?: string } & CallOptions): void;
  onOpen(listener: Callback): void;
  onMessage(listener: Callback): void;
  onError(listener: Callback): void;
  onClose(listener: Callback): void;
  readyState?: number;
}

/**
 * The part of `uni` the adapter uses: `connectSocket`, and the lifecycle functions it has. Structural, so the
 * `uni` of @dcloudio/types fits it without this package depending on those typings.
 */
export interface UniPlatform extends MiniProgramLifecycleHost {
  connectSocket(options: {
    url: string;
    header?: Record<string, string>;
    protocols?: string[];
    multiple?: boolean;
    fail?: Callback;
    complete: Callback;
  }): UniSocketTask;
}

export interface UniAdapterOptions {
  /** uni-app's `uni`. */
  uni: UniPlatform;
}

/**
 * Passes the failure of the `connectSocket` call itself on as its task's `onConnectFail`: on a WeChat build over
 * the connection limit that `fail` can be the only report. What it means is the task machine's to decide.
 */
function connectFailureRelay() {
  let deliver: ((event: ErrorEvent) => void) | undefined;
  // A `fail` inside connectSocket(), before anyone could listen: passed on a turn later, like a platform event.
  let early: ErrorEvent | undefined;
  return {
    fail(error: unknown): void {
      const event = toErrorEvent(error);
      if (deliver) deliver(event);
      else early ??= event;
    },
    onConnectFail(listener: (event: ErrorEvent) => void): void {
      deliver = listener;
      const failed = early;
      if (failed) defer(() => listener(failed));
    },
  };
}

function nativeTask(task: UniSocketTask): NativeSocketTask {
  return {
    send: (options) => task.send(options as Parameters<UniSocketTask['send']>[0]),
    close: (options) => task.close(options),
    onOpen: (listener) => task.onOpen((payload) => listener(payload as never)),
    onMessage: (listener) => task.onMessage((payload) => listener(payload as never)),
    onClose: (listener) => task.onClose((payload) => listener(payload as never)),
    onError: (listener) => task.onError((payload) => listener(payload as never)),
    // wrapNativeTask reads it to replay an open that came before the wrap.
    get readyState() {
      return task.readyState;
    },
  };
}

/**
 * Binds the machine to uni-app's `uni.connectSocket`, on every runtime it builds to: H5, App and the
 * mini-programs.
 *
 * uni-app returns a SocketTask only when `success`, `fail` or `complete` is passed, and otherwise a Promise while
 * it still creates the socket, which could then never be closed: the adapter always passes `complete`.
 *
 * `uni.onNetworkStatusChange`, `uni.onAppShow` and `uni.onAppHide` are the lifecycle, on H5 too.
 *
 * @example
 * ```ts
 * import { createConnection } from 'socket-task-machine';
 * import { uniAdapter } from 'socket-task-machine/adapters/uni-app';
 *
 * const conn = createConnection({ url: 'wss://example.com/socket', adapter: uniAdapter({ uni }) });
 * ```
 */
export function uniAdapter(options: UniAdapterOptions): SocketAdapter {
  return checkedFactory('uniAdapter', () => {
    const platform = requirePlatform<UniPlatform>(
      'uniAdapter',
      uniMinimum,
      (options as Partial<UniAdapterOptions> | undefined)?.uni,
      "uni-app's uni",
    );
    const lifecycle = miniProgramLifecycle(platform);
    return defineSocketAdapter({
      name: 'uni-app',
      profile: uniProfile,
      ...(lifecycle ? { lifecycle } : {}),
      connect({ url, protocols, header }) {
        const relay = connectFailureRelay();
        const task: unknown = platform.connectSocket({
          url,
          ...(protocols ? { protocols } : {}),
          ...(header ? { header } : {}),
          // Alipay builds hand out a SocketTask only for `multiple: true`; other runtimes ignore it.
          multiple: true,
          fail: relay.fail,
          complete: () => {},
        });
        const checked = requireSocketTask<UniSocketTask>(
          task,
          'uniAdapter: uni.connectSocket returned',
          uniMinimum,
          'complete was passed, so uni-app must return one',
        );
        const wrapped = wrapNativeTask(nativeTask(checked));
        wrapped.onConnectFail = relay.onConnectFail;
        return wrapped;
      },
    });
  });
}
