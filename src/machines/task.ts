import { assign, sendParent, setup } from 'xstate';
import type {
  CloseEvent,
  ConnectOptions,
  ErrorEvent,
  OpenEvent,
  PlatformProfile,
} from '../adapters/types.js';

/** The close the synthesised events carry: nothing was heard from the socket, so no code can be known. */
export const ABNORMAL_CLOSE: CloseEvent = Object.freeze({ code: 1006, reason: '' });

/** What one task is started with: data only; its effects are named actions, supplied by createConnection. */
export interface TaskMachineInput {
  /** The attempt this task belongs to: every event it reports carries it. */
  generation: number;
  closeWhileConnecting: PlatformProfile['closeWhileConnecting'];
  /** ms any ending of the socket may take before it is ended without a handshake, or given up. */
  closeTimeout: number;
}

/** What the connection asks of its task. */
export type TaskCommand =
  /** End the socket with this code and reason, as soon as the platform can (after its open, where it ignores one before). */
  | { type: 'close'; code?: number; reason?: string }
  /** `closeBeforeOpen: 'ignore'`: hand the close to the platform now, whatever the platform does with it. */
  | { type: 'close.forward'; code?: number; reason?: string }
  /** The connection moved on: end the socket, no code; its events are stale from now on. */
  | { type: 'abandon' }
  /** The socket is presumed dead: end it without a handshake where the platform can. */
  | { type: 'terminate' };

/** What the task reports to its connection, tagged with its generation. */
export type TaskEvent =
  | { type: 'platform.open'; generation: number; event: OpenEvent }
  | { type: 'platform.error'; generation: number; event: ErrorEvent }
  | { type: 'platform.close'; generation: number; event: CloseEvent }
  /** A close handed over while CONNECTING (`closeBeforeOpen: 'ignore'`) that the platform answered with `fail`. */
  | { type: 'platform.closeRefused'; generation: number; error: ErrorEvent };

/** What the platform's socket did, in the seeds' SocketTask terms: the events its listeners send the task. */
export type SocketReport =
  /** `connect()` handed over a task and its listeners are registered. */
  | { type: 'socket.handedOver' }
  | { type: 'socket.open'; event: OpenEvent }
  | { type: 'socket.error'; event: ErrorEvent }
  | { type: 'socket.close'; event: CloseEvent }
  /** No socket exists: `connect()` threw, rejected, returned no task, or the platform's connect call failed. */
  | { type: 'socket.failed'; event: ErrorEvent }
  /** A promise turn after `settleSocket`: after anything the platform reports in that turn. */
  | { type: 'socket.settled' }
  /** The platform answered a close with `fail` (or threw). */
  | { type: 'socket.closeFailed'; error: ErrorEvent };

/** What the providers answer: the url, protocols and header of this attempt, or why there are none. */
export type TargetReport =
  | { type: 'target.ready'; target: ConnectOptions }
  | { type: 'target.failed'; event: ErrorEvent };

export interface TaskContext extends TaskMachineInput {
  target: ConnectOptions | null;
  /** The last ending asked for; its code and reason go to the platform's close. */
  request: TaskCommand | null;
}

type TaskMachineEvent = TaskCommand | SocketReport | TargetReport;

/** The code and reason of the last ending asked for, as the platform's `close()` takes them. */
export function closeArgs(request: TaskCommand | null): { code?: number; reason?: string } {
  const args: { code?: number; reason?: string } = {};
  if (request && (request.type === 'close' || request.type === 'close.forward')) {
    if (request.code !== undefined) args.code = request.code;
    if (request.reason !== undefined) args.reason = request.reason;
  }
  return args;
}

/**
 * The life of ONE platform socket, from the url and header providers to the moment the socket is really gone. Its
 * states are the seeds' lifecycle (`connecting`, `open`, `ending`, `gone`), plus what the manager needs: the
 * providers still `resolving`, `handingOver` until an asynchronous `connect()` hands the task over,
 * `ending.closePending` for a close the platform would ignore before the open (docs/platforms.md#close-before-open), `errored` for
 * an error that a close may or may not follow, and one bound, `closeTimeout`, on every ending.
 *
 * It holds one of the platform's sockets (`takeSlot` … `releaseSlot`) for exactly as long as it lives. A connection
 * that moves on does not stop it: it sends `abandon` (or `terminate` for a dead socket), ignores its later events
 * by generation, and the task runs to `gone` by itself.
 */
