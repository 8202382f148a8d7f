import { fromCallback } from 'xstate';
import type {
  CloseEvent,
  ConnectOptions,
  ErrorEvent,
  OpenEvent,
  SocketAdapter,
  SocketTaskLike,
} from '../adapters/types.js';
import { defer } from '../defer.js';
import { SocketTaskError } from '../errors.js';
import type { Slots } from '../slots.js';
import type { DataPath } from './dataPath.js';

/** Resolves the url, protocols and header of one attempt; providers are called anew on every attempt. */
export type ResolveTarget = () => ConnectOptions | Promise<ConnectOptions>;

export interface TaskActorInput {
  generation: number;
  adapter: SocketAdapter;
  resolveTarget: ResolveTarget;
  dataPath: DataPath;
  /** The adapter's socket slots: this actor holds one from connect() until its socket is gone. */
  slots: Slots;
  /** ms a stopped actor waits for its socket's close before giving the slot back anyway. */
  lingerTimeout: number;
}

/**
 * `'now'` hands the close to the platform at once, even where it will be ignored (closeBeforeOpen: 'ignore').
 * `'effective'` waits, on a platform that ignores a close while CONNECTING, until the task opens.
 */
export type TaskCommand = { type: 'close'; code?: number; reason?: string; when: 'now' | 'effective' };

/** Platform events, tagged with the generation of the task that produced them. */
export type TaskEvent =
  | { type: 'platform.open'; generation: number; event: OpenEvent }
  | { type: 'platform.error'; generation: number; event: ErrorEvent }
  | { type: 'platform.close'; generation: number; event: CloseEvent };

function isThenable<T>(value: T | Promise<T>): value is Promise<T> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}

const TASK_METHODS = ['send', 'close', 'onOpen', 'onClose', 'onError', 'onMessage'] as const;

function isTaskLike(value: unknown): value is SocketTaskLike {
  return (
    typeof value === 'object' &&
    value !== null &&
    TASK_METHODS.every((name) => typeof (value as Record<string, unknown>)[name] === 'function')
  );
}

function errorText(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === 'object' && error !== null && typeof (error as ErrorEvent).errMsg === 'string') {
    return (error as ErrorEvent).errMsg;
  }
  return String(error);
}

/**
 * Owns ONE platform task: creates it, registers each native listener once, forwards lifecycle events to the
 * machine and messages to the data path. Whatever the machine does, the task never outlives its need: a close
 * that the platform would ignore while CONNECTING is carried out the moment the task opens, and a task that
 * arrives or opens after this actor was stopped is closed at once.
 */
