import type { CallOptions, SocketTaskLike } from '../adapters/types.js';
import type { Trace } from './trace.js';

/** A task together with the trace of its life so far. */
export interface RecordedTask {
  task: SocketTaskLike;
  trace: Trace;
}

type Listener<T> = (event: T) => void;

/**
 * Wraps any `SocketTaskLike` so that everything the user does with it, and everything it does back, is appended to
 * `trace`. Wrap the task right after creating it: the recorder listens to every event from then on, and forwards
 * each to the listeners registered on the wrapper.
 *
 * @example
 * ```ts
 * const { task, trace } = recordSocketTask(wx.connectSocket({ url }), { onStep: (step) => upload(step) });
 * task.onOpen(() => task.send({ data: 'hi' }));
 * // ... later, anywhere:
 * console.log(checkTrace(trace, wechatProfile));
 * ```
 */
export function recordSocketTask(
  inner: SocketTaskLike,
  options: { onStep?: (step: Trace[number]) => void } = {},
): RecordedTask {
  const trace: Trace = [];
  // onStep streams the trace as it grows, e.g. from a device or a browser page to the machine that checks it.
  const { onStep } = options;
  if (onStep) {
    const push = trace.push.bind(trace);
    trace.push = (...steps) => {
      for (const step of steps) onStep(step);
      return push(...steps);
    };
  }
  let nextId = 1;
  const listeners = {
    open: [] as Listener<Parameters<Parameters<SocketTaskLike['onOpen']>[0]>[0]>[],
    message: [] as Listener<Parameters<Parameters<SocketTaskLike['onMessage']>[0]>[0]>[],
    error: [] as Listener<Parameters<Parameters<SocketTaskLike['onError']>[0]>[0]>[],
    close: [] as Listener<Parameters<Parameters<SocketTaskLike['onClose']>[0]>[0]>[],
  };
  const fanOut = <T>(list: Listener<T>[], event: T) => {
    for (const listener of [...list]) listener(event);
  };
  inner.onOpen((event) => {
    trace.push({ type: 'event', event: 'open' });
    fanOut(listeners.open, event);
  });
  inner.onMessage((event) => {
    trace.push({ type: 'event', event: 'message', data: event?.data });
    fanOut(listeners.message, event);
  });
  inner.onError((event) => {
    trace.push({ type: 'event', event: 'error', errMsg: String(event?.errMsg ?? '') });
    fanOut(listeners.error, event);
  });
  inner.onClose((event) => {
    trace.push({
      type: 'event',
      event: 'close',
      code: Number(event?.code),
      reason: String(event?.reason ?? ''),
    });
    fanOut(listeners.close, event);
  });

  const wrap = <O extends CallOptions>(id: number, options: O): O => ({
    ...options,
    success: (result: unknown) => {
      trace.push({ type: 'callback', id, callback: 'success' });
      options.success?.(result);
    },
    fail: (error: { errMsg: string; code?: string | number }) => {
      trace.push({ type: 'callback', id, callback: 'fail' });
      options.fail?.(error);
    },
    complete: () => {
      trace.push({ type: 'callback', id, callback: 'complete' });
      options.complete?.();
    },
  });
  const guard = (id: number, call: () => unknown) => {
    try {
      const returned = call();
      // Some platforms' calls also return a Promise (Taro H5, uni-app without callbacks) that rejects on fail: the
      // outcome is in the callbacks, and a rejection nobody handles must not end the process or the page.
      if (typeof (returned as PromiseLike<unknown> | undefined)?.then === 'function') {
        (returned as PromiseLike<unknown>).then(undefined, () => {});
      }
    } catch (error) {
      trace.push({ type: 'threw', id, message: error instanceof Error ? error.message : String(error) });
      throw error;
    }
  };

  const task: SocketTaskLike = {
    send(options) {
      const id = nextId++;
      trace.push({ type: 'call', call: 'send', id, data: options.data });
      guard(id, () => inner.send(wrap(id, options)));
    },
    close(options) {
      const id = nextId++;
      const step: Trace[number] = { type: 'call', call: 'close', id };
      if ('code' in options) step.code = options.code;
      if ('reason' in options) step.reason = options.reason;
      trace.push(step);
      guard(id, () => inner.close(wrap(id, options)));
    },
    onOpen: (listener) => void listeners.open.push(listener),
    onMessage: (listener) => void listeners.message.push(listener),
    onError: (listener) => void listeners.error.push(listener),
    onClose: (listener) => void listeners.close.push(listener),
  };
  return { task, trace };
}
