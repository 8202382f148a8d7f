import { type Actor, type ActorOptions, type AnyActorRef, assign, createActor, enqueueActions } from 'xstate';

type AnyActorSystem = AnyActorRef['system'];

import { missingMethod, SOCKET_TASK_METHODS } from '../adapters/factory.js';
import type { ConnectOptions, ErrorEvent, SocketAdapter, SocketTaskLike } from '../adapters/types.js';
import { defer } from '../defer.js';
import { SocketTaskError } from '../errors.js';
import type { Slots } from '../limits/slots.js';
import { type ConnectionMachineInput, connectionMachine } from '../machines/connection.js';
import { closeArgs, type SocketReport, type TargetReport, taskMachine } from '../machines/task.js';
import type { ResolveTarget } from '../options/connectionOptions.js';
import type { ReconnectContext } from '../reconnect/backoff.js';
import type { ConnectionDataPath } from './dataPath.js';

/**
 * What one connection's machines act on: everything that is not data. The machines reach it through their actor
 * system, which a connection's actor and all its tasks share, so the machines themselves stay pure and are
 * provided with their effects once per module instead of once per connection.
 */
export interface ConnectionPorts {
  adapter: SocketAdapter;
  resolveTarget: ResolveTarget;
  dataPath: ConnectionDataPath;
  slots: Slots;
  shouldReconnect: ((close: ReconnectContext) => boolean) | undefined;
}

const portsBySystem = new WeakMap<AnyActorSystem, ConnectionPorts>();

// The ports of the actor being created: its initial state runs inside createActor(), before its system exists
// outside it to be bound.
let constructing: ConnectionPorts | undefined;

function portsOf(system: AnyActorSystem): ConnectionPorts {
  const ports = portsBySystem.get(system) ?? constructing;
  if (ports === undefined)
    throw new Error('socket-task-machine: an actor was started without its connection');
  return ports;
}

/** A connection's actor, not started yet, bound to its ports. */
export function createManagedActor(
  input: ConnectionMachineInput,
  ports: ConnectionPorts,
  options: Omit<ActorOptions<typeof connectionMachine>, 'input'> = {},
): Actor<typeof connectionMachine> {
  constructing = ports;
  try {
    const actor = createActor(managedConnectionMachine, { ...options, input });
    portsBySystem.set(actor.system, ports);
    return actor;
  } finally {
    constructing = undefined;
  }
}

function isThenable<T>(value: T | Promise<T>): value is Promise<T> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}

function errorText(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === 'object' && error !== null && typeof (error as ErrorEvent).errMsg === 'string') {
    return (error as ErrorEvent).errMsg;
  }
  return String(error);
}

function errorEvent(code: string, errMsg: string): ErrorEvent {
  return { errMsg, code };
}

type SocketEvent = SocketReport | TargetReport;

/**
 * One task machine's hold on the platform: the providers, then the socket the adapter hands over. It decides
 * nothing (the task machine does) and keeps no lifecycle state: it turns the machine's effect actions into platform
 * calls, and what the platform does into events for the machine. Messages bypass the machines (the hot path).
 */
class SocketHandle {
  /** The platform's task, once handed over. */
  private task: SocketTaskLike | undefined = undefined;
  /** The close a socket that was given up gets, should it open after all. */
  private lastClose: { code?: number; reason?: string } = {};
  /** Where the socket's events go: the task machine, until `disownSocket` sends them to `orphaned`. */
  private deliver: (event: SocketEvent) => void;

  constructor(
    private readonly ports: ConnectionPorts,
    private readonly generation: number,
    self: AnyActorRef,
  ) {
    this.deliver = (event) => self.send(event);
  }

  /** Calls the providers; returns the target when they answered at once, else reports it when they do. */
  resolve(): ConnectOptions | undefined {
    // A failure is reported a turn later: never inside createConnection(), before the user's listeners can exist.
    const invalid = (e: unknown) =>
      this.deliver({
        type: 'target.failed',
        event: errorEvent(e instanceof SocketTaskError ? e.code : 'ERR_INVALID_OPTIONS', errorText(e)),
      });
    let target: ConnectOptions | Promise<ConnectOptions>;
    try {
      target = this.ports.resolveTarget();
    } catch (e) {
      defer(() => invalid(e));
      return undefined;
    }
    if (!isThenable(target)) return target;
    target.then((t) => this.deliver({ type: 'target.ready', target: t }), invalid);
    return undefined;
  }

