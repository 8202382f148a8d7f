import { describe, expect, it } from 'vitest';
import {
  type AnyEventObject,
  type AnyStateMachine,
  type AnyTransitionDefinition,
  assign,
  createActor,
  type EventObject,
  fromCallback,
  type InspectionEvent,
  SimulatedClock,
} from 'xstate';
import { getShortestPaths, getStateNodes } from 'xstate/graph';
import type { PlatformProfile } from '../../src/adapters/types.js';
import { type ConnectionMachineInput, connectionMachine } from '../../src/machines/connection.js';
import { globalSocketMachine } from '../../src/machines/globalSocket.js';
import { type SocketTaskProfile, socketTaskMachine } from '../../src/machines/socketTask.js';
import { type TaskMachineInput, taskMachine } from '../../src/machines/task.js';
import type { ReconnectSchedule } from '../../src/reconnect/backoff.js';
import { abortingProfile, wechatProfile } from '../fixtures/fakeSocketTask.js';

/** One transition of the definition, named by its source, event, index among that event's candidates, target. */
function transitionKey(t: AnyTransitionDefinition): string {
  const candidates = t.source.transitions.get(t.eventType) ?? [];
  const targets = t.target?.map((node) => node.id).join(', ') ?? '(stays)';
  return `${t.source.id}  ${t.eventType}[${candidates.indexOf(t)}] → ${targets}`;
}

/** Every transition the machine defines, delayed (`after`) ones included: they live in `transitions` too. */
function allTransitions(machine: AnyStateMachine): Map<AnyTransitionDefinition, string> {
  const map = new Map<AnyTransitionDefinition, string>();
  for (const node of [machine.root, ...getStateNodes(machine.root)]) {
    for (const candidates of node.transitions.values()) {
      for (const t of candidates) map.set(t, transitionKey(t));
    }
    // Eventless (`always`) transitions are kept apart from the event-keyed ones.
    const always = node.always ?? [];
    for (const t of always) {
      const targets = t.target?.map((target) => target.id).join(', ') ?? '(stays)';
      map.set(t, `${node.id}  always[${always.indexOf(t)}] → ${targets}`);
    }
  }
  return map;
}

/** The part of a context that decides which guarded transition an event takes. */
type ContextKey = (context: never) => unknown;

function serializer(contextKey: ContextKey) {
  const key = (snapshot: { value: unknown; context?: unknown } | undefined) =>
    JSON.stringify([snapshot?.value, snapshot ? contextKey(snapshot.context as never) : undefined]);
  // Naming a state by the transition into it makes every transition its own vertex, so the shortest paths
  // to all vertices take every transition at least once (the trick of xstate's createTestModel). The context
  // the guards read is part of the name: two guarded transitions from one state on one event then differ.
  return (
    snapshot: { value: unknown; context?: unknown },
    event: EventObject | undefined,
    previous: { value: unknown; context?: unknown } | undefined,
  ): string => `${key(snapshot)}${event ? ` via ${JSON.stringify(event)} from ${key(previous)}` : ''}`;
}

interface Coverage {
  covered: Set<string>;
  /** Every event the generated paths send, in order, path after path. */
  replayed: EventObject[];
  /** The same, one list per path. */
  paths: EventObject[][];
}

/**
 * Generates the shortest path to every (state, incoming transition) with xstate/graph, replays each on a fresh
 * actor and records the transitions the actor really takes. Delayed transitions appear in the graph as
 * `xstate.after.<delay>.<state id>` events, which the replay sends as they are, on a SimulatedClock that never
 * moves; every delay must still have a duration.
 */
