// Model-based tests of createConnection (fc.commands): a small model, with its own timeline of the manager's
// timers, tracks the state, the queue, what was written, the messages delivered, the retries, the attempts and the
// socket slots, and the real connection must agree with it after every command. Every policy of the manager is in
// play: reconnect with backoff and a stable period, the connect timeout, the bounded queue and its ready gate, the
// heartbeat, lifecycle suspension and the connection limit; reconnect() in every state, and a connection that
// starts closed (issue 16). The clock is simulated and the commands run through fc.scheduler, so their order is
// one more thing fast-check varies and shrinks.
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  type Connection,
  type ConnectionStatus,
  createConnection,
} from '../../src/connection/createConnection.js';
import { createLifecycle, type ManualLifecycle } from '../../src/lifecycle/createLifecycle.js';
import type { ReadyStateName } from '../../src/readyState.js';
import { type FakeSocketTask, fakeAdapter, wechatProfile } from '../fixtures/fakeSocketTask.js';
import { flush, propertySeed } from '../helpers.js';

const numRuns = Number(process.env.FC_RUNS ?? 100);
const seed = propertySeed('connection/createConnection.model', `numRuns=${numRuns}`);

// Chosen so that no two of the manager's timers can fall due at the same instant.
const RETRY_DELAY = 100;
const CONNECT_TIMEOUT = 700;
const STABLE_AFTER = 1000;
const PING_INTERVAL = 300;
const PONG_TIMEOUT = 170;
const ERROR_GRACE = 50;
const LINGER = 250; // closeTimeout: how long a dropped task may keep its slot, and a close the platform ignores
const MAX_RETRIES = 3;
const MAX_QUEUED = 3;

afterEach(() => {
  vi.useRealTimers();
});

type State = 'CONNECTING' | 'OPEN' | 'CLOSING' | 'WAITING' | 'SUSPENDED' | 'TERMINATED';

interface Model {
  now: number;
  state: State;
  queue: string[];
  written: string[];
  received: number;
  retries: number;
  tasks: number;
  offline: boolean;
  /** When the current state's timers started, and the heartbeat's own timeline while OPEN. */
  since: number;
  stableDone: boolean;
  pingAt: number;
  awaitingPong: boolean;
  heard: boolean;
  gate: boolean;
  held: boolean;
  /** The main connection's socket slots: held now, or until `releaseAt` for a dropped task. */
  slotHeld: boolean;
  releaseAt: number | undefined;
  /** Another connection through the same adapter holds the only slot. */
  other: boolean;
  /** The reconnect delay: 0 comes back at once after an OPEN connection drops, without a timer. */
  retryDelay: number;
  /** The current attempt reached OPEN (and no retry has spent it yet). */
  opened: boolean;
  /** No message can be queued: close() was called, or the manager gave up (or the connection started closed). */
  ended: boolean;
  /** close() was called while CLOSING: once CLOSED, this life ends. */
  closeRequested: boolean;
  /** reconnect() was called while OPEN: once CLOSED, a new attempt starts at once, not counted as a retry. */
  reconnecting: boolean;
  /** reconnect() was called while this life ends: the next life starts once its socket is gone. */
  reviveWanted: boolean;
  /** The clock is firing timers: what happens now happens inside one of them. */
  ticking: boolean;
  /** The least a wait of 0 ms takes: 1 ms when it was set from inside a timer, else 0 (the fake clock's rule). */
  waitFloor: number;
}

interface Real {
  conn: Connection;
  tasks: FakeSocketTask[];
  lifecycle: ManualLifecycle;
  received: () => number;
  other: { conn: Connection; task: FakeSocketTask } | undefined;
  /** Tasks of other connections, which the model of this one leaves out. */
  foreign: Set<FakeSocketTask>;
  makeOther: () => { conn: Connection; task: FakeSocketTask };
}

const STATUS: Record<State, ConnectionStatus> = {
  CONNECTING: 'connecting',
  OPEN: 'open',
  CLOSING: 'closing',
  WAITING: 'waiting',
  SUSPENDED: 'suspended',
  TERMINATED: 'closed',
};

const READY: Record<State, ReadyStateName> = {
  CONNECTING: 'CONNECTING',
  OPEN: 'OPEN',
  CLOSING: 'CLOSING',
  WAITING: 'CLOSED',
  SUSPENDED: 'CLOSED',
  TERMINATED: 'CLOSED',
};

