import { assign, cancel, emit, enqueueActions, raise, setup, spawnChild, stateIn } from 'xstate';
import type { CloseEvent, ErrorEvent, OpenEvent, PlatformProfile } from '../adapters/types.js';
import type { ReconnectSchedule } from '../reconnect/backoff.js';
import { backoffCeiling, backoffDelay } from '../reconnect/backoff.js';
import { ABNORMAL_CLOSE, type TaskCommand, type TaskEvent, taskMachine } from './task.js';

/** What `connectionMachine` is started with: data only. `createConnection` builds it from validated options. */
export interface ConnectionMachineInput {
  /** The adapter's name, for the messages of its errors. */
  platform: string;
  closeWhileConnecting: PlatformProfile['closeWhileConnecting'];
  /** The sockets the platform allows at once through one adapter instance. */
  maxSockets: number;
  closeBeforeOpen: 'defer' | 'ignore';
  /** ms to wait for a close after an error before synthesising close 1006. */
  errorGrace: number;
  /** ms to wait for the platform's close after asking for one before synthesising close 1006. */
  closeTimeout: number;
  /** ms an attempt may stay in CONNECTING before it is abandoned; `false` never abandons it. */
  connectTimeout: number | false;
  /** Ping every `interval` ms while OPEN; no sign of life within `timeout` ms of a ping ends the socket. */
  heartbeat: { interval: number; timeout: number } | false;
  /** Retry after a close the user did not ask for; `false` ends the connection at its first close. */
  reconnect: ReconnectSchedule | false;
  /** After each open, hold the queue's flush until the application sends `user.ready`. */
  holdUntilReady: boolean;
  /** With no free slot: `'fail'` the attempt with `ERR_CONNECTION_LIMIT`, or `'wait'` in CONNECTING for one. */
  connectionLimit: 'fail' | 'wait';
}

export interface ConnectionContext {
  /**
   * The input, as given: it never changes. Kept apart from the state below so that the context stays small:
   * xstate copies the context on every assign, and V8 turns a copy of an object of twenty or more fields into a
   * dictionary (five times slower to make, four times bigger).
   */
  settings: ConnectionMachineInput;
  /** Number of the current attempt; events of any other attempt's task are ignored. */
  generation: number;
  closeRequest: { code?: number; reason?: string } | null;
  lastError: ErrorEvent | null;
  closeInfo: CloseEvent | null;
  /** Whether the last close may be retried, as `shouldReconnect` answered when it happened. */
  retryable: boolean;
  /** Reconnect attempts since the connection was last stable. */
  retries: number;
  /** ms of the wait before the next attempt, drawn when the wait starts. */
  retryDelay: number;
  /** Wall-clock time (ms since the epoch) of the next attempt, while waiting for it. */
  nextRetryAt: number | null;
  /** The last lifecycle signals: no attempt is made while offline or in the background. */
  offline: boolean;
  background: boolean;
  /** The current attempt reached OPEN: only then may a retry skip the backoff. */
  opened: boolean;
  /** `reconnect()` was called while the socket was closing: once CLOSED, a new attempt starts at once. */
  reconnectRequested: boolean;
}

export type ConnectionEvent =
  /** `dispose`: the signal aborted, so the close takes effect whatever `closeBeforeOpen` says. */
  | { type: 'user.close'; code?: number; reason?: string; dispose?: boolean }
  | { type: 'user.ready' }
  /** `reconnect()`: a new attempt now, not counted as a retry. */
  | { type: 'user.reconnect' }
  /** Every platform socket of the ended life is gone (its task machines reached their final states). */
  | { type: 'life.released' }
  /** createConnection listens again for the new life: its first attempt may start. */
  | { type: 'life.resumed' }
  /** The attempt's connectTimeout elapsed, raised only where one is set. */
  | { type: 'connect.timeout' }
  | { type: 'slot.granted' }
  | { type: 'slot.unavailable' }
  | { type: 'slot.free' }
  /** The data path's answers about the socket's buffer: it reached the high-water mark, or fell below it. */
  | { type: 'buffer.full' }
  | { type: 'buffer.drained' }
  | { type: 'heartbeat.heard' }
  | { type: 'heartbeat.late' }
  | { type: 'heartbeat.silent' }
  | { type: 'lifecycle.online' }
  | { type: 'lifecycle.offline' }
  | { type: 'lifecycle.foreground' }
  | { type: 'lifecycle.background' }
  | TaskEvent;