  connect(target: ConnectOptions): void {
    this.ports.dataPath.url = target.url;
    let created: SocketTaskLike | Promise<SocketTaskLike>;
    try {
      created = this.ports.adapter.connect(target);
    } catch (e) {
      this.failed(e instanceof SocketTaskError ? e.code : 'ERR_PLATFORM', `connect failed: ${errorText(e)}`);
      return;
    }
    if (isThenable(created)) {
      created.then(
        (t) => this.attach(t),
        (e: unknown) => this.failed('ERR_PLATFORM', `connect failed: ${errorText(e)}`),
      );
    } else this.attach(created);
  }

  close(args: { code?: number; reason?: string }): void {
    const t = this.task;
    if (t === undefined) return;
    const closeFailed = (e: unknown) =>
      this.deliver({
        type: 'socket.closeFailed',
        error: errorEvent('ERR_PLATFORM', `close failed: ${errorText(e)}`),
      });
    const options: { code?: number; reason?: string; fail: (e: ErrorEvent) => void } = { fail: closeFailed };
    if (args.code !== undefined) options.code = args.code;
    if (args.reason !== undefined) options.reason = args.reason;
    try {
      t.close(options);
    } catch (e) {
      closeFailed(e);
    }
  }

  /** Ends the socket without a handshake; false where the platform cannot. */
  abort(): boolean {
    const t = this.task;
    if (t?.abort === undefined) return false;
    try {
      t.abort();
    } catch (e) {
      this.deliver({
        type: 'socket.error',
        event: errorEvent('ERR_PLATFORM', `abort failed: ${errorText(e)}`),
      });
    }
    return true;
  }

  terminate(): void {
    if (!this.abort()) this.close({});
  }

  giveUp(args: { code?: number; reason?: string }): void {
    if (!this.abort()) this.lastClose = args;
  }

  settle(): void {
    defer(() => this.deliver({ type: 'socket.settled' }));
  }

  /**
   * The task machine has reached its end. The platform's listeners cannot be removed (WeChat's tasks have no off*),
   * so what they still report goes here: a socket given up while CONNECTING on a platform that ignored the close
   * is closed the moment it opens, and a task handed over only now is ended at once.
   */
  disown(): void {
    this.deliver = (event) => {
      if (event.type === 'socket.open') this.close(this.lastClose);
      else if (
        event.type === 'socket.handedOver' &&
        this.ports.adapter.profile.closeWhileConnecting === 'aborts'
      ) {
        this.close(this.lastClose);
      }
    };
  }

  // No task exists: reported a turn later, so that a platform failing inside connect() is not reported inside
  // createConnection(), before the user's listeners can exist.
  private failed(code: string, errMsg: string): void {
    defer(() => this.deliver({ type: 'socket.failed', event: errorEvent(code, errMsg) }));
  }

  private attach(t: SocketTaskLike): void {
    const missing = missingMethod(t, SOCKET_TASK_METHODS);
    if (missing !== undefined) {
      this.failed(
        'ERR_PLATFORM',
        `connect returned no SocketTask (got ${errorText(t)}, without ${missing}())`,
      );
      return;
    }
    const { generation } = this;
    const { dataPath } = this.ports;
    try {
      // Registered synchronously, right after connect: WeChat fires onOpen only to listeners that exist by
      // then, and its tasks have no off*, so each is registered exactly once.
      t.onOpen((event) => this.deliver({ type: 'socket.open', event: event ?? {} }));
      t.onMessage((event) => dataPath.message(generation, event));
      t.onError((event) =>
        this.deliver({
          type: 'socket.error',
          event: errorEvent(typeof event?.code === 'string' ? event.code : 'ERR_PLATFORM', errorText(event)),
        }),
      );
      t.onClose((event) => this.deliver({ type: 'socket.close', event }));
      t.onConnectFail?.((event) =>
        this.deliver({
          type: 'socket.failed',
          event: errorEvent(typeof event?.code === 'string' ? event.code : 'ERR_PLATFORM', errorText(event)),
        }),
      );
    } catch (e) {
      // A task whose listener registration throws cannot be driven: reported, and closed if it can be.
      this.failed('ERR_PLATFORM', `the platform refused a SocketTask listener: ${errorText(e)}`);
      try {
        t.close({});
      } catch {}
      return;
    }
    this.task = t;
    dataPath.attach(generation, t);
    this.deliver({ type: 'socket.handedOver' });
  }
}

