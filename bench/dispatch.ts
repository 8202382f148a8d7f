// send() dispatch cost of socket-task-machine on a no-op socket, in a fresh process: a fake adapter whose task's
// send() does nothing, so what is measured is the library's own work per call. Prints one line of JSON (ns).
import { measure } from 'mitata';
import { nodeProfile } from '../dist/adapters/node.js';
import { createConnection, defineSocketAdapter, type SocketTaskLike } from '../dist/index.js';

const noop = () => {};
let openTask: (() => void) | undefined;

const task: SocketTaskLike = {
  send: noop,
  // A synchronous platform, as the web and Node adapters are: the allocation-free path of conn.send(data).
  write: noop,
  close: noop,
  onOpen(callback) {
    openTask = () => callback({});
  },
  onClose: noop,
  onError: noop,
  onMessage: noop,
};

const adapter = defineSocketAdapter({
  name: 'noop',
  profile: nodeProfile,
  connect: () => {
    setImmediate(() => openTask?.());
    return task;
  },
});

const conn = createConnection({ url: 'ws://127.0.0.1:1', adapter, lifecycle: false });
await new Promise<void>((resolve) => conn.onOpen(() => resolve()));

const callbacks = { complete: noop };
// A block body: mitata awaits a returned Promise, and this one settles only when the no-op task reports success.
const promiseForm = await measure(() => {
  void conn.send('hello world 1234');
});
const callbackForm = await measure(() => {
  conn.send('hello world 1234', callbacks);
});
const floor = await measure(() => {
  task.send({ data: 'hello world 1234' });
});
process.stdout.write(
  `${JSON.stringify({ promise: promiseForm.p50, callbacks: callbackForm.p50, floor: floor.p50 })}\n`,
);
process.exit(0);
