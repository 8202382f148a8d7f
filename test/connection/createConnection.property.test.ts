import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { CloseEvent, PlatformProfile, SocketAdapter, SocketTaskLike } from '../../src/adapters/types.js';
import { type Connection, createConnection } from '../../src/connection/createConnection.js';
import { SocketTaskError } from '../../src/errors.js';
import { READY_STATE, type ReadyStateName } from '../../src/readyState.js';
import {
  abortingProfile,
  type FakeSocketTask,
  fakeAdapter,
  wechatProfile,
} from '../fixtures/fakeSocketTask.js';
import { expectForwardToClosed } from '../fixtures/readyStateGraph.js';
import { traceViolations } from '../fixtures/traceCheck.js';
import { propertySeed, topState } from '../helpers.js';

const numRuns = Number(process.env.FC_RUNS ?? 100);
const seed = propertySeed('connection/createConnection.property', `numRuns=${numRuns} per configuration`);

/** The readyState only moves forward (docs/platforms.md#the-readystate-only-moves-forward): the edges a connection may take. */
// ---------------------------------------------------------------------------------------------------------
// Scenarios

type Payload =
  | { kind: 'text'; text: string }
  | { kind: 'buffer'; bytes: number[] }
  /** A view that does not span its buffer, so the library has to copy exactly its bytes out. */
  | { kind: 'view'; bytes: number[] }
  | { kind: 'invalid'; value: unknown };

type CloseArgs = { code?: unknown; reason?: unknown };
type Style = 'promise' | 'callbacks';

type UserStep =
  | { do: 'send'; payload: Payload; style: Style }
  | {
      do: 'close';
      args: CloseArgs;
      expect: 'ok' | 'ERR_INVALID_CLOSE_CODE' | 'ERR_INVALID_CLOSE_REASON';
      style: Style;
    };

type CloseStep = Extract<UserStep, { do: 'close' }>;

type PlatformStep =
  | { do: 'open' }
  | { do: 'message'; data: { kind: 'text'; text: string } | { kind: 'buffer'; bytes: number[] } }
  | { do: 'error' }
  | { do: 'close'; code: number; reason: string }
  | { do: 'completeClose' };

interface Scenario {
  /** A close called synchronously right after createConnection, before any task can have been attached. */
  closeAtStart: CloseStep | null;
  user: UserStep[];
  platform: PlatformStep[];
  /** Time passing, in ms, racing with the two others. */
  clock: number[];
  errorGrace: number;
  closeTimeout: number;
  /** At the end, answer the close handshakes before running out the timers, or after. */
  handshakeBeforeTimers: boolean;
  /** Teardown of a task still CONNECTING: the platform opens it (true) or gives up with close 1006 (false). */
  teardownOpens: boolean;
}

const bytes = fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 6 });
const reasonText = fc.string({ unit: fc.constantFrom('a', 'z', ' ', 'é', '关', '😀'), maxLength: 8 });

const payloadArb: fc.Arbitrary<Payload> = fc.oneof(
  fc.record({ kind: fc.constant('text' as const), text: fc.string({ maxLength: 6 }) }),
  fc.record({ kind: fc.constant('buffer' as const), bytes }),
  fc.record({ kind: fc.constant('view' as const), bytes }),
  fc.record({
    kind: fc.constant('invalid' as const),
    value: fc.constantFrom<unknown>(42, null, undefined, true, { data: 'x' }, [1, 2]),
  }),
);

const validCloseArgs: fc.Arbitrary<CloseArgs> = fc.record(
  { code: fc.oneof(fc.constant(1000), fc.integer({ min: 3000, max: 4999 })), reason: reasonText },
  { requiredKeys: [] },
);

