import { describe, expect, it } from 'vitest';
import {
  type AnyEventObject,
  type AnyStateMachine,
  type AnyTransitionDefinition,
  createActor,
  type EventObject,
  fromCallback,
  type InspectionEvent,
  SimulatedClock,
} from 'xstate';
import { getShortestPaths, getStateNodes } from 'xstate/graph';
import type { PlatformProfile } from '../../src/adapters/types.js';
import { type ConnectionMachineInput, connectionMachine } from '../../src/machines/connection.js';
import type { DataPath } from '../../src/machines/dataPath.js';
import { type SocketTaskProfile, socketTaskMachine } from '../../src/machines/socketTask.js';
import type { TaskActorInput, TaskCommand, TaskEvent } from '../../src/machines/taskActor.js';
import type { ReconnectPolicy } from '../../src/reconnect.js';
import type { Slots } from '../../src/slots.js';
import { abortingProfile, fakeAdapter, wechatProfile } from '../fixtures/fakeSocketTask.js';

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

function serializeState(
  snapshot: { value: unknown },
  event: EventObject | undefined,
  previous: { value: unknown } | undefined,
): string {
  // Naming a state by the transition into it makes every transition its own vertex, so the shortest paths
  // to all vertices take every transition at least once (the trick of xstate's createTestModel).
  const via = event ? ` via ${JSON.stringify(event)} from ${JSON.stringify(previous?.value)}` : '';
  return `${JSON.stringify(snapshot.value)}${via}`;
}

interface Coverage {
  covered: Set<string>;
  /** Every event the generated paths send, in order, path after path. */
  replayed: EventObject[];
}

/**
 * Generates the shortest path to every (state, incoming transition) with xstate/graph, replays each on a fresh
 * actor and records the transitions the actor really takes. Delayed transitions appear in the graph as
 * `xstate.after.<delay>.<state id>` events; the replay does not send those but advances a SimulatedClock by
 * the delay, so they fire the way they would in production.
 */
function cover(
  machine: AnyStateMachine,
  input: unknown,
  events: AnyEventObject[],
  delays: Record<string, number>,
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
    serializeState,
    filterEvents: (snapshot, event) => snapshot.can(event),
  });

  const covered = new Set<string>();
  const replayed: EventObject[] = [];
  for (const path of paths) {
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
      const ms = delayOf.get(step.event.type);
      if (ms === undefined) actor.send(step.event);
      else clock.increment(ms);
      expect(actor.getSnapshot().value, `after ${JSON.stringify(step.event)}`).toEqual(step.state.value);
    }
    actor.stop();
  }
  return { covered, replayed };
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

