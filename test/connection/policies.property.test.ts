import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { SocketAdapter } from '../../src/adapters/types.js';
import { createConnection } from '../../src/connection/createConnection.js';
import type { SocketTaskError } from '../../src/errors.js';
import { createLifecycle } from '../../src/lifecycle/createLifecycle.js';
import type { ReadyStateName } from '../../src/readyState.js';
import { type FakeSocketTask, fakeAdapter, wechatProfile } from '../fixtures/fakeSocketTask.js';
import { CONNECTION_STATE_CHANGES } from '../fixtures/readyStateGraph.js';
import { propertySeed } from '../helpers.js';

const numRuns = Number(process.env.FC_RUNS ?? 100);
const seed = propertySeed('connection/policies.property', `numRuns=${numRuns}`);

afterEach(() => {
  vi.useRealTimers();
});

/** Every policy at once, each drawn on or off, with small durations so that timers fire within a run. */
interface Policies {
  connectTimeout: number | false;
  heartbeat: { interval: number; timeout: number } | false;
  /** The fake server answers every ping with a pong. */
  answersPings: boolean;
  queue: { maxMessages: number; maxBytes: number; overflow: 'reject' | 'drop-oldest'; ttl?: number };
  holdUntilReady: boolean;
  maxRetries: number;
}

type Step =
  | { do: 'open' }
  | { do: 'message' }
  | { do: 'close'; code: number }
  | { do: 'error' }
  | { do: 'completeClose' }
  | { do: 'wait'; ms: number }
  | { do: 'send'; size: number }
  | { do: 'ready' }
  | { do: 'clearQueue' }
  | { do: 'signal'; signal: 'online' | 'offline' | 'foreground' | 'background' };

const policiesArb: fc.Arbitrary<Policies> = fc.record({
  connectTimeout: fc.oneof(fc.constant(false as const), fc.integer({ min: 50, max: 500 })),
  heartbeat: fc.oneof(
    fc.constant(false as const),
    fc.record({ interval: fc.integer({ min: 50, max: 400 }), timeout: fc.integer({ min: 20, max: 200 }) }),
  ),
  answersPings: fc.boolean(),
  queue: fc.record(
    {
      maxMessages: fc.integer({ min: 1, max: 5 }),
      maxBytes: fc.integer({ min: 1, max: 40 }),
      overflow: fc.constantFrom('reject' as const, 'drop-oldest' as const),
      ttl: fc.integer({ min: 0, max: 600 }),
    },
    { requiredKeys: ['maxMessages', 'maxBytes', 'overflow'] },
  ),
  holdUntilReady: fc.boolean(),
  maxRetries: fc.integer({ min: 0, max: 4 }),
});

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  fc.constant({ do: 'open' as const }),
  fc.constant({ do: 'message' as const }),
  fc.constantFrom(1000, 1001, 1006, 4000).map((code) => ({ do: 'close' as const, code })),
  fc.constant({ do: 'error' as const }),
  fc.constant({ do: 'completeClose' as const }),
  fc.integer({ min: 0, max: 700 }).map((ms) => ({ do: 'wait' as const, ms })),
  fc.integer({ min: 1, max: 12 }).map((size) => ({ do: 'send' as const, size })),
  fc.constant({ do: 'ready' as const }),
  fc.constant({ do: 'clearQueue' as const }),
  fc
    .constantFrom('online' as const, 'offline' as const, 'foreground' as const, 'background' as const)
    .map((signal) => ({ do: 'signal' as const, signal })),
);

interface Sent {
  text: string;
  at: number;
  outcomes: string[];
}

