import type { MessageEvent, SocketTaskLike } from '../adapters/types.js';

/**
 * The hot path, kept off the actor (ARCHITECTURE.md, "Hot path"). The connection machine decides when it is
 * open through its `openDataPath`, `stopSending` and `closeDataPath` actions; sends and inbound messages
 * then go straight between the current task and the user without an actor in between.
 */
export interface DataPath {
  /** The task actor of `generation` has its platform task. */
  attach(generation: number, task: SocketTaskLike): void;
  /** An inbound message from the task of `generation`; dropped unless that task is the live one. */
  message(generation: number, event: MessageEvent): void;
  /** The task of `generation` is OPEN: sends go to it, its messages reach the listeners. */
  open(generation: number): void;
  /** CLOSING: sends fail from now on; messages still arrive until CLOSED. */
  stopSending(): void;
  /** CLOSED: nothing flows any more. */
  close(): void;
  /** Writes every queued message to the open task, oldest first. */
  flush(): void;
  /** No more messages will be written: the queued ones fail with `ERR_CLOSED`, and so will later sends. */
  endQueue(): void;
  /** Sends the heartbeat message and starts listening for a sign of life. */
  ping(): void;
  /** True when any message arrived since the last `ping()`. */
  heardSincePing(): boolean;
  /** Wall-clock ms since the last `ping()`. */
  msSincePing(): number;
}
