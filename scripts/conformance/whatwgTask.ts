// The thinnest SocketTask over a WHATWG-style WebSocket (ws's, undici's, Chromium's, the websocket package's
// W3CWebSocket): each call goes straight to the socket, whose own answer (a throw or not) is the call's outcome.
// It runs in Node and, bundled, in a browser page: no Node API here.
import type { CallOptions, SocketTaskLike } from '../../src/adapters/types.js';

/** What the wrapper uses of a WebSocket; every implementation in the table has at least this. */
export interface WhatwgSocket {
  readonly readyState: number;
  binaryType: string;
  send(data: string | ArrayBuffer): void;
  close(code?: number, reason?: string): void;
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onerror: ((event: unknown) => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
}

const OPEN = 1;

function settle(options: CallOptions, run: () => void): void {
  try {
    run();
  } catch (error) {
    options.fail?.({ errMsg: error instanceof Error ? error.message : String(error) });
    options.complete?.();
    return;
  }
  options.success?.(undefined);
  options.complete?.();
}

/**
 * A SocketTask over `socket`. Two choices are the seeds' and not the socket's: `send` fails unless the socket is
 * OPEN (a WHATWG socket silently drops data once CLOSING, where a SocketTask reports fail), and binary arrives as an
 * ArrayBuffer. Close arguments are passed as given, so the socket's own validation is what the kit sees.
 */
export function taskOverWebSocket(socket: WhatwgSocket): SocketTaskLike {
  socket.binaryType = 'arraybuffer';
  const listeners = {
    open: [] as Array<(event: object) => void>,
    message: [] as Array<(event: { data: string | ArrayBuffer }) => void>,
    error: [] as Array<(event: { errMsg: string }) => void>,
    close: [] as Array<(event: { code: number; reason: string }) => void>,
  };
  socket.onopen = () => {
    for (const listener of listeners.open) listener({});
  };
  socket.onmessage = (event) => {
    for (const listener of listeners.message) listener({ data: event.data as string | ArrayBuffer });
  };
  socket.onerror = (event) => {
    const message = (event as { message?: unknown } | undefined)?.message;
    for (const listener of listeners.error)
      listener({ errMsg: typeof message === 'string' ? message : 'error' });
  };
  socket.onclose = (event) => {
    for (const listener of listeners.close) listener({ code: event.code, reason: event.reason });
  };
  return {
    send: (options) =>
      settle(options, () => {
        if (socket.readyState !== OPEN) throw new Error(`send: readyState ${socket.readyState} is not OPEN`);
        socket.send(options.data);
      }),
    close: (options) =>
      settle(options, () => {
        // Only the arguments given: close(undefined) and close() differ for some implementations.
        if ('reason' in options) socket.close(options.code, options.reason);
        else if ('code' in options) socket.close(options.code);
        else socket.close();
      }),
    onOpen: (listener) => void listeners.open.push(listener),
    onMessage: (listener) => void listeners.message.push(listener),
    onError: (listener) => void listeners.error.push(listener),
    onClose: (listener) => void listeners.close.push(listener),
  };
}
