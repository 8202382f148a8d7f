import { createActor } from 'xstate';
import { SocketTaskError } from '../errors.js';
import { type SocketTaskEmitted, type SocketTaskProfile, socketTaskMachine } from '../machines/socketTask.js';
import { type CloseVerdict, judgeClose } from './closeRules.js';
import {
  assertProfile,
  assertTrace,
  PROPERTY_SOURCES,
  type Trace,
  type TraceStep,
  type Violation,
} from './trace.js';

type Prediction = 'success' | 'fail' | 'either';

interface CallRecord {
  step: number;
  call: 'send' | 'close';
  predicted: Prediction;
  /** The document the prediction comes from, for the report. */
  source: string;
  /** A close the documents disagree on: if the task accepts it, the model closes as for a valid one. */
  contested: boolean;
  state: string;
  success: number;
  fail: number;
  complete: number;
  completeTooEarly: boolean;
}

function stateName(value: unknown): string {
  if (typeof value === 'string') return value;
  const [key, child] = Object.entries(value as Record<string, unknown>)[0] ?? ['?', undefined];
  return child === undefined ? key : `${key}.${stateName(child)}`;
}

function describe(step: TraceStep): string {
  if (step.type === 'call') return `${step.call}()`;
  if (step.type === 'callback') return `${step.callback} of call ${step.id}`;
  if (step.type === 'threw') return `call ${step.id} throwing`;
  return `${step.event} event`;
}

const OUTCOME: Record<SocketTaskEmitted['type'], Prediction | undefined> = {
  // A send while OPEN may still fail: the peer's close frame can arrive before the close event is delivered, and
  // the platform refuses sends from then on. checkSocketTask, which sees the server, tells that case apart.
  'send.accepted': 'either',
  'send.rejected': 'fail',
  'close.accepted': 'success',
  'close.rejected': 'fail',
  // The seeds do not say whether a close that has no effect reports success or fail; either is conforming.
  'close.ignored': 'either',
  'message.delivered': undefined,
  'error.reported': undefined,
};

/**
 * Replays a trace through `socketTaskMachine` for `profile` and returns every point where it leaves the model, in
 * order. Pure: the same trace always gives the same answer. `final: false` for a trace still being recorded: calls
 * whose callbacks have not all come yet are then not violations.
 *
 * @example
 * ```ts
 * const violations = checkTrace(trace, { closeWhileConnecting: 'ignored' });
 * for (const v of violations) console.log(`#${v.step} ${v.property} in ${v.state}: ${v.message}`);
 * ```
 */
