// WeChat's global socket API: https://developers.weixin.qq.com/miniprogram/dev/api/network/websocket/wx.connectSocket.html
// and the close-before-open caveat: https://developers.weixin.qq.com/miniprogram/dev/api/network/websocket/wx.closeSocket.html

import { defer } from '../defer.js';
import { SocketTaskError } from '../errors.js';
import { type MiniProgramLifecycleHost, miniProgramLifecycle } from '../lifecycle/platformSources.js';
import { describe } from '../validate.js';
import { checkedFactory, requirePlatform } from './factory.js';
import { wechatLegacyMinimum } from './minimums.js';
import { wrapNativeTask } from './normalize.js';
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
const PHASES = ['connecting', 'open', 'closing', 'closed'] as const;
const REPLACED = { code: 1000, reason: 'replaced by a new connection' };
const ignore = () => {};
// setTimeout runs a longer delay after 1 ms instead.
const MAX_DELAY = 2 ** 31 - 1;

/** One connection's use of the global socket, shaped as a native SocketTask for `wrapNativeTask`. */
class LegacySocket {
  phase: (typeof PHASES)[number] = 'connecting';
  errored = false;
  /** The platform reported an open or an error for this socket. */
  heard = false;
  private readonly listeners: Record<EventName, Listener[]> = { open: [], message: [], error: [], close: [] };

  constructor(
    private readonly slot: Slot,
    readonly target: ConnectOptions,
  ) {}

  dispatch(event: EventName, payload: unknown): void {
    // Only the holder's socket reports to it, and a socket opens once, before any message.
    if (this.phase === 'closed') return;
    if (event === 'open') this.phase = 'open';
    if (event === 'error') this.errored = true;
    if (event === 'close') this.phase = 'closed';
    for (const listener of this.listeners[event]) listener(payload as never);
  }

  /** A newer connection took the socket: the owner hears one close, and nothing after it. */
  retire(): void {
    if (this.phase === 'closed') return;
    this.phase = 'closed';
    // A microtask later, so that the owner's listeners never run inside the call that replaced it.
    defer(() => {
      for (const listener of this.listeners.close) listener(REPLACED as never);
    });
  }

  send({ data, ...settle }: { data: string | ArrayBuffer } & Calls): void {
    if (this.slot.holder !== this || this.phase !== 'open') {
      const state = `${PHASES.indexOf(this.phase)} (${this.phase.toUpperCase()})`;
      settle.fail({ errMsg: `sendSocketMessage:fail not open: readyState ${state}` });
      return;
    }
    this.slot.wx.sendSocketMessage({ data, ...settle });
  }

  close({ code, reason, ...settle }: { code?: number; reason?: string } & Calls): void {
    if (this.slot.holder !== this || this.phase === 'closing' || this.phase === 'closed') {
      settle.success({ errMsg: 'closeSocket:ok' });
      return;
    }
    // While CONNECTING a device ignores closeSocket (docs/platforms.md#close-before-open), so the socket stays live until it opens.
    if (this.phase === 'open') this.phase = 'closing';
    this.slot.wx.closeSocket({
      ...(code === undefined ? {} : { code }),
      ...(reason === undefined ? {} : { reason }),
      ...settle,
    });
  }

  // Each is registered once, by wrapNativeTask, which fans out to the machine's listeners.
  readonly onOpen = (listener: Listener) => void this.listeners.open.push(listener);
  readonly onMessage = (listener: Listener) => void this.listeners.message.push(listener);
  readonly onError = (listener: Listener) => void this.listeners.error.push(listener);
  readonly onClose = (listener: Listener) => void this.listeners.close.push(listener);
}

/**
 * The platform's single socket, per `wx`. It passes from one connection to the next one at a time: the holder's
 * socket is closed, and its close awaited, before `wx.connectSocket` creates the next one, so the global events,
 * which carry no socket identity, always describe the holder's socket.
 */