export type ConnectionEmitted =
  | { type: 'giveup'; event: { reason: 'max-retries' | 'not-retryable'; retries: number; close: CloseEvent } }
  | { type: 'open'; event: OpenEvent }
  | { type: 'error'; event: ErrorEvent }
  | { type: 'close'; event: CloseEvent }
  /** The socket's buffer fell below the high-water mark and the sends waiting for it were written. */
  | { type: 'drain' }
  /** Ready for the application's traffic: the queue was written after an open, or `ready()` released it. */
  | { type: 'ready' }
  /** A `close()` under `closeBeforeOpen: 'ignore'` that the platform refused: it had no effect. */
  | { type: 'closeRefused'; error: ErrorEvent }
  /** This life ended (CLOSED.terminated): its close() calls settle, its signal and lifecycle are let go. */
  | { type: 'terminated'; close: CloseEvent }
  /** The platform's sockets of this life are gone too: `closed` settles. */
  | { type: 'lifeOver'; close: CloseEvent }
  /** `reconnect()` started a new life after the last one ended, with the same listeners. */
  | { type: 'revived' };

type TaskRef = { send(command: TaskCommand): void; getSnapshot(): { status: string } };

/** The current attempt's task, unless it already ended (its close is then on its way to the machine). */
function liveTask(self: {
  getSnapshot(): { children?: Record<string, unknown> } | undefined;
}): TaskRef | undefined {
  // Pure transitions (xstate/graph, machine.transition) have no running actor, hence no snapshot and no child.
  const task = self.getSnapshot()?.children?.task as TaskRef | undefined;
  return task !== undefined && task.getSnapshot().status === 'active' ? task : undefined;
}

/** `enqueueActions` typed for this machine, for the actions built outside its `setup()`. */
const connectionActions = enqueueActions<
  ConnectionContext,
  ConnectionEvent,
  undefined,
  ConnectionEvent,
  never,
  never,
  never,
  never,
  never
>;

function commandTask(command: (context: ConnectionContext, event: ConnectionEvent) => TaskCommand) {
  return connectionActions(({ context, event, self, enqueue }) => {
    const task = liveTask(self);
    if (task !== undefined) enqueue.sendTo(task as never, command(context, event) as never);
  });
}

/** connectTimeout: false sets no timer at all, so nothing is scheduled for a wait that may last forever. */
function startConnectTimer() {
  return connectionActions(({ context, enqueue }) => {
    if (context.settings.connectTimeout === false) return;
    enqueue.raise(
      { type: 'connect.timeout' },
      { id: 'connectTimeout', delay: context.settings.connectTimeout },
    );
  });
}

function userClose(
  context: ConnectionContext,
  event: ConnectionEvent,
  type: 'close' | 'close.forward',
): TaskCommand {
  // reconnect() ends the socket normally: 1000.
  const request =
    event.type === 'user.close'
      ? event
      : event.type === 'user.reconnect'
        ? { code: 1000 }
        : (context.closeRequest ?? {});
  const command: { type: 'close' | 'close.forward'; code?: number; reason?: string } = { type };
  if (request.code !== undefined) command.code = request.code;
  if (request.reason !== undefined) command.reason = request.reason;
  return command;
}

