import type { CallOptions } from './types.js';

/** Both `WebSocket` flavours close the same way; what they lack is the seeds' callbacks and default code. */
export function closeWebSocket(
  ws: { close(code?: number, reason?: string): void },
  { code, reason, success, fail, complete }: { code?: number; reason?: string } & CallOptions,
): void {
  try {
    // The seeds' default close code is 1000; a WebSocket closed without one sends none (the peer sees 1005).
    ws.close(code ?? 1000, reason);
    success?.(undefined);
  } catch (error) {
    fail?.({ errMsg: `close:fail ${(error as Error).message}` });
  }
  complete?.();
}

/** A send outside OPEN: browsers throw or silently drop, ws errors; the seeds' tasks call `fail`. */
export function failNotOpen(readyState: number, { fail, complete }: CallOptions): void {
  fail?.({ errMsg: `send:fail not open, readyState ${readyState}` });
  complete?.();
}
