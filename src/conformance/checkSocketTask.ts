import fc from 'fast-check';
import type { SocketTaskLike } from '../adapters/types.js';
import { SocketTaskError } from '../errors.js';
import type { SocketTaskProfile } from '../machines/socketTask.js';
import { checkTrace } from './checkTrace.js';
import { type CloseCodeRule, judgeClose } from './closeRules.js';
import { type RecordedTask, recordSocketTask } from './recorder.js';
import { type ControlledServer, type Handshake, type ServerSide, startControlledServer } from './server.js';
import { assertProfile, PROPERTY_SOURCES, type Trace, type Violation } from './trace.js';

/**
 * What `checkSocketTask` drives: a fresh SocketTask for `url`, e.g. `({ url }) => wx.connectSocket({ url })`. A task
 * that runs elsewhere (a browser page, a device) can come with the trace recorded where it runs, as a
 * `RecordedTask` from `recordSocketTask` there: the kit then checks that trace, in which every call is placed where
 * the task really received it.
 */
export type Connect = (target: {
  url: string;
  protocols?: string[];
}) => SocketTaskLike | RecordedTask | Promise<SocketTaskLike | RecordedTask>;

export interface CheckSocketTaskOptions {
  connect: Connect;
  /** How the implementation treats a close while CONNECTING: `'ignored'` (WeChat, QQ, Baidu) or `'aborts'`. */
  profile: SocketTaskProfile;
  /** Scenarios to run. @defaultValue `100` */
  numRuns?: number;
  /** Replays a report's seed. @defaultValue random */
  seed?: number;
  /** With `seed`, replays exactly the counterexample of a report (its `path`), without searching again. */
  path?: string;
  /** ms any single wait may take before the run gives up on it. @defaultValue `1000` */
  waitBound?: number;
}

/** A violation, with what it takes to reproduce it. */
export interface ViolationReport extends Violation {
  /** The shrunk scenario, one step a person can replay by hand per entry, in order (step 1 first). */
  scenario: string[];
  /** The trace the implementation produced for it. */
  trace: Trace;
  seed: number;
  /** fast-check's path to the counterexample, to replay exactly this run: `fc.check(..., { seed, path })`. */
  path: string | undefined;
  /**
   * The call that replays this counterexample, values filled in but for your `connect`, e.g.
   * `checkSocketTask({ connect, profile: { closeWhileConnecting: 'aborts' }, seed: 42, path: '14:0:1' })`.
   */
  replay: string;
}

export interface CheckSocketTaskResult {
  ok: boolean;
  violations: ViolationReport[];
  seed: number;
  numRuns: number;
}

type Payload = { kind: 'text'; text: string } | { kind: 'binary'; bytes: number[] };

/** One thing a scenario does; run in order, with the events of the socket interleaving as they come. */
export type ScenarioStep =
  | { do: 'send'; payload: Payload }
  | { do: 'close'; code?: unknown; reason?: unknown }
  | { do: 'serverSend'; payload: Payload }
  | { do: 'serverClose'; code: number; reason: string }
  | { do: 'serverDrop' }
  | { do: 'wait'; ms: number }
  | { do: 'waitForOpen' };

export interface Scenario {
  handshake: Handshake;
  protocols: string[] | undefined;
  steps: ScenarioStep[];
}

const payloadArb: fc.Arbitrary<Payload> = fc.oneof(
  fc.record({ kind: fc.constant('text' as const), text: fc.string({ maxLength: 12 }) }),
  fc.record({
    kind: fc.constant('binary' as const),
    bytes: fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 12 }),
  }),
);

const closeArb = fc.oneof(
  fc.constant({ do: 'close' as const }),
  fc.record({
    do: fc.constant('close' as const),
    code: fc.oneof(fc.constant(1000), fc.integer({ min: 3000, max: 4999 })),
    reason: fc.string({ maxLength: 10 }),
  }),
  // Invalid on purpose: a reserved or out-of-range code, or a reason over 123 bytes.
  fc.record({
    do: fc.constant('close' as const),
    code: fc.constantFrom(1001, 1005, 1006, 2999, 5000, 1000.5, '1000'),
  }),
  fc.record({
    do: fc.constant('close' as const),
    code: fc.constant(1000),
    reason: fc.constant('é'.repeat(62)),
  }),
);

