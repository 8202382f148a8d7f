export type {
  ConnectionContext,
  ConnectionEmitted,
  ConnectionEvent,
  ConnectionMachineInput,
} from './connection.js';
export { connectionMachine } from './connection.js';
export type {
  GlobalSocketContext,
  GlobalSocketEffect,
  GlobalSocketEvent,
  SocketUser,
} from './globalSocket.js';
export { globalSocketMachine } from './globalSocket.js';
export type { SocketTaskEmitted, SocketTaskEvent, SocketTaskProfile } from './socketTask.js';
export { socketTaskMachine } from './socketTask.js';
export type { SocketReport, TargetReport, TaskCommand, TaskEvent, TaskMachineInput } from './task.js';
export { ABNORMAL_CLOSE, taskMachine } from './task.js';