export function checkTrace(
  trace: Trace,
  profile: SocketTaskProfile,
  options: { final?: boolean } = {},
): Violation[] {
  assertTrace('checkTrace()', trace);
  assertProfile('checkTrace()', profile);
  const model = createActor(socketTaskMachine, {
    input: { profile: { closeWhileConnecting: profile.closeWhileConnecting } },
  }).start();
  if (
    profile.closeCodes !== undefined &&
    profile.closeCodes !== 'either' &&
    profile.closeCodes !== 'whatwg'
  ) {
    throw new SocketTaskError(
      'ERR_INVALID_OPTIONS',
      `checkTrace(): profile.closeCodes must be 'either' or 'whatwg', got ${String(profile.closeCodes)}`,
    );
  }
  const emitted: Array<SocketTaskEmitted['type']> = [];
  model.on('*', (event) => emitted.push(event.type));
  const violations: Violation[] = [];
  const calls = new Map<number, CallRecord>();
  // A close accepted while CONNECTING on an aborting profile: the socket must not open any more.
  let abortRequested = false;
  let closedAt = -1;

  trace.forEach((step, index) => {
    const snapshot = model.getSnapshot();
    const state = stateName(snapshot.value);
    const violate = (property: Violation['property'], message: string, source = PROPERTY_SOURCES[property]) =>
      violations.push({ property, step: index, state, message, source });

    if (step.type === 'call') {
      emitted.length = 0;
      let predicted: Prediction;
      let verdict: CloseVerdict | undefined;
      if (snapshot.status === 'done') {
        // After the close, a send fails; a close is silent in the seeds (browsers accept it as a no-op).
        predicted = step.call === 'send' ? 'fail' : 'either';
      } else {
        if (step.call === 'send') model.send({ type: 'user.send', data: step.data });
        else {
          verdict = judgeClose(step.code, step.reason, profile.closeCodes);
          // Aborting a handshake, or closing a socket already closing, sends no close frame, so arguments that
          // cannot be sent break nothing then (ws does not look at them): what the seeds forbid is sending them.
          if (
            verdict.verdict === 'invalid' &&
            profile.closeCodes !== 'whatwg' &&
            ((profile.closeWhileConnecting === 'aborts' && state.startsWith('CONNECTING')) ||
              state.startsWith('CLOSING'))
          ) {
            verdict = {
              verdict: 'contested',
              code: typeof step.code === 'number' ? step.code : 1000,
              source: 'the seeds forbid sending such a close; aborting a handshake sends none',
            };
          }
          // A contested close moves the model only if the task accepts it (see its success below).
          if (verdict.verdict !== 'contested') {
            const code = verdict.verdict === 'valid' ? verdict.code : step.code;
            model.send({ type: 'user.close', code, reason: step.reason });
          }
        }
        predicted =
          verdict?.verdict === 'contested'
            ? 'either'
            : (emitted.map((type) => OUTCOME[type]).find((p) => p !== undefined) ?? 'fail');
      }
      if (step.call === 'close' && predicted === 'success' && state.startsWith('CONNECTING'))
        abortRequested = true;
      if (calls.has(step.id)) violate('callbacks', `call id ${step.id} used twice`);
      calls.set(step.id, {
        step: index,
        call: step.call,
        predicted,
        source: verdict?.source ?? PROPERTY_SOURCES[step.call === 'send' ? 'send-outcome' : 'close-outcome'],
        contested: verdict?.verdict === 'contested',
        state,
        success: 0,
        fail: 0,
        complete: 0,
        completeTooEarly: false,
      });
      return;
    }

    if (step.type === 'threw') {
      const call = calls.get(step.id);
      violate(
        'callbacks',
        `${call?.call ?? 'a call'}() threw "${step.message}" instead of calling fail and complete`,
      );
      // Counted as its outcome, so that the missing callbacks are not reported a second time.
      if (call) Object.assign(call, { fail: 1, complete: 1, predicted: 'either' });
      return;
    }

    if (step.type === 'callback') {
      const call = calls.get(step.id);
      if (!call) {
        violate('callbacks', `${step.callback} of call ${step.id}, which was never made`);
        return;
      }
      call[step.callback]++;
      if (call.contested && step.callback === 'success' && call.success === 1) {
        // Accepted: from here on the task is closing, as after a valid close.
        if (call.state.startsWith('CONNECTING') && profile.closeWhileConnecting === 'aborts')
          abortRequested = true;
        if (model.getSnapshot().status !== 'done') model.send({ type: 'user.close' });
      }
      if (step.callback === 'complete') {
        if (call.complete > 1)
          violate('callbacks', `complete called ${call.complete} times for ${call.call}()`);
        if (call.success + call.fail !== 1) call.completeTooEarly = true;
        return;
      }
      if (call.complete > 0) violate('callbacks', `${step.callback} after complete for ${call.call}()`);
      if (call.success + call.fail > 1) {
        violate(
          'callbacks',
          `${call.call}() got ${call.success} success and ${call.fail} fail: exactly one is allowed`,
        );
      }
      if (call.predicted !== 'either' && step.callback !== call.predicted) {
        const property = call.call === 'send' ? 'send-outcome' : 'close-outcome';
        violate(
          property,
          `${call.call}() called in ${call.state} reported ${step.callback}; the model predicts ${call.predicted} (${call.source})`,
          call.source,
        );
      }
      return;
    }

    const event =
      step.event === 'open'
        ? ({ type: 'platform.open' } as const)
        : step.event === 'message'
          ? ({ type: 'platform.message', data: step.data } as const)
          : step.event === 'error'
            ? ({ type: 'platform.error', errMsg: step.errMsg } as const)
            : ({ type: 'platform.close', code: step.code, reason: step.reason } as const);
    if (snapshot.status === 'done') {
      if (step.event === 'open') {
        violate('no-open-after-close-or-error', `open event after the close event at step ${closedAt}`);
        return;
      }
      violate(
        'nothing-after-close',
        `${describe(step)} after the close event at step ${closedAt}: exactly one close, and nothing after it`,
      );
      return;
    }
    if (!snapshot.can(event)) {
      if (step.event === 'open' && abortRequested) {
        violate('close-while-connecting', 'opened after a close while CONNECTING, which this profile aborts');
      } else if (step.event === 'open') {
        violate(
          'no-open-after-close-or-error',
          `open event in ${state}: the socket may open only from CONNECTING`,
        );
      } else violate('allowed-transition', `${describe(step)} is not allowed in ${state}`);
      return;
    }
    model.send(event);
    if (model.getSnapshot().status === 'done') closedAt = index;
  });

  if (options.final !== false) {
    for (const [id, call] of calls) {
      const where = (message: string) =>
        violations.push({
          property: 'callbacks',
          step: call.step,
          state: call.state,
          message,
          source: PROPERTY_SOURCES.callbacks,
        });
      if (call.success + call.fail === 0) where(`${call.call}() (call ${id}) got neither success nor fail`);
      if (call.complete === 0) where(`${call.call}() (call ${id}) never got complete`);
      if (call.completeTooEarly) where(`${call.call}() (call ${id}) got complete before success or fail`);
    }
  }
  model.stop();
  return violations;
}