export const taskMachine = setup({
  types: {
    input: {} as TaskMachineInput,
    context: {} as TaskContext,
    events: {} as TaskMachineEvent,
  },
  guards: {
    abortsWhileConnecting: ({ context }) => context.closeWhileConnecting === 'aborts',
    nothingRequested: ({ context }) => context.request === null,
    terminateRequested: ({ context }) => context.request?.type === 'terminate',
    abandoned: ({ context }) => context.request?.type === 'abandon',
  },
  delays: {
    closeTimeout: ({ context }) => context.closeTimeout,
  },
  actions: {
    takeSlot: () => undefined,
    releaseSlot: () => undefined,
    recordTarget: assign({ target: ({ event }) => (event.type === 'target.ready' ? event.target : null) }),
    recordRequest: assign({
      request: ({ event, context }) =>
        event.type === 'close' ||
        event.type === 'close.forward' ||
        event.type === 'abandon' ||
        event.type === 'terminate'
          ? event
          : context.request,
    }),
    // Effects on the platform's socket, supplied by createConnection. `resolveTarget` calls the providers, which
    // answer with target.ready or target.failed; `connectSocket` makes the socket, whose listeners send the
    // socket.* events; `closeSocket` asks it to close with the request's code and reason; `terminateSocket` ends it
    // without a handshake where the platform can (else asks it to close); `abortSocket` gives it up (ended without a
    // handshake where the platform can, else closed should it open after all); `settleSocket` answers
    // socket.settled a promise turn later; `disownSocket` sends what the socket still reports nowhere.
    resolveTarget: () => undefined,
    connectSocket: () => undefined,
    closeSocket: () => undefined,
    terminateSocket: () => undefined,
    abortSocket: () => undefined,
    settleSocket: () => undefined,
    disownSocket: () => undefined,
    reportOpen: sendParent(({ context, event }) => ({
      type: 'platform.open' as const,
      generation: context.generation,
      event: event.type === 'socket.open' ? event.event : {},
    })),
    reportError: sendParent(({ context, event }) => ({
      type: 'platform.error' as const,
      generation: context.generation,
      event:
        event.type === 'socket.error' || event.type === 'socket.failed' || event.type === 'target.failed'
          ? event.event
          : event.type === 'socket.closeFailed'
            ? event.error
            : { errMsg: 'error' },
    })),
    reportClose: sendParent(({ context, event }) => ({
      type: 'platform.close' as const,
      generation: context.generation,
      event: event.type === 'socket.close' ? event.event : ABNORMAL_CLOSE,
    })),
    reportCloseRefused: sendParent(({ context, event }) => ({
      type: 'platform.closeRefused' as const,
      generation: context.generation,
      error: event.type === 'socket.closeFailed' ? event.error : { errMsg: 'close failed' },
    })),
  },
}).createMachine({
  id: 'task',
  // Every field written out: V8 makes an object spread and then extended a map of its own, at ~100× the cost.
  context: ({ input }) => ({
    generation: input.generation,
    closeWhileConnecting: input.closeWhileConnecting,
    closeTimeout: input.closeTimeout,
    target: null,
    request: null,
  }),
  initial: 'resolving',
  entry: 'takeSlot',
  states: {
    // The url and header providers are called anew for every attempt; they may never answer.
    resolving: {
      entry: 'resolveTarget',
      on: {
        'target.ready': { target: 'live', actions: 'recordTarget' },
        // No socket exists, so no close can ever come from the platform: both are reported here.
        'target.failed': { target: 'gone', actions: ['reportError', 'reportClose'] },
        // Ended before any socket was made for it: nothing is waited for.
        close: { target: 'gone', actions: 'reportClose' },
        'close.forward': { target: 'gone', actions: 'reportClose' },
        abandon: { target: 'gone' },
        terminate: { target: 'gone' },
      },
    },
    live: {
      entry: 'connectSocket',
      initial: 'handingOver',
      on: {
        'socket.close': { target: 'gone', actions: 'reportClose' },
        'socket.failed': { target: 'gone', actions: ['reportError', 'reportClose'] },
      },
      states: {
        // connect() was called; an asynchronous platform (Taro) has not handed its task over yet.
        handingOver: {
          on: {
            // Any other request moved on to ending.closeAsked.
            'socket.handedOver': [
              { guard: 'nothingRequested', target: 'connecting' },
              { target: 'connecting.settling' },
            ],
            close: { target: 'ending.closeAsked', actions: 'recordRequest' },
            abandon: { target: 'ending.closeAsked', actions: 'recordRequest' },
            terminate: { target: 'ending.closeAsked', actions: 'recordRequest' },
            'close.forward': { actions: 'recordRequest' },
          },
        },
        connecting: {
          initial: 'handshake',
          states: {
            // A task handed over late may already be open on the platform, and reports that open a turn later: a
            // close asked before the hand-over never reached the platform, so it is handed over only if the task is
            // still connecting by then.
            settling: {
              entry: 'settleSocket',
              on: {
                'socket.settled': { target: 'handshake', actions: 'closeSocket' },
              },
            },
            handshake: {},
          },
          on: {
            'socket.open': { target: 'open', actions: 'reportOpen' },
            'socket.error': { target: 'errored', actions: 'reportError' },
            close: [
              {
                guard: 'abortsWhileConnecting',
                target: 'ending.closing',
                actions: ['recordRequest', 'closeSocket'],
              },
              { target: 'ending.closePending', actions: 'recordRequest' },
            ],
            // Handed to the platform now, as documented; where it has no effect, the socket goes on connecting.
            'close.forward': { actions: ['recordRequest', 'closeSocket'] },
            'socket.closeFailed': { actions: 'reportCloseRefused' },
            abandon: [
              {
                guard: 'abortsWhileConnecting',
                target: 'ending.closing',
                actions: ['recordRequest', 'closeSocket'],
              },
              { target: 'ending.closePending', actions: ['recordRequest', 'closeSocket'] },
            ],
            terminate: { target: 'ending.closing', actions: ['recordRequest', 'terminateSocket'] },
          },
        },
        open: {
          on: {
            'socket.error': { target: 'errored', actions: 'reportError' },
            close: { target: 'ending.closing', actions: ['recordRequest', 'closeSocket'] },
            'close.forward': { target: 'ending.closing', actions: ['recordRequest', 'closeSocket'] },
            abandon: { target: 'ending.closing', actions: ['recordRequest', 'closeSocket'] },
            terminate: { target: 'ending.closing', actions: ['recordRequest', 'terminateSocket'] },
          },
        },
        // An error, while connecting or open: a close may follow, or nothing at all (uni-app's App runtime, QQ's
        // refusal over its limit). Asked to end, the socket is asked to close at once, and a close it refuses
        // means nothing is left to close.
        errored: {
          on: {
            'socket.error': { actions: 'reportError' },
            // The connect call failed too: no close will come, and the error was reported already.
            'socket.failed': { target: '#task.gone', actions: 'reportClose' },
            close: { target: 'ending.closingAfterError', actions: ['recordRequest', 'closeSocket'] },
            abandon: { target: 'ending.closingAfterError', actions: ['recordRequest', 'closeSocket'] },
            terminate: { target: 'ending.closing', actions: ['recordRequest', 'terminateSocket'] },
          },
        },
        // Every way the socket ends shares one bound: closeTimeout from the moment its end was first asked for.
        ending: {
          initial: 'closing',
          after: { closeTimeout: { target: 'givingUp' } },
          on: { 'socket.error': { actions: 'reportError' } },
          states: {
            // Asked before an asynchronous hand-over: carried out when the task arrives.
            closeAsked: {
              on: {
                'socket.handedOver': [
                  { guard: 'terminateRequested', target: 'closing', actions: 'terminateSocket' },
                  { guard: 'abortsWhileConnecting', target: 'closing', actions: 'closeSocket' },
                  // Some runtimes of an ignoring platform do abort (DevTools, uni-app H5): an abandoned handshake is
                  // asked to close anyway, and closed at its open where that has no effect.
                  { guard: 'abandoned', target: 'closePending', actions: 'closeSocket' },
                  { target: 'closePending' },
                ],
                close: { actions: 'recordRequest' },
                terminate: { actions: 'recordRequest' },
              },
            },
            // A close before the open has no effect (docs/platforms.md#close-before-open): it is made once the socket opens.
            closePending: {
              on: {
                'socket.open': { target: 'closing', actions: ['closeSocket', 'reportOpen'] },
                close: { actions: 'recordRequest' },
                terminate: { target: 'closing', actions: ['recordRequest', 'terminateSocket'] },
              },
            },
            // After an error, a close the platform refuses means there is no socket left to close.
            closingAfterError: {
              on: {
                'socket.closeFailed': { target: '#task.gone', actions: 'reportClose' },
                'socket.failed': { target: '#task.gone', actions: 'reportClose' },
                'socket.open': { target: 'closing', actions: 'closeSocket' },
                terminate: { target: 'closing', actions: ['recordRequest', 'terminateSocket'] },
              },
            },
            closing: {
              on: {
                'socket.closeFailed': { actions: 'reportError' },
                terminate: { actions: ['recordRequest', 'terminateSocket'] },
              },
            },
          },
        },
        // Still not closed after closeTimeout (a close frame lost on a half-open link, a handshake that never ends):
        // ended without a handshake where the platform can, then given up.
        givingUp: {
          entry: 'abortSocket',
          always: { target: '#task.gone', actions: 'reportClose' },
        },
      },
    },
    gone: { type: 'final', entry: ['disownSocket', 'releaseSlot'] },
  },
});