/** The context a connection starts with, from its input. */
export function initialContext(input: ConnectionMachineInput): ConnectionContext {
  return {
    settings: input,
    generation: 0,
    closeRequest: null,
    lastError: null,
    closeInfo: null,
    retryable: true,
    retries: 0,
    retryDelay: 0,
    nextRetryAt: null,
    offline: false,
    background: false,
    opened: false,
    reconnectRequested: false,
  };
}

/**
 * The manager users run. Its top-level states are the four readyStates; sub-states carry what platforms lack:
 * `CONNECTING.awaitingSlot` waits for the platform's socket limit, `CONNECTING.closePending` remembers a close
 * asked for before open, `OPEN.queue.held` holds queued messages until the application is ready,
 * `OPEN.heartbeat` detects a half-open socket, `CLOSING.failed` waits a grace period for the close that may never
 * follow an error, `CLOSED.waiting` and `CLOSED.suspended` (offline, in the background) come before a retry,
 * and `CLOSED.terminated` is the end. Each attempt's socket is a `task` (src/machines/task.ts).
 *
 * Its context is data only. Its effects are named actions whose implementations here do nothing (or, for the
 * questions it asks of the outside world, give the answer of an idle world): `createConnection` supplies the real
 * ones with `.provide()`, as a test or Stately may supply its own.
 */