const closeStepArb: fc.Arbitrary<CloseStep> = fc
  .oneof(
    { weight: 3, arbitrary: validCloseArgs.map((args) => ({ args, expect: 'ok' as const })) },
    {
      weight: 1,
      arbitrary: fc
        .constantFrom<unknown>(0, 999, 1001, 1005, 1006, 2999, 5000, 1000.5, Number.NaN, '1000')
        .map((code) => ({ args: { code }, expect: 'ERR_INVALID_CLOSE_CODE' as const })),
    },
    {
      weight: 1,
      arbitrary: fc
        // 62 × 'é' is 124 UTF-8 bytes: one over the limit, although only 62 characters.
        .constantFrom<unknown>('é'.repeat(62), 'x'.repeat(124), 42)
        .map((reason) => ({ args: { code: 1000, reason }, expect: 'ERR_INVALID_CLOSE_REASON' as const })),
    },
  )
  .chain((close) =>
    fc
      .constantFrom<Style>('promise', 'callbacks')
      .map((style) => ({ do: 'close' as const, ...close, style })),
  );

const userStepArb: fc.Arbitrary<UserStep> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({
      do: fc.constant('send' as const),
      payload: payloadArb,
      style: fc.constantFrom<Style>('promise', 'callbacks'),
    }),
  },
  { weight: 1, arbitrary: closeStepArb },
);

const platformStepArb: fc.Arbitrary<PlatformStep> = fc.oneof(
  { weight: 3, arbitrary: fc.constant({ do: 'open' as const }) },
  {
    weight: 3,
    arbitrary: fc.record({
      do: fc.constant('message' as const),
      data: fc.oneof(
        fc.record({ kind: fc.constant('text' as const), text: fc.string({ maxLength: 6 }) }),
        fc.record({ kind: fc.constant('buffer' as const), bytes }),
      ),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ do: 'error' as const }) },
  {
    weight: 1,
    arbitrary: fc.record({
      do: fc.constant('close' as const),
      code: fc.constantFrom(1000, 1001, 1006, 1011, 3001, 4000),
      reason: reasonText,
    }),
  },
  { weight: 2, arbitrary: fc.constant({ do: 'completeClose' as const }) },
);

const scenarioArb: fc.Arbitrary<Scenario> = fc.record({
  closeAtStart: fc.oneof({ weight: 3, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: closeStepArb }),
  user: fc.array(userStepArb, { maxLength: 6 }),
  // Most platforms do open: start most scenarios with an open so that the OPEN paths get their share.
  platform: fc.oneof(
    fc.array(platformStepArb, { maxLength: 6 }),
    fc.array(platformStepArb, { maxLength: 5 }).map((steps): PlatformStep[] => [{ do: 'open' }, ...steps]),
    fc.array(platformStepArb, { maxLength: 5 }).map((steps): PlatformStep[] => [{ do: 'open' }, ...steps]),
  ),
  clock: fc.array(fc.integer({ min: 0, max: 60 }), { minLength: 1, maxLength: 3 }),
  errorGrace: fc.integer({ min: 0, max: 50 }),
  closeTimeout: fc.integer({ min: 0, max: 50 }),
  handshakeBeforeTimers: fc.boolean(),
  teardownOpens: fc.boolean(),
});

// ---------------------------------------------------------------------------------------------------------
// Running one scenario and recording what the user observes

interface Config {
  name: string;
  profile: PlatformProfile;
  closeBeforeOpen: 'defer' | 'ignore';
  /**
   * How the adapter hands the task over: at once (WeChat), a microtask late (`asyncConnect`, Taro), or whenever
   * the scheduler decides, racing with everything else (a slow native `success`).
   */
  connect: 'sync' | 'microtask' | 'scheduled';
  /** `false`: the platforms' own semantics, a send while not OPEN fails with ERR_NOT_OPEN. */
  queue: boolean;
}

type Observed =
  | { kind: 'state'; state: ReadyStateName; previous: ReadyStateName }
  | { kind: 'open' }
  | { kind: 'message'; data: string | ArrayBuffer }
  | { kind: 'error' }
  | { kind: 'close'; event: CloseEvent; errorsLogged: number };

