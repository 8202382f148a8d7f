import { describe, expect, it } from 'vitest';
import { createActor, fromCallback, SimulatedClock } from 'xstate';
import type { PlatformProfile } from '../../src/adapters/types.js';
import { ConnectionDataPath } from '../../src/connection/dataPath.js';
import { createManagedActor } from '../../src/connection/effects.js';
import { slotsFor } from '../../src/limits/slots.js';
import {
  type ConnectionEmitted,
  type ConnectionEvent,
  type ConnectionMachineInput,
  connectionMachine,
} from '../../src/machines/connection.js';
import type { TaskCommand, TaskMachineInput, taskMachine } from '../../src/machines/task.js';
import { abortingProfile, fakeAdapter, wechatProfile } from '../fixtures/fakeSocketTask.js';
import { isReadyStateEdge, READY_STATE_EDGES, readyStateName } from '../fixtures/readyStateGraph.js';

const ERROR_GRACE = 200;
const CLOSE_TIMEOUT = 1000;
const CONNECT_TIMEOUT = 10_000;
// The end of a life as the pure machine reaches it: nothing tells it that the platform's sockets are gone.
const ENDED = { CLOSED: { terminated: 'releasing' } };
// What the machine tells createConnection about a life's end and a revival, apart from the application's events.
const LIFE_EVENTS = new Set(['terminated', 'lifeOver', 'revived']);

type DataPathCall = {
  call: 'open' | 'stopSending' | 'close' | 'ping' | 'pause' | 'resume' | 'watchDrain' | 'stopWatchingDrain';
  generation?: number;
};

/** The machine's data-path effects, recorded: what it asked of the hot path, and of the queue apart. */
function recordingEffects() {
  const calls: DataPathCall[] = [];
  const queueCalls: string[] = [];
  return {
    calls,
    queueCalls,
    names: () => calls.map((c) => c.call),
    actions: {
      openDataPath: ({ context }: { context: { generation: number } }) =>
        calls.push({ call: 'open', generation: context.generation }),
      stopSending: () => calls.push({ call: 'stopSending' }),
      closeDataPath: () => calls.push({ call: 'close' }),
      sendHeartbeat: () => calls.push({ call: 'ping' }),
      pauseWrites: () => calls.push({ call: 'pause' }),
      resumeWrites: () => calls.push({ call: 'resume' }),
      watchDrain: () => calls.push({ call: 'watchDrain' }),
      stopWatchingDrain: () => calls.push({ call: 'stopWatchingDrain' }),
      // The queue's calls are recorded apart: the tests below follow the socket, test/queue/queue.test.ts the queue.
      flushQueue: () => queueCalls.push('flush'),
      endQueue: () => queueCalls.push('endQueue'),
    },
  };
}

interface Options {
  profile: PlatformProfile;
  closeBeforeOpen: 'defer' | 'ignore';
  connectTimeout?: number | false;
}

function inputFor({
  profile,
  closeBeforeOpen,
  connectTimeout = CONNECT_TIMEOUT,
}: Options): ConnectionMachineInput {
  return {
    platform: 'sim',
    closeWhileConnecting: profile.closeWhileConnecting,
    maxSockets: profile.maxConcurrent,
    closeBeforeOpen,
    errorGrace: ERROR_GRACE,
    closeTimeout: CLOSE_TIMEOUT,
    connectTimeout,
    heartbeat: false,
    reconnect: false,
    holdUntilReady: false,
    connectionLimit: 'fail',
  };
}

