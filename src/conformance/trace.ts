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
}