interface Outcome {
  success: number;
  fail: number;
  complete: number;
  /** `complete` came before `success` / `fail`, or without one. */
  completeTooEarly: boolean;
  result?: unknown;
  error?: unknown;
}

interface SendCall {
  label: string;
  payload: Payload;
  style: Style;
  stateAtCall: ReadyStateName;
  outcome: Outcome;
}

interface CloseCall {
  label: string;
  style: Style;
  step: CloseStep;
  stateAtCall: ReadyStateName;
  outcome: Outcome;
}

function toSocketData(payload: Payload): unknown {
  switch (payload.kind) {
    case 'text':
      return payload.text;
    case 'buffer':
      return new Uint8Array(payload.bytes).buffer;
    case 'view': {
      const backing = new Uint8Array(payload.bytes.length + 2).fill(0xee);
      backing.set(payload.bytes, 1);
      return backing.subarray(1, 1 + payload.bytes.length);
    }
    case 'invalid':
      return payload.value;
  }
}

function expectedWire(payload: Payload): string | number[] {
  return payload.kind === 'text' ? payload.text : payload.kind === 'invalid' ? [] : payload.bytes;
}

function wire(data: string | ArrayBuffer): string | number[] {
  return typeof data === 'string' ? data : [...new Uint8Array(data)];
}

function userLabel(step: UserStep): string {
  if (step.do === 'close') return `close(${JSON.stringify(step.args)}, ${step.style})`;
  const { payload } = step;
  return `send(${payload.kind === 'text' ? JSON.stringify(payload.text) : payload.kind}, ${step.style})`;
}

function platformLabel(step: PlatformStep): string {
  switch (step.do) {
    case 'message':
      return `platform.message(${step.data.kind === 'text' ? JSON.stringify(step.data.text) : 'binary'})`;
    case 'close':
      return `platform.close(${step.code}, ${JSON.stringify(step.reason)})`;
    default:
      return `platform.${step.do}`;
  }
}

/** Runs the scenario against one connection and collects what the properties need. */
class Run {
  /** Every task the platform created, and those the library has received, in order. */
  readonly tasks: FakeSocketTask[];
  readonly handedOver: FakeSocketTask[] = [];
  readonly conn: Connection;
  readonly observed: Observed[] = [];
  readonly problems: string[] = [];
  readonly readyStates: number[] = [];
  readonly sends: SendCall[] = [];
  readonly closes: CloseCall[] = [];
  /** Messages the user must receive, in order: those the platform delivered while the user saw the socket open. */
  readonly expectedMessages: Array<string | number[]> = [];
  /** The platform reported an error on this task: a platform then sends nothing but errors and a close (docs/platforms.md#error-without-close). */
  readonly errored = new Set<FakeSocketTask>();
  private reported: ReadyStateName = 'CONNECTING';

