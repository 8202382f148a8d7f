export type {
  CallOptions,
  CloseEvent,
  ConnectOptions,
  ErrorEvent,
  LifecycleSignal,
  LifecycleSource,
  MessageEvent,
  OpenEvent,
  PlatformProfile,
  SocketAdapter,
  SocketTaskLike,
} from './adapters/types.js';
export { defineSocketAdapter } from './adapters/types.js';
export type { Callbacks } from './callbacks.js';
export type {
  CloseOptions,
  Connection,
  ConnectionStatus,
  GiveUpEvent,
  WithCallbacks,
} from './connection/createConnection.js';
export { createConnection } from './connection/createConnection.js';
export type { SocketTaskErrorCode } from './errors.js';
export { ERROR_CODES, SocketTaskError } from './errors.js';
export type { HeartbeatOptions } from './heartbeat/heartbeatOptions.js';
export type { ManualLifecycle } from './lifecycle/createLifecycle.js';
export { createLifecycle } from './lifecycle/createLifecycle.js';
export type { AbortSignalLike, ConnectionOptions } from './options/connectionOptions.js';
export type { QueueOptions, QueueStats } from './queue/sendQueue.js';
export type { ReadyState, ReadyStateName } from './readyState.js';
export { READY_STATE } from './readyState.js';
export type { ReconnectContext, ReconnectOptions } from './reconnect/backoff.js';
export type { SocketData } from './validate.js';
