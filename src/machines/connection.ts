import { assign, emit, sendTo, setup, spawnChild, stopChild } from 'xstate';
import type { CloseEvent, ErrorEvent, OpenEvent, SocketAdapter } from '../adapters/types.js';
import type { ReconnectPolicy } from '../reconnect.js';
import { backoffCeiling, backoffDelay } from '../reconnect.js';
import type { Slots } from '../slots.js';
import type { DataPath } from './dataPath.js';
import { type ResolveTarget, socketTaskActor, type TaskEvent } from './taskActor.js';

/** What `connectionMachine` is started with; `createConnection` builds it from validated options. */
export interface ConnectionMachineInput {
  adapter: SocketAdapter;
  resolveTarget: ResolveTarget;
  dataPath: DataPath;
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
  reconnect: ReconnectPolicy | false;
  /** After each open, hold the queue's flush until the application sends `user.ready`. */
  holdUntilReady: boolean;
  /** The adapter's socket slots (its profile's `maxConcurrent`). */
  slots: Slots;
  /** With no free slot: `'fail'` the attempt with `ERR_CONNECTION_LIMIT`, or `'wait'` in CONNECTING for one. */
  connectionLimit: 'fail' | 'wait';
}

export interface ConnectionContext extends ConnectionMachineInput {
  /** Number of the current attempt; events of any other attempt's task are ignored. */
  generation: number;
  closeRequest: { code?: number; reason?: string } | null;
  lastError: ErrorEvent | null;
  closeInfo: CloseEvent | null;
  /** Reconnect attempts since the connection was last stable. */
  retries: number;
  /** ms of the wait before the next attempt, drawn when the wait starts. */
  retryDelay: number;
  /** Wall-clock time (ms since the epoch) of the next attempt, while waiting for it. */
  nextRetryAt: number | null;
  /** The last lifecycle signals: no attempt is made while offline or in the background. */
  offline: boolean;
  background: boolean;
  /** The current attempt reached OPEN: only then may a zero-delay retry skip the timer. */
  opened: boolean;
}

export type ConnectionEvent =
  | { type: 'user.close'; code?: number; reason?: string }
  | { type: 'user.ready' }
  | { type: 'slot.free' }
  | { type: 'lifecycle.online' }
  | { type: 'lifecycle.offline' }
  | { type: 'lifecycle.foreground' }
  | { type: 'lifecycle.background' }
  | TaskEvent;

export type ConnectionEmitted =
  | { type: 'giveup'; event: { reason: 'max-retries' | 'not-retryable'; retries: number; close: CloseEvent } }
  | { type: 'open'; event: OpenEvent }
  | { type: 'error'; event: ErrorEvent }
  | { type: 'close'; event: CloseEvent };

/**
 * The manager users run. Its top-level states are the four readyStates; sub-states carry what platforms lack:
 * `CONNECTING.awaitingSlot` waits for the platform's socket limit, `CONNECTING.closePending` remembers a close
 * asked for before open, `OPEN.queue.held` holds queued messages until the application is ready,
 * `OPEN.heartbeat` detects a half-open socket, `CLOSING.failed` waits a grace period for the close that may never
 * follow an error, `CLOSED.waiting` and `CLOSED.suspended` (offline, in the background) come before a retry,
 * and `CLOSED.terminated` is the end.
 */