// One handle per task actor, found by the actor the machine's actions run in.
const handles = new WeakMap<AnyActorRef, SocketHandle>();

function handleOf(self: AnyActorRef): SocketHandle {
  const handle = handles.get(self);
  if (handle === undefined)
    throw new Error('socket-task-machine: a task acted before it resolved its target');
  return handle;
}

/** The task machine with its effects: the slots, then the providers and the platform's socket. */
const managedTaskMachine = taskMachine.provide({
  actions: {
    takeSlot: ({ system }) => portsOf(system).slots.take(),
    releaseSlot: ({ system }) => portsOf(system).slots.release(),
    // Raised when the providers answer at once: the socket is then made in the same step, with no event between.
    resolveTarget: enqueueActions(({ context, self, system, enqueue }) => {
      const handle = new SocketHandle(portsOf(system), context.generation, self);
      handles.set(self, handle);
      const target = handle.resolve();
      if (target !== undefined) enqueue.raise({ type: 'target.ready', target });
    }),
    connectSocket: ({ context, self }) => handleOf(self).connect(context.target as ConnectOptions),
    closeSocket: ({ context, self }) => handleOf(self).close(closeArgs(context.request)),
    terminateSocket: ({ self }) => handleOf(self).terminate(),
    abortSocket: ({ context, self }) => handleOf(self).giveUp(closeArgs(context.request)),
    settleSocket: ({ self }) => handleOf(self).settle(),
    disownSocket: ({ self }) => handles.get(self)?.disown(),
  },
});

/** The connection machine as `createConnection` runs it: the same machine, with its effects supplied. */
export const managedConnectionMachine = connectionMachine.provide({
  actors: { task: managedTaskMachine },
  actions: {
    requestSlot: enqueueActions(({ system, enqueue }) =>
      enqueue.raise({ type: portsOf(system).slots.free() ? 'slot.granted' : 'slot.unavailable' }),
    ),
    waitForSlot: ({ self, system }) => portsOf(system).slots.wait(() => self.send({ type: 'slot.free' })),
    stopWaitingForSlot: ({ system }) => portsOf(system).slots.stopWaiting(),
    checkPong: enqueueActions(({ context, system, enqueue }) => {
      const { dataPath } = portsOf(system);
      if (dataPath.heardSincePing()) enqueue.raise({ type: 'heartbeat.heard' });
      else if (
        context.settings.heartbeat !== false &&
        dataPath.msSincePing() > 2 * context.settings.heartbeat.timeout
      ) {
        enqueue.raise({ type: 'heartbeat.late' });
      } else enqueue.raise({ type: 'heartbeat.silent' });
    }),
    assessClose: assign({
      retryable: ({ context, system }) => {
        const { shouldReconnect } = portsOf(system);
        // Asked only about a close that could be retried: not after close(), not once the retries ran out.
        if (
          shouldReconnect === undefined ||
          context.closeRequest !== null ||
          context.settings.reconnect === false ||
          context.retries >= context.settings.reconnect.maxRetries
        ) {
          return true;
        }
        return shouldReconnect({
          ...(context.closeInfo ?? { code: 1006, reason: '' }),
          retries: context.retries,
        });
      },
    }),
    sendHeartbeat: ({ system }) => portsOf(system).dataPath.ping(),
    flushQueue: ({ system }) => portsOf(system).dataPath.flush(),
    endQueue: ({ system }) => portsOf(system).dataPath.endQueue(),
    openDataPath: ({ context, system }) => portsOf(system).dataPath.open(context.generation),
    stopSending: ({ system }) => portsOf(system).dataPath.stopSending(),
    closeDataPath: ({ system }) => portsOf(system).dataPath.close(),
    pauseWrites: ({ system }) => portsOf(system).dataPath.pause(),
    resumeWrites: ({ system }) => portsOf(system).dataPath.resume(),
    watchDrain: ({ system }) => portsOf(system).dataPath.watchDrain(),
    stopWatchingDrain: ({ system }) => portsOf(system).dataPath.stopWatchingDrain(),
    reopenQueue: ({ system }) => portsOf(system).dataPath.reopen(),
  },
});
