// The browser side of the table's Chromium rows, bundled into the page: tasks over the browser's own WebSocket
// (the thinnest task, or this library's web adapter), each recorded here, where every call really happens, and its
// trace streamed to Node step by step.
import type { SocketTaskLike } from '../../src/adapters/types.js';
import { webAdapter } from '../../src/adapters/web.js';
import { recordSocketTask } from '../../src/conformance/recorder.js';
import type { TraceStep } from '../../src/conformance/trace.js';
import { taskOverWebSocket, type WhatwgSocket } from './whatwgTask.js';

export type TaskKind = 'raw' | 'web-adapter';

/** A trace step as it crosses to Node (page.exposeFunction serializes JSON): binary data as bytes. */
export type WireStep =
  | TraceStep
  | { type: 'binary-message'; bytes: number[] }
  | { type: 'binary-send'; id: number; bytes: number[] };

export interface KitPage {
  create(id: number, kind: TaskKind, url: string, protocols: string[] | undefined): void;
  send(id: number, data: { text: string } | { bytes: number[] }): void;
  close(id: number, code: unknown, reason: unknown): void;
  /** Closes every task still open and forgets them all. */
  dispose(): void;
}

declare global {
  interface Window {
    stmKit: KitPage;
    /** Exposed by the Node side: receives each trace step of task `id`. */
    stmKitTrace?: (id: number, step: WireStep) => void;
  }
}

function toWire(step: TraceStep): WireStep {
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

const tasks = new Map<number, SocketTaskLike>();

function make(kind: TaskKind, url: string, protocols: string[] | undefined): SocketTaskLike {
  if (kind === 'web-adapter') {
    const target: { url: string; protocols?: string[] } = { url };
    if (protocols) target.protocols = protocols;
    return webAdapter().connect(target) as SocketTaskLike;
  }
  const socket = protocols ? new WebSocket(url, protocols) : new WebSocket(url);
  return taskOverWebSocket(socket as unknown as WhatwgSocket);
}

window.stmKit = {
  create(id, kind, url, protocols) {
    const { task } = recordSocketTask(make(kind, url, protocols), {
      onStep: (step) => window.stmKitTrace?.(id, toWire(step)),
    });
    tasks.set(id, task);
  },
  send(id, data) {
    try {
      tasks.get(id)?.send({ data: 'text' in data ? data.text : new Uint8Array(data.bytes).buffer });
    } catch {}
  },
  close(id, code, reason) {
    const options: { code?: number; reason?: string } = {};
    if (code !== undefined) options.code = code as number;
    if (reason !== undefined) options.reason = reason as string;
    try {
      tasks.get(id)?.close(options);
    } catch {}
  },
  dispose() {
    for (const task of tasks.values()) {
      try {
        task.close({});
      } catch {}
    }
    tasks.clear();
  },
};