function agree(m: Model, r: Real): void {
  expect(r.conn.state).toBe(READY[m.state]);
  expect(r.conn.status).toBe(STATUS[m.state]);
  if (m.state !== 'WAITING') expect(r.conn.nextRetryAt).toBeNull();
  else expect(r.conn.nextRetryAt).not.toBeNull();
  expect(r.conn.readyState).toBe(['CONNECTING', 'OPEN', 'CLOSING', 'CLOSED'].indexOf(READY[m.state]));
  const own = r.tasks.filter((t) => !r.foreign.has(t));
  expect(own).toHaveLength(m.tasks);
  expect(r.conn.queue.messages).toBe(m.queue.length);
  expect(own.flatMap((t) => t.sent)).toEqual(m.written);
  expect(r.received()).toBe(m.received);
  expect(r.conn.retries).toBe(m.retries);
  const snapshot = r.conn.actor.getSnapshot();
  if (m.state === 'WAITING') expect(snapshot.matches({ CLOSED: 'waiting' })).toBe(true);
  if (m.state === 'SUSPENDED') expect(snapshot.matches({ CLOSED: 'suspended' })).toBe(true);
  if (m.state === 'TERMINATED') expect(snapshot.matches({ CLOSED: 'terminated' })).toBe(true);
  if (m.state === 'OPEN') {
    expect(snapshot.matches({ OPEN: { queue: m.held ? 'held' : 'flowing' } })).toBe(true);
    expect(snapshot.matches({ OPEN: { heartbeat: m.awaitingPong ? 'awaitingPong' : 'live' } })).toBe(true);
  }
}

const current = (r: Real) => r.tasks.filter((t) => !r.foreign.has(t)).at(-1) as FakeSocketTask;

function enter(m: Model, state: State): void {
  m.state = state;
  m.since = m.now;
  if (state === 'WAITING') m.waitFloor = m.ticking ? 1 : 0;
}

/**
 * A new attempt: a task if the only slot is free, else ERR_CONNECTION_LIMIT and a close like any other. A dropped
 * task of this connection that has not given its slot back yet counts too, as it does for the platform.
 */
function attempt(m: Model): void {
  if (m.other || m.slotHeld) {
    closed(m, true);
    return;
  }
  enter(m, 'CONNECTING');
  m.opened = false;
  m.tasks++;
  m.slotHeld = true;
  m.releaseAt = undefined;
}

/** The end of this life: the queue fails, and no message is queued until reconnect() starts the next one. */
function terminate(m: Model): void {
  enter(m, 'TERMINATED');
  m.queue = [];
  m.ended = true;
  m.closeRequested = false;
  m.reconnecting = false;
}

/**
 * The connection is CLOSED: it ends (a close asked for), starts the attempt reconnect() asked for, retries, waits
 * for the network, or ends.
 */
function closed(m: Model, retryable: boolean): void {
  m.awaitingPong = false;
  m.held = false;
  if (m.closeRequested) terminate(m);
  else if (m.reconnecting) {
    m.reconnecting = false;
    attempt(m);
  } else if (!retryable || m.retries >= MAX_RETRIES) terminate(m);
  else if (m.offline) enter(m, 'SUSPENDED');
  else if (m.retryDelay === 0 && m.opened) retry(m);
  else enter(m, 'WAITING');
}

/**
 * What the promise turns after a command bring: a next life that reconnect() asked for starts once this one is
 * over and its sockets are gone, with the same listeners and retries from 0.
 */
function settle(m: Model): void {
  if (m.state !== 'TERMINATED' || !m.reviveWanted || m.slotHeld) return;
  m.reviveWanted = false;
  m.retries = 0;
  m.ended = false;
  attempt(m);
}

function retry(m: Model): void {
  m.retries++;
  m.opened = false;
  attempt(m);
}

/** The task is dropped while it still holds its slot: given back LINGER ms later unless it reports a close. */
function abandonTask(m: Model): void {
  if (m.slotHeld && m.releaseAt === undefined) m.releaseAt = m.now + LINGER;
}