/** The machine with its task replaced by a recorder: the test plays the task by sending platform events. */
function startWithFakeTask(options: Options) {
  const simulated = new SimulatedClock();
  // Every timer the machine sets, by its delay: what a disabled policy must not schedule.
  const timers: number[] = [];
  const clock = Object.assign(simulated, {
    setTimeout: (fn: (...args: unknown[]) => void, ms: number) => {
      timers.push(ms);
      return SimulatedClock.prototype.setTimeout.call(simulated, fn, ms);
    },
  });
  const commands: TaskCommand[] = [];
  const spawned: number[] = [];
  const task = fromCallback<TaskCommand, TaskMachineInput>(({ input, receive }) => {
    spawned.push(input.generation);
    receive((command) => commands.push(command));
  });
  const dataPath = recordingEffects();
  const machine = connectionMachine.provide({
    // The recorder stands in for the task machine: the connection only sends it commands and reads its events.
    actors: { task: task as unknown as typeof taskMachine },
    actions: dataPath.actions,
  });
  const actor = createActor(machine, { input: inputFor(options), clock });
  const emitted: ConnectionEmitted[] = [];
  const life: string[] = [];
  const readyStates: string[] = [];
  actor.on('*', (event) => {
    if (!LIFE_EVENTS.has(event.type)) emitted.push(event);
    else life.push(event.type);
  });
  actor.subscribe((snapshot) => {
    const name = readyStateName(snapshot);
    if (readyStates.at(-1) !== name) readyStates.push(name);
  });
  actor.start();
  const platform = {
    open: (generation = 1) =>
      actor.send({ type: 'platform.open', generation, event: { header: { a: 'b' } } }),
    error: (generation = 1) =>
      actor.send({ type: 'platform.error', generation, event: { errMsg: 'network error' } }),
    close: (generation = 1, code = 1000, reason = '') =>
      actor.send({ type: 'platform.close', generation, event: { code, reason } }),
  };
  return {
    actor,
    clock,
    timers,
    commands,
    spawned,
    dataPath,
    emitted,
    life,
    readyStates,
    platform,
    value: () => actor.getSnapshot().value,
    kinds: () => emitted.map((e) => e.type),
    closes: () => emitted.filter((e) => e.type === 'close'),
  };
}

type Harness = ReturnType<typeof startWithFakeTask>;

