import { and, assign, emit, not, or, raise, setup, stateIn } from 'xstate';

/**
 * One connection's use of the global socket: an identity only. The machine keeps which one holds the socket and
 * which one waits for it; the adapter keeps each one's url and listeners.
 */
export type SocketUser = object;

export interface GlobalSocketContext {
  /** ms the waiting connection waits for the holder's close, before the platform replaces the holder's socket. */
  releaseTimeout: number;
  /** The connection whose socket the platform holds: its commands alone reach the platform. */
  holder: SocketUser | null;
  /** The newest connection, waiting for the holder's socket to go. */
  next: SocketUser | null;
}

/** What reaches the machine: the connections' requests and the platform's global events. */
export type GlobalSocketEvent =
  /**
   * A connection wants the socket. `releaseTimeout`: ms it waits for the socket it replaces to report its close;
   * the first connection to wait sets the bound (each adapter over the same platform object may have its own).
   */
  | { type: 'connect'; user: SocketUser; releaseTimeout: number }
  /** A connection asks its socket to close; `request` is passed back in the effect that answers it. */
  | { type: 'close'; user: SocketUser; request: unknown }
  /** The platform's connect call for `user` failed (or threw): no socket exists, and no event will come. */
  | { type: 'connect.failed'; user: SocketUser; error: unknown }
  /** One of the platform's global socket events, which carry no socket identity. */
  | { type: 'platform.open' | 'platform.message' | 'platform.error' | 'platform.close'; payload: unknown }
  /** Raised when the holder is given up without its close: its late error and close may still come. */
  | { type: 'holder.givenUp' };

/** What the adapter does for the machine, emitted after each step, so that listeners read the new state. */
export type GlobalSocketEffect =
  /** Call the platform's connect for this user's url. */
  | { type: 'connectSocket'; user: SocketUser }
  /** Pass this user's close to the platform. */
  | { type: 'closeSocket'; request: unknown }
  /** Answer this user's close with success, without the platform: its socket is closing, closed or not its own. */
  | { type: 'closeDone'; request: unknown }
  /** Close whatever socket the platform holds, with the given code and reason (none for a stray one). */
  | { type: 'closeHeld'; code?: number; reason?: string }
  /** Hand the platform's event to the holder's listeners. */
  | { type: 'deliver'; user: SocketUser; event: 'open' | 'message' | 'error' | 'close'; payload: unknown }
  /** A newer connection took the socket: this user hears one close, and nothing after it. */
  | { type: 'retire'; user: SocketUser }
  /** This user's connect call failed: tell it so (its task machine turns that into an error, then close 1006). */
  | { type: 'connectFailed'; user: SocketUser; error: unknown };

/** The close a replaced connection hears, and its socket is closed with. */
export const REPLACED = Object.freeze({ code: 1000, reason: 'replaced by a new connection' });

const HELD = '#globalSocket.socket.held';
const PHASE = `${HELD}.phase`;

/**
 * The platform's ONE global socket (WeChat's `wx.connectSocket` before base library 1.7.0), passed from one
 * connection to the next, one at a time. The holder's socket is closed, and its close awaited, before the next
 * connection's socket is created, so the global events, which carry no socket identity, always describe the
 * holder's socket. A holder replaced while CONNECTING is closed the moment it opens (a close while CONNECTING has
 * no effect, docs/platforms.md#close-before-open). Past `releaseTimeout` the holder is given up and the platform
 * replaces its socket; that socket's late error and close are told apart from the newcomer's (`ghost.haunted`)
 * until the newcomer reports an open or an error.
 */