function open(m: Model): void {
  enter(m, 'OPEN');
  m.opened = true;
  m.stableDone = false;
  m.pingAt = m.now + PING_INTERVAL;
  m.awaitingPong = false;
  m.held = m.gate;
  if (!m.held) writeQueue(m);
}

function writeQueue(m: Model): void {
  m.written.push(...m.queue);
  m.queue = [];
}

/** The next of the manager's timers due no later than `until`, as [time, what it does]. */
function nextTimer(m: Model, until: number): [number, () => void] | undefined {
  const due: Array<[number, () => void]> = [];
  if (m.releaseAt !== undefined) {
    const at = m.releaseAt;
    due.push([
      at,
      () => {
        m.slotHeld = false;
        m.releaseAt = undefined;
      },
    ]);
  }
  if (m.state === 'WAITING') {
    // A timer of 0 ms set from inside a timer fires 1 ms later, as Node's setTimeout does; the fake clock fires one
    // set from outside its tick (a platform event, a user call) at the current instant.
    due.push([m.since + Math.max(m.waitFloor, m.retryDelay), () => retry(m)]);
  }
  if (m.state === 'CONNECTING') {
    due.push([
      m.since + CONNECT_TIMEOUT,
      () => {
        abandonTask(m);
        closed(m, true);
      },
    ]);
  }
  if (m.state === 'CLOSING') {
    // Only reconnect() while OPEN leads here: its close, unanswered, is given up after closeTimeout (1006). The
    // task gave its slot back at the same instant, just before (its own closeTimeout was set first).
    due.push([
      m.since + LINGER,
      () => {
        abandonTask(m);
        closed(m, true);
      },
    ]);
  }
  if (m.state === 'OPEN') {
    if (!m.stableDone) {
      due.push([
        m.since + STABLE_AFTER,
        () => {
          m.stableDone = true;
          m.retries = 0;
        },
      ]);
    }
    if (!m.awaitingPong) {
      due.push([
        m.pingAt,
        () => {
          m.written.push('ping');
          m.awaitingPong = true;
          m.heard = false;
          m.pingAt = m.now + PONG_TIMEOUT;
        },
      ]);
    } else {
      due.push([
        m.pingAt,
        () => {
          if (m.heard) {
            m.awaitingPong = false;
            m.pingAt = m.now + PING_INTERVAL;
          } else {
            // Half-open: ERR_HEARTBEAT_TIMEOUT and CLOSED at once; the dead task is ended (this one cannot be
            // aborted, so it is asked to close) and keeps its slot until it is given up, LINGER ms later.
            abandonTask(m);
            closed(m, true);
          }
        },
      ]);
    }
  }
  const ready = due.filter(([at]) => at <= until).sort((a, b) => a[0] - b[0]);
  return ready[0];
}

class Send implements fc.AsyncCommand<Model, Real> {
  constructor(readonly text: string) {}
  check = () => true;
  async run(m: Model, r: Real) {
    r.conn.send(this.text).catch(() => {});
    // While held, the application's own sends go straight out (its login); the queue waits.
    if (m.state === 'OPEN') m.written.push(this.text);
    else if (!m.ended && m.queue.length < MAX_QUEUED) m.queue.push(this.text);
    agree(m, r);
  }
  toString = () => `send(${JSON.stringify(this.text)})`;
}

class Open implements fc.AsyncCommand<Model, Real> {
  check = (m: Readonly<Model>) => m.state === 'CONNECTING';
  async run(m: Model, r: Real) {
    current(r).emitOpen();
    open(m);
    agree(m, r);
  }
  toString = () => 'platform open';
}

class Message implements fc.AsyncCommand<Model, Real> {
  check = (m: Readonly<Model>) => m.state === 'OPEN';
  async run(m: Model, r: Real) {
    current(r).emitMessage('news');
    m.received++;
    m.heard = true;
    agree(m, r);
  }
  toString = () => 'platform message';
}

class Ready implements fc.AsyncCommand<Model, Real> {
  check = () => true;
  async run(m: Model, r: Real) {
    r.conn.ready();
    if (m.state === 'OPEN' && m.held) {
      m.held = false;
      writeQueue(m);
    }
    agree(m, r);
  }
  toString = () => 'ready()';
}