export const connectionMachine = setup({
  types: {
    input: {} as ConnectionMachineInput,
    context: {} as ConnectionContext,
    events: {} as ConnectionEvent,
    emitted: {} as ConnectionEmitted,
  },
  actors: {
    task: taskMachine,
  },
  guards: {
    isCurrentTask: ({ context, event }) => 'generation' in event && event.generation === context.generation,
    abortsWhileConnecting: ({ context }) => context.settings.closeWhileConnecting === 'aborts',
    closeTakesEffectAtOpen: ({ context, event }) =>
      context.settings.closeBeforeOpen === 'defer' || (event.type === 'user.close' && event.dispose === true),
    hasHeartbeat: ({ context }) => context.settings.heartbeat !== false,
    reconnects: ({ context }) => context.settings.reconnect !== false,
    closeWasRequested: ({ context }) => context.closeRequest !== null,
    reconnectWasRequested: ({ context }) => context.reconnectRequested,
    noCloseRequested: ({ context }) => context.closeRequest === null,
    reconnectsNever: ({ context }) => context.settings.reconnect === false,
    retriesExhausted: ({ context }) =>
      context.settings.reconnect !== false && context.retries >= context.settings.reconnect.maxRetries,
    notRetryable: ({ context }) => !context.retryable,
    isSuspended: ({ context }) => context.offline || context.background,
    retriesAtOnce: ({ context }) =>
      context.opened &&
      context.settings.reconnect !== false &&
      backoffCeiling(context.settings.reconnect, context.retries) === 0,
    // Read before the signal is recorded: the other condition must already be clear.
    isActiveWhenOnline: ({ context }) => !context.background,
    isActiveInForeground: ({ context }) => !context.offline,
    // Back online or in the foreground after an open: the connection comes back at once. After a failed
    // attempt it waits its backoff, so no sequence of signals can make attempts faster than the backoff allows.
    resumesWhenOnline: ({ context }) => !context.background && context.opened,
    resumesInForeground: ({ context }) => !context.offline && context.opened,
    waitsForSlot: ({ context }) => context.settings.connectionLimit === 'wait',
    holdsUntilReady: ({ context }) => context.settings.holdUntilReady,
    // While the queue is held for ready(), the application's own sends go straight out: they are what ready waits on.
    queueFlows: stateIn('#connection.OPEN.queue.flowing'),
  },
  delays: {
    errorGrace: ({ context }) => context.settings.errorGrace,
    closeTimeout: ({ context }) => context.settings.closeTimeout,
    retryDelay: ({ context }) => context.retryDelay,
    stableAfter: ({ context }) =>
      context.settings.reconnect === false ? 0 : context.settings.reconnect.stableAfter,
    heartbeatInterval: ({ context }) =>
      context.settings.heartbeat === false ? 0 : context.settings.heartbeat.interval,
    heartbeatTimeout: ({ context }) =>
      context.settings.heartbeat === false ? 0 : context.settings.heartbeat.timeout,
  },
  actions: {
    startAttempt: assign({ generation: ({ context }) => context.generation + 1, opened: false }),
    markOpened: assign({ opened: true }),
    startConnectTimer: startConnectTimer(),
    stopConnectTimer: cancel('connectTimeout'),
    spawnTask: spawnChild('task', {
      id: 'task',
      input: ({ context }) => ({
        generation: context.generation,
        closeWhileConnecting: context.settings.closeWhileConnecting,
        closeTimeout: context.settings.closeTimeout,
      }),
    }),
    // The last call wins: a close() after reconnect() calls the new attempt off.
    rememberClose: assign({
      reconnectRequested: false,
      closeRequest: ({ event }) => {
        if (event.type !== 'user.close') return null;
        const request: { code?: number; reason?: string } = {};
        if (event.code !== undefined) request.code = event.code;
        if (event.reason !== undefined) request.reason = event.reason;
        return request;
      },
    }),
    forgetClose: assign({ closeRequest: null }),
    closeTask: commandTask((context, event) => userClose(context, event, 'close')),
    forwardClose: commandTask((context, event) => userClose(context, event, 'close.forward')),
    // The connection moved on: the task ends its socket by itself, and its later events carry a stale generation.
    abandonTask: commandTask(() => ({ type: 'abandon' })),
    terminateTask: commandTask(() => ({ type: 'terminate' })),
    emitCloseRefused: emit(({ event }) => ({
      type: 'closeRefused' as const,
      error: event.type === 'platform.closeRefused' ? event.error : { errMsg: 'close failed' },
    })),
    recordError: assign({
      lastError: ({ event, context }) => (event.type === 'platform.error' ? event.event : context.lastError),
    }),
    emitError: emit(({ context }) => ({
      type: 'error' as const,
      event: context.lastError ?? { errMsg: 'error' },
    })),
    recordClose: assign({
      closeInfo: ({ event }) => (event.type === 'platform.close' ? event.event : null),
    }),
    synthesizeAbnormalClose: assign({ closeInfo: ABNORMAL_CLOSE }),
    // Whether to retry is the user's shouldReconnect, asked once per close; createConnection supplies it.
    assessClose: assign({ retryable: true }),
    recordConnectTimeout: assign({
      lastError: ({ context }) => ({
        errMsg: `connect timeout: still CONNECTING after ${String(context.settings.connectTimeout)} ms; the attempt was abandoned`,
        code: 'ERR_CONNECT_TIMEOUT',
      }),
    }),
    emitOpen: emit(({ event }) => ({
      type: 'open' as const,
      event: event.type === 'platform.open' ? event.event : {},
    })),
    emitDrain: emit({ type: 'drain' as const }),
    emitReady: emit({ type: 'ready' as const }),
    requestReconnect: assign({ reconnectRequested: true }),
    forgetReconnect: assign({ reconnectRequested: false }),
    // A life after close() or a give-up: the retries, the close asked for and the last error start anew.
    // The last life's lifecycle signals may be stale (nothing listened since it ended): assumed good, as for a new
    // connection, until the source reports the current ones when it is subscribed to again.
    revive: assign({
      retries: 0,
      closeRequest: null,
      lastError: null,
      closeInfo: null,
      retryable: true,
      reconnectRequested: false,
      offline: false,
      background: false,
    }),
    reopenQueue: () => undefined,
    emitTerminated: emit(({ context }) => ({
      type: 'terminated' as const,
      close: context.closeInfo ?? ABNORMAL_CLOSE,
    })),
    emitLifeOver: emit(({ context }) => ({
      type: 'lifeOver' as const,
      close: context.closeInfo ?? ABNORMAL_CLOSE,
    })),
    emitRevived: emit({ type: 'revived' as const }),
    emitClose: emit(({ context }) => ({
      type: 'close' as const,
      event: context.closeInfo ?? ABNORMAL_CLOSE,
    })),
    scheduleRetry: assign(({ context }) => {
      const retryDelay =
        context.settings.reconnect === false
          ? 0
          : backoffDelay(context.settings.reconnect, context.retries, Math.random());
      return { retryDelay, nextRetryAt: Date.now() + retryDelay };
    }),
    // Every attempt after the first is a retry. It spends the open that allowed it to skip the backoff: if it
    // fails before it opens, the next one waits.
    countRetry: assign({ retries: ({ context }) => context.retries + 1, nextRetryAt: null, opened: false }),
    resetRetries: assign({ retries: 0 }),
    emitGiveUp: emit(({ context }, params: { reason: 'max-retries' | 'not-retryable' }) => ({
      type: 'giveup' as const,
      event: { reason: params.reason, retries: context.retries, close: context.closeInfo ?? ABNORMAL_CLOSE },
    })),
    recordHeartbeatTimeout: assign({
      lastError: ({ context }) => ({
        errMsg: `heartbeat timeout: nothing received within ${context.settings.heartbeat === false ? 0 : context.settings.heartbeat.timeout} ms of a ping; the connection is presumed dead`,
        code: 'ERR_HEARTBEAT_TIMEOUT',
      }),
    }),
    recordConnectionLimit: assign({
      lastError: ({ context }) => ({
        errMsg: `connection limit: the ${context.settings.platform} platform allows ${context.settings.maxSockets} sockets at once and all are open through this adapter; close one, or pass connectionLimit: 'wait'`,
        code: 'ERR_CONNECTION_LIMIT',
      }),
    }),
    recordUserClose: assign({
      closeInfo: ({ event }) => ({
        code: event.type === 'user.close' && event.code !== undefined ? event.code : 1000,
        reason: event.type === 'user.close' && event.reason !== undefined ? event.reason : '',
      }),
    }),
    recordOffline: assign({ offline: true }),
    recordOnline: assign({ offline: false }),
    recordBackground: assign({ background: true }),
    recordForeground: assign({ background: false }),
    clearNextRetry: assign({ nextRetryAt: null }),
    // Questions to the outside world, answered with an event: the platform's slots, the data path's last message.
    requestSlot: raise({ type: 'slot.granted' }),
    checkPong: raise({ type: 'heartbeat.heard' }),
    // Effects on the slots and the data path, supplied by createConnection.
    waitForSlot: () => undefined,
    stopWaitingForSlot: () => undefined,
    sendHeartbeat: () => undefined,
    flushQueue: () => undefined,
    endQueue: () => undefined,
    openDataPath: () => undefined,
    stopSending: () => undefined,
    closeDataPath: () => undefined,
    pauseWrites: () => undefined,
    resumeWrites: () => undefined,
    watchDrain: () => undefined,
    stopWatchingDrain: () => undefined,
  },
}).createMachine({
  id: 'connection',
  context: ({ input }) => initialContext(input),
  initial: 'CONNECTING',
  // Lifecycle signals are always recorded; the states that act on them (waiting, suspended) say so below.
  on: {
    'lifecycle.offline': { actions: 'recordOffline' },
    'lifecycle.online': { actions: 'recordOnline' },
    'lifecycle.background': { actions: 'recordBackground' },
    'lifecycle.foreground': { actions: 'recordForeground' },
  },
  states: {
    CONNECTING: {
      entry: 'startConnectTimer',
      exit: 'stopConnectTimer',
      initial: 'acquiringSlot',
      states: {
        // The platform's socket limit (maxConcurrent) is checked before connect(), never discovered from its error.
        acquiringSlot: {
          entry: 'requestSlot',
          on: {
            'slot.granted': { target: 'handshake' },
            'slot.unavailable': [
              { guard: 'waitsForSlot', target: 'awaitingSlot' },
              {
                target: '#connection.CLOSED',
                actions: ['recordConnectionLimit', 'emitError', 'synthesizeAbnormalClose'],
              },
            ],
          },
        },
        awaitingSlot: {
          entry: 'waitForSlot',
          exit: 'stopWaitingForSlot',
          on: {
            'slot.free': { target: 'acquiringSlot' },
            'user.close': {
              target: '#connection.CLOSED',
              actions: ['rememberClose', 'endQueue', 'recordUserClose'],
            },
          },
        },
        // A new generation per task: events of any earlier task are stale from here on.
        handshake: {
          entry: ['startAttempt', 'spawnTask'],
          on: {
            'platform.open': { guard: 'isCurrentTask', target: '#connection.OPEN' },
            'user.close': [
              {
                guard: 'abortsWhileConnecting',
                target: '#connection.CLOSING',
                actions: ['rememberClose', 'endQueue', 'closeTask'],
              },
              {
                guard: 'closeTakesEffectAtOpen',
                target: 'closePending',
                // The task holds the close until its socket opens, or ends the attempt if it has no socket yet.
                actions: ['rememberClose', 'endQueue', 'closeTask'],
              },
              // closeBeforeOpen: 'ignore': handed to the platform, which ignores it, as documented. Nothing ends
              // until it does take effect, so the queue stays open.
              { actions: ['rememberClose', 'forwardClose'] },
            ],
            // The platform said no to that close: it had no effect, and the connection goes on as if never asked.
            'platform.closeRefused': { guard: 'isCurrentTask', actions: ['forgetClose', 'emitCloseRefused'] },
          },
        },
        // Bounded like every wait: a handshake that never completes ends here after closeTimeout.
        closePending: {
          // The task closed its socket the moment it opened; the handshake of that close is CLOSING.
          on: { 'platform.open': { guard: 'isCurrentTask', target: '#connection.CLOSING' } },
          after: {
            closeTimeout: {
              target: '#connection.CLOSED',
              actions: ['synthesizeAbnormalClose', 'abandonTask'],
            },
          },
        },
      },
      on: {
        // Another attempt now: this one is abandoned (its socket closed as the platform allows), not a retry.
        'user.reconnect': [
          {
            guard: 'noCloseRequested',
            target: '#connection.CONNECTING',
            reenter: true,
            actions: 'abandonTask',
          },
          // A close() is under way: the next life starts once this one is over.
          { actions: 'requestReconnect' },
        ],
        'connect.timeout': {
          target: 'CLOSED',
          actions: ['recordConnectTimeout', 'emitError', 'synthesizeAbnormalClose', 'abandonTask'],
        },
        'platform.error': {
          guard: 'isCurrentTask',
          target: 'CLOSING.failed',
          actions: ['recordError', 'emitError', 'closeTask'],
        },
        'platform.close': { guard: 'isCurrentTask', target: 'CLOSED', actions: 'recordClose' },
      },
    },
    OPEN: {
      entry: ['markOpened', 'openDataPath'],
      type: 'parallel',
      states: {
        // Messages queued while not OPEN are written before the onOpen listeners run, so none can overtake them.
        queue: {
          initial: 'opened',
          states: {
            opened: {
              always: [
                { guard: 'holdsUntilReady', target: 'held', actions: 'emitOpen' },
                { target: 'flowing', actions: ['flushQueue', 'emitOpen', 'emitReady'] },
              ],
            },
            // The application authenticates from onOpen (its sends go straight out) and then calls ready().
            held: { on: { 'user.ready': { target: 'flowing', actions: ['flushQueue', 'emitReady'] } } },
            flowing: {},
          },
        },
        heartbeat: {
          initial: 'starting',
          states: {
            starting: { always: [{ guard: 'hasHeartbeat', target: 'live' }, { target: 'off' }] },
            off: {},
            live: { after: { heartbeatInterval: { target: 'awaitingPong', actions: 'sendHeartbeat' } } },
            awaitingPong: { after: { heartbeatTimeout: { target: 'checkingPong' } } },
            // Inbound data bypasses the machine (the hot path), so a sign of life is read when the timeout fires.
            // Throttled or frozen timers (a background tab, a suspended mini-program) fire late, and a pong queued
            // behind them proves nothing missing: when far more wall-clock time passed than the timeout, ping again.
            checkingPong: {
              entry: 'checkPong',
              on: {
                'heartbeat.heard': { target: 'live' },
                'heartbeat.late': { target: 'awaitingPong', actions: 'sendHeartbeat' },
                // Presumed dead: ended without a handshake where the platform can, and CLOSED at once.
                'heartbeat.silent': {
                  target: '#connection.CLOSED',
                  actions: [
                    'recordHeartbeatTimeout',
                    'emitError',
                    'synthesizeAbnormalClose',
                    'terminateTask',
                  ],
                },
              },
            },
          },
        },
        // Backpressure: at the high-water mark, sends wait in the queue until the socket's buffer drains.
        buffer: {
          initial: 'below',
          states: {
            below: { on: { 'buffer.full': { guard: 'queueFlows', target: 'above' } } },
            above: {
              entry: ['pauseWrites', 'watchDrain'],
              exit: 'stopWatchingDrain',
              on: {
                'buffer.drained': { target: 'below', actions: ['resumeWrites', 'flushQueue', 'emitDrain'] },
              },
            },
          },
        },
        // A connection that stays up stableAfter ms is healthy again: the next drop starts the backoff anew.
        stability: {
          initial: 'starting',
          states: {
            starting: { always: [{ guard: 'reconnects', target: 'proving' }, { target: 'untracked' }] },
            proving: { after: { stableAfter: { target: 'stable', actions: 'resetRetries' } } },
            stable: {},
            untracked: {},
          },
        },
      },
      on: {
        'user.close': { target: 'CLOSING', actions: ['rememberClose', 'endQueue', 'closeTask'] },
        // The socket is closed with 1000 and, once CLOSED, a new attempt starts at once; the queue stays open.
        'user.reconnect': { target: 'CLOSING', actions: ['requestReconnect', 'closeTask'] },
        'platform.error': {
          guard: 'isCurrentTask',
          target: 'CLOSING.failed',
          actions: ['recordError', 'emitError', 'closeTask'],
        },
        'platform.close': { guard: 'isCurrentTask', target: 'CLOSED', actions: 'recordClose' },
      },
    },
    CLOSING: {
      entry: 'stopSending',
      initial: 'closeRequested',
      states: {
        closeRequested: {
          after: {
            closeTimeout: {
              target: '#connection.CLOSED',
              actions: ['synthesizeAbnormalClose', 'abandonTask'],
            },
          },
          on: {
            'platform.error': {
              guard: 'isCurrentTask',
              target: 'failed',
              actions: ['recordError', 'emitError'],
            },
          },
        },
        failed: {
          after: {
            errorGrace: { target: '#connection.CLOSED', actions: ['synthesizeAbnormalClose', 'abandonTask'] },
          },
          on: {
            'platform.error': { guard: 'isCurrentTask', actions: ['recordError', 'emitError'] },
          },
        },
      },
      on: {
        'platform.close': { guard: 'isCurrentTask', target: 'CLOSED', actions: 'recordClose' },
        // Already closing (after an error, say): nothing more to do now, but no retry once CLOSED.
        'user.close': { actions: ['rememberClose', 'endQueue'] },
        // Waits for the close under way rather than racing it: the new attempt starts once CLOSED.
        'user.reconnect': { actions: 'requestReconnect' },
      },
    },
    CLOSED: {
      entry: ['closeDataPath', 'emitClose', 'assessClose'],
      initial: 'deciding',
      states: {
        deciding: {
          always: [
            { guard: 'closeWasRequested', target: 'terminated' },
            { guard: 'reconnectWasRequested', target: '#connection.CONNECTING', actions: 'forgetReconnect' },
            { guard: 'reconnectsNever', target: 'terminated' },
            {
              guard: 'retriesExhausted',
              target: 'terminated',
              actions: { type: 'emitGiveUp', params: { reason: 'max-retries' } },
            },
            {
              guard: 'notRetryable',
              target: 'terminated',
              actions: { type: 'emitGiveUp', params: { reason: 'not-retryable' } },
            },
            { guard: 'isSuspended', target: 'suspended' },
            // A lost connection comes back at once, without a timer's minimum delay. Only after an OPEN one: an
            // attempt that failed (a platform failing synchronously) waits on the timer, so it cannot spin.
            { guard: 'retriesAtOnce', target: '#connection.CONNECTING', actions: 'countRetry' },
            { target: 'waiting' },
          ],
        },
        // The next attempt calls the url and header providers anew, so tokens can be refreshed.
        waiting: {
          entry: 'scheduleRetry',
          exit: 'clearNextRetry',
          after: { retryDelay: { target: '#connection.CONNECTING', actions: 'countRetry' } },
          on: {
            'user.close': { target: 'terminated', actions: 'rememberClose' },
            // The wait is skipped; not a retry.
            'user.reconnect': { target: '#connection.CONNECTING' },
            'lifecycle.offline': { target: 'suspended', actions: 'recordOffline' },
            'lifecycle.background': { target: 'suspended', actions: 'recordBackground' },
          },
        },
        // Offline or in the background: no attempt (a suspended mini-program refuses them). Back after an open,
        // the first attempt is made at once; after a failed attempt, it waits its backoff.
        suspended: {
          on: {
            'user.close': { target: 'terminated', actions: 'rememberClose' },
            // The application knows better than the signals: an attempt now, not a retry.
            'user.reconnect': { target: '#connection.CONNECTING' },
            'lifecycle.online': [
              {
                guard: 'resumesWhenOnline',
                target: '#connection.CONNECTING',
                actions: ['recordOnline', 'countRetry'],
              },
              { guard: 'isActiveWhenOnline', target: 'waiting', actions: 'recordOnline' },
              { actions: 'recordOnline' },
            ],
            'lifecycle.foreground': [
              {
                guard: 'resumesInForeground',
                target: '#connection.CONNECTING',
                actions: ['recordForeground', 'countRetry'],
              },
              { guard: 'isActiveInForeground', target: 'waiting', actions: 'recordForeground' },
              { actions: 'recordForeground' },
            ],
          },
        },
        // The end of a life: its close() calls settle at once, its `closed` once its platform sockets are gone
        // too (each task machine runs to its final state by itself, bounded by closeTimeout). reconnect() starts
        // the next life, with the same listeners and retries from 0; asked for before the sockets are gone, it
        // waits for them.
        terminated: {
          entry: ['endQueue', 'emitTerminated'],
          initial: 'releasing',
          states: {
            releasing: {
              on: {
                'user.reconnect': { actions: 'requestReconnect' },
                // The last call wins: a close() after reconnect() calls the next life off.
                'user.close': { guard: 'reconnectWasRequested', actions: 'forgetReconnect' },
                'life.released': [
                  { guard: 'reconnectWasRequested', target: 'reviving', actions: 'emitLifeOver' },
                  { target: 'over' },
                ],
              },
            },
            over: {
              entry: 'emitLifeOver',
              on: { 'user.reconnect': { target: 'reviving' } },
            },
            // A new life, once createConnection listens to the signal and the lifecycle source again: what they
            // report on subscribing (offline, say) is recorded before the first attempt decides anything.
            reviving: {
              entry: ['revive', 'reopenQueue', 'emitRevived'],
              on: { 'life.resumed': { target: '#connection.CONNECTING' } },
            },
          },
        },
      },
    },
  },
});
