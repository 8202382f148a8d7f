// The entries that run on Node (the node adapter, the conformance kit and its vitest helper) plus the root and the
// web adapter over `ws`, type-checked as the installed package with `types: ["node"]` (and @types/ws, which the node
// adapter's types import) and no DOM lib. A real AbortController's signal is a signal, with no cast.
import { type AbortSignalLike, createConnection } from 'socket-task-machine';
import { nodeAdapter } from 'socket-task-machine/adapters/node';
import { webAdapter } from 'socket-task-machine/adapters/web';
import { checkSocketTask, checkTrace, recordSocketTask } from 'socket-task-machine/conformance';
import { testSocketTask } from 'socket-task-machine/conformance/vitest';
import { WebSocket } from 'ws';

const controller = new AbortController();
const signal: AbortSignalLike = controller.signal;

export const viaNode = createConnection({
  url: 'ws://127.0.0.1:8080',
  adapter: nodeAdapter({ WebSocket }),
  signal: controller.signal,
});
export const viaWeb = createConnection({
  url: 'ws://127.0.0.1:8080',
  adapter: webAdapter({ WebSocket }),
  signal,
});
viaNode.onClose(({ code, reason }) => console.log(code, reason));
export const kit = [checkSocketTask, checkTrace, recordSocketTask, testSocketTask] as const;

nodeAdapter({
  // @ts-expect-error: nodeAdapter takes the `ws` class, not an instance.
  WebSocket: new WebSocket('ws://127.0.0.1:8080'),
});

// @ts-expect-error: no DOM lib here; the signal above is Node's own.
export type NoDom = HTMLElement;
