// The part of the kit that runs wherever a trace is recorded (a browser page, a mini-program, a device build):
// recording and checking need only xstate. checkSocketTask, which runs its own server, stays in ./index.ts.
export { checkTrace } from './checkTrace.js';
export type { CloseCodeRule, CloseVerdict } from './closeRules.js';
export { judgeClose } from './closeRules.js';
export type { RecordedTask } from './recorder.js';
export { recordSocketTask } from './recorder.js';
export type { ConformanceProperty, Trace, TraceStep, Violation } from './trace.js';
