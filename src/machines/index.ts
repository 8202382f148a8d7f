export type {
  ConnectionContext,
  ConnectionEmitted,
  ConnectionEvent,
  ConnectionMachineInput,
} from './connection.js';
export { connectionMachine } from './connection.js';
export type { DataPath } from './dataPath.js';
export type { SocketTaskEmitted, SocketTaskEvent, SocketTaskProfile } from './socketTask.js';
export { socketTaskMachine } from './socketTask.js';
