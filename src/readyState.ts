/** The four readyStates every platform documents, by name. */
export type ReadyStateName = 'CONNECTING' | 'OPEN' | 'CLOSING' | 'CLOSED';

/** The numeric readyState (0–3) of each state, as on `WebSocket` and Taro's `SocketTask`. */
export const READY_STATE = { CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3 } as const;

export type ReadyState = (typeof READY_STATE)[ReadyStateName];

export function describeReadyState(state: ReadyStateName): string {
  return `readyState ${READY_STATE[state]} (${state})`;
}