export const globalSocketMachine = setup({
  types: {
    context: {} as GlobalSocketContext,
    events: {} as GlobalSocketEvent,
    emitted: {} as GlobalSocketEffect,
  },
  guards: {
    fromHolder: ({ context, event }) => 'user' in event && event.user === context.holder,
    hasSuccessor: ({ context }) => context.next !== null,
    holderRetired: stateIn(`${PHASE}.retired`),
    retiredHolderFailed: and(['fromHolder', 'holderRetired']),
    // Not the given-up socket's late error or close, which is misread as the holder's until the holder has been
    // heard from.
    current: not(
      and([
        stateIn('#globalSocket.ghost.haunted'),
        or([
          stateIn('#globalSocket.socket.free'),
          stateIn(`${PHASE}.connecting`),
          stateIn(`${PHASE}.retired.unheard`),
        ]),
      ]),
    ),
    holderUnheard: or([
      stateIn('#globalSocket.socket.free'),
      stateIn(`${PHASE}.connecting`),
      stateIn(`${PHASE}.retired.unheard`),
    ]),
  },
  delays: {
    releaseTimeout: ({ context }) => context.releaseTimeout,
  },
  actions: {
    takeHolder: assign({ holder: ({ event }) => (event.type === 'connect' ? event.user : null) }),
    takeSuccessor: assign({ next: ({ event }) => (event.type === 'connect' ? event.user : null) }),
    takeReleaseTimeout: assign({
      releaseTimeout: ({ context, event }) =>
        event.type === 'connect' ? event.releaseTimeout : context.releaseTimeout,
    }),
    promoteSuccessor: assign({ holder: ({ context }) => context.next, next: null }),
    dropHolder: assign({ holder: null }),
    connectSocket: emit(({ context }) => ({ type: 'connectSocket', user: context.holder as SocketUser })),
    closeSocket: emit(({ event }) => ({
      type: 'closeSocket',
      request: event.type === 'close' ? event.request : undefined,
    })),
    closeDone: emit(({ event }) => ({
      type: 'closeDone',
      request: event.type === 'close' ? event.request : undefined,
    })),
    closeReplaced: emit({ type: 'closeHeld', ...REPLACED }),
    // A close its owner did not ask for may be the late close of a given-up socket, misread as the holder's: close
    // whatever socket the platform holds, so none is left open, before the next connection begins.
    closeStray: emit({ type: 'closeHeld' }),
    deliver: emit(({ context, event }) => ({
      type: 'deliver',
      user: context.holder as SocketUser,
      event:
        event.type === 'platform.open'
          ? 'open'
          : event.type === 'platform.message'
            ? 'message'
            : event.type === 'platform.error'
              ? 'error'
              : 'close',
      payload: 'payload' in event ? event.payload : undefined,
    })),
    retireHolder: emit(({ context }) => ({ type: 'retire', user: context.holder as SocketUser })),
    retireSuccessor: emit(({ context }) => ({ type: 'retire', user: context.next as SocketUser })),
    reportConnectFail: emit(({ context, event }) => ({
      type: 'connectFailed',
      user: context.holder as SocketUser,
      error: event.type === 'connect.failed' ? event.error : undefined,
    })),
    announceGivenUp: raise({ type: 'holder.givenUp' }),
  },
}).createMachine({
  id: 'globalSocket',
  type: 'parallel',
  context: { releaseTimeout: 0, holder: null, next: null },
  states: {
    socket: {
      initial: 'free',
      // Not the holder's: its socket is closing, closed, or was never made.
      on: { close: { actions: 'closeDone' } },
      states: {
        free: {
          on: { connect: { target: 'held', actions: ['takeHolder', 'connectSocket'] } },
        },
        held: {
          type: 'parallel',
          on: {
            'connect.failed': [
              // Its owner heard its one close already.
              { guard: 'retiredHolderFailed', target: 'released' },
              { guard: 'fromHolder', target: 'released', actions: 'reportConnectFail' },
            ],
          },
          states: {
            phase: {
              initial: 'connecting',
              states: {
                connecting: {
                  on: {
                    'platform.open': { target: 'open', actions: 'deliver' },
                    'platform.message': { actions: 'deliver' },
                    'platform.error': { guard: 'current', target: 'connectingErrored', actions: 'deliver' },
                    'platform.close': {
                      guard: 'current',
                      target: '#globalSocket.socket.released',
                      actions: 'deliver',
                    },
                    // A device ignores it (docs/platforms.md#close-before-open): the socket stays live until it opens.
                    close: { guard: 'fromHolder', actions: 'closeSocket' },
                    // Closed the moment it opens, as it cannot be before.
                    connect: { target: 'retired.unheard', actions: 'retireHolder' },
                  },
                },
                connectingErrored: {
                  on: {
                    'platform.open': { target: 'openErrored', actions: 'deliver' },
                    'platform.message': { actions: 'deliver' },
                    'platform.error': { actions: 'deliver' },
                    'platform.close': { target: '#globalSocket.socket.released', actions: 'deliver' },
                    close: { guard: 'fromHolder', actions: 'closeSocket' },
                    // A failed holder has its own close on the way, and keeps it: the newcomer waits for it.
                  },
                },
                open: {
                  on: {
                    'platform.open': { actions: 'deliver' },
                    'platform.message': { actions: 'deliver' },
                    'platform.error': { target: 'openErrored', actions: 'deliver' },
                    'platform.close': {
                      target: '#globalSocket.socket.released',
                      actions: ['deliver', 'closeStray'],
                    },
                    close: { guard: 'fromHolder', target: 'closing', actions: 'closeSocket' },
                    connect: { target: 'retired.heard', actions: ['closeReplaced', 'retireHolder'] },
                  },
                },
                openErrored: {
                  on: {
                    'platform.open': { actions: 'deliver' },
                    'platform.message': { actions: 'deliver' },
                    'platform.error': { actions: 'deliver' },
                    'platform.close': {
                      target: '#globalSocket.socket.released',
                      actions: ['deliver', 'closeStray'],
                    },
                    close: { guard: 'fromHolder', target: 'closing', actions: 'closeSocket' },
                  },
                },
                // At its owner's request: its own close is on the way, and it keeps it.
                closing: {
                  on: {
                    'platform.open': { actions: 'deliver' },
                    'platform.message': { actions: 'deliver' },
                    'platform.error': { actions: 'deliver' },
                    'platform.close': { target: '#globalSocket.socket.released', actions: 'deliver' },
                  },
                },
                // Its owner heard its one close already; the platform's socket is still to go.
                retired: {
                  initial: 'unheard',
                  on: {
                    'platform.close': { guard: 'current', target: '#globalSocket.socket.released' },
                  },
                  states: {
                    unheard: {
                      on: {
                        'platform.open': { target: 'heard', actions: 'closeReplaced' },
                        'platform.error': { guard: 'current', target: 'heard' },
                      },
                    },
                    heard: {},
                  },
                },
              },
            },
            successor: {
              initial: 'none',
              states: {
                none: {
                  on: { connect: { target: 'waiting', actions: ['takeSuccessor', 'takeReleaseTimeout'] } },
                },
                waiting: {
                  on: {
                    // Replaced before it began: the holder is on its way out already.
                    connect: { actions: ['retireSuccessor', 'takeSuccessor'] },
                  },
                  after: {
                    // The platform never reported the holder's close: let its connect call replace that socket.
                    releaseTimeout: [
                      {
                        guard: 'holderRetired',
                        target: '#globalSocket.socket.released',
                        actions: 'announceGivenUp',
                      },
                      {
                        target: '#globalSocket.socket.released',
                        actions: ['retireHolder', 'announceGivenUp'],
                      },
                    ],
                  },
                },
              },
            },
          },
        },
        // The holder's socket is gone (or given up): the newest connection, if any, takes the socket.
        released: {
          always: [
            { guard: 'hasSuccessor', target: 'held', actions: ['promoteSuccessor', 'connectSocket'] },
            { target: 'free', actions: 'dropHolder' },
          ],
        },
      },
    },
    ghost: {
      initial: 'clear',
      states: {
        clear: {
          on: { 'holder.givenUp': { target: 'haunted' } },
        },
        // A given-up socket's error and close may still come, until the holder is heard from.
        haunted: {
          on: {
            'platform.open': { target: 'clear' },
            'platform.close': { guard: 'holderUnheard', target: 'clear' },
          },
        },
      },
    },
  },
});