class Drop implements fc.AsyncCommand<Model, Real> {
  constructor(readonly code: number) {}
  check = (m: Readonly<Model>) => m.state === 'CONNECTING' || m.state === 'OPEN' || m.state === 'CLOSING';
  async run(m: Model, r: Real) {
    current(r).emitClose(this.code, '');
    // The platform reported the close: the slot is free at once.
    m.slotHeld = false;
    m.releaseAt = undefined;
    closed(m, this.code !== 1008);
    await flush();
    settle(m);
    agree(m, r);
  }
  toString = () => `platform close ${this.code}`;
}

class Advance implements fc.AsyncCommand<Model, Real> {
  constructor(readonly ms: number) {}
  check = () => true;
  async run(m: Model, r: Real) {
    vi.advanceTimersByTime(this.ms);
    const until = m.now + this.ms;
    m.ticking = true;
    for (let timer = nextTimer(m, until); timer; timer = nextTimer(m, until)) {
      m.now = timer[0];
      timer[1]();
    }
    m.ticking = false;
    m.now = until;
    // The slot a waiter needs is given back in a microtask; nothing waits here (connectionLimit 'fail'). A next
    // life waits for the teardown of this one, which ends in promise turns after the timers that brought it.
    await flush();
    settle(m);
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
    if (!this.online && m.state === 'WAITING') enter(m, 'SUSPENDED');
    // Back online after an open: at once, as a retry. After a failed attempt: the backoff first.
    else if (this.online && m.state === 'SUSPENDED') {
      if (m.opened) retry(m);
      else enter(m, 'WAITING');
    }
    agree(m, r);
  }
  toString = () => (this.online ? 'online' : 'offline');
}

class Occupy implements fc.AsyncCommand<Model, Real> {
  check = (m: Readonly<Model>) => !m.other;
  async run(m: Model, r: Real) {
    if (m.slotHeld) {
      expect(() => r.makeOther()).toThrow(expect.objectContaining({ code: 'ERR_CONNECTION_LIMIT' }));
    } else {
      r.other = r.makeOther();
      m.other = true;
    }
    agree(m, r);
  }
  toString = () => 'another connection through the same adapter';
}

class Vacate implements fc.AsyncCommand<Model, Real> {
  check = (m: Readonly<Model>) => m.other;
  async run(m: Model, r: Real) {
    r.other?.task.emitClose(1006, '');
    await r.other?.conn.closed;
    r.other = undefined;
    m.other = false;
    agree(m, r);
  }
  toString = () => 'the other connection ends';
}

class Close implements fc.AsyncCommand<Model, Real> {
  check = (m: Readonly<Model>) => m.state !== 'CONNECTING';
  async run(m: Model, r: Real) {
    const state = m.state;
    r.conn.close().catch(() => {});
    if (state === 'OPEN') {
      current(r).completeClose();
      m.slotHeld = false;
      m.releaseAt = undefined;
    }
    if (state === 'CLOSING') {
      // The close reconnect() started goes on; once it is done, this life ends instead of starting another.
      m.closeRequested = true;
      m.ended = true;
      m.queue = [];
    } else if (state !== 'TERMINATED') terminate(m);
    m.awaitingPong = false;
    // The last call wins: a reconnect() still waiting for this life to end is called off.
    m.reviveWanted = false;
    await flush();
    settle(m);
    agree(m, r);
  }
  toString = () => 'close()';
}

class Reconnect implements fc.AsyncCommand<Model, Real> {
  check = () => true;
  async run(m: Model, r: Real) {
    r.conn.reconnect();
    switch (m.state) {
      case 'OPEN':
        // Closed with 1000; the task gives its slot back when the platform answers, or after closeTimeout.
        expect(current(r).closeRequest).toEqual({ code: 1000 });
        enter(m, 'CLOSING');
        m.reconnecting = true;
        m.awaitingPong = false;
        m.held = false;
        m.releaseAt = m.now + LINGER;
        break;
      case 'CONNECTING':
        // This attempt is abandoned (its close ignored until it opens) and holds its slot until it is given up:
        // the next one finds the only slot taken.
        abandonTask(m);
        attempt(m);
        break;
      case 'WAITING':
      case 'SUSPENDED':
        // Not a retry: the wait is skipped, whatever the network says.
        attempt(m);
        break;
      case 'CLOSING':
        // Waits for the close under way; with a close() asked for, the next life follows this one.
        if (m.closeRequested) m.reviveWanted = true;
        break;
      case 'TERMINATED':
        m.reviveWanted = true;
        break;
    }
    await flush();
    settle(m);
    agree(m, r);
  }
  toString = () => 'reconnect()';
}