function cover(
  machine: AnyStateMachine,
  input: unknown,
  events: AnyEventObject[],
  delays: Record<string, number>,
  contextKey: ContextKey = () => null,
): Coverage {
  const known = allTransitions(machine);
  const delayOf = new Map<string, number>();
  for (const t of known.keys()) {
    if (!t.eventType.startsWith('xstate.after.')) continue;
    const ref = (t as { delay?: unknown }).delay;
    const ms = typeof ref === 'number' ? ref : delays[String(ref)];
    if (ms === undefined) throw new Error(`no duration given for delay ${String(ref)} of ${known.get(t)}`);
    delayOf.set(t.eventType, ms);
  }

  // A custom `events` list replaces xstate/graph's default one, so the delayed events are listed here too;
  // `filterEvents` keeps, in each state, only those the state can take.
  const afterEvents = [...delayOf.keys()].map((type) => ({ type }));
  const paths = getShortestPaths(machine, {
    input,
    events: [...events, ...afterEvents],
    serializeState: serializer(contextKey),
    filterEvents: (snapshot, event) => snapshot.can(event),
  });

  const covered = new Set<string>();
  const replayed: EventObject[] = [];
  const replayedPaths: EventObject[][] = [];
  for (const path of paths) {
    const events: EventObject[] = [];
    replayedPaths.push(events);
    const clock = new SimulatedClock();
    let actorRef: unknown;
    const actor = createActor(machine, {
      input,
      clock,
      inspect: (e: InspectionEvent) => {
        if (e.type !== '@xstate.microstep' || e.actorRef !== actorRef) return;
        for (const t of e._transitions) {
          const key = known.get(t);
          if (key !== undefined) covered.add(key);
        }
      },
    });
    actorRef = actor;
    actor.start();
    // alterPath() puts the event that led INTO each step's state on that step; the first is xstate.init.
    for (const step of path.steps.slice(1)) {
      replayed.push(step.event);
      events.push(step.event);
      // A delayed transition is taken by sending its event: the clock never moves, so no other timer fires.
      // Stepping the clock instead would, where parallel regions (OPEN's) run timers of their own, fire another
      // region's shorter one first.
      actor.send(step.event);
      expect(actor.getSnapshot().value, `after ${JSON.stringify(step.event)}`).toEqual(step.state.value);
    }
    actor.stop();
  }
  return { covered, replayed, paths: replayedPaths };
}

function expectCovered(machine: AnyStateMachine, coverage: Coverage, unreachable: string[]): void {
  const all = [...allTransitions(machine).values()];
  for (const key of unreachable)
    expect(all, 'an unreachable transition that no longer exists').toContain(key);
  const expected = all.filter((key) => !unreachable.includes(key)).sort();
  expect([...coverage.covered].sort()).toEqual(expected);
}

describe('socketTaskMachine: every transition is exercised', () => {
  const events: AnyEventObject[] = [
    { type: 'user.send', data: 'text' },
    { type: 'user.send', data: 42 },
    { type: 'user.close' },
    { type: 'user.close', code: 1001 },
    { type: 'platform.open' },
    { type: 'platform.message', data: 'hi' },
    { type: 'platform.error', errMsg: 'network error' },
    { type: 'platform.close', code: 1000, reason: '' },
  ];
  const configurations: Array<[string, SocketTaskProfile, string[]]> = [
    [
      'ignored',
      { closeWhileConnecting: 'ignored' },
      [
        'socketTask.CONNECTING  user.close[1] → socketTask.CLOSING.aborting',
        'socketTask.CLOSING.aborting  platform.error[0] → socketTask.CLOSING.errored',
      ],
    ],
    ['aborts', { closeWhileConnecting: 'aborts' }, ['socketTask.CONNECTING  user.close[2] → (stays)']],
  ];
  const union = new Set<string>();

  it.each(configurations)(
    "on the '%s' profile, all but the other profile's close-while-CONNECTING branch",
    (_name, profile, unreachable) => {
      const coverage = cover(socketTaskMachine, { profile }, events, {});
      for (const key of coverage.covered) union.add(key);
      expectCovered(socketTaskMachine, coverage, unreachable);
    },
  );

  it('over both profiles, all of them', () => {
    expect([...union].sort()).toEqual([...allTransitions(socketTaskMachine).values()].sort());
  });
});