describe('connectionMachine with a recorded task', () => {
  const reachable: Array<[string, Options, (h: Harness) => void]> = [
    ['CONNECTING.handshake', { profile: wechatProfile, closeBeforeOpen: 'defer' }, () => {}],
    [
      'CONNECTING.closePending',
      { profile: wechatProfile, closeBeforeOpen: 'defer' },
      (h) => h.actor.send({ type: 'user.close' }),
    ],
    ['OPEN', { profile: wechatProfile, closeBeforeOpen: 'defer' }, (h) => h.platform.open()],
    [
      'CLOSING.closeRequested',
      { profile: wechatProfile, closeBeforeOpen: 'defer' },
      (h) => {
        h.platform.open();
        h.actor.send({ type: 'user.close' });
      },
    ],
    [
      'CLOSING.failed',
      { profile: wechatProfile, closeBeforeOpen: 'defer' },
      (h) => {
        h.platform.open();
        h.platform.error();
      },
    ],
  ];

  it.each(reachable)('ignores open, error and close of another generation in %s', (_name, options, reach) => {
    const h = startWithFakeTask(options);
    reach(h);
    const before = h.actor.getSnapshot();
    const emittedBefore = h.emitted.length;
    const callsBefore = h.dataPath.calls.length;
    const commandsBefore = h.commands.length;
    for (const generation of [0, 2, 7]) {
      h.platform.open(generation);
      h.platform.error(generation);
      h.platform.close(generation, 4000, 'stale');
    }
    const after = h.actor.getSnapshot();
    expect(after.value).toEqual(before.value);
    expect(after.context.lastError).toEqual(before.context.lastError);
    expect(after.context.closeInfo).toBeNull();
    expect(h.emitted.length).toBe(emittedBefore);
    expect(h.dataPath.calls.length).toBe(callsBefore);
    expect(h.commands.length).toBe(commandsBefore);
  });

  describe('the end of a life', () => {
    it('tells createConnection the life ended after the close event, and that it is over only once its sockets are released', () => {
      const h = startWithFakeTask({ profile: wechatProfile, closeBeforeOpen: 'defer' });
      h.platform.open();
      h.platform.close(1, 1000, 'bye');
      expect(h.life).toEqual(['terminated']);
      expect(h.value()).toEqual({ CLOSED: { terminated: 'releasing' } });
      h.actor.send({ type: 'life.released' });
      expect(h.life).toEqual(['terminated', 'lifeOver']);
      expect(h.value()).toEqual({ CLOSED: { terminated: 'over' } });
      // Once over, nothing more is released or said.
      h.actor.send({ type: 'life.released' });
      expect(h.life).toEqual(['terminated', 'lifeOver']);
    });

    it('starts the next life only once the last one is released when reconnect() comes first, with retries from 0', () => {
      const h = startWithFakeTask({ profile: wechatProfile, closeBeforeOpen: 'defer' });
      h.platform.open();
      h.actor.send({ type: 'user.close', code: 1000 });
      h.actor.send({ type: 'user.reconnect' });
      h.platform.close(1, 1000, '');
      expect(h.value()).toEqual({ CLOSED: { terminated: 'releasing' } });
      expect(h.spawned).toEqual([1]);
      h.actor.send({ type: 'life.released' });
      expect(h.life).toEqual(['terminated', 'lifeOver', 'revived']);
      // No attempt until createConnection listens again, and says so.
      expect(h.value()).toEqual({ CLOSED: { terminated: 'reviving' } });
      expect(h.spawned).toEqual([1]);
      h.actor.send({ type: 'life.resumed' });
      expect(h.readyStates.at(-1)).toBe('CONNECTING');
      expect(h.spawned).toEqual([1, 2]);
      expect(h.actor.getSnapshot().context).toMatchObject({ retries: 0, closeRequest: null });
    });

    it('calls off a reconnect() asked for while the life is released when close() follows it: the last call wins', () => {
      const h = startWithFakeTask({ profile: wechatProfile, closeBeforeOpen: 'defer' });
      h.platform.open();
      h.platform.close(1, 1000, '');
      h.actor.send({ type: 'user.reconnect' });
      h.actor.send({ type: 'user.close' });
      h.actor.send({ type: 'life.released' });
      expect(h.value()).toEqual({ CLOSED: { terminated: 'over' } });
      expect(h.spawned).toEqual([1]);
      h.actor.send({ type: 'user.reconnect' });
      expect(h.life).toEqual(['terminated', 'lifeOver', 'revived']);
      h.actor.send({ type: 'life.resumed' });
      expect(h.spawned).toEqual([1, 2]);
    });

    it('records what the lifecycle reports while a new life starts, before its first attempt decides anything', () => {
      const h = startWithFakeTask({ profile: wechatProfile, closeBeforeOpen: 'defer' });
      h.platform.open();
      h.platform.close(1, 1000, '');
      h.actor.send({ type: 'life.released' });
      h.actor.send({ type: 'user.reconnect' });
      h.actor.send({ type: 'lifecycle.offline' });
      h.actor.send({ type: 'life.resumed' });
      expect(h.actor.getSnapshot().context.offline).toBe(true);
      expect(h.readyStates.at(-1)).toBe('CONNECTING');
    });

    it('forgets a reconnect() when close() follows it while the socket is still closing', () => {
      const h = startWithFakeTask({ profile: wechatProfile, closeBeforeOpen: 'defer' });
      h.platform.open();
      h.platform.error();
      h.actor.send({ type: 'user.reconnect' });
      h.actor.send({ type: 'user.close' });
      h.platform.close(1, 1006, '');
      h.actor.send({ type: 'life.released' });
      expect(h.value()).toEqual({ CLOSED: { terminated: 'over' } });
      expect(h.spawned).toEqual([1]);
    });
  });

  it('accepts nothing more once CLOSED: neither the current generation nor another', () => {
    const h = startWithFakeTask({ profile: wechatProfile, closeBeforeOpen: 'defer' });
    h.platform.open();
    h.platform.close(1, 1000, 'bye');
    const snapshot = h.actor.getSnapshot();
    expect(snapshot.value).toEqual(ENDED);
    const late: ConnectionEvent[] = [
      { type: 'platform.open', generation: 1, event: {} },
      { type: 'platform.error', generation: 1, event: { errMsg: 'late' } },
      { type: 'platform.close', generation: 1, event: { code: 4000, reason: 'late' } },
      { type: 'platform.close', generation: 2, event: { code: 4000, reason: 'late' } },
      { type: 'user.close' },
    ];
    for (const event of late) {
      expect(snapshot.can(event)).toBe(false);
      h.actor.send(event);
    }
    expect(h.actor.getSnapshot().value).toEqual(ENDED);
    expect(h.actor.getSnapshot().context.closeInfo).toEqual({ code: 1000, reason: 'bye' });
    expect(h.kinds()).toEqual(['open', 'ready', 'close']);
  });

  it('runs exactly one attempt with generation 1, and tells a task whose socket closed nothing more', () => {
    const h = startWithFakeTask({ profile: wechatProfile, closeBeforeOpen: 'defer' });
    expect(h.spawned).toEqual([1]);
    expect(h.actor.getSnapshot().context.generation).toBe(1);
    h.platform.close(1, 1006, '');
    expect(h.commands).toEqual([]);
    expect(h.actor.getSnapshot().children.task).toBeDefined();
  });

  it('at the high-water mark pauses writes and watches the buffer; at the drain resumes, flushes the queue, then emits drain', () => {
    const h = startWithFakeTask({ profile: wechatProfile, closeBeforeOpen: 'defer' });
    h.platform.open();
    h.dataPath.queueCalls.length = 0;
    const before = h.dataPath.calls.length;

    h.actor.send({ type: 'buffer.full' });
    expect(h.value()).toMatchObject({ OPEN: { buffer: 'above' } });
    expect(h.dataPath.names().slice(before)).toEqual(['pause', 'watchDrain']);
    // Another full report changes nothing: the watch is already running.
    h.actor.send({ type: 'buffer.full' });
    expect(h.dataPath.names().slice(before)).toEqual(['pause', 'watchDrain']);

    h.actor.send({ type: 'buffer.drained' });
    expect(h.value()).toMatchObject({ OPEN: { buffer: 'below' } });
    expect(h.dataPath.names().slice(before)).toEqual(['pause', 'watchDrain', 'stopWatchingDrain', 'resume']);
    expect(h.dataPath.queueCalls).toEqual(['flush']);
    expect(h.kinds()).toEqual(['open', 'ready', 'drain']);
  });

  it('stops watching the buffer when the socket closes while it is full, and emits no drain', () => {
    const h = startWithFakeTask({ profile: wechatProfile, closeBeforeOpen: 'defer' });
    h.platform.open();
    h.actor.send({ type: 'buffer.full' });
    h.platform.close(1, 1006, '');
    expect(h.dataPath.names()).toContain('stopWatchingDrain');
    expect(h.dataPath.names().lastIndexOf('stopWatchingDrain')).toBeGreaterThan(
      h.dataPath.names().indexOf('watchDrain'),
    );
    h.actor.send({ type: 'buffer.drained' });
    expect(h.kinds()).toEqual(['open', 'ready', 'close']);
  });

  it('ignores a full buffer while the queue is held for ready(): the login sends must still go out', () => {
    const h = startWithFakeTask({ profile: wechatProfile, closeBeforeOpen: 'defer' });
    h.actor.stop();
    const held = createActor(connectionMachine.provide({ actions: recordingEffects().actions }), {
      input: { ...inputFor({ profile: wechatProfile, closeBeforeOpen: 'defer' }), holdUntilReady: true },
    }).start();
    held.send({ type: 'platform.open', generation: 1, event: {} });
    held.send({ type: 'buffer.full' });
    expect(held.getSnapshot().value).toMatchObject({ OPEN: { queue: 'held', buffer: 'below' } });
    held.send({ type: 'user.ready' });
    held.send({ type: 'buffer.full' });
    expect(held.getSnapshot().value).toMatchObject({ OPEN: { queue: 'flowing', buffer: 'above' } });
    held.stop();
  });

  it('sets no timer at all while CONNECTING with connectTimeout: false, and abandons nothing however long it waits', () => {
    const h = startWithFakeTask({ profile: wechatProfile, closeBeforeOpen: 'defer', connectTimeout: false });
    expect(h.timers).toEqual([]);
    h.clock.increment(2 ** 31);
    expect(h.value()).toEqual({ CONNECTING: 'handshake' });
    expect(h.commands).toEqual([]);
    h.platform.open();
    expect(h.value()).toMatchObject({ OPEN: expect.anything() });
    expect(h.timers).toEqual([]);
  });

  it('sets one connectTimeout timer per attempt and cancels it at open, so it never fires in OPEN', () => {
    const h = startWithFakeTask({ profile: wechatProfile, closeBeforeOpen: 'defer' });
    expect(h.timers).toEqual([CONNECT_TIMEOUT]);
    h.platform.open();
    h.clock.increment(CONNECT_TIMEOUT * 2);
    expect(h.value()).toMatchObject({ OPEN: expect.anything() });
    expect(h.kinds()).toEqual(['open', 'ready']);
  });

  it('abandons the task of an attempt it gives up on, and leaves it running to its own end', () => {
    const h = startWithFakeTask({ profile: wechatProfile, closeBeforeOpen: 'defer' });
    h.clock.increment(CONNECT_TIMEOUT);
    expect(h.value()).toEqual(ENDED);
    expect(h.commands).toEqual([{ type: 'abandon' }]);
    expect(h.actor.getSnapshot().children.task?.getSnapshot().status).toBe('active');
  });

  it('opens on the platform open: attaches the data path for generation 1, then emits open with the header', () => {
    const h = startWithFakeTask({ profile: wechatProfile, closeBeforeOpen: 'defer' });
    h.platform.open();
    expect(h.value()).toEqual({
      OPEN: { queue: 'flowing', heartbeat: 'off', buffer: 'below', stability: 'untracked' },
    });
    expect(h.dataPath.calls).toEqual([{ call: 'open', generation: 1 }]);
    expect(h.emitted).toEqual([{ type: 'open', event: { header: { a: 'b' } } }, { type: 'ready' }]);
  });

  describe("closeBeforeOpen 'defer' on a platform that ignores close while CONNECTING", () => {
    it('waits in CONNECTING.closePending, telling the task to close once it can (when its socket opens)', () => {
      const h = startWithFakeTask({ profile: wechatProfile, closeBeforeOpen: 'defer' });
      h.actor.send({ type: 'user.close', code: 4001, reason: 'early' });
      expect(h.value()).toEqual({ CONNECTING: 'closePending' });
      expect(h.commands).toEqual([{ type: 'close', code: 4001, reason: 'early' }]);
      expect(h.dataPath.calls).toEqual([]);
    });

    it('goes to CLOSING on the platform open without emitting open or opening the data path', () => {
      const h = startWithFakeTask({ profile: wechatProfile, closeBeforeOpen: 'defer' });
      h.actor.send({ type: 'user.close', code: 4001, reason: 'early' });
      h.platform.open();
      expect(h.value()).toEqual({ CLOSING: 'closeRequested' });
      // Asked once: the task itself closes its socket the moment it opens.
      expect(h.commands).toEqual([{ type: 'close', code: 4001, reason: 'early' }]);
      expect(h.kinds()).not.toContain('open');
      expect(h.dataPath.names()).toEqual(['stopSending']);
      h.platform.close(1, 4001, 'early');
      expect(h.closes()).toEqual([{ type: 'close', event: { code: 4001, reason: 'early' } }]);
      expect(h.dataPath.names()).toEqual(['stopSending', 'close']);
      expect(h.readyStates).toEqual(['CONNECTING', 'CLOSING', 'CLOSED']);
    });

    it('ignores a second close while the first is pending', () => {
      const h = startWithFakeTask({ profile: wechatProfile, closeBeforeOpen: 'defer' });
      h.actor.send({ type: 'user.close', code: 4001 });
      expect(h.actor.getSnapshot().can({ type: 'user.close', code: 4002 })).toBe(false);
      expect(h.actor.getSnapshot().context.closeRequest).toEqual({ code: 4001 });
    });

    it('still honours an error before the open: CLOSING.failed, error emitted, close sent to the task', () => {
      const h = startWithFakeTask({ profile: wechatProfile, closeBeforeOpen: 'defer' });
      h.actor.send({ type: 'user.close', code: 4001 });
      h.platform.error();
      expect(h.value()).toEqual({ CLOSING: 'failed' });
      expect(h.kinds()).toEqual(['error']);
      expect(h.commands).toEqual([
        { type: 'close', code: 4001 },
        { type: 'close', code: 4001 },
      ]);
    });
  });

  describe("closeBeforeOpen 'ignore' on a platform that ignores close while CONNECTING", () => {
    it('hands the close to the task at once, stays in the handshake and opens normally', () => {
      const h = startWithFakeTask({ profile: wechatProfile, closeBeforeOpen: 'ignore' });
      h.actor.send({ type: 'user.close', code: 4001, reason: 'early' });
      expect(h.value()).toEqual({ CONNECTING: 'handshake' });
      expect(h.commands).toEqual([{ type: 'close.forward', code: 4001, reason: 'early' }]);
      h.platform.open();
      expect(h.value()).toEqual({
        OPEN: { queue: 'flowing', heartbeat: 'off', buffer: 'below', stability: 'untracked' },
      });
      expect(h.kinds()).toEqual(['open', 'ready']);
      expect(h.dataPath.calls).toEqual([{ call: 'open', generation: 1 }]);
    });
  });

  describe.each(['defer', 'ignore'] as const)(
    "closeBeforeOpen '%s' on a platform that aborts",
    (closeBeforeOpen) => {
      it('goes straight to CLOSING on a close while CONNECTING and closes on the platform close', () => {
        const h = startWithFakeTask({ profile: abortingProfile, closeBeforeOpen });
        h.actor.send({ type: 'user.close', code: 4001 });
        expect(h.value()).toEqual({ CLOSING: 'closeRequested' });
        expect(h.commands).toEqual([{ type: 'close', code: 4001 }]);
        h.platform.close(1, 1006, '');
        expect(h.closes()).toEqual([{ type: 'close', event: { code: 1006, reason: '' } }]);
        expect(h.kinds()).not.toContain('open');
        expect(h.dataPath.names()).toEqual(['stopSending', 'close']);
      });
    },
  );

  describe('timers (SimulatedClock)', () => {
    it.each([
      ['CONNECTING', (_h: Harness) => {}],
      ['OPEN', (h: Harness) => h.platform.open()],
    ])('synthesises close 1006 errorGrace ms after an error in %s that no close follows', (_name, reach) => {
      const h = startWithFakeTask({ profile: wechatProfile, closeBeforeOpen: 'defer' });
      reach(h);
      h.platform.error();
      expect(h.value()).toEqual({ CLOSING: 'failed' });
      expect(h.commands).toEqual([{ type: 'close' }]);
      h.clock.increment(ERROR_GRACE - 1);
      expect(h.value()).toEqual({ CLOSING: 'failed' });
      expect(h.closes()).toEqual([]);
      h.clock.increment(1);
      expect(h.value()).toEqual(ENDED);
      expect(h.closes()).toEqual([{ type: 'close', event: { code: 1006, reason: '' } }]);
      expect(h.emitted.filter((e) => e.type === 'error')).toEqual([
        { type: 'error', event: { errMsg: 'network error' } },
      ]);
    });

    it('does not extend the grace period when more errors arrive', () => {
      const h = startWithFakeTask({ profile: wechatProfile, closeBeforeOpen: 'defer' });
      h.platform.open();
      h.platform.error();
      h.clock.increment(ERROR_GRACE / 2);
      h.platform.error();
      expect(h.kinds()).toEqual(['open', 'ready', 'error', 'error']);
      h.clock.increment(ERROR_GRACE / 2);
      expect(h.value()).toEqual(ENDED);
    });

    it('synthesises close 1006 closeTimeout ms after a close the platform never answers', () => {
      const h = startWithFakeTask({ profile: wechatProfile, closeBeforeOpen: 'defer' });
      h.platform.open();
      h.actor.send({ type: 'user.close' });
      h.clock.increment(CLOSE_TIMEOUT - 1);
      expect(h.value()).toEqual({ CLOSING: 'closeRequested' });
      h.clock.increment(1);
      expect(h.closes()).toEqual([{ type: 'close', event: { code: 1006, reason: '' } }]);
    });

    it('replaces the close timeout by the shorter error grace when an error arrives while closing', () => {
      const h = startWithFakeTask({ profile: wechatProfile, closeBeforeOpen: 'defer' });
      h.platform.open();
      h.actor.send({ type: 'user.close' });
      h.clock.increment(500);
      h.platform.error();
      expect(h.value()).toEqual({ CLOSING: 'failed' });
      h.clock.increment(ERROR_GRACE - 1);
      expect(h.value()).toEqual({ CLOSING: 'failed' });
      h.clock.increment(1);
      expect(h.value()).toEqual(ENDED);
      expect(h.clock.now()).toBe(500 + ERROR_GRACE);
    });

    it('keeps the platform close code when the close arrives within the grace period, and fires no timer after', () => {
      const h = startWithFakeTask({ profile: wechatProfile, closeBeforeOpen: 'defer' });
      h.platform.open();
      h.platform.error();
      h.clock.increment(ERROR_GRACE - 1);
      h.platform.close(1, 1011, 'server error');
      h.clock.increment(CLOSE_TIMEOUT * 10);
      expect(h.closes()).toEqual([{ type: 'close', event: { code: 1011, reason: 'server error' } }]);
    });
  });

  const scenarios: Array<[string, Options, (h: Harness) => void]> = [
    [
      'close before open',
      { profile: wechatProfile, closeBeforeOpen: 'defer' },
      (h) => h.platform.close(1, 1006),
    ],
    [
      'open, user close, platform close',
      { profile: wechatProfile, closeBeforeOpen: 'defer' },
      (h) => {
        h.platform.open();
        h.actor.send({ type: 'user.close' });
        h.platform.close();
      },
    ],
    [
      'open, platform close',
      { profile: wechatProfile, closeBeforeOpen: 'ignore' },
      (h) => {
        h.platform.open();
        h.platform.close(1, 1001);
      },
    ],
    [
      'error without close while CONNECTING',
      { profile: wechatProfile, closeBeforeOpen: 'defer' },
      (h) => {
        h.platform.error();
        h.clock.increment(ERROR_GRACE);
      },
    ],
    [
      'error, then close while OPEN',
      { profile: abortingProfile, closeBeforeOpen: 'defer' },
      (h) => {
        h.platform.open();
        h.platform.error();
        h.platform.close(1, 1006);
      },
    ],
    [
      'user close never answered',
      { profile: abortingProfile, closeBeforeOpen: 'ignore' },
      (h) => {
        h.platform.open();
        h.actor.send({ type: 'user.close' });
        h.clock.increment(CLOSE_TIMEOUT);
      },
    ],
    [
      'deferred close before open',
      { profile: wechatProfile, closeBeforeOpen: 'defer' },
      (h) => {
        h.actor.send({ type: 'user.close' });
        h.platform.open();
        h.platform.close();
      },
    ],
    [
      'aborted handshake never answered',
      { profile: abortingProfile, closeBeforeOpen: 'defer' },
      (h) => {
        h.actor.send({ type: 'user.close' });
        h.clock.increment(CLOSE_TIMEOUT);
      },
    ],
    [
      'error while closing, then close',
      { profile: wechatProfile, closeBeforeOpen: 'defer' },
      (h) => {
        h.platform.open();
        h.actor.send({ type: 'user.close' });
        h.platform.error();
        h.platform.close(1, 1006);
      },
    ],
  ];

  it.each(scenarios)(
    'emits close exactly once, last, along allowed readyState edges: %s',
    (_name, options, play) => {
      const h = startWithFakeTask(options);
      play(h);
      // Anything late must change nothing: timers, events of this or another attempt.
      h.clock.increment(CLOSE_TIMEOUT + ERROR_GRACE);
      h.platform.open();
      h.platform.error();
      h.platform.close(1, 4000, 'late');
      h.platform.close(2, 4000, 'late');
      h.actor.send({ type: 'user.close' });
      expect(h.value()).toEqual(ENDED);
      expect(h.closes()).toHaveLength(1);
      expect(h.emitted.at(-1)?.type).toBe('close');
      expect(h.dataPath.names().at(-1)).toBe('close');
      expect(h.dataPath.names().filter((n) => n === 'close')).toHaveLength(1);
      // A task is told to end at most once by the way the connection left it.
      expect(
        h.commands.filter((c) => c.type === 'abandon' || c.type === 'terminate').length,
      ).toBeLessThanOrEqual(1);
      for (let i = 1; i < h.readyStates.length; i++) {
        const from = h.readyStates[i - 1] as Parameters<typeof isReadyStateEdge>[1];
        const to = h.readyStates[i] as Parameters<typeof isReadyStateEdge>[2];
        expect(isReadyStateEdge(READY_STATE_EDGES, from, to), `${from} → ${to}`).toBe(true);
      }
      const opens = h.dataPath.calls.filter((c) => c.call === 'open');
      expect(opens.length).toBe(h.kinds().includes('open') ? 1 : 0);
    },
  );
});