// reconnect() and the platform's open are drawn twice as often as the rest, and runs are a size longer than the
// default: the states they lead to (CLOSING, a life that ends while a reconnect() waits) are several steps deep.
const commands = [
  fc.string({ maxLength: 4 }).map((text) => new Send(text)),
  fc.constant(new Open()),
  fc.constant(new Message()),
  fc.constant(new Ready()),
  fc.constantFrom(1000, 1001, 1006, 1008).map((code) => new Drop(code)),
  fc.integer({ min: 1, max: 600 }).map((ms) => new Advance(ms)),
  fc.boolean().map((online) => new Network(online)),
  fc.constant(new Occupy()),
  fc.constant(new Vacate()),
  fc.constant(new Close()),
  fc.constant(new Reconnect()),
  fc.constant(new Reconnect()),
  fc.constant(new Open()),
];

describe('createConnection against a model (fc.commands)', () => {
  it('agrees with the model after every command: state, status, queue, writes and pings, messages, retries, attempts, slots', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.scheduler(),
        fc.boolean(),
        fc.constantFrom(0, RETRY_DELAY),
        fc.boolean(),
        fc.commands(commands, { maxCommands: 40, size: '+1' }),
        async (s, gate, retryDelay, startClosed, cmds) => {
          vi.useFakeTimers();
          const adapter = fakeAdapter({ ...wechatProfile, maxConcurrent: 1 });
          const lifecycle = createLifecycle();
          const conn = createConnection({
            url: 'wss://example.test/socket',
            adapter,
            lifecycle,
            connectTimeout: CONNECT_TIMEOUT,
            errorGrace: ERROR_GRACE,
            closeTimeout: LINGER,
            heartbeat: { interval: PING_INTERVAL, timeout: PONG_TIMEOUT },
            queue: { maxMessages: MAX_QUEUED, holdUntilReady: gate },
            startClosed,
            reconnect: {
              initialDelay: retryDelay,
              maxDelay: retryDelay,
              jitter: 'none',
              maxRetries: MAX_RETRIES,
              stableAfter: STABLE_AFTER,
            },
          });
          let received = 0;
          conn.onMessage(() => received++);
          const real: Real = {
            conn,
            tasks: adapter.tasks,
            lifecycle,
            received: () => received,
            other: undefined,
            foreign: new Set(),
            makeOther: () => {
              const other = createConnection({ url: 'wss://example.test/other', adapter, reconnect: false });
              const task = adapter.tasks.at(-1) as FakeSocketTask;
              real.foreign.add(task);
              return { conn: other, task };
            },
          };
          const model: Model = {
            now: 0,
            // startClosed: the first life is over before it began; no attempt until reconnect().
            state: startClosed ? 'TERMINATED' : 'CONNECTING',
            queue: [],
            written: [],
            received: 0,
            retries: 0,
            tasks: startClosed ? 0 : 1,
            offline: false,
            since: 0,
            stableDone: false,
            pingAt: 0,
            awaitingPong: false,
            heard: false,
            gate,
            held: false,
            slotHeld: !startClosed,
            releaseAt: undefined,
            other: false,
            retryDelay,
            opened: false,
            ended: startClosed,
            closeRequested: false,
            reconnecting: false,
            reviveWanted: false,
            ticking: false,
            waitFloor: 0,
          };
          try {
            await fc.scheduledModelRun(s, () => ({ model, real }), cmds);
          } finally {
            conn.close().catch(() => {});
            real.other?.conn.close().catch(() => {});
            for (const t of adapter.tasks) if (t.readyState === 2) t.completeClose();
            for (const t of adapter.tasks) if (t.readyState === 0) t.emitClose(1006, '');
            // A next life that a reconnect() asked for may start once this one is torn down: it is closed too.
            await flush();
            conn.close().catch(() => {});
            for (const t of adapter.tasks) if (t.readyState === 0) t.emitClose(1006, '');
            vi.useRealTimers();
          }
        },
      ),
      { seed, numRuns },
    );
  });
});
