// WeChat's global socket API: https://developers.weixin.qq.com/miniprogram/dev/api/network/websocket/wx.connectSocket.html
// and the close-before-open caveat: https://developers.weixin.qq.com/miniprogram/dev/api/network/websocket/wx.closeSocket.html
import { SocketTaskError } from '../errors.js';
import { describe } from '../validate.js';
import { wrapNativeTask } from './normalize.js';
import {
  type ConnectOptions,
  defineSocketAdapter,
  type PlatformProfile,
  type SocketAdapter,
  type SocketTaskLike,
} from './types.js';

/**
 * WeChat's global socket API before base library 1.7.0: one socket at a time, a close while CONNECTING has no
 * effect (seed 003), wss:// only.
 */
export const wechatLegacyProfile: PlatformProfile = {
  closeWhileConnecting: 'ignored',
  maxConcurrent: 1,
  requiresSecureUrl: true,
  binary: true,
  headers: true,
  protocols: true,
};

// `unknown` parameters, so that any vendor typing of these callbacks (`(res: GeneralCallbackResult) => void`)
// accepts what the adapter passes.
type Callback = (result: unknown) => void;
type Calls = { success: Callback; fail: Callback; complete: Callback };

/**
 * The part of `wx` the adapter uses: the global socket API. Structural, so the `wx` of miniprogram-api-typings
 * fits it without this package depending on those typings.
 */
export interface WechatLegacyPlatform {
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
   * ms a new connection waits for the previous socket's close event, once that socket is closing or has
   * failed, before it takes over the platform's single socket anyway.
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
type Fan = Listener[];
const PHASES = ['connecting', 'open', 'closing', 'closed'] as const;

/** Per `wx`: the socket that holds the platform's single slot, and one given up without its close. */
interface Slot {
  current: LegacySocket | undefined;
  abandoned: LegacySocket | undefined;
}

/**
 * One use of the global socket, shaped as a native SocketTask for `wrapNativeTask`. Its commands reach `wx` only
 * while it holds the slot, so a finished socket can never send on, or close, its successor.
 */
class LegacySocket {
  phase: (typeof PHASES)[number] = 'connecting';
  private errored = false;
  private readonly listeners: Record<EventName, Fan> = { open: [], message: [], error: [], close: [] };
  private readonly onEnd: Array<() => void> = [];

  constructor(
    private readonly wx: WechatLegacyPlatform,
    private readonly slot: Slot,
  ) {}

  /** As a platform would report it, e.g. `1 (OPEN)`. */
  get state(): string {
    return `${PHASES.indexOf(this.phase)} (${this.phase.toUpperCase()})`;
  }

  /** Holds the socket and is not on its way out: a close was not asked for, and no error ended it. */
  get live(): boolean {
    return !this.errored && (this.phase === 'connecting' || this.phase === 'open');
  }

  /** Connecting, and nothing has been reported for it yet. */
  get quiet(): boolean {
    return !this.errored && this.phase === 'connecting';
  }

  dispatch(event: EventName, payload: unknown): void {
    if (this.phase === 'closed') return;
    if (event === 'close') {
      this.end(payload);
      return;
    }
    if (event === 'open') {
      if (this.phase !== 'connecting') return;
      this.phase = 'open';
    }
    if (event === 'message' && this.phase === 'connecting') return;
    if (event === 'error') this.errored = true;
    for (const listener of this.listeners[event]) listener(payload as never);
  }

  end(payload: unknown): void {
    if (this.phase === 'closed') return;
    this.phase = 'closed';
    if (this.slot.current === this) this.slot.current = undefined;
    for (const listener of this.listeners.close) listener(payload as never);
    for (const resolve of this.onEnd.splice(0)) resolve();
  }

  /** Resolves on this socket's close, or after `timeout` ms by giving the slot up without one. */
  ended(timeout: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        if (this.slot.current === this) this.slot.abandoned = this;
        // Its owner hears of the end explicitly, as an abnormal close, rather than never.
        this.end({ code: 1006, reason: '' });
      }, timeout);
      this.onEnd.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  send({ data, ...settle }: { data: string | ArrayBuffer } & Calls): void {
    if (this.slot.current !== this || this.phase !== 'open') {
      settle.fail({ errMsg: `sendSocketMessage:fail not open: readyState ${this.state}` });
      return;
    }
    // Without callbacks the legacy API returns a Promise, whose rejection nobody would handle.
    this.wx.sendSocketMessage({ data, ...settle });
  }

