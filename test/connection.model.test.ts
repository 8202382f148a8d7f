// Model-based tests of createConnection (fc.commands): a small model tracks the state, the queue, what was written
// and the retries, and the real connection must agree with it after every command. The clock is simulated and the
// commands run through fc.scheduler, so their order is one more thing fast-check varies and shrinks.
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type Connection, createConnection } from '../src/connection.js';
import { createLifecycle, type ManualLifecycle } from '../src/lifecycle.js';
import type { ReadyStateName } from '../src/readyState.js';
import { type FakeSocketTask, fakeAdapter, wechatProfile } from './fixtures/fakeSocketTask.js';

const seed = Number(process.env.FC_SEED ?? Date.now() % 2 ** 31);
const numRuns = Number(process.env.FC_RUNS ?? 100);
console.log(`[fast-check] connection.model seed=${seed} numRuns=${numRuns}`);

const RETRY_DELAY = 100;
const STABLE_AFTER = 1000;
const MAX_RETRIES = 3;
const MAX_QUEUED = 3;
const CONNECT_TIMEOUT = 700;

afterEach(() => {
  vi.useRealTimers();
});

interface Model {
  state: 'CONNECTING' | 'OPEN' | 'WAITING' | 'SUSPENDED' | 'TERMINATED';
  queue: string[];
  written: string[];
  retries: number;
  tasks: number;
  offline: boolean;
  /** Simulated ms spent in the current CONNECTING, OPEN or WAITING state. */
  elapsed: number;
  /** The ready gate is on, and this open's flush is still held until ready(). */
  gate: boolean;
  held: boolean;
}

interface Real {
  conn: Connection;
  tasks: FakeSocketTask[];
  lifecycle: ManualLifecycle;
}

const READY: Record<Model['state'], ReadyStateName> = {
  CONNECTING: 'CONNECTING',
  OPEN: 'OPEN',
  WAITING: 'CLOSED',
  SUSPENDED: 'CLOSED',
  TERMINATED: 'CLOSED',
};

function agree(m: Model, r: Real): void {
  expect(r.conn.state).toBe(READY[m.state]);
  expect(r.tasks).toHaveLength(m.tasks);
  expect(r.conn.queue.messages).toBe(m.queue.length);
  expect(r.tasks.flatMap((t) => t.sent)).toEqual(m.written);
  expect(r.conn.retries).toBe(m.retries);
  const snapshot = r.conn.actor.getSnapshot();
  if (m.state === 'WAITING') expect(snapshot.matches({ CLOSED: 'waiting' })).toBe(true);
  if (m.state === 'SUSPENDED') expect(snapshot.matches({ CLOSED: 'suspended' })).toBe(true);
  if (m.state === 'TERMINATED') expect(snapshot.matches({ CLOSED: 'terminated' })).toBe(true);
}

const current = (r: Real) => r.tasks.at(-1) as FakeSocketTask;

/** A close the manager retries, or the end of the connection. */
function dropped(m: Model, retryable: boolean): void {
  m.elapsed = 0;
  if (!retryable || m.retries >= MAX_RETRIES) {
    m.state = 'TERMINATED';
    m.queue = [];
  } else m.state = m.offline ? 'SUSPENDED' : 'WAITING';
}

class Send implements fc.AsyncCommand<Model, Real> {
  constructor(readonly text: string) {}
  check = () => true;
  async run(m: Model, r: Real) {
    r.conn.send(this.text).catch(() => {});
    // While held, the application's own sends go straight out (its login); the queue waits.
    if (m.state === 'OPEN') m.written.push(this.text);
    else if (m.state !== 'TERMINATED' && m.queue.length < MAX_QUEUED) m.queue.push(this.text);
    agree(m, r);
  }
  toString = () => `send(${JSON.stringify(this.text)})`;
}

class Open implements fc.AsyncCommand<Model, Real> {
  check = (m: Readonly<Model>) => m.state === 'CONNECTING';
  async run(m: Model, r: Real) {
    current(r).emitOpen();
    m.state = 'OPEN';
    m.elapsed = 0;
    m.held = m.gate;
    if (!m.held) {
      m.written.push(...m.queue);
      m.queue = [];
    }
    agree(m, r);
  }
  toString = () => 'platform open';
}

class Ready implements fc.AsyncCommand<Model, Real> {
  check = () => true;
  async run(m: Model, r: Real) {
    r.conn.ready();
    if (m.state === 'OPEN' && m.held) {
      m.held = false;
      m.written.push(...m.queue);
      m.queue = [];
    }
    agree(m, r);
  }
  toString = () => 'ready()';
}

class Drop implements fc.AsyncCommand<Model, Real> {
  constructor(readonly code: number) {}
  check = (m: Readonly<Model>) => m.state === 'CONNECTING' || m.state === 'OPEN';
  async run(m: Model, r: Real) {
    current(r).emitClose(this.code, '');
    dropped(m, this.code !== 1008);
    agree(m, r);
  }
  toString = () => `platform close ${this.code}`;
}