class Slot {
  /** The connection whose socket the platform holds: its commands alone reach `wx`. */
  holder: LegacySocket | undefined;
  /** The newest connection, waiting for the holder's socket to go. */
  private next: LegacySocket | undefined;
  /** A socket given up without its close, which the platform may still report. */
  private ghost = false;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(readonly wx: WechatLegacyPlatform) {
    // wx.onSocket* listeners live as long as the mini-program and cannot be removed: register each once per wx.
    for (const [event, method] of Object.entries(LISTEN) as Array<[EventName, (typeof LISTEN)[EventName]]>) {
      wx[method]((payload: unknown) => this.route(event, payload));
    }
  }

  connect(socket: LegacySocket, releaseTimeout: number): void {
    const { holder, next } = this;
    if (holder === undefined) {
      this.begin(socket);
      return;
    }
    this.next = socket;
    // The holder is already on its way out: the connection that waited for it is replaced before it began.
    if (next !== undefined) next.retire();
    // A holder closing at its owner's request, or failed, has its own close on the way, and keeps it.
    else if (!holder.errored && holder.phase !== 'closing') {
      // While CONNECTING closeSocket has no effect (docs/platforms.md#close-before-open): the socket is closed the moment it opens.
      if (holder.phase === 'open') this.closeReplaced();
      holder.retire();
    }
    this.timer ??= setTimeout(() => {
      // The platform never reported the holder's close: let wx.connectSocket replace that socket.
      this.holder?.retire();
      this.ghost = this.holder !== undefined;
      this.holder = undefined;
      this.handOver();
    }, releaseTimeout);
  }

  private closeReplaced(): void {
    this.closeSocket(REPLACED);
  }

  // A close the adapter makes on its own: a platform that throws from it must not leave the slot half handed over.
  private closeSocket(args: { code?: number; reason?: string }): void {
    try {
      this.wx.closeSocket({ ...args, success: ignore, fail: ignore, complete: ignore });
    } catch {}
  }

  private handOver(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const { next } = this;
    this.next = undefined;
    if (next) this.begin(next);
  }

  private begin(socket: LegacySocket): void {
    this.holder = socket;
    const { url, protocols, header } = socket.target;
    // The call failed, so no socket exists and no event will come: report the error and close 1006 ourselves.
    const failed = (error: unknown) =>
      defer(() => {
        socket.dispatch('error', error);
        socket.dispatch('close', { code: 1006, reason: '' });
        if (this.holder !== socket) return;
        this.holder = undefined;
        this.handOver();
      });
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

  private route(event: EventName, payload: unknown): void {
    const { holder } = this;
    // Only after releaseTimeout: the given-up socket's error and close may still come when connectSocket
    // replaces it. Until its successor reports anything they are the old socket's.
    if (this.ghost && (event === 'error' || event === 'close') && !holder?.heard) {
      if (event === 'close') this.ghost = false;
      return;
    }
    if (event === 'open') this.ghost = false;
    if (holder === undefined) return;
    if (event === 'open' || event === 'error') holder.heard = true;
    // A holder is closed only once retired: replaced while CONNECTING, it is closed now that it can be.
    if (event === 'open' && holder.phase === 'closed') this.closeReplaced();
    // A close its owner did not ask for may be the late close of a given-up socket, misread as the holder's (the
    // global events carry no socket identity): close whatever socket the platform holds, so none is left open.
    // Before the next connection begins, so that it cannot touch the next socket.
    const unrequested = event === 'close' && holder.phase === 'open';
    holder.dispatch(event, payload);
    if (event !== 'close') return;
    if (unrequested) this.closeSocket({});
    this.holder = undefined;
    this.handOver();
  }
}

const slots = new WeakMap<WechatLegacyPlatform, Slot>();

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
      const slot = slots.get(wx) ?? new Slot(wx);
      slots.set(wx, slot);
      const socket = new LegacySocket(slot, target);
      slot.connect(socket, releaseTimeout);
      return wrapNativeTask(socket);
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