  close({ code, reason, ...settle }: { code?: number; reason?: string } & Calls): void {
    if (this.slot.current !== this || this.phase === 'closing' || this.phase === 'closed') {
      settle.success({ errMsg: 'closeSocket:ok' });
      return;
    }
    // While CONNECTING a device ignores closeSocket (seed 003), so the socket stays live until it opens.
    if (this.phase === 'open') this.phase = 'closing';
    this.wx.closeSocket({
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

const slots = new WeakMap<WechatLegacyPlatform, Slot>();

function slotFor(wx: WechatLegacyPlatform): Slot {
  const existing = slots.get(wx);
  if (existing) return existing;
  const slot: Slot = { current: undefined, abandoned: undefined };
  const route = (event: EventName) => (payload: unknown) => {
    // The events carry no socket identity. A socket given up without its close may report it yet, when the
    // platform replaces it: while its successor is connecting and has reported nothing, that close is the old
    // socket's, and would otherwise end the new connection before it opened.
    if (event === 'close' && slot.abandoned && (slot.current === undefined || slot.current.quiet)) {
      slot.abandoned = undefined;
      return;
    }
    if (event === 'open' || event === 'error') slot.abandoned = undefined;
    slot.current?.dispatch(event, payload);
  };
  // wx.onSocket* listeners live as long as the mini-program and cannot be removed: register each once per wx,
  // and hand its events to whichever socket holds the slot.
  for (const [event, method] of Object.entries(LISTEN) as Array<[EventName, (typeof LISTEN)[EventName]]>) {
    wx[method](route(event));
  }
  slots.set(wx, slot);
  return slot;
}

const API = ['connectSocket', ...Object.values(LISTEN), 'sendSocketMessage', 'closeSocket'] as const;

/**
 * Binds the machine to WeChat's global socket API (`wx.connectSocket` + `wx.onSocket*`), for base libraries
 * before 1.7.0 where it is the only one. On 1.7.0+ use `wechatAdapter`.
 *
 * The platform holds ONE socket: a second `wx.connectSocket` silently closes the first and its events reach the
 * same global listeners. This adapter makes that explicit: while a connection holds the socket, another
 * connection fails at once with `ERR_CONNECTION_LIMIT` and the first is untouched.
 *
 * @example
 * ```ts
 * import { createConnection } from 'socket-task-machine';
 * import { wechatLegacyAdapter } from 'socket-task-machine/adapters/wechat';
 *
 * const conn = createConnection({ url: 'wss://example.com/socket', adapter: wechatLegacyAdapter({ wx }) });
 * ```
 */
export function wechatLegacyAdapter(options: WechatLegacyAdapterOptions): SocketAdapter {
  const wx = (options as Partial<WechatLegacyAdapterOptions> | undefined)?.wx;
  const missing = API.find(
    (name) => typeof (wx as Record<string, unknown> | null | undefined)?.[name] !== 'function',
  );
  if (missing !== undefined || wx === undefined) {
    throw new SocketTaskError(
      'ERR_INVALID_ADAPTER',
      `wechatLegacyAdapter(): wx must be the mini-program's wx, with ${missing}(); got ${describe(wx)}`,
    );
  }
  const releaseTimeout = options.releaseTimeout ?? 2000;

  const start = (slot: Slot, { url, protocols, header }: ConnectOptions): SocketTaskLike => {
    const socket = new LegacySocket(wx, slot);
    slot.current = socket;
    try {
      wx.connectSocket({
        url,
        ...(protocols ? { protocols } : {}),
        ...(header ? { header } : {}),
        success: () => {},
        // The call failed, so no socket exists and no close will come: report both, and free the slot.
        fail: (error: unknown) =>
          queueMicrotask(() => {
            socket.dispatch('error', error);
            socket.end({ code: 1006, reason: '' });
          }),
      });
    } catch (error) {
      slot.current = undefined;
      throw error;
    }
    return wrapNativeTask(socket);
  };

  const connect = (target: ConnectOptions): SocketTaskLike | Promise<SocketTaskLike> => {
    const slot = slotFor(wx);
    const previous = slot.current;
    if (previous === undefined) return start(slot, target);
    // Why fail the newcomer rather than replace the holder, as the platform would: replacing would end a
    // connection another part of the app still uses, and two connections that reconnect would evict each
    // other forever. Failing is what 1.7.0+ does at its own limit, and the holder's owner decides when to let go.
    if (previous.live) {
      throw new SocketTaskError(
        'ERR_CONNECTION_LIMIT',
        `wechatLegacyAdapter: wx.connectSocket keeps one socket at a time and another connection holds it, in readyState ${previous.state}; close that connection first, or use wechatAdapter on base library 1.7.0+`,
      );
    }
    // The holder is closing or has failed: its close event is still to come through the same global listener,
    // where it would pass for the new socket's. Wait for it, then try again (another connection may be first).
    return previous.ended(releaseTimeout).then(() => connect(target));
  };

  return defineSocketAdapter({ name: 'wechat-legacy', profile: wechatLegacyProfile, connect });
}