describe('taskMachine: every transition is exercised', () => {
  // The effects are stubbed: the graph plays the providers, the platform and the connection by sending events.
  const machine = taskMachine.provide({
    actions: {
      reportOpen: () => {},
      reportError: () => {},
      reportClose: () => {},
      reportCloseRefused: () => {},
      closeSocket: () => {},
      terminateSocket: () => {},
      abortSocket: () => {},
      settleSocket: () => {},
      connectSocket: () => {},
      resolveTarget: () => {},
      disownSocket: () => {},
    },
  });
  const events: AnyEventObject[] = [
    { type: 'target.ready', target: { url: 'wss://example.test/socket' } },
    { type: 'target.failed', event: { errMsg: 'bad url' } },
    { type: 'close', code: 4000 },
    { type: 'close.forward', code: 4000 },
    { type: 'abandon' },
    { type: 'terminate' },
    { type: 'socket.handedOver' },
    { type: 'socket.settled' },
    { type: 'socket.open', event: {} },
    { type: 'socket.error', event: { errMsg: 'network error' } },
    { type: 'socket.close', event: { code: 1000, reason: '' } },
    { type: 'socket.failed', event: { errMsg: 'connect failed' } },
    { type: 'socket.closeFailed', error: { errMsg: 'not connected' } },
  ];
  const delays = { closeTimeout: 1000 };
  const aborting = (guardIndex: number, from: string) =>
    `task.live.${from}  socket.handedOver[${guardIndex}] → task.live.ending.closing`;
  const configurations: Array<[string, TaskMachineInput['closeWhileConnecting'], string[]]> = [
    [
      'ignored',
      'ignored',
      [
        'task.live.connecting  close[0] → task.live.ending.closing',
        'task.live.connecting  abandon[0] → task.live.ending.closing',
        aborting(1, 'ending.closeAsked'),
      ],
    ],
    [
      'aborts',
      'aborts',
      [
        'task.live.connecting  close[1] → task.live.ending.closePending',
        'task.live.connecting  abandon[1] → task.live.ending.closePending',
        'task.live.ending.closeAsked  socket.handedOver[2] → task.live.ending.closePending',
        'task.live.ending.closeAsked  socket.handedOver[3] → task.live.ending.closePending',
      ],
    ],
  ];
  const union = new Set<string>();

  it.each(configurations)(
    'on a platform where a close while CONNECTING is %s',
    (_name, closeWhileConnecting, never) => {
      const input: TaskMachineInput = { generation: 1, closeWhileConnecting, closeTimeout: 1000 };
      const coverage = cover(
        machine,
        input,
        events,
        delays,
        (context: { request: { type: string } | null }) => context.request?.type,
      );
      for (const key of coverage.covered) union.add(key);
      const all = [...allTransitions(machine).values()];
      for (const key of never) {
        expect(all, 'a ruled-out transition that no longer exists').toContain(key);
        expect(coverage.covered.has(key), `taken though ruled out: ${key}`).toBe(false);
      }
    },
  );

  it('over both platforms, all of them', () => {
    const missing = [...allTransitions(taskMachine).values()].filter((key) => !union.has(key));
    expect(missing).toEqual([]);
    expect([...union].sort()).toEqual([...allTransitions(taskMachine).values()].sort());
  });
});