  constructor(
    readonly config: Config,
    scenario: Scenario,
    s: fc.Scheduler,
  ) {
    const fake = fakeAdapter(config.profile, { asyncConnect: config.connect === 'microtask' });
    this.tasks = fake.tasks;
    // Registered before the connection's own `then`, so a task counts as handed over exactly when it is attached.
    const handOver = (task: SocketTaskLike) => {
      this.handedOver.push(task as FakeSocketTask);
      return task;
    };
    const adapter: SocketAdapter = {
      ...fake,
      connect: (target) => {
        const created = fake.connect(target);
        if (config.connect === 'scheduled') {
          return s
            .schedule(Promise.resolve(), 'task handed over')
            .then(() => handOver(created as SocketTaskLike));
        }
        return isPromise(created) ? created.then(handOver) : handOver(created);
      },
    };
    this.conn = createConnection({
      // One socket's life per run: the reconnect policy has its own property tests.
      reconnect: false,
      url: 'wss://example.test/socket',
      adapter,
      closeBeforeOpen: config.closeBeforeOpen,
      errorGrace: scenario.errorGrace,
      closeTimeout: scenario.closeTimeout,
      // These runs model the platform's own timing; abandoning a slow attempt is covered by the connect-timeout tests.
      connectTimeout: false,
      queue: config.queue ? {} : false,
    });
    const { conn } = this;
    conn.onStateChange((state, previous) => {
      this.observed.push({ kind: 'state', state, previous });
      if (previous !== this.reported)
        this.problem(`state change from ${previous}, last reported ${this.reported}`);
      this.reported = state;
      this.check(`onStateChange(${state})`);
    });
    conn.onOpen(() => {
      this.observed.push({ kind: 'open' });
      this.check('onOpen');
    });
    conn.onMessage(({ data }) => {
      this.observed.push({ kind: 'message', data });
      this.check('onMessage');
    });
    conn.onError(() => {
      this.observed.push({ kind: 'error' });
      this.check('onError');
    });
    conn.onClose((event) => {
      const log = this.task?.log ?? [];
      const errorsLogged = log.filter((e) => e.kind === 'platform' && e.event === 'error').length;
      this.observed.push({ kind: 'close', event, errorsLogged });
      this.check('onClose');
    });
    this.check('createConnection');
  }

  /** The platform plays only the task the library holds: the one handed over last. */
  get task(): FakeSocketTask | undefined {
    return this.handedOver.at(-1);
  }

  problem(text: string): void {
    this.problems.push(text);
  }

  /** `state` and `readyState` agree with the actor and with what onStateChange reported; readyState never goes back. */
  check(where: string): void {
    const { conn } = this;
    const fromActor = topState(conn.actor.getSnapshot().value) as ReadyStateName;
    if (conn.state !== fromActor) this.problem(`${where}: conn.state ${conn.state}, actor ${fromActor}`);
    if (conn.readyState !== READY_STATE[fromActor]) {
      this.problem(`${where}: conn.readyState ${conn.readyState}, actor ${fromActor}`);
    }
    if (conn.state !== this.reported)
      this.problem(`${where}: conn.state ${conn.state}, reported ${this.reported}`);
    const last = this.readyStates.at(-1) ?? 0;
    if (conn.readyState < last)
      this.problem(`${where}: readyState went back from ${last} to ${conn.readyState}`);
    this.readyStates.push(conn.readyState);
  }

  private track(): { outcome: Outcome; callbacks: object; settle: (p: Promise<unknown>) => void } {
    const outcome: Outcome = { success: 0, fail: 0, complete: 0, completeTooEarly: false };
    return {
      outcome,
      callbacks: {
        success: (result: unknown) => {
          outcome.success++;
          outcome.result = result;
        },
        fail: (error: unknown) => {
          outcome.fail++;
          outcome.error = error;
        },
        complete: () => {
          outcome.complete++;
          if (outcome.success + outcome.fail !== 1) outcome.completeTooEarly = true;
        },
      },
      settle: (promise) => {
        void promise.then(
          (result) => {
            outcome.success++;
            outcome.result = result;
          },
          (error: unknown) => {
            outcome.fail++;
            outcome.error = error;
          },
        );
      },
    };
  }

  user(step: UserStep): void {
    const stateAtCall = this.conn.state;
    const { outcome, callbacks, settle } = this.track();
    if (step.do === 'send') {
      this.sends.push({
        label: userLabel(step),
        payload: step.payload,
        style: step.style,
        stateAtCall,
        outcome,
      });
      const data = toSocketData(step.payload) as string;
      if (step.style === 'callbacks') this.conn.send(data, callbacks as { complete: () => void });
      else settle(this.conn.send(data));
    } else {
      this.closes.push({ label: userLabel(step), style: step.style, step, stateAtCall, outcome });
      const args = step.args as { code?: number; reason?: string };
      if (step.style === 'callbacks')
        this.conn.close({ ...args, ...(callbacks as { complete: () => void }) });
      else settle(this.conn.close(args));
      if (step.expect !== 'ok' && this.conn.state !== stateAtCall) {
        this.problem(`${userLabel(step)} with invalid arguments moved ${stateAtCall} to ${this.conn.state}`);
      }
    }
    this.check(userLabel(step));
  }