const stepArb: fc.Arbitrary<ScenarioStep> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ do: fc.constant('send' as const), payload: payloadArb }) },
  { weight: 2, arbitrary: closeArb },
  { weight: 4, arbitrary: fc.record({ do: fc.constant('serverSend' as const), payload: payloadArb }) },
  {
    weight: 1,
    arbitrary: fc.record({
      do: fc.constant('serverClose' as const),
      code: fc.oneof(fc.constant(1000), fc.constant(1001), fc.integer({ min: 3000, max: 4999 })),
      reason: fc.string({ unit: fc.constantFrom('a', 'z', ' ', 'é'), maxLength: 8 }),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ do: 'serverDrop' as const }) },
  { weight: 2, arbitrary: fc.integer({ min: 0, max: 10 }).map((ms) => ({ do: 'wait' as const, ms })) },
  { weight: 3, arbitrary: fc.constant({ do: 'waitForOpen' as const }) },
);

const handshakeArb: fc.Arbitrary<Handshake> = fc.oneof(
  { weight: 12, arbitrary: fc.constant({ kind: 'accept' as const }) },
  { weight: 2, arbitrary: fc.integer({ min: 5, max: 40 }).map((ms) => ({ kind: 'delay' as const, ms })) },
  { weight: 1, arbitrary: fc.constant({ kind: 'refuse' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'drop' as const }) },
);

export const scenarioArb: fc.Arbitrary<Scenario> = fc.record({
  handshake: handshakeArb,
  protocols: fc.option(fc.constant(['stm.v1']), { nil: undefined }),
  steps: fc.array(stepArb, { maxLength: 10 }),
});

function payloadText(p: Payload): string {
  return p.kind === 'text' ? `text ${JSON.stringify(p.text)}` : `binary [${p.bytes.join(', ')}]`;
}

/**
 * The scenario as readable steps, e.g. `user: close(4000, "bye")`. `skipped` marks the server steps that did
 * nothing in the run described (the server's socket was not open yet, or any more), by index in `s.steps`.
 */