async function run(policies: Policies, steps: Step[]): Promise<void> {
  vi.useFakeTimers();
  const fake = fakeAdapter(wechatProfile);
  const adapter: SocketAdapter = {
    ...fake,
    connect(target) {
      const task = fake.connect(target) as FakeSocketTask;
      if (policies.answersPings) {
        const send = task.send.bind(task);
        task.send = (options) => {
          send(options);
          if (options.data === 'ping') queueMicrotask(() => task.emitMessage('pong'));
        };
      }
      return task;
    },
  };
  const lifecycle = createLifecycle();
  let offline = false;
  let background = false;
  const conn = createConnection({
    url: 'wss://example.test/socket',
    adapter,
    lifecycle,
    errorGrace: 100,
    closeTimeout: 300,
    connectTimeout: policies.connectTimeout,
    heartbeat: policies.heartbeat,
    queue: { ...policies.queue, holdUntilReady: policies.holdUntilReady },
    reconnect: { initialDelay: 50, maxDelay: 400, maxRetries: policies.maxRetries },
  });
  const sends: Sent[] = [];
  const problems: string[] = [];
  const heartbeatTimeouts: number[] = [];
  let connectingSince = Date.now();
  let state: ReadyStateName = 'CONNECTING';
  conn.onStateChange((next, previous) => {
    if (!CONNECTION_STATE_CHANGES.has(`${previous}>${next}`)) problems.push(`edge ${previous} → ${next}`);
    if (next === 'CONNECTING') connectingSince = Date.now();
    state = next;
  });
  conn.onError((e) => {
    if (e.code === 'ERR_HEARTBEAT_TIMEOUT') heartbeatTimeouts.push(Date.now());
  });
  const task = () => fake.tasks.at(-1);

  for (const step of steps) {
    const before = { tasks: fake.tasks.length, retries: conn.retries, suspended: offline || background };
    const current = task();
    switch (step.do) {
      case 'open':
        current?.emitOpen();
        break;
      case 'message':
        if (current?.readyState === 1) current.emitMessage('data');
        break;
      case 'close':
        current?.emitClose(step.code, '');
        break;
      case 'error':
        current?.emitError('boom');
        break;
      case 'completeClose':
        if (current?.readyState === 2) current.completeClose();
        break;
      case 'wait':
        await vi.advanceTimersByTimeAsync(step.ms);
        break;
      case 'send': {
        const sent: Sent = {
          text: `m${sends.length}:${'x'.repeat(step.size)}`,
          at: Date.now(),
          outcomes: [],
        };
        sends.push(sent);
        conn.send(sent.text).then(
          () => sent.outcomes.push('written'),
          (error: SocketTaskError) => sent.outcomes.push(error.code),
        );
        break;
      }
      case 'ready':
        conn.ready();
        break;
      case 'clearQueue':
        conn.clearQueue();
        break;
      case 'signal':
        if (step.signal === 'offline' || step.signal === 'online') offline = step.signal === 'offline';
        else background = step.signal === 'background';
        lifecycle.emit(step.signal);
        break;
    }
    // Lets the outcomes (promise reactions) settle.
    for (let i = 0; i < 5; i++) await Promise.resolve();

    // Lifecycle: while offline or in the background, no attempt is made and no retry is spent.
    const resumed = step.do === 'signal' && (step.signal === 'online' || step.signal === 'foreground');
    if (before.suspended && !resumed && step.do !== 'close' && step.do !== 'error') {
      if (conn.state === 'CLOSED') {
        if (fake.tasks.length !== before.tasks) problems.push(`an attempt while suspended (${step.do})`);
        if (conn.retries > before.retries) problems.push(`a retry spent while suspended (${step.do})`);
      }
    }
    // Connect timeout: no attempt stays CONNECTING longer than the timeout.
    if (policies.connectTimeout !== false && state === 'CONNECTING') {
      if (
        Date.now() - connectingSince > policies.connectTimeout &&
        conn.actor.getSnapshot().matches({ CONNECTING: 'handshake' })
      ) {
        problems.push(`CONNECTING for ${Date.now() - connectingSince} ms`);
      }
    }
    // Queue: flushed whenever the socket flows; no message waits longer than its ttl.
    if (conn.actor.getSnapshot().matches({ OPEN: { queue: 'flowing' } }) && conn.queue.messages > 0) {
      problems.push(`${conn.queue.messages} messages left queued on a flowing socket`);
    }
    const { ttl } = policies.queue;
    for (const sent of sends) {
      if (ttl !== undefined && sent.outcomes.length === 0 && Date.now() - sent.at > ttl) {
        problems.push(`${sent.text} waited ${Date.now() - sent.at} ms, ttl ${ttl}`);
      }
    }
    // Queue: its bounds hold.
    if (conn.queue.messages > policies.queue.maxMessages) problems.push(`queue of ${conn.queue.messages}`);
    if (conn.queue.bytes > policies.queue.maxBytes) problems.push(`queue of ${conn.queue.bytes} bytes`);
    // Of all the tasks created, only the newest may be open.
    if (fake.tasks.slice(0, -1).some((t) => t.isLeaking)) problems.push('an older task left open');
    if (conn.retries > policies.maxRetries) problems.push(`retries ${conn.retries}`);
  }

  // The end: close, let every handshake and timer run out.
  conn.close().catch(() => {});
  for (let round = 0; round < 4; round++) {
    // A handshake the platform never finishes: it ends it, as a real one does sooner or later.
    for (const t of fake.tasks) if (t.readyState === 0) t.emitClose(1006, '');
    for (const t of fake.tasks) if (t.readyState === 2) t.completeClose();
    await vi.runAllTimersAsync();
  }
  let settled = false;
  void conn.closed.then(() => {
    settled = true;
  });
  await vi.runAllTimersAsync();
  expect(settled, `closed settled (state ${conn.state})`).toBe(true);

  expect(problems).toEqual([]);
  expect(vi.getTimerCount(), 'timers left after closed').toBe(0);
  expect(fake.tasks.filter((t) => t.isLeaking)).toEqual([]);
  // Heartbeat: a server that answers every ping is never declared dead.
  if (policies.answersPings || policies.heartbeat === false) expect(heartbeatTimeouts).toEqual([]);

  // Every send ended exactly once; what was reported written was written exactly once, and nothing else was.
  for (const sent of sends) expect(sent.outcomes, sent.text).toHaveLength(1);
  const written = fake.tasks.flatMap((t) => t.sent.filter((d) => d !== 'ping'));
  const reported = sends.filter((s) => s.outcomes[0] === 'written').map((s) => s.text);
  expect([...written].sort()).toEqual([...reported].sort());
  // Nothing overtakes an older message, unless the ready gate let the application's own sends go first.
  if (!policies.holdUntilReady) expect(written).toEqual(reported);
  for (const sent of sends) {
    expect([
      'written',
      'ERR_QUEUE_FULL',
      'ERR_MESSAGE_EXPIRED',
      'ERR_QUEUE_CLEARED',
      'ERR_CLOSED',
      'ERR_PLATFORM',
    ]).toContain(sent.outcomes[0]);
  }
}

describe('every policy of the manager under random event orders', () => {
  it('keeps the readyState edges, the queue bounds, one outcome per send, no overtaking, no attempt while suspended, no leak', async () => {
    await fc.assert(fc.asyncProperty(policiesArb, fc.array(stepArb, { maxLength: 40 }), run), {
      seed,
      numRuns,
    });
  });
});