  platform(step: PlatformStep): void {
    const task = this.task;
    if (!task) return;
    const errored = this.errored.has(task);
    switch (step.do) {
      case 'open':
        if (!errored) task.emitOpen({ header: { 'x-step': 'open' } });
        break;
      case 'message': {
        if (errored) break;
        const data = step.data.kind === 'text' ? step.data.text : new Uint8Array(step.data.bytes).buffer;
        const opened = this.observed.some((o) => o.kind === 'open');
        const deliverable = opened && (this.conn.state === 'OPEN' || this.conn.state === 'CLOSING');
        const before = task.log.length;
        task.emitMessage(data);
        if (task.log.length > before && deliverable) this.expectedMessages.push(wire(data));
        break;
      }
      case 'error':
        if (task.readyState !== 3) this.errored.add(task);
        task.emitError();
        break;
      case 'close':
        task.emitClose(step.code, step.reason);
        break;
      case 'completeClose':
        // The server answers a close handshake; without one started there is nothing to answer.
        if (task.readyState === 2) task.completeClose();
        break;
    }
    this.check(platformLabel(step));
  }

  finishHandshakes(): void {
    for (const task of this.tasks) if (task.readyState === 2) task.completeClose();
    this.check('completeClose');
  }
}

const isPromise = <T>(value: T | Promise<T>): value is Promise<T> => value instanceof Promise;

/** Lets every pending microtask and promise reaction run: setImmediate is not faked. */
const drain = () => new Promise<void>((resolve) => setImmediate(resolve));

async function runOutTimers(run: Run): Promise<void> {
  await vi.runAllTimersAsync();
  await drain();
  run.check('timers');
}

const isValidClose = (c: CloseCall) => c.step.expect === 'ok';

// ---------------------------------------------------------------------------------------------------------
// The properties

/** Checked once the scenario has played out and every timer and started handshake has run. */
function checkSettled(run: Run): void {
  const { conn, config } = run;
  const ignoring = config.profile.closeWhileConnecting === 'ignored';
  const closesSeen = run.observed.filter((o) => o.kind === 'close').length;
  expect(closesSeen, 'close events before teardown').toBeLessThanOrEqual(1);
  expect(closesSeen === 1, 'a close event exactly when CLOSED').toBe(conn.state === 'CLOSED');
  // With closeBeforeOpen 'ignore' on an ignoring platform, a close while CONNECTING does nothing, as documented.
  const effectiveClose = run.closes.some(
    (c) =>
      isValidClose(c) &&
      (c.stateAtCall === 'OPEN' ||
        (c.stateAtCall === 'CONNECTING' && !(ignoring && config.closeBeforeOpen === 'ignore'))),
  );

  // Leaks: a task is left OPEN only for a connection that is OPEN and was never asked to close effectively;
  // then it is the current task, and conversely an OPEN connection sits on an OPEN task.
  const openTasks = run.tasks.filter((t) => t.readyState === 1);
  const legitimatelyOpen = conn.state === 'OPEN' && !effectiveClose && closesSeen === 0;
  if (legitimatelyOpen) expect(openTasks).toEqual([run.task]);
  else expect(openTasks.length, `tasks left OPEN with the connection ${conn.state}`).toBe(0);

  // An effective close is carried out, except a deferred one whose task has not opened yet.
  if (effectiveClose) {
    const waitingForOpen =
      conn.state === 'CONNECTING' &&
      ignoring &&
      config.closeBeforeOpen === 'defer' &&
      run.task?.readyState === 0;
    expect(conn.state === 'CLOSED' || waitingForOpen, `state ${conn.state} after an effective close`).toBe(
      true,
    );
  }
  // No timer is left to move a connection that is not CLOSED: only the platform can.
  if (conn.state !== 'CLOSED') expect(['CONNECTING', 'OPEN']).toContain(conn.state);
  else checkTasksDone(run);
}

