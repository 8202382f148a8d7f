import { defer } from '../defer.js';
import { closeArgsProblem, isArrayBuffer } from '../validate.js';
import type {
  CallOptions,
  CloseEvent,
  ErrorEvent,
  MessageEvent,
  OpenEvent,
  SocketTaskLike,
} from './types.js';

type Loose = Record<string, unknown>;

/** A platform call's callbacks, with payloads read loosely: every vendor's payload shape fits. */
export type LooseCallbacks = {
  success?: (result: unknown) => void;
  fail?: (error: unknown) => void;
  complete?: (result: unknown) => void;
};

function isObject(value: unknown): value is Loose {
  return typeof value === 'object' && value !== null;
}

/** Alipay nests some payloads under `data` (`{ data: { code, reason } }`); take the inner object when it is one. */
export function unwrap(payload: unknown): Loose {
  if (!isObject(payload)) return {};
  const inner = payload.data;
  return isObject(inner) && !isArrayBuffer(inner) && !ArrayBuffer.isView(inner) ? inner : payload;
}

/**
 * Every error-payload shape the platforms use, as `{ errMsg, code? }`: WeChat's `{ errMsg }`, Alipay's
 * `{ error, errorMessage }`, a DOM `Event` or an `Error` (`message`), and the empty `{}` of uni-app H5 / App.
 */
export function toErrorEvent(payload: unknown, fallback = 'unknown socket error'): ErrorEvent {
  const outer = isObject(payload) ? payload : {};
  const p = unwrap(payload);
  const text = [p.errMsg, p.errorMessage, p.message, outer.errMsg, outer.errorMessage, outer.message].find(
    (t): t is string => typeof t === 'string' && t !== '',
  );
  const errMsg = text ?? (typeof payload === 'string' && payload !== '' ? payload : fallback);
  // Alipay's SocketTask nests the details under `data` but keeps `error` (its numeric code) outside.
  const code = [p.code, p.errCode, p.error, outer.code, outer.errCode, outer.error].find(
    (c): c is string | number => typeof c === 'string' || (typeof c === 'number' && Number.isFinite(c)),
  );
  return code === undefined ? { errMsg } : { errMsg, code };
}

/** The code of a close that came without one: 1005 if the socket closed cleanly, else 1006. */
export type NoStatusCode = 1005 | 1006;

/**
 * What a close that carries no code stands for, decided from what the task saw before it. RFC 6455 §7.1.5: a
 * connection closed without a Close frame (the transport was lost, or the handshake never completed) has close
 * code 1006, and §7.4.1 reserves 1005 for a Close frame that carried no status. The WHATWG WebSocket standard
 * fires `error` only where it fails the connection, whose close is then unclean (1006). So: a close after open
 * with no error before it is clean (1005); one before open or after an error is not (1006).
 */
export function noStatusRule(openAtStart: boolean): {
  opened(): void;
  errored(): void;
  code(): NoStatusCode;
} {
  let seen: 'nothing' | 'open' | 'error' = openAtStart ? 'open' : 'nothing';
  return {
    opened() {
      if (seen === 'nothing') seen = 'open';
    },
    errored() {
      seen = 'error';
    },
    code: () => (seen === 'open' ? 1005 : 1006),
  };
}

/**
 * A close payload as `{ code: number, reason: string }`: Douyin sends the code as a string, Alipay may nest it
 * under `data`, and Alipay and uni-app H5 (`{}`) may send no code at all, which becomes `noStatus`.
 */
export function toCloseEvent(payload: unknown, noStatus: NoStatusCode = 1005): CloseEvent {
  const p = unwrap(payload);
  const raw = p.code;
  const parsed =
    typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : Number.NaN;
  const reason = typeof p.reason === 'string' ? p.reason : '';
  // A close code is 16 bits on the wire; anything else is no status at all.
  return {
    code: Number.isInteger(parsed) && parsed >= 0 && parsed <= 0xffff ? parsed : noStatus,
    reason,
  };
}

export function toOpenEvent(payload: unknown): OpenEvent {
  const header = unwrap(payload).header;
  if (!isObject(header)) return {};
  const entries: Array<[string, string]> = [];
  for (const [name, value] of Object.entries(header)) {
    if (value === undefined || value === null) continue;
    // An object without a usable toString (a null prototype) cannot be a header's text: it is left out.
    try {
      entries.push([name, String(value)]);
    } catch {}
  }
  // Each name defined as an own property: a header called "__proto__" stays a header.
  return { header: Object.fromEntries(entries) };
}

/** `{ data }` as `string | ArrayBuffer`; a view is copied out. Unknown payloads give `undefined` (dropped). */
export function toMessageData(data: unknown): MessageEvent['data'] | undefined {
  if (typeof data === 'string' || isArrayBuffer(data)) return data;
  if (ArrayBuffer.isView(data))
    return new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice().buffer;
  return undefined;
}

/**
 * Wraps a platform call's callbacks so that, whatever the platform does (uni-app H5 calls `fail` twice, uni-app
 * App calls `fail` then `success`), the caller sees `success` or `fail` once, then `complete` once.
 */
export function once(options: CallOptions): {
  success(result: unknown): void;
  fail(error: unknown): void;
  complete(): void;
} {
  let settled = false;
  return {
    success(result) {
      if (settled) return;
      settled = true;
      options.success?.(result);
      options.complete?.();
    },
    fail(error) {
      if (settled) return;
      settled = true;
      options.fail?.(toErrorEvent(error));
      options.complete?.();
    },
    // Each settlement already calls `complete`; the platform's own `complete` is redundant.
    complete() {},
  };
}

