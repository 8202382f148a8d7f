// WeChat's global socket API: https://developers.weixin.qq.com/miniprogram/dev/api/network/websocket/wx.connectSocket.html
// and the close-before-open caveat: https://developers.weixin.qq.com/miniprogram/dev/api/network/websocket/wx.closeSocket.html

import { type Actor, createActor } from 'xstate';
import { defer } from '../defer.js';
import { SocketTaskError } from '../errors.js';
import { type MiniProgramLifecycleHost, miniProgramLifecycle } from '../lifecycle/platformSources.js';
import { type GlobalSocketEffect, globalSocketMachine, REPLACED } from '../machines/globalSocket.js';
import { describe } from '../validate.js';
import { checkedFactory, requirePlatform } from './factory.js';
import { wechatLegacyMinimum } from './minimums.js';
import { toErrorEvent, wrapNativeTask } from './normalize.js';
import {
  type ConnectOptions,
  defineSocketAdapter,
  type PlatformProfile,
  type SocketAdapter,
  type SocketTaskLike,
} from './types.js';

/**
 * WeChat's global socket API before base library 1.7.0: one socket at a time, which a new connection replaces,
 * a close while CONNECTING has no effect (docs/platforms.md#close-before-open), wss:// only.
 */
export const wechatLegacyProfile: PlatformProfile = {
  closeWhileConnecting: 'ignored',
  maxConcurrent: 1,
  requiresSecureUrl: true,
  binary: true,
  headers: true,
  protocols: true,
  replacesAtLimit: true,
};

// `unknown` parameters, so that any vendor typing of these callbacks (`(res: GeneralCallbackResult) => void`)
// accepts what the adapter passes.
type Callback = (result: unknown) => void;
type Calls = { success: Callback; fail: Callback; complete: Callback };

/**
 * The part of `wx` the adapter uses: the global socket API, and the lifecycle functions it has. Structural, so
 * the `wx` of miniprogram-api-typings fits it without this package depending on those typings.
 */
export interface WechatLegacyPlatform extends MiniProgramLifecycleHost {
  connectSocket(
    options: { url: string; header?: Record<string, string>; protocols?: string[] } & Omit<Calls, 'complete'>,
  ): unknown;
  onSocketOpen(listener: Callback): void;
  onSocketMessage(listener: Callback): void;
  onSocketError(listener: Callback): void;
  onSocketClose(listener: Callback): void;
  sendSocketMessage(options: { data: string | ArrayBuffer } & Calls): unknown;
  closeSocket(options: { code?: number; reason?: string } & Calls): unknown;
}

export interface WechatLegacyAdapterOptions {
  /** The mini-program's `wx`. */
  wx: WechatLegacyPlatform;
  /**
   * ms a new connection waits for the socket it replaces to report its close. Then `wx.connectSocket` is called
   * anyway, and the platform replaces that socket: its late error and close are dropped until the new socket
   * reports an open or an error.
   * @defaultValue `2000`
   */
  releaseTimeout?: number;
}

const LISTEN = {
  open: 'onSocketOpen',
  message: 'onSocketMessage',
  error: 'onSocketError',
  close: 'onSocketClose',
} as const;
type EventName = keyof typeof LISTEN;
type Listener = (payload: never) => void;
type CloseRequest = { code?: number; reason?: string } & Calls;
const ignore = () => {};
// setTimeout runs a longer delay after 1 ms instead.
const MAX_DELAY = 2 ** 31 - 1;

/**
 * One connection's use of the global socket, shaped as a native SocketTask for `wrapNativeTask`. It keeps its url
 * and its listeners; where it is in its life is the global socket machine's state.
 */
class LegacySocket {
  readonly listeners: Record<EventName, Listener[]> = { open: [], message: [], error: [], close: [] };
  connectFailed: ((error: unknown) => void) | undefined;

  constructor(
    private readonly global: GlobalSocket,
    readonly target: ConnectOptions,
  ) {}

  send({ data, ...settle }: { data: string | ArrayBuffer } & Calls): void {
    const readyState = this.global.readyStateOf(this);
    if (readyState !== 1) {
      const state = `${readyState} (${READY_STATE_NAMES[readyState]})`;
      settle.fail({ errMsg: `sendSocketMessage:fail not open: readyState ${state}` });
      return;
    }
    this.global.wx.sendSocketMessage({ data, ...settle });
  }

  close(request: CloseRequest): void {
    this.global.actor.send({ type: 'close', user: this, request });
  }

  // Each is registered once, by wrapNativeTask, which fans out to the machine's listeners.
  readonly onOpen = (listener: Listener) => void this.listeners.open.push(listener);
  readonly onMessage = (listener: Listener) => void this.listeners.message.push(listener);
  readonly onError = (listener: Listener) => void this.listeners.error.push(listener);
  readonly onClose = (listener: Listener) => void this.listeners.close.push(listener);
}

const READY_STATE_NAMES = ['CONNECTING', 'OPEN', 'CLOSING', 'CLOSED'] as const;

/**
 * The platform's single socket, per `wx`: `globalSocketMachine` decides who holds it and what each platform event
 * means; this carries out what it decides.
 */
class GlobalSocket {
  readonly actor: Actor<typeof globalSocketMachine>;

  constructor(readonly wx: WechatLegacyPlatform) {
    this.actor = createActor(globalSocketMachine);
    this.actor.on('*', (effect) => this.perform(effect));
    this.actor.start();
    // wx.onSocket* listeners live as long as the mini-program and cannot be removed: register each once per wx.
    for (const [event, method] of Object.entries(LISTEN) as Array<[EventName, (typeof LISTEN)[EventName]]>) {
      const type = `platform.${event}` as const;
      wx[method]((payload: unknown) => this.actor.send({ type, payload }));
    }
  }