/**
 * Once CLOSED, every task is closed too, or, on a platform that cannot abort a handshake, still CONNECTING
 * (after an error, or given up closeTimeout after a close it ignored): it is closed the moment it opens, if it
 * ever does.
 */
function checkTasksDone(run: Run): void {
  const ignoring = run.config.profile.closeWhileConnecting === 'ignored';
  for (const [i, task] of run.tasks.entries()) {
    const stuck = task.readyState === 0 && ignoring;
    expect(task.readyState === 3 || stuck, `task ${i} in readyState ${task.readyState} after CLOSED`).toBe(
      true,
    );
  }
}

function checkFinal(run: Run, closedWith: CloseEvent): void {
  const { conn, config, observed } = run;
  const ignoring = config.profile.closeWhileConnecting === 'ignored';
  expect(run.problems).toEqual([]);
  expect(conn.state).toBe('CLOSED');

  // Transitions: allowed edges only, each reported once, in order.
  expectForwardToClosed(observed.flatMap((o) => (o.kind === 'state' ? [o] : [])));
  expect(run.readyStates.at(-1)).toBe(3);

  // Exactly one close, the last thing the user observes; conn.closed settles with the same info.
  const closeIndexes = observed.flatMap((o, i) => (o.kind === 'close' ? [i] : []));
  expect(closeIndexes).toHaveLength(1);
  const closeIndex = closeIndexes[0] as number;
  expect(closeIndex, 'events after close').toBe(observed.length - 1);
  const close = observed[closeIndex] as Extract<Observed, { kind: 'close' }>;
  expect(closedWith).toEqual(close.event);
  const platformCloses = run.tasks.flatMap((t) =>
    t.log.flatMap((e) => (e.kind === 'platform' && e.event === 'close' ? [e.payload] : [])),
  );
  expect([...platformCloses, { code: 1006, reason: '' }]).toContainEqual(close.event);
  // Every platform error before the close reached onError, and none after it.
  expect(observed.filter((o) => o.kind === 'error')).toHaveLength(close.errorsLogged);

  // onOpen at most once, only in OPEN, and never on the deferred-close path.
  const opens = observed.filter((o) => o.kind === 'open').length;
  expect(opens).toBeLessThanOrEqual(1);
  const deferredPath = run.closes.some(
    (c) =>
      isValidClose(c) && c.stateAtCall === 'CONNECTING' && (config.closeBeforeOpen === 'defer' || !ignoring),
  );
  if (deferredPath) expect(opens, 'onOpen after a close requested while CONNECTING').toBe(0);
  const openIndex = observed.findIndex((o) => o.kind === 'open');
  if (openIndex >= 0)
    expect(observed[openIndex - 1]).toEqual({ kind: 'state', state: 'OPEN', previous: 'CONNECTING' });

  // Messages: exactly those the platform delivered while the user saw the socket open, in order, unaltered.
  const received = observed.flatMap((o) => (o.kind === 'message' ? [wire(o.data)] : []));
  expect(received).toEqual(run.expectedMessages);

  // Every call settles exactly once.
  for (const c of [...run.sends, ...run.closes]) {
    const where = `${c.label} in ${c.stateAtCall}`;
    expect(c.outcome.success + c.outcome.fail, `${where} settles once`).toBe(1);
    // The platforms' convention (docs/platforms.md#callbacks-or-a-promise): complete once, after success or fail; nothing for a Promise.
    expect(c.outcome.complete, where).toBe(c.style === 'callbacks' ? 1 : 0);
    expect(c.outcome.completeTooEarly, where).toBe(false);
  }
  // Valid data sent while OPEN succeeds. Sent while CONNECTING it is queued: written when the socket opens,
  // or failed with ERR_CLOSED when no open comes before the end. Later it can only fail: the connection (which
  // does not reconnect here) is over. Without the queue, anything not sent while OPEN fails with ERR_NOT_OPEN.
  const opened = observed.some((o) => o.kind === 'open');
  for (const call of run.sends) {
    const where = `${call.label} in ${call.stateAtCall}`;
    const code = (call.outcome.error as SocketTaskError | undefined)?.code;
    if (call.payload.kind === 'invalid') {
      expect(call.outcome.error, where).toBeInstanceOf(SocketTaskError);
      expect(code, where).toBe('ERR_INVALID_DATA');
    } else if (call.stateAtCall === 'OPEN') {
      expect(call.outcome.success, `${where}: ${String(call.outcome.error)}`).toBe(1);
    } else if (!config.queue) {
      expect(code, where).toBe('ERR_NOT_OPEN');
    } else if (call.stateAtCall === 'CONNECTING' && call.outcome.success === 1) {
      expect(opened, `${where} written though the socket never opened`).toBe(true);
    } else {
      expect(code, where).toBe('ERR_CLOSED');
    }
  }
  expect(conn.queue, 'messages left in the queue').toEqual({ messages: 0, bytes: 0 });
  const delivered = run.sends.filter((s) => s.outcome.success === 1).map((s) => expectedWire(s.payload));
  const written = run.tasks.flatMap((t) => t.sent.map(wire));
  expect(written).toEqual(delivered);

  // Closes: valid ones settle with the close info, invalid ones fail with the right code.
  for (const c of run.closes) {
    if (isValidClose(c)) expect(c.outcome.result, c.label).toEqual(close.event);
    else expect((c.outcome.error as SocketTaskError | undefined)?.code, c.label).toBe(c.step.expect);
  }

  checkTasksDone(run);
  for (const task of run.tasks) {
    // The fake conforms to the reference model of the platform it plays.
    expect(traceViolations(task, config.profile)).toEqual([]);
    expect(task.isLeaking, 'a task left OPEN after CLOSED').toBe(false);
    // The readyState of a task never goes back either.
    expect([...task.readyStates].sort()).toEqual(task.readyStates);
    checkCloseWhileConnecting(run, task);
  }
}