/** The native SocketTask every mini-program platform hands out (docs/platforms.md#the-sockettask), as loosely as the platforms vary. */
export interface NativeSocketTask {
  send(options: Loose): unknown;
  close(options: Loose): unknown;
  onOpen(listener: (payload: never) => void): unknown;
  onMessage(listener: (payload: never) => void): unknown;
  onError(listener: (payload: never) => void): unknown;
  onClose(listener: (payload: never) => void): unknown;
  readyState?: number | undefined;
}

export interface WrapOptions {
  /** The platform payload of a message to `string | ArrayBuffer` (Alipay: base64 with `isBuffer`). */
  message?: (payload: unknown) => MessageEvent['data'] | undefined;
  /** The options of a native `send` for some data (Alipay: binary as base64 with `isBuffer: true`). */
  send?: (data: string | ArrayBuffer) => Loose;
}

type Fan<T> = Array<(event: T) => void>;

/** Runs a normalization on an untrusted payload; one that throws (a hostile getter, a Proxy) gives `fallback`. */
function safely<T>(normalize: () => T, fallback: T): T {
  try {
    return normalize();
  } catch {
    return fallback;
  }
}

/**
 * Turns a platform's native SocketTask into `SocketTaskLike`:
 * - each native listener is registered once, on first use, and fans out to every subscriber (WeChat tasks have
 *   no `off*`, and Taro H5 keeps only the last registration);
 * - payloads are normalized (error shapes, string close codes, nested data);
 * - a task handed over after it already opened (Taro's `Promise<SocketTask>`, Douyin after `success`) reports
 *   that open to listeners registered late, read from its `readyState`;
 * - `send` and `close` report `success` or `fail` exactly once, then `complete`.
 */
export function wrapNativeTask(task: NativeSocketTask, options: WrapOptions = {}): SocketTaskLike {
  const fans = {
    open: [] as Fan<OpenEvent>,
    message: [] as Fan<MessageEvent>,
    error: [] as Fan<ErrorEvent>,
    close: [] as Fan<CloseEvent>,
  };
  const readyState = safely(() => task.readyState, undefined);
  let openedBeforeWrap = readyState === 1;
  let closed = readyState === 3;
  const noStatus = noStatusRule(openedBeforeWrap);
  // The four native listeners are registered once, at the first subscription. Where the platform refuses one, the
  // error reaches the code that subscribed (the connection's task handle), which reports the task as failed.
  let nativeRegistered = false;

  const registerNative = () => {
    if (nativeRegistered) return;
    nativeRegistered = true;
    // Read again: where promise reactions run on timers (iOS 15), a task handed over late may open between the
    // wrap and the first listener, and its open event then went to nobody.
    if (!openedBeforeWrap && !closed) {
      const now = safely(() => task.readyState, undefined);
      if (now === 1) {
        openedBeforeWrap = true;
        noStatus.opened();
      }
      if (now === 3) closed = true;
    }
    task.onOpen(((payload: unknown) => {
      openedBeforeWrap = false;
      noStatus.opened();
      const event = safely(() => toOpenEvent(payload), {});
      for (const listener of fans.open) listener(event);
    }) as (payload: never) => void);
    task.onMessage(((payload: unknown) => {
      const data = safely(
        () => (options.message ? options.message(payload) : toMessageData(unwrap(payload).data)),
        undefined,
      );
      if (data === undefined) return;
      const event = { data };
      for (const listener of fans.message) listener(event);
    }) as (payload: never) => void);
    task.onError(((payload: unknown) => {
      noStatus.errored();
      const event = safely(() => toErrorEvent(payload), { errMsg: 'unknown socket error' });
      for (const listener of fans.error) listener(event);
    }) as (payload: never) => void);
    task.onClose(((payload: unknown) => {
      closed = true;
      const event = safely(
        () => toCloseEvent(payload, noStatus.code()),
        toCloseEvent(undefined, noStatus.code()),
      );
      for (const listener of fans.close) listener(event);
    }) as (payload: never) => void);
  };

  const subscribe = <T>(fan: Fan<T>, listener: (event: T) => void) => {
    registerNative();
    fan.push(listener);
  };

  return {
    send({ data, ...callbacks }) {
      const settle = once(callbacks);
      try {
        task.send({ ...(options.send ? options.send(data) : { data }), ...settle });
      } catch (error) {
        settle.fail(error);
      }
    },
    close({ code, reason, ...callbacks }) {
      const settle = once(callbacks);
      // The seeds allow 1000 or 3000–4999 and 123 bytes of reason; platforms that do not check would send a bad
      // close frame, or none. Refused here, before the platform, with no side effect.
      const problem = closeArgsProblem(code, reason);
      if (problem) {
        settle.fail({ errMsg: `closeSocket:fail ${problem.message}` });
        return;
      }
      const args: Loose = { ...settle };
      if (code !== undefined) args.code = code;
      if (reason !== undefined) args.reason = reason;
      try {
        task.close(args);
      } catch (error) {
        settle.fail(error);
      }
    },
    onOpen(listener) {
      subscribe(fans.open, listener);
      // The task opened before anyone could listen: replay it later (src/defer.ts), like a real event.
      if (openedBeforeWrap && !closed) {
        defer(() => {
          if (openedBeforeWrap && !closed) listener({});
        });
      }
    },
    onMessage: (listener) => subscribe(fans.message, listener),
    onError: (listener) => subscribe(fans.error, listener),
    onClose: (listener) => subscribe(fans.close, listener),
  };
}
