import { SocketTaskError } from '../errors.js';

/**
 * A recorded life of one SocketTask: the user's calls, the callbacks they got, and the platform's events, in the
 * order they happened. Plain data (JSON-friendly but for binary payloads), so a trace recorded on a device can be
 * checked anywhere afterwards.
 */
export type Trace = TraceStep[];

export type TraceStep =
  /** `task.send({ data })`; `id` pairs it with its callbacks. */
  | { type: 'call'; call: 'send'; id: number; data: unknown }
  /** `task.close({ code, reason })`, arguments as given (they may be invalid on purpose). */
  | { type: 'call'; call: 'close'; id: number; code?: unknown; reason?: unknown }
  /** A callback of call `id` ran. */
  | { type: 'callback'; id: number; callback: 'success' | 'fail' | 'complete' }
  /** Call `id` threw instead of reporting through its callbacks. */
  | { type: 'threw'; id: number; message: string }
  | { type: 'event'; event: 'open' }
  | { type: 'event'; event: 'message'; data: string | ArrayBuffer }
  | { type: 'event'; event: 'error'; errMsg: string }
  | { type: 'event'; event: 'close'; code: number; reason: string };

/** The properties a trace can break; each violation names one. */
export type ConformanceProperty =
  /** `connect()` threw, hung, or returned no task. */
  | 'connects'
  /** A platform event the model does not allow in the state reached (e.g. a message while CONNECTING). */
  | 'allowed-transition'
  /** An event after the close event, a second close included. */
  | 'nothing-after-close'
  /** An open after a close, an error, or an abort. */
  | 'no-open-after-close-or-error'
  /** A close while CONNECTING did not follow the profile: ignored where it must abort, or aborted where ignored. */
  | 'close-while-connecting'
  /** `send` succeeded outside OPEN, or failed while OPEN with valid data. */
  | 'send-outcome'
  /** `close` with invalid arguments did not fail, or a valid one failed. */
  | 'close-outcome'
  /** `complete` not exactly once and last, `success` and `fail` both or neither, or a callback of no call. */
  | 'callbacks'
  /** The code and reason of a close did not reach the other side as given. */
  | 'close-code'
  /** Messages arrived out of order, altered, or some but not all before a later one. */
  | 'message-order'
  /** No close event came within the bound after everything was asked to close. */
  | 'closes';

/** One point where a trace leaves the model. */
export interface Violation {
  property: ConformanceProperty;
  /** Index of the step in the trace, or -1 for a property of the whole run. */
  step: number;
  /** The model's state at that point, e.g. `CONNECTING.handshake`. */
  state: string;
  message: string;
  /** The document the broken rule comes from: the seeds (the platforms' SocketTask pages), WHATWG or RFC 6455. */
  source: string;
}

/**
 * Where each property's rule comes from, for reports. A close's outcome is judged per call (see `judgeClose`),
 * whose verdict names its own document; this is the general rule.
 */
export const PROPERTY_SOURCES: Readonly<Record<ConformanceProperty, string>> = {
  connects: 'seeds (connectSocket creates and returns a SocketTask)',
  'allowed-transition':
    'seeds (SocketTask onOpen, onMessage, onError, onClose) and WHATWG (WebSocket readyState: CONNECTING, OPEN, CLOSING, CLOSED)',
  'nothing-after-close': 'WHATWG (the close event is fired once, and nothing is fired after it)',
  'no-open-after-close-or-error':
    'WHATWG (the open event is fired only from CONNECTING; a failed or aborted connection never opens)',
  'close-while-connecting':
    "the profile: seeds (WeChat's closeSocket before onSocketOpen does not close) for 'ignored', WHATWG (close() while CONNECTING fails the connection) for 'aborts'",
  'send-outcome':
    'seeds (SocketTask.send sends over an open connection; success or fail says whether it did)',
  'close-outcome':
    'seeds (close code 1000 or 3000–4999, reason at most 123 UTF-8 bytes), WHATWG, RFC 6455 §7.4',
  callbacks: 'seeds (every call reports success or fail, exactly one, then complete once)',
  'close-code':
    'RFC 6455 §7.1.5–7.1.6 (the close code and reason are the ones in the close frame) and WHATWG (the close event carries them)',
  'message-order':
    'RFC 6455 §5.4–§6 (messages arrive whole, unaltered and in order) and seeds (onMessage data is a string or an ArrayBuffer)',
  closes: 'WHATWG (close() starts the closing handshake, which ends in the close event) and seeds (onClose)',
};