/** On an ignoring platform a close while CONNECTING has no effect on the task; a deferred one waits for open. */
function checkCloseWhileConnecting(run: Run, task: FakeSocketTask): void {
  const { config } = run;
  if (config.profile.closeWhileConnecting !== 'ignored') return;
  expect([undefined, 1, 3], 'the task leaves CONNECTING only by the platform').toContain(task.readyStates[1]);
  const leftConnecting = task.log.findIndex(
    (e) => e.kind === 'platform' && (e.event === 'open' || e.event === 'close'),
  );
  const whileConnecting = leftConnecting < 0 ? task.log : task.log.slice(0, leftConnecting);
  const closesHanded = whileConnecting.filter((e) => e.kind === 'user' && e.call === 'close');
  const askedWhileConnecting = run.closes.filter((c) => isValidClose(c) && c.stateAtCall === 'CONNECTING');
  if (config.closeBeforeOpen === 'defer') {
    // A deferred close waits for open. Only an attempt abandoned after a platform error hands its close over
    // while CONNECTING, where it has no effect (some runtimes of an 'ignored' profile would abort and free a slot).
    const abandoned = whileConnecting.some((e) => e.kind === 'platform' && e.event === 'error');
    if (!abandoned) expect(closesHanded, 'a deferred close handed over while CONNECTING').toEqual([]);
    for (const handed of closesHanded)
      expect(handed, 'a close while CONNECTING had an effect').toMatchObject({ outcome: 'ignored' });
    const opened = task.log[leftConnecting];
    const first = askedWhileConnecting[0];
    if (first && opened?.kind === 'platform' && opened.event === 'open') {
      // The deferred close goes to the platform the moment it opens, with the arguments first asked for.
      expect(task.log[leftConnecting + 1]).toEqual({
        kind: 'user',
        call: 'close',
        outcome: 'success',
        args: first.step.args,
      });
    }
  } else {
    for (const entry of closesHanded) expect(entry).toMatchObject({ outcome: 'ignored' });
    if (askedWhileConnecting.length > 0 && !run.errored.has(task)) {
      expect(closesHanded.length, 'a close in CONNECTING is handed to the platform').toBeGreaterThan(0);
    }
  }
}

