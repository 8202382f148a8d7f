// The browser side of the table's Chromium rows, bundled into the page: tasks over the browser's own WebSocket
// (the thinnest task, or this library's web adapter), each recorded here, where every call really happens, and its
// trace streamed to Node step by step.
import type { SocketTaskLike } from '../../src/adapters/types.js';
import { webAdapter } from '../../src/adapters/web.js';
import { recordSocketTask } from '../../src/conformance/recorder.js';
import { taskOverWebSocket, type WhatwgSocket } from './whatwgTask.js';
import { closeWire, sendWire, toWire, type WireData, type WireStep } from './wire.js';

export type TaskKind = 'raw' | 'web-adapter';

export interface KitPage {
  create(id: number, kind: TaskKind, url: string, protocols: string[] | undefined): void;
  send(id: number, data: WireData): void;
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
  send: (id, data) => sendWire(tasks.get(id), data),
  close: (id, code, reason) => closeWire(tasks.get(id), code, reason),
  dispose() {
    for (const task of tasks.values()) {
      try {
        task.close({});
      } catch {}
    }
    tasks.clear();
  },
};
