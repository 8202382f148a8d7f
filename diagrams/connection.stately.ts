// Generated from src/machines/connection.ts by `npm run diagrams`; do not edit.
// For Stately Studio's "Import from code": guards, actions and delays are named here and implemented in
// src/machines/connection.ts; the context, computed from the input there, is left out.
import { createMachine } from 'xstate';

export const machine = createMachine({
  id: 'connection',
  initial: 'CONNECTING',
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
      after: {
        stableAfter: { actions: 'resetRetries' },
      },
      type: 'parallel',
      states: {
        queue: {
          initial: 'opened',
          states: {
            opened: {
              always: [
                { guard: 'holdsUntilReady', target: 'held', actions: 'emitOpen' },
                { target: 'flowing', actions: ['flushQueue', 'emitOpen'] },
              ],
            },
            held: {
              on: {
                'user.ready': { target: 'flowing', actions: 'flushQueue' },
              },
            },
            flowing: {},
          },
        },
        heartbeat: {
          initial: 'live',
          states: {
            live: {
              after: {
                heartbeatInterval: { guard: 'hasHeartbeat', target: 'awaitingPong', actions: 'sendHeartbeat' },
              },
            },
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
          after: {
            closeTimeout: { target: '#connection.CLOSED', actions: 'synthesizeAbnormalClose' },
          },
          on: {
            'platform.error': { guard: 'isCurrentTask', target: 'failed', actions: ['recordError', 'emitError'] },
          },
        },
        failed: {
          after: {
            errorGrace: { target: '#connection.CLOSED', actions: 'synthesizeAbnormalClose' },
          },
          on: {
            'platform.error': { guard: 'isCurrentTask', actions: ['recordError', 'emitError'] },
          },
        },
      },
      on: {
        'platform.close': { guard: 'isCurrentTask', target: 'CLOSED', actions: 'recordClose' },
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
            {
              guard: 'shouldNotReconnect',
              target: 'terminated',
              actions: 'emitGiveUpNotRetryable',
            },
            { guard: 'isSuspended', target: 'suspended' },
            { guard: 'retriesAtOnce', target: '#connection.CONNECTING', actions: 'countRetry' },
            { target: 'waiting' },
          ],
        },
        waiting: {
          entry: 'scheduleRetry',
          exit: 'clearNextRetry',
          after: {
            retryDelay: { target: '#connection.CONNECTING', actions: 'countRetry' },
          },
          on: {
            'user.close': { target: 'terminated', actions: 'rememberClose' },
            'lifecycle.offline': { target: 'suspended', actions: 'recordOffline' },
            'lifecycle.background': { target: 'suspended', actions: 'recordBackground' },
          },
        },
        suspended: {
          on: {
            'user.close': { target: 'terminated', actions: 'rememberClose' },
            'lifecycle.online': [
              {
                guard: 'isActiveWhenOnline',
                target: '#connection.CONNECTING',
                actions: 'recordOnline',
              },
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
