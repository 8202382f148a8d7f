import { closeArgsProblem } from '../validate.js';
import type { CallOptions } from './types.js';

/** Both `WebSocket` flavours close the same way; what they lack is the seeds' callbacks and default code. */
export function closeWebSocket(
  ws: { close(code?: number, reason?: string): void },
  options: { code?: number; reason?: string } & CallOptions,
): void {
  // Browsers refuse bad arguments in every state; ws checks them only once OPEN and aborts a handshake whatever
  // they are. Checked first, so that an invalid close fails without side effects everywhere.
  const problem = closeArgsProblem(options.code, options.reason);
  if (problem) {
    settleCall(
      () => {
        throw problem;
      },
      'close',
      options,
    );
    return;
  }
  // The seeds' default close code is 1000; a WebSocket closed without one sends none (the peer sees 1005). No
  // reason is '': the `websocket` package's W3CWebSocket sends a text of its own ("Normal connection closure")
  // for an `undefined` one.
  settleCall(() => ws.close(options.code ?? 1000, options.reason ?? ''), 'close', options);
}

/**
 * Runs a platform call and reports it: `success` or `fail`, then `complete`. The user's `success` runs outside the
 * `try`, so an exception it throws is never mistaken for the platform's failure.
 */
export function settleCall(call: () => void, name: string, { success, fail, complete }: CallOptions): void {
  let failure: unknown;
  let failed = false;
  try {
    call();
  } catch (error) {
    failed = true;
    failure = error;
  }
  try {
    if (failed)
      fail?.({ errMsg: `${name}:fail ${failure instanceof Error ? failure.message : String(failure)}` });
    else success?.(undefined);
  } finally {
    complete?.();
  }
}

/** A send outside OPEN: browsers throw or silently drop, ws errors; the seeds' tasks call `fail`. */
export function failNotOpen(readyState: number, { fail, complete }: CallOptions): void {
  fail?.({ errMsg: `send:fail not open, readyState ${readyState}` });
  complete?.();
}
