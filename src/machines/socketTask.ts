import { emit, setup } from 'xstate';
import type { PlatformProfile } from '../adapters/types.js';
import { closeArgsProblem, isSocketData } from '../validate.js';

/** What the model needs of a platform profile: `closeWhileConnecting`; a whole `PlatformProfile` fits too. */
export type SocketTaskProfile = Pick<PlatformProfile, 'closeWhileConnecting'> &
  Partial<PlatformProfile> & {
    /**
     * How the conformance kit judges a close code the seeds refuse but WHATWG or RFC 6455 allow: `'either'`
     * (default) accepts a refusal or an acceptance; `'whatwg'` asks for the WHATWG rule exactly.
     */
    closeCodes?: 'either' | 'whatwg';
  };

/** User commands and platform events, the inputs of one platform SocketTask. */
export type SocketTaskEvent =
  | { type: 'user.send'; data: unknown }
  | { type: 'user.close'; code?: unknown; reason?: unknown }
  | { type: 'platform.open' }
  | { type: 'platform.message'; data: string | ArrayBuffer }
  | { type: 'platform.error'; errMsg?: string }
  | { type: 'platform.close'; code: number; reason: string };

/** The outcome the model predicts for each user command. */
export type SocketTaskEmitted =
  | { type: 'send.accepted' }
  | { type: 'send.rejected' }
  | { type: 'close.accepted' }
  | { type: 'close.ignored' }
  | { type: 'close.rejected' }
  | { type: 'message.delivered' }
  | { type: 'error.reported' };

/**
 * The reference model of ONE platform SocketTask, from the seeds: CONNECTING → OPEN → CLOSING → CLOSED.
 *
 * A platform event the model does not accept in the current state is a violation: check with
 * `snapshot.can(event)`. User commands are always accepted and the model emits the outcome it predicts.
 * An `errored` sub-state records an error: it may be followed by a close, or by nothing at all
 * (docs/platforms.md#error-without-close), and the model allows both; only close (or another error) may follow it.
 * CLOSED is final: nothing leaves it, and every command after it fails.
 *
 * @example
 * ```ts
 * const task = createActor(socketTaskMachine, { input: { profile: { closeWhileConnecting: 'ignored' } } }).start();
 * task.send({ type: 'user.close' }); // no effect on WeChat: still CONNECTING
 * ```
 */
export const socketTaskMachine = setup({
  types: {
    input: {} as { profile: SocketTaskProfile },
    context: {} as { profile: SocketTaskProfile },
    events: {} as SocketTaskEvent,
    emitted: {} as SocketTaskEmitted,
  },
  guards: {
    hasInvalidCloseArgs: ({ event }) =>
      event.type === 'user.close' && closeArgsProblem(event.code, event.reason) !== undefined,
    hasInvalidData: ({ event }) => event.type === 'user.send' && !isSocketData(event.data),
    abortsWhileConnecting: ({ context }) => context.profile.closeWhileConnecting === 'aborts',
  },
  actions: {
    acceptSend: emit({ type: 'send.accepted' } as const),
    rejectSend: emit({ type: 'send.rejected' } as const),
    acceptClose: emit({ type: 'close.accepted' } as const),
    ignoreClose: emit({ type: 'close.ignored' } as const),
    rejectClose: emit({ type: 'close.rejected' } as const),
    // Allowed platform events carry a named action: XState's `can()` treats a bare `{}` transition as forbidden.
    deliverMessage: emit({ type: 'message.delivered' } as const),
    reportError: emit({ type: 'error.reported' } as const),
  },
}).createMachine({
  id: 'socketTask',
  context: ({ input }) => ({ profile: input.profile }),
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
          on: { 'platform.error': { actions: 'reportError' } },
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
        // A handshake aborted by a close while CONNECTING: the socket never opened, so no message can arrive.
        aborting: {
          on: {
            'platform.error': { target: 'errored', actions: 'reportError' },
          },
        },
        errored: {
          on: { 'platform.error': { actions: 'reportError' } },
        },
      },
      on: {
        'platform.close': { target: 'CLOSED' },
        'user.send': { actions: 'rejectSend' },
        'user.close': [{ guard: 'hasInvalidCloseArgs', actions: 'rejectClose' }, { actions: 'ignoreClose' }],
      },
    },
    CLOSED: {
      type: 'final',
    },
  },
});