  /** The readyState a connection's socket has, as the machine sees it. */
  readyStateOf(user: LegacySocket): 0 | 1 | 2 | 3 {
    const snapshot = this.actor.getSnapshot();
    const { holder, next } = snapshot.context;
    if (user === next) return 0;
    if (user !== holder) return 3;
    const phase = (snapshot.value as { socket: { held?: { phase: unknown } } }).socket.held?.phase;
    if (phase === 'open' || phase === 'openErrored') return 1;
    if (phase === 'closing') return 2;
    if (phase === 'connecting' || phase === 'connectingErrored') return 0;
    return 3;
  }

  private perform(effect: GlobalSocketEffect): void {
    switch (effect.type) {
      case 'connectSocket':
        this.connectSocket(effect.user as LegacySocket);
        return;
      case 'closeSocket': {
        const { code, reason, ...settle } = effect.request as CloseRequest;
        this.wx.closeSocket({
          ...(code === undefined ? {} : { code }),
          ...(reason === undefined ? {} : { reason }),
          ...settle,
        });
        return;
      }
      case 'closeDone':
        (effect.request as CloseRequest).success({ errMsg: 'closeSocket:ok' });
        return;
      case 'closeHeld': {
        const { type: _, ...args } = effect;
        // A close the adapter makes on its own: a platform that throws from it must not stop the hand-over.
        try {
          this.wx.closeSocket({ ...args, success: ignore, fail: ignore, complete: ignore });
        } catch {}
        return;
      }
      case 'deliver':
        for (const listener of (effect.user as LegacySocket).listeners[effect.event]) {
          listener(effect.payload as never);
        }
        return;
      case 'retire': {
        const user = effect.user as LegacySocket;
        // Later, so that the owner's listeners never run inside the call that replaced it.
        defer(() => {
          for (const listener of user.listeners.close) listener(REPLACED as never);
        });
        return;
      }
      case 'connectFailed': {
        const user = effect.user as LegacySocket;
        // Later: the connect call may fail inside the adapter's connect(), before the task is handed over.
        defer(() => user.connectFailed?.(effect.error));
        return;
      }
    }
  }

  private connectSocket(user: LegacySocket): void {
    const { url, protocols, header } = user.target;
    const failed = (error: unknown) => this.actor.send({ type: 'connect.failed', user, error });
    try {
      this.wx.connectSocket({
        url,
        ...(protocols ? { protocols } : {}),
        ...(header ? { header } : {}),
        success: ignore,
        fail: failed,
      });
    } catch (error) {
      failed(error);
    }
  }
}

const globals = new WeakMap<WechatLegacyPlatform, GlobalSocket>();

/**
 * Binds the machine to WeChat's global socket API (`wx.connectSocket` + `wx.onSocket*`), for base libraries
 * before 1.7.0 where it is the only one. On 1.7.0+ use `wechatAdapter`.
 *
 * The platform holds ONE socket per `wx`, which a new `wx.connectSocket` silently replaces. This adapter makes
 * that explicit: a new connection replaces the one holding the socket, which gets exactly one close,
 * `{ code: 1000, reason: 'replaced by a new connection' }`, and no event after it; a connection already closing
 * keeps its own close. The old socket is closed with that code and reason (once open: a close while CONNECTING
 * has no effect) and the new one created only after the old one reported its close, so no event of one socket
 * reaches the other connection. Past `releaseTimeout` (see its option) the platform replaces the old socket.
 *
 * @example
 * ```ts
 * import { createConnection } from 'socket-task-machine';
 * import { wechatLegacyAdapter } from 'socket-task-machine/adapters/wechat';
 *
 * const conn = createConnection({ url: 'wss://example.com/socket', adapter: wechatLegacyAdapter({ wx }) });
 * // A second connection replaces this one: this one gets onClose with reason "replaced by a new connection".
 * conn.onClose(({ code, reason }) => console.log(code, reason));
 * ```
 */
export function wechatLegacyAdapter(options: WechatLegacyAdapterOptions): SocketAdapter {
  return checkedFactory('wechatLegacyAdapter', () => {
    const wx = requirePlatform<WechatLegacyPlatform>(
      'wechatLegacyAdapter',
      wechatLegacyMinimum,
      (options as Partial<WechatLegacyAdapterOptions> | undefined)?.wx,
      "the mini-program's wx object",
    );
    const releaseTimeout = options?.releaseTimeout ?? 2000;
    const problem =
      !Number.isFinite(releaseTimeout) || releaseTimeout < 0
        ? `releaseTimeout must be a finite number of ms >= 0; got ${describe(releaseTimeout)}`
        : releaseTimeout > MAX_DELAY
          ? `releaseTimeout must be at most ${MAX_DELAY} ms, the longest a timer can wait; got ${releaseTimeout}`
          : undefined;
    if (problem !== undefined) {
      throw new SocketTaskError('ERR_INVALID_ADAPTER', `wechatLegacyAdapter(): ${problem}`);
    }

    const connect = (target: ConnectOptions): SocketTaskLike => {
      const global = globals.get(wx) ?? new GlobalSocket(wx);
      globals.set(wx, global);
      const socket = new LegacySocket(global, target);
      const task = wrapNativeTask(socket);
      // The connect call's fail goes to the task machine, which decides what it means (an error, then close 1006).
      task.onConnectFail = (listener) => {
        socket.connectFailed = (error) => listener(toErrorEvent(error));
      };
      global.actor.send({ type: 'connect', user: socket, releaseTimeout });
      return task;
    };

    const lifecycle = miniProgramLifecycle(wx);
    return defineSocketAdapter({
      name: 'wechat-legacy',
      profile: wechatLegacyProfile,
      connect,
      ...(lifecycle ? { lifecycle } : {}),
    });
  });
}