class Advance implements fc.AsyncCommand<Model, Real> {
  constructor(readonly ms: number) {}
  check = () => true;
  async run(m: Model, r: Real) {
    vi.advanceTimersByTime(this.ms);
    if (m.state === 'WAITING' && m.elapsed + this.ms >= RETRY_DELAY) {
      m.state = 'CONNECTING';
      m.retries++;
      m.tasks++;
      m.elapsed = m.elapsed + this.ms - RETRY_DELAY;
      // Steps are shorter than the connect timeout plus a retry, so at most one attempt times out per step.
      if (m.elapsed >= CONNECT_TIMEOUT) dropped(m, true);
      agree(m, r);
      return;
    }
    if (m.state === 'CONNECTING' && m.elapsed + this.ms >= CONNECT_TIMEOUT) {
      // Abandoned: ERR_CONNECT_TIMEOUT, close 1006, and a retry like any drop.
      const over = m.elapsed + this.ms - CONNECT_TIMEOUT;
      dropped(m, true);
      // TypeScript narrowed m.state to CONNECTING above; dropped() changed it.
      if ((m.state as Model['state']) === 'WAITING' && over >= RETRY_DELAY) {
        m.state = 'CONNECTING';
        m.retries++;
        m.tasks++;
        m.elapsed = over - RETRY_DELAY;
      } else m.elapsed = over;
      agree(m, r);
      return;
    } else if (m.state === 'OPEN' && m.elapsed < STABLE_AFTER && m.elapsed + this.ms >= STABLE_AFTER) {
      m.retries = 0;
    }
    m.elapsed += this.ms;
    agree(m, r);
  }
  toString = () => `clock +${this.ms} ms`;
}

class Network implements fc.AsyncCommand<Model, Real> {
  constructor(readonly online: boolean) {}
  check = () => true;
  async run(m: Model, r: Real) {
    r.lifecycle.emit(this.online ? 'online' : 'offline');
    m.offline = !this.online;
    if (!this.online && m.state === 'WAITING') m.state = 'SUSPENDED';
    else if (this.online && m.state === 'SUSPENDED') {
      m.state = 'CONNECTING';
      m.tasks++;
      m.elapsed = 0;
    }
    agree(m, r);
  }
  toString = () => (this.online ? 'online' : 'offline');
}

class Close implements fc.AsyncCommand<Model, Real> {
  check = (m: Readonly<Model>) => m.state === 'OPEN' || m.state === 'WAITING' || m.state === 'SUSPENDED';
  async run(m: Model, r: Real) {
    const wasOpen = m.state === 'OPEN';
    r.conn.close().catch(() => {});
    if (wasOpen) current(r).completeClose();
    m.state = 'TERMINATED';
    m.queue = [];
    agree(m, r);
  }
  toString = () => 'close()';
}

const commands = [
  fc.string({ maxLength: 4 }).map((text) => new Send(text)),
  fc.constant(new Open()),
  fc.constantFrom(1000, 1001, 1006, 1008).map((code) => new Drop(code)),
  fc.integer({ min: 1, max: 600 }).map((ms) => new Advance(ms)),
  fc.constant(new Ready()),
  fc.boolean().map((online) => new Network(online)),
  fc.constant(new Close()),
];

describe('createConnection against a model (fc.commands)', () => {
  it('agrees with the model on state, queue, written messages, retries and attempts after every command', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.scheduler(),
        fc.boolean(),
        fc.commands(commands, { maxCommands: 40 }),
        async (s, gate, cmds) => {
          vi.useFakeTimers();
          const adapter = fakeAdapter(wechatProfile);
          const lifecycle = createLifecycle();
          const conn = createConnection({
            url: 'wss://example.test/socket',
            adapter,
            lifecycle,
            connectTimeout: CONNECT_TIMEOUT,
            queue: { maxMessages: MAX_QUEUED, holdUntilReady: gate },
            reconnect: {
              initialDelay: RETRY_DELAY,
              maxDelay: RETRY_DELAY,
              jitter: 'none',
              maxRetries: MAX_RETRIES,
              stableAfter: STABLE_AFTER,
            },
          });
          const setup = () => ({
            model: {
              state: 'CONNECTING' as const,
              queue: [],
              written: [],
              retries: 0,
              tasks: 1,
              offline: false,
              elapsed: 0,
              gate,
              held: false,
            },
            real: { conn, tasks: adapter.tasks, lifecycle },
          });
          try {
            await fc.scheduledModelRun(s, setup, cmds);
          } finally {
            conn.close().catch(() => {});
            for (const t of adapter.tasks) if (t.readyState === 2) t.completeClose();
            for (const t of adapter.tasks) if (t.readyState === 0) t.emitClose(1006, '');
            vi.useRealTimers();
          }
        },
      ),
      { seed, numRuns },
    );
  });
});