describe('connectionMachine: every transition is exercised', () => {
  const socketTask = fromCallback<TaskCommand, TaskActorInput, TaskEvent>(() => {});
  // The heartbeat's guards read the data path (inbound data bypasses the machine): each answer reaches one branch.
  const dataPathAnswering = (answer: 'silent' | 'answered' | 'throttled'): DataPath => ({
    attach: () => {},
    message: () => {},
    open: () => {},
    stopSending: () => {},
    close: () => {},
    ping: () => {},
    flush: () => {},
    endQueue: () => {},
    heardSincePing: () => answer === 'answered',
    msSincePing: () => (answer === 'throttled' ? 60_000 : 300),
  });
  const slots: Slots = {
    max: 2,
    used: 0,
    held: 0,
    free: () => true,
    take: () => () => {},
    wait: () => {},
    stopWaiting: () => {},
    whenReleased: (done) => done(),
  };
  // The slot guard reads a shared pool; the graph needs it pure. 'full' never frees a slot, 'freed' frees one
  // exactly when a slot.free event says so, so both branches of awaitingSlot are reachable.
  const slotGuards = {
    free: {},
    full: { hasFreeSlot: () => false },
    freed: { hasFreeSlot: ({ event }: { event: AnyEventObject }) => event.type === 'slot.free' },
  } as const;
  const heartbeat = { interval: 500, timeout: 300 };
  const timing = { errorGrace: 200, closeTimeout: 1000, connectTimeout: 3000, heartbeat };
  // Without jitter, and with factor 1, every wait lasts initialDelay: the replay can step the clock exactly.
  // stableAfter is shorter than the heartbeat interval, so stepping to one never fires the other first.
  const retrying = (overrides: Partial<ReconnectPolicy> = {}): ReconnectPolicy => ({
    initialDelay: 100,
    maxDelay: 100,
    factor: 1,
    maxRetries: Number.POSITIVE_INFINITY,
    jitter: 'none',
    stableAfter: 50,
    shouldReconnect: () => true,
    ...overrides,
  });
  const delays = {
    retryDelay: 100,
    stableAfter: 50,
    errorGrace: 200,
    closeTimeout: 1000,
    connectTimeout: 3000,
    heartbeatInterval: heartbeat.interval,
    heartbeatTimeout: heartbeat.timeout,
  };
  // Generation 1 is the first attempt; generation 2 events are stale and must never be taken.
  const events: AnyEventObject[] = [1, 2].flatMap((generation) => [
    { type: 'platform.open', generation, event: {} },
    { type: 'platform.error', generation, event: { errMsg: 'network error' } },
    { type: 'platform.close', generation, event: { code: 1000, reason: '' } },
  ]);
  events.push(
    { type: 'user.close' },
    { type: 'user.close', code: 4000, reason: 'bye' },
    { type: 'user.ready' },
    { type: 'slot.free' },
    { type: 'lifecycle.offline' },
    { type: 'lifecycle.online' },
    { type: 'lifecycle.background' },
    { type: 'lifecycle.foreground' },
  );

  const handshakeClose = (i: number, target: string) =>
    `connection.CONNECTING.handshake  user.close[${i}] → ${target}`;
  const closePendingOpen = 'connection.CONNECTING.closePending  platform.open[0] → connection.CLOSING';
  const pong = (i: number, target: string) =>
    `connection.OPEN.heartbeat.awaitingPong  xstate.after.heartbeatTimeout.connection.OPEN.heartbeat.awaitingPong[${i}] → ${target}`;
  const deciding = (i: number, target: string) =>
    `connection.CLOSED.deciding  always[${i}] → connection.CLOSED.${target}`;
  const slot = (i: number, target: string) => `connection.CONNECTING.acquiringSlot  always[${i}] → ${target}`;
  const held = 'connection.OPEN.queue.opened  always[0] → connection.OPEN.queue.held';
  const retryAtOnce = 'connection.CLOSED.deciding  always[5] → connection.CONNECTING';
  const suspendedResume = 'connection.CLOSED.suspended  lifecycle.online[0] → connection.CONNECTING';

  interface Configuration {
    name: string;
    closeBeforeOpen: 'defer' | 'ignore';
    profile: PlatformProfile;
    answer: 'silent' | 'answered' | 'throttled';
    reconnect: ReconnectPolicy | false;
    holdUntilReady?: boolean;
    slots?: keyof typeof slotGuards;
    connectionLimit?: 'fail' | 'wait';
    /** Transitions this configuration must never take: what the option rules out. */
    never: string[];
  }
  const configurations: Configuration[] = [
    {
      name: "an 'aborts' adapter, closeBeforeOpen 'defer', no reconnect",
      closeBeforeOpen: 'defer',
      profile: abortingProfile,
      answer: 'silent',
      reconnect: false,
      never: [
        handshakeClose(1, 'connection.CONNECTING.closePending'),
        handshakeClose(2, '(stays)'),
        closePendingOpen,
        deciding(3, 'terminated'),
        retryAtOnce,
        deciding(6, 'waiting'),
        held,
      ],
    },
    {
      name: "an 'aborts' adapter, closeBeforeOpen 'ignore'",
      closeBeforeOpen: 'ignore',
      profile: abortingProfile,
      answer: 'silent',
      reconnect: false,
      never: [handshakeClose(1, 'connection.CONNECTING.closePending'), handshakeClose(2, '(stays)')],
    },
    {
      name: "an 'ignored' adapter, closeBeforeOpen 'defer'",
      closeBeforeOpen: 'defer',
      profile: wechatProfile,
      answer: 'silent',
      reconnect: false,
      never: [handshakeClose(0, 'connection.CLOSING'), handshakeClose(2, '(stays)')],
    },
    {
      name: "an 'ignored' adapter, closeBeforeOpen 'ignore'",
      closeBeforeOpen: 'ignore',
      profile: wechatProfile,
      answer: 'silent',
      reconnect: false,
      never: [
        handshakeClose(0, 'connection.CLOSING'),
        handshakeClose(1, 'connection.CONNECTING.closePending'),
        closePendingOpen,
      ],
    },
    {
      name: 'an answered heartbeat',
      closeBeforeOpen: 'defer',
      profile: wechatProfile,
      answer: 'answered',
      reconnect: false,
      never: [pong(1, 'connection.OPEN.heartbeat.awaitingPong'), pong(2, 'connection.CLOSING.failed')],
    },
    {
      name: 'a throttled heartbeat timer',
      closeBeforeOpen: 'defer',
      profile: wechatProfile,
      answer: 'throttled',
      reconnect: false,
      never: [pong(0, 'connection.OPEN.heartbeat.live'), pong(2, 'connection.CLOSING.failed')],
    },
    {
      name: 'reconnect on, the ready gate on',
      closeBeforeOpen: 'defer',
      profile: wechatProfile,
      answer: 'silent',
      reconnect: retrying(),
      holdUntilReady: true,
      never: [deciding(1, 'terminated'), deciding(2, 'terminated'), deciding(3, 'terminated'), retryAtOnce],
    },
    {
      name: 'reconnect at zero delay',
      closeBeforeOpen: 'defer',
      profile: wechatProfile,
      answer: 'silent',
      reconnect: retrying({ initialDelay: 0, maxDelay: 0 }),
      never: [deciding(1, 'terminated'), deciding(2, 'terminated'), deciding(3, 'terminated')],
    },
    {
      name: 'reconnect with no retry left',
      closeBeforeOpen: 'defer',
      profile: wechatProfile,
      answer: 'silent',
      reconnect: retrying({ maxRetries: 0 }),
      never: [
        deciding(3, 'terminated'),
        deciding(4, 'suspended'),
        retryAtOnce,
        deciding(6, 'waiting'),
        suspendedResume,
      ],
    },
    {
      name: 'reconnect refused by shouldReconnect',
      closeBeforeOpen: 'defer',
      profile: wechatProfile,
      answer: 'silent',
      reconnect: retrying({ shouldReconnect: () => false }),
      never: [deciding(4, 'suspended'), retryAtOnce, deciding(6, 'waiting')],
    },
    {
      name: "no free slot, connectionLimit 'fail', reconnect on",
      closeBeforeOpen: 'defer',
      profile: wechatProfile,
      answer: 'silent',
      reconnect: retrying(),
      slots: 'full',
      never: [slot(0, 'connection.CONNECTING.handshake'), slot(1, 'connection.CONNECTING.awaitingSlot')],
    },
    {
      // With retries: the wait at start happens inside actor.start(), which reports no microstep to inspect.
      name: "a slot freed later, connectionLimit 'wait', reconnect on",
      closeBeforeOpen: 'defer',
      profile: wechatProfile,
      answer: 'silent',
      reconnect: retrying(),
      slots: 'freed',
      connectionLimit: 'wait',
      never: [slot(0, 'connection.CONNECTING.handshake'), slot(2, 'connection.CLOSED')],
    },
  ];
  const union = new Set<string>();

  it.each(configurations)('with $name, takes every transition it allows and none it rules out', (config) => {
    const machine = connectionMachine.provide({
      actors: { socketTask },
      guards: slotGuards[config.slots ?? 'free'],
    });
    const input: ConnectionMachineInput = {
      adapter: fakeAdapter(config.profile),
      resolveTarget: () => ({ url: 'wss://example.test/socket' }),
      dataPath: dataPathAnswering(config.answer),
      closeBeforeOpen: config.closeBeforeOpen,
      reconnect: config.reconnect,
      holdUntilReady: config.holdUntilReady ?? false,
      slots,
      connectionLimit: config.connectionLimit ?? 'fail',
      ...timing,
    };
    const coverage = cover(machine, input, events, delays);
    for (const key of coverage.covered) union.add(key);
    const all = [...allTransitions(machine).values()];
    for (const key of config.never) {
      expect(all, 'a ruled-out transition that no longer exists').toContain(key);
      expect(coverage.covered.has(key), `taken though ruled out: ${key}`).toBe(false);
    }
    // The graph only follows events a state can take, so a stale event on a path means a guard let it in.
    // (A retry makes generation 2 the current one, so only single-attempt configurations can tell.)
    if (config.reconnect === false) {
      expect(coverage.replayed.filter((e) => 'generation' in e && e.generation !== 1)).toEqual([]);
    }
  });

  it('over all the configurations, all of them', () => {
    expect([...union].sort()).toEqual([...allTransitions(connectionMachine).values()].sort());
  });
});