export const connectionMachine = setup({
  types: {
    input: {} as ConnectionMachineInput,
    context: {} as ConnectionContext,
    events: {} as ConnectionEvent,
    emitted: {} as ConnectionEmitted,
  },
  actors: {
    socketTask: socketTaskActor,
  },
  guards: {
    isCurrentTask: ({ context, event }) => 'generation' in event && event.generation === context.generation,
    abortsWhileConnecting: ({ context }) => context.adapter.profile.closeWhileConnecting === 'aborts',
    defersCloseBeforeOpen: ({ context }) => context.closeBeforeOpen === 'defer',
    hasConnectTimeout: ({ context }) => context.connectTimeout !== false,
    hasHeartbeat: ({ context }) => context.heartbeat !== false,
    closeWasRequested: ({ context }) => context.closeRequest !== null,
    reconnectsNever: ({ context }) => context.reconnect === false,
    retriesExhausted: ({ context }) =>
      context.reconnect !== false && context.retries >= context.reconnect.maxRetries,
    shouldNotReconnect: ({ context }) =>
      context.reconnect === false ||
      !context.reconnect.shouldReconnect({
        ...(context.closeInfo ?? { code: 1006, reason: '' }),
        retries: context.retries,
      }),
    isSuspended: ({ context }) => context.offline || context.background,
    retriesAtOnce: ({ context }) =>
      context.opened &&
      context.reconnect !== false &&
      backoffCeiling(context.reconnect, context.retries) === 0,
    // Read before the signal is recorded: the other condition must already be clear.
    isActiveWhenOnline: ({ context }) => !context.background,
    isActiveInForeground: ({ context }) => !context.offline,
    hasFreeSlot: ({ context }) => context.slots.free(),
    waitsForSlot: ({ context }) => context.connectionLimit === 'wait',
    holdsUntilReady: ({ context }) => context.holdUntilReady,
    heardSinceHeartbeat: ({ context }) => context.dataPath.heardSincePing(),
    // Throttled or frozen timers (a background tab, a suspended mini-program) fire late, and a pong queued behind
    // them proves nothing missing: when far more wall-clock time passed than the timeout, ping again instead.
    heartbeatTimerWasThrottled: ({ context }) =>
      context.heartbeat !== false && context.dataPath.msSincePing() > 2 * context.heartbeat.timeout,
  },
  delays: {
    errorGrace: ({ context }) => context.errorGrace,
    closeTimeout: ({ context }) => context.closeTimeout,
    // A disabled timeout still needs a finite delay: setTimeout treats Infinity as 1 ms. The guard never lets it fire.
    connectTimeout: ({ context }) =>
      context.connectTimeout === false ? 2 ** 31 - 1 : context.connectTimeout,
    retryDelay: ({ context }) => context.retryDelay,
    stableAfter: ({ context }) => (context.reconnect === false ? 2 ** 31 - 1 : context.reconnect.stableAfter),
    heartbeatInterval: ({ context }) =>
      context.heartbeat === false ? 2 ** 31 - 1 : context.heartbeat.interval,
    heartbeatTimeout: ({ context }) =>
      context.heartbeat === false ? 2 ** 31 - 1 : context.heartbeat.timeout,
  },
  actions: {
    startAttempt: assign({ generation: ({ context }) => context.generation + 1, opened: false }),
    markOpened: assign({ opened: true }),
    spawnTask: spawnChild('socketTask', {
      id: 'task',
      input: ({ context }) => ({
        generation: context.generation,
        adapter: context.adapter,
        resolveTarget: context.resolveTarget,
        dataPath: context.dataPath,
        slots: context.slots,
        lingerTimeout: context.closeTimeout,
      }),
    }),
    stopTask: stopChild('task'),
    rememberClose: assign({
      closeRequest: ({ event }) => {
        if (event.type !== 'user.close') return null;
        const request: { code?: number; reason?: string } = {};
        if (event.code !== undefined) request.code = event.code;
        if (event.reason !== undefined) request.reason = event.reason;
        return request;
      },
    }),
    closeTask: sendTo('task', ({ context }) => ({
      type: 'close' as const,
      ...context.closeRequest,
      when: 'effective' as const,
    })),
    forwardClose: sendTo('task', ({ event }) => {
      const command: { type: 'close'; code?: number; reason?: string; when: 'now' } = {
        type: 'close',
        when: 'now',
      };
      if (event.type === 'user.close') {
        if (event.code !== undefined) command.code = event.code;
        if (event.reason !== undefined) command.reason = event.reason;
      }
      return command;
    }),
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
    synthesizeAbnormalClose: assign({ closeInfo: () => ({ code: 1006, reason: '' }) }),
    recordConnectTimeout: assign({
      lastError: ({ context }) => ({
        errMsg: `connect timeout: still CONNECTING after ${String(context.connectTimeout)} ms; the attempt was abandoned`,
        code: 'ERR_CONNECT_TIMEOUT',
      }),
    }),
    emitOpen: emit(({ event }) => ({
      type: 'open' as const,
      event: event.type === 'platform.open' ? event.event : {},
    })),
    emitClose: emit(({ context }) => ({
      type: 'close' as const,
      event: context.closeInfo ?? { code: 1006, reason: '' },
    })),
    scheduleRetry: assign(({ context }) => {
      const retryDelay =
        context.reconnect === false ? 0 : backoffDelay(context.reconnect, context.retries, Math.random());
      return { retryDelay, nextRetryAt: Date.now() + retryDelay };
    }),
    // A retry spends the open that allowed it to skip the timer: if it fails before a task is made (no free
    // slot), the next retry waits, so the loop can never run without a turn of the event loop.
    countRetry: assign({ retries: ({ context }) => context.retries + 1, nextRetryAt: null, opened: false }),
    resetRetries: assign({ retries: 0 }),
    emitGiveUpExhausted: emit(({ context }) => ({
      type: 'giveup' as const,
      event: {
        reason: 'max-retries' as const,
        retries: context.retries,
        close: context.closeInfo ?? { code: 1006, reason: '' },
      },
    })),
    emitGiveUpNotRetryable: emit(({ context }) => ({
      type: 'giveup' as const,
      event: {
        reason: 'not-retryable' as const,
        retries: context.retries,
        close: context.closeInfo ?? { code: 1006, reason: '' },
      },
    })),
    sendHeartbeat: ({ context }) => context.dataPath.ping(),
    recordHeartbeatTimeout: assign({
      lastError: ({ context }) => ({
        errMsg: `heartbeat timeout: nothing received within ${context.heartbeat === false ? 0 : context.heartbeat.timeout} ms of a ping; the connection is presumed dead`,
        code: 'ERR_HEARTBEAT_TIMEOUT',
      }),
    }),
    recordConnectionLimit: assign({
      lastError: ({ context }) => ({
        errMsg: `connection limit: the ${context.adapter.name} platform allows ${context.slots.max} sockets at once and all are open through this adapter; close one, or pass connectionLimit: 'wait'`,
        code: 'ERR_CONNECTION_LIMIT',
      }),
    }),
    recordUserClose: assign({
      closeInfo: ({ event }) => ({
        code: event.type === 'user.close' && event.code !== undefined ? event.code : 1000,
        reason: event.type === 'user.close' && event.reason !== undefined ? event.reason : '',
      }),
    }),
    waitForSlot: ({ context, self }) => context.slots.wait(() => self.send({ type: 'slot.free' })),
    stopWaitingForSlot: ({ context }) => context.slots.stopWaiting(),
    recordOffline: assign({ offline: true }),
    recordOnline: assign({ offline: false }),
    recordBackground: assign({ background: true }),
    recordForeground: assign({ background: false }),
    clearNextRetry: assign({ nextRetryAt: null }),
    flushQueue: ({ context }) => context.dataPath.flush(),
    endQueue: ({ context }) => context.dataPath.endQueue(),
    openDataPath: ({ context }) => context.dataPath.open(context.generation),
    stopSending: ({ context }) => context.dataPath.stopSending(),
    closeDataPath: ({ context }) => context.dataPath.close(),
  },
}).createMachine({
  id: 'connection',
  context: ({ input }) => ({
    ...input,
    generation: 0,
    closeRequest: null,
    lastError: null,
    closeInfo: null,
    retries: 0,
    retryDelay: 0,
    nextRetryAt: null,
    offline: false,
    background: false,
    opened: false,
  }),
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
      initial: 'acquiringSlot',
      states: {
        // The platform's socket limit (maxConcurrent) is checked before connect(), never discovered from its error.
        acquiringSlot: {
          always: [
            { guard: 'hasFreeSlot', target: 'handshake' },
            { guard: 'waitsForSlot', target: 'awaitingSlot' },
            {
              target: '#connection.CLOSED',
              actions: ['recordConnectionLimit', 'emitError', 'synthesizeAbnormalClose'],
            },
          ],
        },
        awaitingSlot: {
          entry: 'waitForSlot',
          exit: 'stopWaitingForSlot',
          on: {
            'slot.free': { guard: 'hasFreeSlot', target: 'handshake' },
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
                guard: 'defersCloseBeforeOpen',
                target: 'closePending',
                // The task holds the close until its socket opens, or ends the attempt if it has no socket yet.
                actions: ['rememberClose', 'endQueue', 'closeTask'],
              },
              { actions: ['rememberClose', 'endQueue', 'forwardClose'] },
            ],
          },
        },
        closePending: {
          on: {
            'platform.open': { guard: 'isCurrentTask', target: '#connection.CLOSING', actions: 'closeTask' },
          },
        },
      },
      // An abandoned attempt's task is stopped on CLOSED: it is closed now, or the moment it opens where a close
      // while CONNECTING has no effect; its late events carry a stale generation.
      after: {
        connectTimeout: {
          guard: 'hasConnectTimeout',
          target: 'CLOSED',
          actions: ['recordConnectTimeout', 'emitError', 'synthesizeAbnormalClose'],
        },
      },
      on: {
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
      // A connection that stays up this long is healthy again: the next drop starts the backoff from the start.
      after: { stableAfter: { actions: 'resetRetries' } },
      type: 'parallel',
      states: {
        // Messages queued while not OPEN are written before the onOpen listeners run, so none can overtake them.
        queue: {
          initial: 'opened',
          states: {
            opened: {
              always: [
                { guard: 'holdsUntilReady', target: 'held', actions: 'emitOpen' },
                { target: 'flowing', actions: ['flushQueue', 'emitOpen'] },
              ],
            },
            // The application authenticates from onOpen (its sends go straight out) and then calls ready().
            held: { on: { 'user.ready': { target: 'flowing', actions: 'flushQueue' } } },
            flowing: {},
          },
        },
        heartbeat: {
          initial: 'live',
          states: {
            live: {
              after: {
                heartbeatInterval: {
                  guard: 'hasHeartbeat',
                  target: 'awaitingPong',
                  actions: 'sendHeartbeat',
                },
              },
            },
            // Inbound data bypasses the machine (the hot path), so a sign of life is read when the timeout fires.
            awaitingPong: {
              after: {
                heartbeatTimeout: [
                  { guard: 'heardSinceHeartbeat', target: 'live' },
                  {
                    guard: 'heartbeatTimerWasThrottled',
                    target: 'awaitingPong',
                    reenter: true,
                    actions: 'sendHeartbeat',
                  },
                  {
                    target: '#connection.CLOSING.failed',
                    actions: ['recordHeartbeatTimeout', 'emitError', 'closeTask'],
                  },
                ],
              },
            },
          },
        },
      },
      on: {
        'user.close': { target: 'CLOSING', actions: ['rememberClose', 'endQueue', 'closeTask'] },
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
          after: { closeTimeout: { target: '#connection.CLOSED', actions: 'synthesizeAbnormalClose' } },
          on: {
            'platform.error': {
              guard: 'isCurrentTask',
              target: 'failed',
              actions: ['recordError', 'emitError'],
            },
          },
        },
        failed: {
          after: { errorGrace: { target: '#connection.CLOSED', actions: 'synthesizeAbnormalClose' } },
          on: {
            'platform.error': { guard: 'isCurrentTask', actions: ['recordError', 'emitError'] },
          },
        },
      },
      on: {
        'platform.close': { guard: 'isCurrentTask', target: 'CLOSED', actions: 'recordClose' },
        // Already closing (after an error, say): nothing more to do now, but no retry once CLOSED.
        'user.close': { actions: ['rememberClose', 'endQueue'] },
      },
    },
    CLOSED: {
      entry: ['closeDataPath', 'stopTask', 'emitClose'],
      initial: 'deciding',
      states: {
        deciding: {
          always: [
            { guard: 'closeWasRequested', target: 'terminated' },
            { guard: 'reconnectsNever', target: 'terminated' },
            { guard: 'retriesExhausted', target: 'terminated', actions: 'emitGiveUpExhausted' },
            { guard: 'shouldNotReconnect', target: 'terminated', actions: 'emitGiveUpNotRetryable' },
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
            'lifecycle.offline': { target: 'suspended', actions: 'recordOffline' },
            'lifecycle.background': { target: 'suspended', actions: 'recordBackground' },
          },
        },
        // Offline or in the background: no attempt (a suspended mini-program refuses them), no retry spent.
        // The first attempt back is made at once.
        suspended: {
          on: {
            'user.close': { target: 'terminated', actions: 'rememberClose' },
            'lifecycle.online': [
              { guard: 'isActiveWhenOnline', target: '#connection.CONNECTING', actions: 'recordOnline' },
              { actions: 'recordOnline' },
            ],
            'lifecycle.foreground': [
              {
                guard: 'isActiveInForeground',
                target: '#connection.CONNECTING',
                actions: 'recordForeground',
              },
              { actions: 'recordForeground' },
            ],
          },
        },
        terminated: { type: 'final', entry: 'endQueue' },
      },
    },
  },
});