export function describeScenario(s: Scenario, skipped: ReadonlySet<number> = new Set()): string[] {
  const h = s.handshake;
  const lines = [
    `server: ${h.kind === 'delay' ? `accepts the handshake after ${h.ms} ms` : h.kind === 'accept' ? 'accepts the handshake' : h.kind === 'refuse' ? 'refuses the handshake (HTTP 401)' : 'drops the TCP connection during the handshake'}`,
  ];
  if (s.protocols) lines.push(`user: connects offering protocols ${JSON.stringify(s.protocols)}`);
  s.steps.forEach((step, index) => {
    const before = lines.length;
    switch (step.do) {
      case 'send':
        lines.push(`user: send ${payloadText(step.payload)}`);
        break;
      case 'close': {
        const args = [step.code, step.reason].filter((a) => a !== undefined).map((a) => JSON.stringify(a));
        lines.push(`user: close(${args.join(', ')})`);
        break;
      }
      case 'serverSend':
        lines.push(`server: send ${payloadText(step.payload)}`);
        break;
      case 'serverClose':
        lines.push(`server: close ${step.code} ${JSON.stringify(step.reason)}`);
        break;
      case 'serverDrop':
        lines.push('server: drops the TCP connection');
        break;
      case 'wait':
        lines.push(`wait ${step.ms} ms`);
        break;
      case 'waitForOpen':
        lines.push('wait for the open (or the close)');
        break;
    }
    if (skipped.has(index) && lines.length > before) {
      lines[before] = `${lines[before]} (did nothing in this run: the server's socket was not open)`;
    }
  });
  lines.push('user: close() at the end, then wait for the close event');
  return lines;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

async function until(predicate: () => boolean, bound: number): Promise<boolean> {
  const deadline = Date.now() + bound;
  while (!predicate()) {
    if (Date.now() > deadline) return false;
    await sleep(1);
  }
  return true;
}

function toData(p: Payload): string | ArrayBuffer {
  return p.kind === 'text' ? p.text : new Uint8Array(p.bytes).buffer;
}

function wire(data: unknown): string | number[] {
  if (typeof data === 'string') return data;
  if (data instanceof ArrayBuffer) return [...new Uint8Array(data)];
  if (ArrayBuffer.isView(data)) return [...new Uint8Array(data.buffer, data.byteOffset, data.byteLength)];
  return `(${typeof data})`;
}

const same = (a: string | number[], b: string | number[]) => JSON.stringify(a) === JSON.stringify(b);

interface RunResult {
  violations: Violation[];
  trace: Trace;
  /** Indexes of the server steps that found no open socket to act on. */
  skipped: Set<number>;
}

/**
 * Whether the close the server started (`serverClosed`, before any close of the user's) reached the task as given.
 * The trace says where the task's own close() really came: one the task took before its close event (valid,
 * or reported as a success: a contested code, or any code on a handshake it aborted) may have crossed the server's
 * on the wire, and the task may then report either code, or the abnormal 1005/1006.
 */
export function serverCloseViolation(
  trace: Trace,
  serverClosed: { code: number; reason: string },
  rule: CloseCodeRule | undefined,
): string | undefined {
  const clientCloseAt = trace.findIndex((s) => s.type === 'event' && s.event === 'close');
  const clientClose = trace[clientCloseAt];
  if (clientClose?.type !== 'event' || clientClose.event !== 'close') return undefined;
  if (clientClose.code === serverClosed.code && clientClose.reason === serverClosed.reason) return undefined;
  for (const s of trace.slice(0, clientCloseAt)) {
    if (s.type !== 'call' || s.call !== 'close') continue;
    const verdict = judgeClose(s.code, s.reason, rule);
    const accepted = trace.some((t) => t.type === 'callback' && t.id === s.id && t.callback === 'success');
    if (verdict.verdict !== 'valid' && !accepted) continue;
    const own = verdict.verdict === 'invalid' ? undefined : verdict.code;
    if ([serverClosed.code, own ?? 1000, 1005, 1006].includes(clientClose.code)) return undefined;
    break;
  }
  return `the server closed with ${serverClosed.code} ${JSON.stringify(serverClosed.reason)}; the task reported ${clientClose.code} ${JSON.stringify(clientClose.reason)}`;
}

const firstDifference = (got: Array<string | number[]>, sent: Array<string | number[]>) =>
  got.findIndex((m, i) => i >= sent.length || !same(m, sent[i] as string | number[]));

/**
 * Whether the messages the task delivered (its trace's message events) are a prefix of what the server sent
 * (`serverSent`: text as strings, binary as byte arrays), in order and unaltered; if not, what differs.
 */
export function receivedViolation(trace: Trace, serverSent: Array<string | number[]>): string | undefined {
  const received = trace.flatMap((s) => (s.type === 'event' && s.event === 'message' ? [wire(s.data)] : []));
  const at = firstDifference(received, serverSent);
  if (at < 0) return undefined;
  return `message ${at} received by the task was ${JSON.stringify(received[at])}; the server sent ${JSON.stringify(serverSent)}`;
}

/** Plays one scenario against a fresh task and checks what happened. Never throws; every wait is bounded. */
async function runScenario(
  server: ControlledServer,
  runNumber: number,
  scenario: Scenario,
  options: Required<Pick<CheckSocketTaskOptions, 'connect' | 'profile' | 'waitBound'>>,
): Promise<RunResult> {
  const { connect, profile, waitBound } = options;
  const side: ServerSide = server.begin(runNumber, scenario.handshake);
  const violations: Violation[] = [];
  const whole = (property: Violation['property'], message: string) =>
    violations.push({
      property,
      step: -1,
      state: '(whole run)',
      message,
      source: PROPERTY_SOURCES[property],
    });
  let recorded: { task: SocketTaskLike; trace: Trace };
  try {
    const target: { url: string; protocols?: string[] } = { url: server.url(runNumber) };
    if (scenario.protocols) target.protocols = [...scenario.protocols];
    const created = await Promise.race([
      Promise.resolve(connect(target)),
      sleep(waitBound).then(() => undefined),
    ]);
    if (!created || typeof created !== 'object') {
      whole(
        'connects',
        `connect() returned ${String(created)} (or nothing within ${waitBound} ms) instead of a SocketTask`,
      );
      server.end();
      return { violations, trace: [], skipped: new Set() };
    }
    const remote = created as Partial<RecordedTask>;
    recorded =
      Array.isArray(remote.trace) && typeof remote.task === 'object' && remote.task !== null
        ? (created as RecordedTask)
        : recordSocketTask(created as SocketTaskLike);
  } catch (error) {
    whole('connects', `connect() threw: ${error instanceof Error ? error.message : String(error)}`);
    server.end();
    return { violations, trace: [], skipped: new Set() };
  }
  const { task, trace } = recorded;
  const has = (event: 'open' | 'close' | 'error') =>
    trace.some((s) => s.type === 'event' && s.event === event);
  // Calls the kit made: a task recorded elsewhere reports each one (and its callbacks) only later.
  let callsMade = 0;
  const call = (fn: () => void) => {
    callsMade++;
    try {
      fn();
    } catch {
      // Recorded as a `threw` step; the run goes on.
    }
  };

  const serverSent: Array<string | number[]> = [];
  let serverClosedFirst: { code: number; reason: string } | undefined;
  let serverDropped = false;
  let anyUserClose = false;
  let serverClosing = false;
  /** Where in the trace the server began to close: from there the socket may already be closing underneath. */
  let serverClosingAt = Number.POSITIVE_INFINITY;

  // Sends made while the task was OPEN and nobody had started closing: these must succeed.
  const mustSucceed = new Map<number, number>();
  const skipped = new Set<number>();
  for (const [stepIndex, step] of scenario.steps.entries()) {
    switch (step.do) {
      case 'send': {
        const index = trace.length;
        const quiet = has('open') && !has('close') && !has('error') && !anyUserClose && !serverClosing;
        call(() => task.send({ data: toData(step.payload) }));
        const made = trace[index];
        if (quiet && made?.type === 'call') mustSucceed.set(made.id, index);
        break;
      }
      case 'close': {
        const args: { code?: number; reason?: string } = {};
        if (step.code !== undefined) args.code = step.code as number;
        if (step.reason !== undefined) args.reason = step.reason as string;
        const index = trace.length;
        call(() => task.close(args));
        const made = trace[index];
        // A close the documents refuse but the task accepted is a violation of its own (close-outcome); the task
        // is closing all the same, so the sends after it are not required to succeed.
        const accepted =
          made?.type === 'call' &&
          trace.some((s) => s.type === 'callback' && s.id === made.id && s.callback === 'success');
        if (accepted || judgeClose(step.code, step.reason, profile.closeCodes).verdict !== 'invalid') {
          anyUserClose = true;
        }
        break;
      }
      case 'serverSend':
        if (side.socket?.readyState === 1) {
          serverSent.push(step.payload.kind === 'text' ? step.payload.text : step.payload.bytes);
          side.socket.send(
            step.payload.kind === 'text' ? step.payload.text : new Uint8Array(step.payload.bytes),
          );
        } else skipped.add(stepIndex);
        break;
      case 'serverClose':
        if (side.socket?.readyState === 1) {
          if (!anyUserClose && !serverDropped && !serverClosedFirst) {
            serverClosedFirst = { code: step.code, reason: step.reason };
          }
          serverClosing = true;
          serverClosingAt = Math.min(serverClosingAt, trace.length);
          side.socket.close(step.code, step.reason);
        } else skipped.add(stepIndex);
        break;
      case 'serverDrop':
        if (side.socket && side.socket.readyState <= 1) {
          serverDropped = true;
          serverClosing = true;
          serverClosingAt = Math.min(serverClosingAt, trace.length);
          side.socket.terminate();
        } else skipped.add(stepIndex);
        break;
      case 'wait':
        await sleep(step.ms);
        break;
      case 'waitForOpen':
        await until(() => has('open') || has('close') || side.ended, waitBound);
        break;
    }
    await tick();
  }

  // The end: close, and wait for the close event. A platform that ignores a close while CONNECTING must open (or
  // fail) first: the scenario's own steps already tried closing early, so here the handshake is waited for.
  const over = () => has('close') || (has('error') && (side.ended || side.socket === undefined));
  if (profile.closeWhileConnecting === 'ignored' && !has('open')) {
    await until(() => has('open') || over() || side.ended, waitBound);
  }
  call(() => task.close({}));
  if (!(await until(over, waitBound))) {
    if (has('open') || side.socket) {
      await until(() => has('open') || over(), waitBound);
      call(() => task.close({}));
    }
    await until(over, waitBound);
  }
  // After an error a platform may never send a close (the model allows the trace to end there): a moment for it.
  if (!has('close') && has('error')) await until(() => has('close'), 20);
  if (!has('close') && !has('error')) whole('closes', `no close event within ${waitBound} ms of close()`);
  // The server's side of a closing socket, so that the close code it saw can be compared.
  if (side.socket) await until(() => side.ended, waitBound);
  // Callbacks may come late (a platform's own thread, a task in another process): each call's complete is waited
  // for, within the bound. Late events (after close) get a moment to show up too.
  const completed = () => {
    const calls = trace.filter((s) => s.type === 'call').length;
    const completes = trace.filter((s) => s.type === 'callback' && s.callback === 'complete').length;
    const threw = trace.filter((s) => s.type === 'threw').length;
    return calls >= callsMade && completes + threw >= calls;
  };
  await until(completed, waitBound);
  await sleep(5);
  await tick();
  server.end();

  // Once the server's close frame is in, the platform's socket is closing though its close event has not come:
  // a close() then may be the no-op a closing socket makes of any close (ws, WHATWG), whatever its arguments.
  // The seeds deliver a message as a string or an ArrayBuffer; anything else (a Blob, a Node Buffer) is the
  // implementation's deviation, reported as such, and the rest of the trace is still checked.
  const checkable: Trace = trace.map((s, index) => {
    if (s.type !== 'event' || s.event !== 'message') return s;
    if (typeof s.data === 'string' || Object.prototype.toString.call(s.data) === '[object ArrayBuffer]')
      return s;
    const kind = Object.prototype.toString.call(s.data).slice(8, -1);
    violations.push({
      property: 'message-order',
      step: index,
      state: '(message event)',
      message: `a message event carried a ${kind}; a SocketTask delivers a string or an ArrayBuffer`,
      source: 'seeds (SocketTask.onMessage: data is a string or an ArrayBuffer)',
    });
    const data = wire(s.data);
    return { ...s, data: typeof data === 'string' ? data : new Uint8Array(data).buffer };
  });
  try {
    violations.push(
      ...checkTrace(checkable, profile).filter(
        (v) =>
          !(
            v.property === 'close-outcome' &&
            v.step >= serverClosingAt &&
            /reported success/.test(v.message)
          ),
      ),
    );
  } catch (error) {
    whole(
      'allowed-transition',
      `the recorded trace could not be checked: ${error instanceof Error ? error.message : String(error)}`,
    );
  }

  // The close the server asked for reaches the client as given; the one the user asked for reaches the server.
  // A close the task took: valid by every document, or accepted (its success is in the trace). One every document
  // refuses, accepted, is a close-outcome violation, and starts a close whose code nothing predicts: undefined.
  const took = (s: Trace[number]): number | undefined | false => {
    if (s.type !== 'call' || s.call !== 'close') return false;
    const verdict = judgeClose(s.code, s.reason, profile.closeCodes);
    if (verdict.verdict === 'valid') return verdict.code;
    const accepted = trace.some((t) => t.type === 'callback' && t.id === s.id && t.callback === 'success');
    if (!accepted) return false;
    return verdict.verdict === 'contested' ? verdict.code : undefined;
  };
  if (serverClosedFirst) {
    const message = serverCloseViolation(trace, serverClosedFirst, profile.closeCodes);
    if (message !== undefined) whole('close-code', message);
  }
  // The first valid close with a code, made while the task was OPEN (read from the trace, which places each call
  // where the task received it), in a run where the server itself never closed.
  const firstClose = trace.findIndex((s) => took(s) !== false);
  const closing = trace[firstClose];
  const closingCode = closing === undefined ? undefined : took(closing);
  const before = trace.slice(0, Math.max(0, firstClose));
  const openAtClose =
    before.some((s) => s.type === 'event' && s.event === 'open') &&
    !before.some((s) => s.type === 'event' && (s.event === 'close' || s.event === 'error'));
  if (
    closing?.type === 'call' &&
    closing.call === 'close' &&
    typeof closingCode === 'number' &&
    openAtClose &&
    !serverClosing &&
    side.close
  ) {
    const reason = closing.reason ?? '';
    if (side.close.code !== closingCode || side.close.reason !== reason) {
      const converted =
        closingCode === closing.code ? '' : ` (converted to ${closingCode}, as WHATWG's WebIDL does)`;
      whole(
        'close-code',
        `close(${JSON.stringify(closing.code)}, ${JSON.stringify(reason)})${converted} reached the server as ${side.close.code} ${JSON.stringify(side.close.reason)}`,
      );
    }
  }

  for (const [id, index] of mustSucceed) {
    if (trace.some((s) => s.type === 'callback' && s.id === id && s.callback === 'fail')) {
      violations.push({
        property: 'send-outcome',
        step: index,
        state: 'OPEN',
        message: 'send() with valid data failed while OPEN, with neither side closing',
        source: PROPERTY_SOURCES['send-outcome'],
      });
    }
  }

  // Messages arrive in order and unaltered: what the client received is a prefix of what the server sent, and the
  // other way round for the sends the task reported as successful.
  const clientSide = receivedViolation(trace, serverSent);
  if (clientSide !== undefined) whole('message-order', clientSide);
  const succeeded = new Set(
    trace.flatMap((s) => (s.type === 'callback' && s.callback === 'success' ? [s.id] : [])),
  );
  const accepted = trace.flatMap((s) =>
    s.type === 'call' && s.call === 'send' && succeeded.has(s.id) ? [wire(s.data)] : [],
  );
  const serverSide = firstDifference(side.received, accepted);
  if (serverSide >= 0) {
    whole(
      'message-order',
      `message ${serverSide} the server received was ${JSON.stringify(side.received[serverSide])}; the task reported sending ${JSON.stringify(accepted)}`,
    );
  }
  return { violations, trace, skipped };
}

/**
 * Drives random scenarios against SocketTasks made by `connect`, through the kit's own server on 127.0.0.1, and
 * checks each recorded trace against `socketTaskMachine` for `profile`, plus what only the server can see: close
 * codes and message order. Always stops its server and every socket; every wait is bounded.
 *
 * @example
 * ```ts
 * import { checkSocketTask } from 'socket-task-machine/conformance';
 *
 * const result = await checkSocketTask({
 *   connect: ({ url, protocols }) => myPlatform.connectSocket({ url, protocols }),
 *   profile: { closeWhileConnecting: 'ignored' },
 *   numRuns: 200,
 * });
 * if (!result.ok) console.log(formatReport(result));
 * ```
 */
export async function checkSocketTask(options: CheckSocketTaskOptions): Promise<CheckSocketTaskResult> {
  return (await searchSocketTask(options)).result;
}

/** What `searchSocketTask` adds to a result: how far the search went. */
export interface SearchOutcome {
  result: CheckSocketTaskResult;
  /** Scenarios run before the search stopped (at the counterexample, at `numRuns`, or at the time limit). */
  runs: number;
  /** The search stopped at `timeLimit` before `numRuns` scenarios had run, with no counterexample found. */
  interrupted: boolean;
}

/**
 * `checkSocketTask` for the compatibility table (scripts/conformance.ts): `ignore` lists properties whose
 * violations do not fail a run, so that the search can go on to the first counterexample of every other property;
 * `timeLimit` (ms) bounds the whole search. Not part of the package's entries.
 */
export async function searchSocketTask(
  options: CheckSocketTaskOptions,
  extra: { ignore?: readonly Violation['property'][]; timeLimit?: number } = {},
): Promise<SearchOutcome> {
  const { connect, profile } = options;
  if (typeof connect !== 'function') {
    throw new SocketTaskError(
      'ERR_INVALID_OPTIONS',
      'checkSocketTask(): connect must be a function of the url that returns a SocketTask (or a Promise of one)',
    );
  }
  assertProfile('checkSocketTask()', profile);
  const numRuns = options.numRuns ?? 100;
  const seed = options.seed ?? Math.floor(Math.random() * 2 ** 31);
  const waitBound = options.waitBound ?? 1000;
  const ignored = new Set(extra.ignore ?? []);
  const counted = (result: RunResult) => result.violations.filter((v) => !ignored.has(v.property));
  const server = await startControlledServer();
  const failures = new WeakMap<Scenario, RunResult>();
  let runNumber = 0;
  try {
    const property = fc.asyncProperty(scenarioArb, async (scenario) => {
      const result = await runScenario(server, runNumber++, scenario, { connect, profile, waitBound });
      const broken = counted(result);
      if (broken.length > 0) failures.set(scenario, { ...result, violations: broken });
      return broken.length === 0;
    });
    const details = await fc.check(property, {
      numRuns,
      seed,
      ...(options.path === undefined ? {} : { path: options.path }),
      ...(extra.timeLimit === undefined ? {} : { interruptAfterTimeLimit: extra.timeLimit }),
    });
    if (!details.failed || !details.counterexample) {
      return {
        result: { ok: true, violations: [], seed, numRuns },
        runs: details.numRuns,
        interrupted: details.interrupted,
      };
    }
    const [scenario] = details.counterexample;
    const found = failures.get(scenario);
    const again =
      found ?? (await runScenario(server, runNumber++, scenario, { connect, profile, waitBound }));
    const lines = describeScenario(scenario, again.skipped);
    const path = details.counterexamplePath ?? undefined;
    const replay = replayCall(options, seed, path);
    return {
      result: {
        ok: false,
        seed,
        numRuns,
        violations: (found ? again.violations : counted(again)).map((v) => ({
          ...v,
          scenario: lines,
          trace: again.trace,
          seed,
          path,
          replay,
        })),
      },
      runs: details.numRuns,
      interrupted: false,
    };
  } finally {
    await server.stop();
  }
}

/** The `checkSocketTask` call that replays a counterexample: every option but `connect` written out. */
function replayCall(options: CheckSocketTaskOptions, seed: number, path: string | undefined): string {
  const profile = [`closeWhileConnecting: '${options.profile.closeWhileConnecting}'`];
  if (options.profile.closeCodes !== undefined) profile.push(`closeCodes: '${options.profile.closeCodes}'`);
  const parts = ['connect', `profile: { ${profile.join(', ')} }`];
  if (options.waitBound !== undefined) parts.push(`waitBound: ${options.waitBound}`);
  if (path === undefined) parts.push(`numRuns: ${options.numRuns ?? 100}`);
  parts.push(`seed: ${seed}`);
  if (path !== undefined) parts.push(`path: '${path}'`);
  return `checkSocketTask({ ${parts.join(', ')} })`;
}

/**
 * A report of a result, for a test failure message or a console: each broken property with the document its rule
 * comes from, the shrunk scenario as numbered steps to replay by hand, and the call that replays it.
 *
 * @example
 * ```ts
 * import { checkSocketTask, formatReport } from 'socket-task-machine/conformance';
 *
 * const result = await checkSocketTask({
 *   connect: ({ url }) => new MyTask(url),
 *   profile: { closeWhileConnecting: 'aborts' },
 * });
 * console.log(formatReport(result));
 * ```
 */
export function formatReport(result: CheckSocketTaskResult): string {
  if (result.ok) return `conforms: ${result.numRuns} runs, seed ${result.seed}`;
  const [first] = result.violations;
  const lines = [`does not conform (seed ${result.seed}, path ${first?.path ?? '-'}):`];
  for (const v of result.violations) {
    lines.push(
      `  ✗ ${v.property}${v.step >= 0 ? ` at trace step ${v.step}` : ''} in ${v.state}: ${v.message}`,
      `    rule: ${v.source}`,
    );
  }
  lines.push('  scenario, to replay by hand:');
  (first?.scenario ?? []).forEach((step, index) => {
    lines.push(`    ${index + 1}. ${step}`);
  });
  if (first) {
    lines.push(`  replay: await ${first.replay}`);
    // A shrunk run replayed alone can be timed differently by real sockets; the seed replays the whole search.
    const search = first.replay.replace(
      /seed: \d+, path: '[^']*'/,
      `numRuns: ${result.numRuns}, seed: ${result.seed}`,
    );
    if (search !== first.replay) lines.push(`  or search again from the seed: await ${search}`);
  }
  return lines.join('\n');
}