describe('connectionMachine with the real task machine and a fake WeChat-style platform', () => {
  function startWithFakePlatform(profile: PlatformProfile, closeBeforeOpen: 'defer' | 'ignore') {
    const adapter = fakeAdapter(profile);
    const calls: string[] = [];
    // The real data path, its calls recorded.
    const dataPath = new ConnectionDataPath(null, false, 1_048_576);
    for (const name of ['attach', 'stopSending', 'close'] as const) {
      const original = dataPath[name].bind(dataPath) as (...args: unknown[]) => void;
      (dataPath as unknown as Record<string, unknown>)[name] = (...args: unknown[]) => {
        calls.push(name);
        original(...args);
      };
    }
    const actor = createManagedActor(
      inputFor({ profile, closeBeforeOpen }),
      {
        adapter,
        resolveTarget: () => ({ url: 'wss://example.test/socket' }),
        dataPath,
        slots: slotsFor(adapter),
        shouldReconnect: undefined,
      },
      { clock: new SimulatedClock() },
    );
    const emitted: string[] = [];
    actor.on('*', (event) => {
      if (!LIFE_EVENTS.has(event.type)) emitted.push(event.type);
    });
    actor.start();
    const task = adapter.tasks[0];
    if (!task) throw new Error('the machine did not connect synchronously');
    return { actor, task, dataPath: { names: () => calls }, emitted };
  }

  it("closes the platform task the moment it opens when the close was deferred ('defer', docs/platforms.md#close-before-open)", () => {
    const { actor, task, dataPath, emitted } = startWithFakePlatform(wechatProfile, 'defer');
    actor.send({ type: 'user.close', code: 4001, reason: 'early' });
    expect(task.log.filter((e) => e.kind === 'user')).toEqual([]);
    task.emitOpen();
    expect(task.log.filter((e) => e.kind === 'user')).toEqual([
      { kind: 'user', call: 'close', outcome: 'success', args: { code: 4001, reason: 'early' } },
    ]);
    expect(actor.getSnapshot().value).toEqual({ CLOSING: 'closeRequested' });
    task.completeClose();
    expect(task.readyStates).toEqual([0, 1, 2, 3]);
    expect(emitted).toEqual(['close']);
    expect(dataPath.names()).toEqual(['attach', 'stopSending', 'close']);
  });

  it("reproduces the platform with 'ignore': the early close is ignored and the socket opens", () => {
    const { actor, task, emitted } = startWithFakePlatform(wechatProfile, 'ignore');
    actor.send({ type: 'user.close' });
    expect(task.log).toEqual([{ kind: 'user', call: 'close', outcome: 'ignored', args: {} }]);
    task.emitOpen();
    expect(actor.getSnapshot().value).toEqual({
      OPEN: { queue: 'flowing', heartbeat: 'off', buffer: 'below', stability: 'untracked' },
    });
    expect(emitted).toEqual(['open', 'ready']);
    expect(task.isLeaking).toBe(true);
    actor.send({ type: 'user.close' });
    task.completeClose();
    expect(task.isLeaking).toBe(false);
    expect(emitted).toEqual(['open', 'ready', 'close']);
  });

  it('aborts the handshake on an aborting platform and reports its error and close 1006 once', async () => {
    const { actor, task, emitted } = startWithFakePlatform(abortingProfile, 'defer');
    actor.send({ type: 'user.close' });
    expect(task.readyState).toBe(2);
    await Promise.resolve();
    expect(actor.getSnapshot().value).toEqual(ENDED);
    expect(emitted).toEqual(['error', 'close']);
    expect(actor.getSnapshot().context.closeInfo).toEqual({ code: 1006, reason: '' });
  });
});