/** Every property the kit checks, in the order reports and the compatibility table list them. */
export const CONFORMANCE_PROPERTIES = Object.keys(PROPERTY_SOURCES) as readonly ConformanceProperty[];

const STEP_SHAPES =
  "{ type: 'call', call: 'send' | 'close', id }, { type: 'callback', id, callback: 'success' | 'fail' | 'complete' }, { type: 'threw', id, message }, or { type: 'event', event: 'open' | 'message' | 'error' | 'close', ... }";

function stepProblem(step: unknown): string | undefined {
  if (typeof step !== 'object' || step === null) return 'is not an object';
  const s = step as Record<string, unknown>;
  const isId = typeof s.id === 'number' && Number.isFinite(s.id);
  switch (s.type) {
    case 'call':
      if (s.call !== 'send' && s.call !== 'close')
        return "is a call whose call is neither 'send' nor 'close'";
      return isId ? undefined : 'is a call without a numeric id';
    case 'callback':
      if (s.callback !== 'success' && s.callback !== 'fail' && s.callback !== 'complete') {
        return "is a callback whose callback is not 'success', 'fail' or 'complete'";
      }
      return isId ? undefined : 'is a callback without a numeric id';
    case 'threw':
      return isId ? undefined : 'is a throw without a numeric id';
    case 'event':
      switch (s.event) {
        case 'open':
          return undefined;
        case 'message':
          return typeof s.data === 'string' ||
            Object.prototype.toString.call(s.data) === '[object ArrayBuffer]'
            ? undefined
            : 'is a message event whose data is neither a string nor an ArrayBuffer';
        case 'error':
          return undefined;
        case 'close':
          return typeof s.code === 'number' ? undefined : 'is a close event without a numeric code';
        default:
          return `is an event of unknown kind ${JSON.stringify(String(s.event))}`;
      }
    default:
      return `has an unknown type ${JSON.stringify(String(s.type))}`;
  }
}

/**
 * Throws `ERR_INVALID_OPTIONS` when `trace` is not a recorded trace, naming the first entry that is not one and
 * the shapes expected, so that checking a log of another format fails loudly instead of inventing violations.
 */
export function assertTrace(api: string, trace: unknown): asserts trace is Trace {
  if (!Array.isArray(trace)) {
    throw new SocketTaskError(
      'ERR_INVALID_OPTIONS',
      `${api}: the trace must be an array of steps as recordSocketTask() records them, got ${typeof trace}`,
    );
  }
  trace.forEach((step, index) => {
    const problem = stepProblem(step);
    if (problem === undefined) return;
    throw new SocketTaskError(
      'ERR_INVALID_OPTIONS',
      `${api}: trace entry ${index} ${problem}; expected ${STEP_SHAPES}`,
    );
  });
}

/** Throws `ERR_INVALID_OPTIONS` unless `profile.closeWhileConnecting` is 'ignored' or 'aborts'. */
export function assertProfile(api: string, profile: unknown): void {
  const mode =
    typeof profile === 'object' && profile !== null
      ? (profile as { closeWhileConnecting?: unknown }).closeWhileConnecting
      : undefined;
  if (mode === 'ignored' || mode === 'aborts') return;
  throw new SocketTaskError(
    'ERR_INVALID_OPTIONS',
    `${api}: the profile must say how a close while CONNECTING behaves: { closeWhileConnecting: 'ignored' } (WeChat, QQ, Baidu) or { closeWhileConnecting: 'aborts' } (a WHATWG WebSocket, ws), got ${profile === null || typeof profile !== 'object' ? String(profile) : `closeWhileConnecting ${String(mode)}`}`,
  );
}