export const socketTaskActor = fromCallback<TaskCommand, TaskActorInput, TaskEvent>(
  ({ input, sendBack, receive }) => {
    const { generation, adapter, dataPath } = input;
    const aborts = adapter.profile.closeWhileConnecting === 'aborts';
    let task: SocketTaskLike | undefined;
    let phase: 'connecting' | 'open' | 'closed' = 'connecting';
    let stopped = false;
    let closeSent = false;
    let pendingClose: TaskCommand | undefined;
    let linger: ReturnType<typeof setTimeout> | undefined;
    let errored = false;
    const giveBack = input.slots.take();
    const release = () => {
      if (linger !== undefined) clearTimeout(linger);
      linger = undefined;
      giveBack();
    };

    const report = (code: string, errMsg: string) => {
      if (!stopped) sendBack({ type: 'platform.error', generation, event: { errMsg, code } });
    };

    // No task exists, so no close event can ever come: report the error and the abnormal close ourselves.
    // Deferred (src/defer.ts): a sync provider or connect fails inside createConnection(), before the user's
    // onError/onClose listeners can exist.
    const failWithoutTask = (code: string, errMsg: string) => {
      if (phase === 'closed') return;
      phase = 'closed';
      release();
      defer(() => {
        report(code, errMsg);
        if (!stopped) sendBack({ type: 'platform.close', generation, event: { code: 1006, reason: '' } });
      });
    };

    const closeTask = (t: SocketTaskLike, command: TaskCommand | undefined) => {
      if (closeSent || phase === 'closed') return;
      closeSent = true;
      const options: { code?: number; reason?: string; fail: (e: ErrorEvent) => void } = {
        fail: (e) => report('ERR_PLATFORM', `close failed: ${errorText(e)}`),
      };
      if (command?.code !== undefined) options.code = command.code;
      if (command?.reason !== undefined) options.reason = command.reason;
      try {
        t.close(options);
      } catch (e) {
        report('ERR_PLATFORM', `close failed: ${errorText(e)}`);
      }
    };

    // closeBeforeOpen: 'ignore' hands the close over while CONNECTING exactly as the platform documents; on an
    // ignoring platform it has no effect, so a later close must still be possible.
    const forwardIgnored = (t: SocketTaskLike, command: TaskCommand) => {
      closeTask(t, command);
      if (phase === 'connecting') closeSent = false;
    };

    const attach = (t: SocketTaskLike) => {
      if (!isTaskLike(t)) {
        failWithoutTask('ERR_PLATFORM', `connect returned no SocketTask (got ${errorText(t)})`);
        return;
      }
      task = t;
      // Listeners are registered synchronously, right after connect: WeChat fires onOpen only to listeners
      // that exist by then, and its tasks have no off*, so each is registered exactly once.
      t.onOpen((event) => {
        if (phase !== 'connecting') return;
        phase = 'open';
        if (stopped || pendingClose) {
          closeTask(t, pendingClose);
          if (stopped) return;
        }
        sendBack({ type: 'platform.open', generation, event: event ?? {} });
      });
      t.onMessage((event) => dataPath.message(generation, event));
      t.onError((event) => {
        if (phase === 'closed') return;
        errored = true;
        if (stopped) release();
        report(typeof event?.code === 'string' ? event.code : 'ERR_PLATFORM', errorText(event));
      });
      t.onClose((event) => {
        if (phase === 'closed') return;
        phase = 'closed';
        release();
        if (!stopped) sendBack({ type: 'platform.close', generation, event });
      });
      if (stopped) {
        if (aborts) closeTask(t, undefined);
        return;
      }
      dataPath.attach(generation, t);
      if (!pendingClose) return;
      if (aborts) closeTask(t, pendingClose);
      else if (pendingClose.when === 'now') {
        // closeBeforeOpen 'ignore', asked before the task was handed over (Taro). A task that arrives already
        // open reports that open a turn later (wrapNativeTask); a close asked before it had no effect on the
        // platform, so it is forwarded only if the task is still connecting by then.
        const ignored = pendingClose;
        pendingClose = undefined;
        defer(() => {
          if (phase === 'connecting' && !stopped) forwardIgnored(t, ignored);
        });
      }
    };

    // True until the url and header providers have answered: until then no socket exists to wait for.
    let resolving = true;
    const connect = (target: ConnectOptions) => {
      resolving = false;
      if (stopped || phase === 'closed') {
        phase = 'closed';
        release();
        return;
      }
      let created: SocketTaskLike | Promise<SocketTaskLike>;
      try {
        created = adapter.connect(target);
      } catch (e) {
        failWithoutTask(
          e instanceof SocketTaskError ? e.code : 'ERR_PLATFORM',
          `connect failed: ${errorText(e)}`,
        );
        return;
      }
      const attachSafely = (t: SocketTaskLike) => {
        try {
          attach(t);
        } catch (e) {
          // A task whose listener registration throws cannot be driven: reported, and closed if it can be.
          failWithoutTask('ERR_PLATFORM', `the task could not be used: ${errorText(e)}`);
          try {
            t.close({});
          } catch {}
        }
      };
      if (isThenable(created)) {
        created.then(attachSafely, (e: unknown) =>
          failWithoutTask('ERR_PLATFORM', `connect failed: ${errorText(e)}`),
        );
      } else attachSafely(created);
    };

    const invalidTarget = (e: unknown) => {
      resolving = false;
      failWithoutTask(e instanceof SocketTaskError ? e.code : 'ERR_INVALID_OPTIONS', errorText(e));
    };
    try {
      const target = input.resolveTarget();
      if (isThenable(target)) target.then(connect, invalidTarget);
      else connect(target);
    } catch (e) {
      invalidTarget(e);
    }

    receive((command) => {
      if (phase === 'closed' || closeSent) return;
      // A close while the providers have not answered (they may never): the attempt ends now, and no socket is
      // ever made for it.
      if (!task && resolving) {
        phase = 'closed';
        release();
        defer(() => {
          if (!stopped) sendBack({ type: 'platform.close', generation, event: { code: 1006, reason: '' } });
        });
        return;
      }
      if (!task) pendingClose = command;
      else if (phase === 'open' || aborts) closeTask(task, command);
      else if (command.when === 'now') forwardIgnored(task, command);
      else pendingClose = command;
    });

    // A socket that still has not reported its close when the linger ends is ended without a handshake where the
    // platform can (its close frame may be lost on a half-open link, and ws would wait 30 s for the answer).
    const abandon = () => {
      if (phase !== 'closed' && task?.abort !== undefined) {
        try {
          task.abort();
        } catch (e) {
          report('ERR_PLATFORM', `abort failed: ${errorText(e)}`);
        }
      }
      release();
    };

    return () => {
      stopped = true;
      if (phase === 'closed') return;
      // After an error many platforms never report a close (uni-app App, QQ's refusal over its limit): the socket
      // is presumed gone and its slot given back now. It is still closed below in case it is not.
      if (errored) release();
      // The socket may never report its close (a stalled handshake on an ignoring platform): bounded, like
      // every wait, after which the slot is given back anyway.
      linger = setTimeout(abandon, input.lingerTimeout);
      if (!task) return;
      if (phase === 'open' || aborts) closeTask(task, pendingClose);
      // An abandoned handshake (connect timeout, an error with no close): the close is handed over anyway, because
      // some runtimes of an 'ignored' profile do abort (DevTools, uni-app H5) and a stalled socket would otherwise
      // hold one of the platform's few slots; where it has no effect, onOpen closes the socket instead.
      else if (phase === 'connecting') forwardIgnored(task, pendingClose ?? { type: 'close', when: 'now' });
    };
  },
);
