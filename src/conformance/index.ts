export type {
  CheckSocketTaskOptions,
  CheckSocketTaskResult,
  Connect,
  Scenario,
  ScenarioStep,
  ViolationReport,
} from './checkSocketTask.js';
export { checkSocketTask, describeScenario, formatReport } from './checkSocketTask.js';
export { checkTrace } from './checkTrace.js';
export type { RecordedTask } from './recorder.js';
export { recordSocketTask } from './recorder.js';
export type { ConformanceProperty, Trace, TraceStep, Violation } from './trace.js';