async function runScenario(config: Config, scenario: Scenario, s: fc.Scheduler): Promise<void> {
  const run = new Run(config, scenario, s);
  if (scenario.closeAtStart) run.user(scenario.closeAtStart);

  // Three independent sequences (the user, the platform, the clock); the scheduler picks their interleaving.
  const thread = async <T>(steps: T[], name: (step: T) => string, play: (step: T) => void) => {
    for (const step of steps) {
      await s.schedule(Promise.resolve(), name(step));
      play(step);
    }
  };
  const threads = Promise.all([
    thread(scenario.user, userLabel, (step) => run.user(step)),
    thread(scenario.platform, platformLabel, (step) => run.platform(step)),
    thread(
      scenario.clock,
      (ms) => `clock +${ms}ms`,
      (ms) => {
        vi.advanceTimersByTime(ms);
        run.check(`clock +${ms}ms`);
      },
    ),
  ]);
  await s.waitIdle();
  await threads;
  await drain();

  if (scenario.handshakeBeforeTimers) run.finishHandshakes();
  await runOutTimers(run);
  run.finishHandshakes();
  await drain();
  checkSettled(run);

  // Teardown: close what is still alive, so that the end-of-life properties can be checked on every run.
  for (let round = 0; round < 4 && run.conn.state !== 'CLOSED'; round++) {
    run.user({ do: 'close', args: {}, expect: 'ok', style: 'promise' });
    const task = run.task;
    if (task?.readyState === 0 && !run.errored.has(task)) {
      if (scenario.teardownOpens) task.emitOpen();
      else task.emitClose(1006, '');
    }
    await drain();
    run.finishHandshakes();
    await runOutTimers(run);
  }
  expect(run.conn.state, 'CLOSED after teardown').toBe('CLOSED');
  // A race with one drain, not a bare await: a `closed` that never settles fails here instead of hanging.
  const closedWith = await Promise.race([run.conn.closed, drain().then(() => undefined)]);
  expect(closedWith, 'conn.closed settled').toBeDefined();
  await drain();
  checkFinal(run, closedWith as CloseEvent);
}

const configs: Config[] = (['sync', 'microtask', 'scheduled'] as const).flatMap((connect) =>
  [wechatProfile, abortingProfile].flatMap((profile) =>
    (['defer', 'ignore'] as const).flatMap((closeBeforeOpen) =>
      // The queue changes only what a send outside OPEN does: once without it is enough.
      (connect === 'sync' ? [true, false] : [true]).map((queue) => ({
        name: `${profile.closeWhileConnecting} platform, closeBeforeOpen '${closeBeforeOpen}', ${connect} connect${queue ? '' : ', no queue'}`,
        profile,
        closeBeforeOpen,
        connect,
        queue,
      })),
    ),
  ),
);

describe('createConnection under random interleavings of user calls, platform events and time', () => {
  beforeEach(() => {
    // queueMicrotask and setImmediate stay real: the library and the fake hop through microtasks.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it.each(configs)(
    'moves forward only, closes exactly once, settles every call and leaks no open task ($name)',
    async (config) => {
      await fc.assert(
        fc.asyncProperty(scenarioArb, fc.scheduler(), (scenario, s) => runScenario(config, scenario, s)),
        { seed, numRuns },
      );
    },
  );
});
