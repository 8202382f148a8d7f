import { assign, emit, sendTo, setup, spawnChild, stopChild } from 'xstate';
import type { CloseEvent, ErrorEvent, OpenEvent, SocketAdapter } from '../adapters/types.js';
import type { ReconnectPolicy } from '../reconnect.js';
import { backoffDelay } from '../reconnect.js';
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
}

export type ConnectionEvent = { type: 'user.close'; code?: number; reason?: string } | TaskEvent;

export type ConnectionEmitted =
  | { type: 'giveup'; event: { reason: 'max-retries' | 'not-retryable'; retries: number; close: CloseEvent } }
  | { type: 'open'; event: OpenEvent }
  | { type: 'error'; event: ErrorEvent }
  | { type: 'close'; event: CloseEvent };

/**
 * The manager users run. Its top-level states are the four readyStates; sub-states carry what platforms lack:
 * `CONNECTING.closePending` remembers a close asked for before open, `CLOSING.failed` waits a grace period for
 * the close that may never follow an error, `CLOSED.terminated` is the end.
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
    shouldReconnect: ({ context }) =>
      context.reconnect !== false &&
      context.reconnect.shouldReconnect({
        ...(context.closeInfo ?? { code: 1006, reason: '' }),
        retries: context.retries,
      }),
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
    startAttempt: assign({ generation: ({ context }) => context.generation + 1 }),
    spawnTask: spawnChild('socketTask', {
      id: 'task',
      input: ({ context }) => ({
        generation: context.generation,
        adapter: context.adapter,
        resolveTarget: context.resolveTarget,
        dataPath: context.dataPath,
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
    countRetry: assign({ retries: ({ context }) => context.retries + 1, nextRetryAt: null }),
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
  }),
  initial: 'CONNECTING',
  states: {
    CONNECTING: {
      entry: ['startAttempt', 'spawnTask'],
      initial: 'handshake',
      states: {
        handshake: {
          on: {
            'platform.open': { guard: 'isCurrentTask', target: '#connection.OPEN' },
            'user.close': [
              {
                guard: 'abortsWhileConnecting',
                target: '#connection.CLOSING',
                actions: ['rememberClose', 'closeTask'],
              },
              { guard: 'defersCloseBeforeOpen', target: 'closePending', actions: 'rememberClose' },
              { actions: ['rememberClose', 'forwardClose'] },
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
      entry: ['openDataPath', 'emitOpen'],
      // A connection that stays up this long is healthy again: the next drop starts the backoff from the start.
      after: { stableAfter: { actions: 'resetRetries' } },
      initial: 'live',
      states: {
        live: {
          after: {
            heartbeatInterval: { guard: 'hasHeartbeat', target: 'awaitingPong', actions: 'sendHeartbeat' },
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
      on: {
        'user.close': { target: 'CLOSING', actions: ['rememberClose', 'closeTask'] },
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
        'user.close': { actions: 'rememberClose' },
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
            { guard: 'shouldReconnect', target: 'waiting' },
            { target: 'terminated', actions: 'emitGiveUpNotRetryable' },
          ],
        },
        // The next attempt calls the url and header providers anew, so tokens can be refreshed.
        waiting: {
          entry: 'scheduleRetry',
          after: { retryDelay: { target: '#connection.CONNECTING', actions: 'countRetry' } },
          on: { 'user.close': { target: 'terminated', actions: 'rememberClose' } },
        },
        terminated: { type: 'final' },
      },
    },
  },
});
