// Generated from src/machines/socketTask.ts by `npm run diagrams`; do not edit.
// For Stately Studio's "Import from code": guards, actions and delays are named here and implemented in
// src/machines/socketTask.ts; the context, computed from the input there, is left out.
import { createMachine } from 'xstate';

export const machine = createMachine({
  id: 'socketTask',
  initial: 'CONNECTING',
  states: {
    CONNECTING: {
      initial: 'handshake',
      states: {
        handshake: {
          on: {
            'platform.open': { target: '#socketTask.OPEN' },
            'platform.error': { target: 'errored', actions: 'reportError' },
          },
        },
        errored: {
          on: {
            'platform.error': { actions: 'reportError' },
          },
        },
      },
      on: {
        'platform.close': { target: 'CLOSED' },
        'user.send': { actions: 'rejectSend' },
        'user.close': [
          { guard: 'hasInvalidCloseArgs', actions: 'rejectClose' },
          { guard: 'abortsWhileConnecting', target: 'CLOSING.aborting', actions: 'acceptClose' },
          { actions: 'ignoreClose' },
        ],
      },
    },
    OPEN: {
      initial: 'live',
      states: {
        live: {
          on: {
            'platform.message': { actions: 'deliverMessage' },
            'platform.error': { target: 'errored', actions: 'reportError' },
            'user.send': [{ guard: 'hasInvalidData', actions: 'rejectSend' }, { actions: 'acceptSend' }],
          },
        },
        errored: {
          on: {
            'platform.error': { actions: 'reportError' },
            'user.send': { actions: 'rejectSend' },
          },
        },
      },
      on: {
        'platform.close': { target: 'CLOSED' },
        'user.close': [
          { guard: 'hasInvalidCloseArgs', actions: 'rejectClose' },
          { target: 'CLOSING', actions: 'acceptClose' },
        ],
      },
    },
    CLOSING: {
      initial: 'draining',
      states: {
        draining: {
          on: {
            'platform.message': { actions: 'deliverMessage' },
            'platform.error': { target: 'errored', actions: 'reportError' },
          },
        },
        aborting: {
          on: {
            'platform.error': { target: 'errored', actions: 'reportError' },
          },
        },
        errored: {
          on: {
            'platform.error': { actions: 'reportError' },
          },
        },
      },
      on: {
        'platform.close': { target: 'CLOSED' },
        'user.send': { actions: 'rejectSend' },
        'user.close': [{ guard: 'hasInvalidCloseArgs', actions: 'rejectClose' }, { actions: 'ignoreClose' }],
      },
    },
    CLOSED: { type: 'final' },
  },
});
