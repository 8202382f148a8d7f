// How a task inside a browser page is driven from Node and its trace streamed back (page.exposeFunction and
// page.evaluate carry JSON only): shared by the table's Chromium rows and the project's browser test of the kit.
// Types only from src/, so that the page bundles stay free of Node.
import type { SocketTaskLike } from '../../src/adapters/types.js';
import type { Trace, TraceStep } from '../../src/conformance/trace.js';

/** A trace step as it crosses from the page to Node: binary data as bytes. */
export type WireStep =
  | TraceStep
  | { type: 'binary-message'; bytes: number[] }
  | { type: 'binary-send'; id: number; bytes: number[] };

/** What a send carries from Node to the page. */
export type WireData = { text: string } | { bytes: number[] };

/** In the page: a recorded step as JSON can carry it. */
export function toWire(step: TraceStep): WireStep {
  if (step.type === 'event' && step.event === 'message' && step.data instanceof ArrayBuffer) {
    return { type: 'binary-message', bytes: [...new Uint8Array(step.data)] };
  }
  if (step.type === 'call' && step.call === 'send' && step.data instanceof ArrayBuffer) {
    return { type: 'binary-send', id: step.id, bytes: [...new Uint8Array(step.data)] };
  }
  if (step.type === 'event' && step.event === 'message' && typeof step.data !== 'string') {
    // Neither text nor ArrayBuffer (a Blob): named, so that Node reports what arrived.
    return { ...step, data: `(${Object.prototype.toString.call(step.data)})` };
  }
  return step;
}

/** In Node: the step as it was recorded. */
export function fromWire(step: WireStep): Trace[number] {
  if (step.type === 'binary-message') {
    return { type: 'event', event: 'message', data: new Uint8Array(step.bytes).buffer };
  }
  if (step.type === 'binary-send') {
    return { type: 'call', call: 'send', id: step.id, data: new Uint8Array(step.bytes).buffer };
  }
  return step;
}

/** In the page: the send Node asked for. What the task throws is in its trace already. */
export function sendWire(task: SocketTaskLike | undefined, data: WireData): void {
  try {
    task?.send({ data: 'text' in data ? data.text : new Uint8Array(data.bytes).buffer });
  } catch {}
}

/** In the page: the close Node asked for, its arguments passed on only where given. */
export function closeWire(task: SocketTaskLike | undefined, code: unknown, reason: unknown): void {
  const options: { code?: number; reason?: string } = {};
  if (code !== undefined) options.code = code as number;
  if (reason !== undefined) options.reason = reason as string;
  try {
    task?.close(options);
  } catch {}
}

/**
 * In Node: the kit's handle on a task in the page. Its calls go to the page; its events are not listened to
 * here, since the kit reads the trace recorded in the page.
 */
export function taskInPage(send: (data: WireData) => void, close: (code: unknown, reason: unknown) => void) {
  const task: SocketTaskLike = {
    send: ({ data }) =>
      send(typeof data === 'string' ? { text: data } : { bytes: [...new Uint8Array(data)] }),
    close: ({ code, reason }) => close(code, reason),
    onOpen: () => {},
    onMessage: () => {},
    onError: () => {},
    onClose: () => {},
  };
  return task;
}
