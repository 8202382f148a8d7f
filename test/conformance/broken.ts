// Deliberately broken SocketTasks, each with one bug, built on the Node adapter's correct task. The kit must report
// every one of them with a readable counterexample.
import { nodeAdapter } from '../../src/adapters/node.js';
import type { CallOptions, CloseEvent, MessageEvent, SocketTaskLike } from '../../src/adapters/types.js';
import type { ConformanceProperty } from '../../src/conformance/index.js';
import { closeArgsProblem } from '../../src/validate.js';

type Connect = (target: { url: string; protocols?: string[] }) => SocketTaskLike;

const adapter = nodeAdapter();
/** The adapter's task as a plain object of its six methods, so that each broken task below can spread it. */
const correct: Connect = (target) => {
  const task = adapter.connect(target) as SocketTaskLike;
  return {
    send: (options) => task.send(options),
    close: (options) => task.close(options),
    onOpen: (listener) => task.onOpen(listener),
    onMessage: (listener) => task.onMessage(listener),
    onError: (listener) => task.onError(listener),
    onClose: (listener) => task.onClose(listener),
  };
};

/** Listener lists of a wrapper, to fire events the inner task never fired. */
function listeners() {
  return {
    open: [] as Array<(e: object) => void>,
    message: [] as Array<(e: MessageEvent) => void>,
    error: [] as Array<(e: { errMsg: string }) => void>,
    close: [] as Array<(e: CloseEvent) => void>,
  };
}

/** Whether the inner task has opened. */
function opened(task: SocketTaskLike): () => boolean {
  let open = false;
  task.onOpen(() => {
    open = true;
  });
  return () => open;
}

/** Reports success without doing anything: the bug of the two tasks below. */
function pretendSuccess(options: CallOptions): void {
  options.success?.(undefined);
  options.complete?.();
}

export interface Broken {
  name: string;
  connect: Connect;
  /** The property the kit must name. */
  property: ConformanceProperty;
}

export const brokenTasks: Broken[] = [
  {
    name: 'events after close: a message after the close event',
    property: 'nothing-after-close',
    connect: (target) => {
      const task = correct(target);
      const on = listeners();
      task.onClose((e) => {
        for (const l of on.close) l(e);
        for (const l of on.message) l({ data: 'ghost' });
      });
      return {
        ...task,
        onClose: (l) => void on.close.push(l),
        onMessage: (l) => {
          on.message.push(l);
          task.onMessage(l);
        },
      };
    },
  },
  {
    name: 'a double close event',
    property: 'nothing-after-close',
    connect: (target) => {
      const task = correct(target);
      const on = listeners();
      task.onClose((e) => {
        for (const l of on.close) l(e);
        for (const l of on.close) l(e);
      });
      return { ...task, onClose: (l) => void on.close.push(l) };
    },
  },
  {
    name: 'open after close',
    property: 'no-open-after-close-or-error',
    connect: (target) => {
      const task = correct(target);
      const on = listeners();
      task.onOpen((e) => {
        for (const l of on.open) l(e);
      });
      task.onClose((e) => {
        for (const l of on.close) l(e);
        for (const l of on.open) l({});
      });
      return { ...task, onOpen: (l) => void on.open.push(l), onClose: (l) => void on.close.push(l) };
    },
  },
  {
    name: 'send succeeding while CONNECTING',
    property: 'send-outcome',
    connect: (target) => {
      const task = correct(target);
      const isOpen = opened(task);
      return {
        ...task,
        send: (options) => (isOpen() ? task.send(options) : pretendSuccess(options)),
      };
    },
  },
  {
    name: 'close ignored on an aborting profile',
    property: 'close-while-connecting',
    connect: (target) => {
      const task = correct(target);
      const isOpen = opened(task);
      return {
        ...task,
        close: (options) =>
          isOpen() || closeArgsProblem(options.code, options.reason)
            ? task.close(options)
            : pretendSuccess(options),
      };
    },
  },
  {
    name: 'the wrong close code reported',
    property: 'close-code',
    connect: (target) => {
      const task = correct(target);
      return {
        ...task,
        onClose: (l) => task.onClose((e) => l({ code: e.code + 7, reason: e.reason })),
      };
    },
  },
  {
    name: 'reordered messages',
    property: 'message-order',
    connect: (target) => {
      const task = correct(target);
      const on = listeners();
      let held: MessageEvent | undefined;
      task.onMessage((e) => {
        if (held === undefined) {
          held = e;
          return;
        }
        for (const l of on.message) l(e);
        for (const l of on.message) l(held);
        held = undefined;
      });
      task.onClose(() => {
        if (held) for (const l of on.message) l(held);
        held = undefined;
      });
      return {
        ...task,
        onMessage: (l) => void on.message.push(l),
        // The held message is delivered before the close, as it must be.
        onClose: (l) => task.onClose(l),
      };
    },
  },
  {
    name: 'complete called twice',
    property: 'callbacks',
    connect: (target) => {
      const task = correct(target);
      return {
        ...task,
        send: (options) =>
          task.send({
            ...options,
            complete: () => {
              options.complete?.();
              options.complete?.();
            },
          }),
      };
    },
  },
];

export const correctTask = correct;