describe('connectionMachine: every transition is exercised', () => {
  const task = fromCallback(() => {});
  const heartbeat = { interval: 500, timeout: 300 };
  const timing = { errorGrace: 200, closeTimeout: 1000, connectTimeout: 3000 };
  // Without jitter, and with factor 1, every wait lasts initialDelay: the replay can step the clock exactly.
  // stableAfter is shorter than the heartbeat interval, so stepping to one never fires the other first.
  const retrying = (overrides: Partial<ReconnectSchedule> = {}): ReconnectSchedule => ({
    initialDelay: 100,
    maxDelay: 100,
    factor: 1,
    maxRetries: Number.POSITIVE_INFINITY,
    jitter: 'none',
    stableAfter: 50,
    ...overrides,
  });
  const delays = {
    retryDelay: 100,
    stableAfter: 50,
    errorGrace: 200,
    closeTimeout: 1000,
    heartbeatInterval: heartbeat.interval,
    heartbeatTimeout: heartbeat.timeout,
  };
  // Generation 1 is the first attempt; generation 2 events are stale and must never be taken. The answers the
  // machine asks of the outside world (a free slot, a sign of life) are events too, so the graph plays them.
  const events: AnyEventObject[] = [1, 2].flatMap((generation) => [
    { type: 'platform.open', generation, event: {} },
    { type: 'platform.error', generation, event: { errMsg: 'network error' } },
    { type: 'platform.close', generation, event: { code: 1000, reason: '' } },
    { type: 'platform.closeRefused', generation, error: { errMsg: 'not connected' } },
  ]);
  events.push(
    { type: 'user.close' },
    { type: 'user.close', code: 4000, reason: 'bye' },
    { type: 'user.close', dispose: true },
    { type: 'user.ready' },
    { type: 'connect.timeout' },
    { type: 'user.reconnect' },
    { type: 'life.released' },
    { type: 'life.resumed' },
    { type: 'buffer.full' },
    { type: 'buffer.drained' },
    { type: 'slot.granted' },
    { type: 'slot.unavailable' },
    { type: 'slot.free' },
    { type: 'heartbeat.heard' },
    { type: 'heartbeat.late' },
    { type: 'heartbeat.silent' },
    { type: 'lifecycle.offline' },
    { type: 'lifecycle.online' },
    { type: 'lifecycle.background' },
    { type: 'lifecycle.foreground' },
  );

  const handshakeClose = (i: number, target: string) =>
    `connection.CONNECTING.handshake  user.close[${i}] → ${target}`;
  const deciding = (i: number, target: string) =>
    `connection.CLOSED.deciding  always[${i}] → connection.CLOSED.${target}`;
  const held = 'connection.OPEN.queue.opened  always[0] → connection.OPEN.queue.held';
  const retryAtOnce = 'connection.CLOSED.deciding  always[6] → connection.CONNECTING';
  const suspendedResume = 'connection.CLOSED.suspended  lifecycle.online[0] → connection.CONNECTING';
  const heartbeatOn = 'connection.OPEN.heartbeat.starting  always[0] → connection.OPEN.heartbeat.live';
  const heartbeatOff = 'connection.OPEN.heartbeat.starting  always[1] → connection.OPEN.heartbeat.off';
  const proving = 'connection.OPEN.stability.starting  always[0] → connection.OPEN.stability.proving';
  const untracked = 'connection.OPEN.stability.starting  always[1] → connection.OPEN.stability.untracked';
  const waitForSlot =
    'connection.CONNECTING.acquiringSlot  slot.unavailable[0] → connection.CONNECTING.awaitingSlot';
  const failForSlot = 'connection.CONNECTING.acquiringSlot  slot.unavailable[1] → connection.CLOSED';

  interface Configuration {
    name: string;
    closeBeforeOpen: 'defer' | 'ignore';
    profile: PlatformProfile;
    reconnect: ReconnectSchedule | false;
    heartbeat?: false;
    holdUntilReady?: boolean;
    /** What shouldReconnect answers. */
    retryable?: boolean;
    connectionLimit?: 'fail' | 'wait';
    /** Transitions this configuration must never take: what the option rules out. */
    never: string[];
  }
  const configurations: Configuration[] = [
    {
      name: "an 'aborts' adapter, closeBeforeOpen 'defer', no reconnect",
      closeBeforeOpen: 'defer',
      profile: abortingProfile,
      reconnect: false,
      never: [
        handshakeClose(1, 'connection.CONNECTING.closePending'),
        handshakeClose(2, '(stays)'),
        deciding(3, 'terminated'),
        deciding(4, 'terminated'),
        retryAtOnce,
        deciding(7, 'waiting'),
        held,
        proving,
        waitForSlot,
      ],
    },
    {
      name: "an 'aborts' adapter, closeBeforeOpen 'ignore'",
      closeBeforeOpen: 'ignore',
      profile: abortingProfile,
      reconnect: false,
      never: [handshakeClose(1, 'connection.CONNECTING.closePending'), handshakeClose(2, '(stays)')],
    },
    {
      name: "an 'ignored' adapter, closeBeforeOpen 'defer'",
      closeBeforeOpen: 'defer',
      profile: wechatProfile,
      reconnect: false,
      never: [handshakeClose(0, 'connection.CLOSING'), handshakeClose(2, '(stays)')],
    },
    {
      name: "an 'ignored' adapter, closeBeforeOpen 'ignore' (only the signal's close takes effect at open)",
      closeBeforeOpen: 'ignore',
      profile: wechatProfile,
      reconnect: false,
      never: [handshakeClose(0, 'connection.CLOSING')],
    },
    {
      name: 'no heartbeat',
      closeBeforeOpen: 'defer',
      profile: wechatProfile,
      reconnect: false,
      heartbeat: false,
      never: [heartbeatOn],
    },
    {
      name: 'reconnect on, the ready gate on',
      closeBeforeOpen: 'defer',
      profile: wechatProfile,
      reconnect: retrying(),
      holdUntilReady: true,
      never: [
        heartbeatOff,
        deciding(2, 'terminated'),
        deciding(3, 'terminated'),
        deciding(4, 'terminated'),
        retryAtOnce,
        untracked,
      ],
    },
    {
      name: 'reconnect at zero delay',
      closeBeforeOpen: 'defer',
      profile: wechatProfile,
      reconnect: retrying({ initialDelay: 0, maxDelay: 0 }),
      never: [deciding(2, 'terminated'), deciding(3, 'terminated'), deciding(4, 'terminated')],
    },
    {
      name: 'reconnect with no retry left',
      closeBeforeOpen: 'defer',
      profile: wechatProfile,
      reconnect: retrying({ maxRetries: 0 }),
      never: [
        deciding(4, 'terminated'),
        deciding(5, 'suspended'),
        retryAtOnce,
        deciding(7, 'waiting'),
        suspendedResume,
      ],
    },
    {
      name: 'reconnect refused by shouldReconnect',
      closeBeforeOpen: 'defer',
      profile: wechatProfile,
      reconnect: retrying(),
      retryable: false,
      never: [deciding(5, 'suspended'), retryAtOnce, deciding(7, 'waiting')],
    },
    {
      name: "connectionLimit 'wait', reconnect on",
      closeBeforeOpen: 'defer',
      profile: wechatProfile,
      reconnect: retrying(),
      connectionLimit: 'wait',
      never: [failForSlot],
    },
  ];
  const union = new Set<string>();

  it.each(configurations)('with $name, takes every transition it allows and none it rules out', (config) => {
    const machine = connectionMachine.provide({
      actors: { task: task as unknown as typeof taskMachine },
      actions: {
        // Answered by the graph's events instead.
        requestSlot: () => {},
        checkPong: () => {},
        assessClose: assign({ retryable: config.retryable ?? true }),
      },
    });
    const input: ConnectionMachineInput = {
      platform: 'sim',
      closeWhileConnecting: config.profile.closeWhileConnecting,
      maxSockets: 2,
      closeBeforeOpen: config.closeBeforeOpen,
      heartbeat: config.heartbeat ?? heartbeat,
      reconnect: config.reconnect,
      holdUntilReady: config.holdUntilReady ?? false,
      connectionLimit: config.connectionLimit ?? 'fail',
      ...timing,
    };
    const coverage = cover(
      machine,
      input,
      events,
      delays,
      ({ offline, background, opened }: { offline: boolean; background: boolean; opened: boolean }) => [
        offline,
        background,
        opened,
      ],
    );
    for (const key of coverage.covered) union.add(key);
    const all = [...allTransitions(machine).values()];
    for (const key of config.never) {
      expect(all, 'a ruled-out transition that no longer exists').toContain(key);
      expect(coverage.covered.has(key), `taken though ruled out: ${key}`).toBe(false);
    }
    // The graph only follows events a state can take, so a stale event on a path means a guard let it in.
    // (A retry or reconnect() makes generation 2 the current one, so only single-attempt paths can tell.)
    if (config.reconnect === false) {
      const singleAttempt = coverage.paths.filter((path) => !path.some((e) => e.type === 'user.reconnect'));
      expect(singleAttempt.length).toBeGreaterThan(0);
      expect(singleAttempt.flat().filter((e) => 'generation' in e && e.generation !== 1)).toEqual([]);
    }
  });

  it('over all the configurations, all of them', () => {
    const missing = [...allTransitions(connectionMachine).values()].filter((key) => !union.has(key));
    expect(missing).toEqual([]);
    expect([...union].sort()).toEqual([...allTransitions(connectionMachine).values()].sort());
  });
});

describe('globalSocketMachine: every transition is exercised', () => {
  // Three connections, so that one can hold the socket, one wait for it and one replace the one waiting.
  const users = [{ name: 'a' }, { name: 'b' }, { name: 'c' }];
  const events: AnyEventObject[] = [
    ...users.map((user) => ({ type: 'connect', user, releaseTimeout: 100 })),
    ...users.map((user) => ({ type: 'close', user, request: {} })),
    ...users.map((user) => ({ type: 'connect.failed', user, error: 'fail' })),
    { type: 'platform.open', payload: {} },
    { type: 'platform.message', payload: { data: 'hi' } },
    { type: 'platform.error', payload: { errMsg: 'network error' } },
    { type: 'platform.close', payload: { code: 1000, reason: '' } },
  ];
  const holders = (context: { holder: unknown; next: unknown }) => [context.holder, context.next];

  it('takes all of them, from every holder and successor', () => {
    const coverage = cover(globalSocketMachine, undefined, events, { releaseTimeout: 100 }, holders as never);
    expectCovered(globalSocketMachine, coverage, []);
  });
});
