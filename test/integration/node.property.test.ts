import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { type WebSocket as ServerSocket, WebSocketServer, WebSocket as WsWebSocket } from 'ws';
import { nodeAdapter } from '../../src/adapters/node.js';
import type { CloseEvent, SocketAdapter } from '../../src/adapters/types.js';
import { webAdapter } from '../../src/adapters/web.js';
import { createConnection } from '../../src/connection/createConnection.js';
import { SocketTaskError } from '../../src/errors.js';
import { READY_STATE, type ReadyStateName } from '../../src/readyState.js';
import { expectForwardToClosed } from '../fixtures/readyStateGraph.js';
import { propertySeed, topState, until, within } from '../helpers.js';

const numRuns = Number(process.env.FC_RUNS_NET ?? 60);
const seed = propertySeed('integration/node.property', `numRuns=${numRuns} per adapter`);

const ADAPTERS: Record<'node' | 'web', () => SocketAdapter> = {
  node: () => nodeAdapter(),
  web: () => webAdapter({ WebSocket: WsWebSocket }),
};

/** The readyState only moves forward (docs/platforms.md#the-readystate-only-moves-forward): the edges a connection may take. */
/** Bounds for the real network; generous, as they only matter when something is broken. */
const SETTLE_MS = 4000;

// ---------------------------------------------------------------------------------------------------------
// Scenarios

type ServerBehaviour =
  | { kind: 'echo' }
  /** Echo `after` messages, then close with this code and reason (after 0: as soon as the socket is accepted). */
  | { kind: 'close'; after: number; code: number; reason: string }
  /** Echo `after` messages, then drop the TCP connection without a close frame. */
  | { kind: 'terminate'; after: number }
  | { kind: 'rejectVerify'; status: number }
  /** Pick no subprotocol although the client offered one: the client must fail the handshake. */
  | { kind: 'rejectProtocol' };

type Message = { kind: 'text'; text: string } | { kind: 'binary'; bytes: number[]; view: boolean };

type CloseAt =
  | { kind: 'immediately' }
  | { kind: 'onOpen' }
  | { kind: 'afterEchoes'; n: number }
  | { kind: 'never' };

interface Scenario {
  server: ServerBehaviour;
  /** ms the server holds the handshake before answering it. */
  handshakeDelay: number;
  sendBeforeOpen: boolean;
  messages: Message[];
  /** Send everything from onOpen, or one message per echo received. */
  pacing: 'burst' | 'pingpong';
  closeAt: CloseAt;
  closeArgs: { code?: number; reason?: string };
  closeBeforeOpen: 'defer' | 'ignore';
}

const reasonText = fc.string({ unit: fc.constantFrom('a', 'z', ' ', 'é', '关', '😀'), maxLength: 8 });

const serverArb: fc.Arbitrary<ServerBehaviour> = fc.oneof(
  { weight: 3, arbitrary: fc.constant({ kind: 'echo' as const }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('close' as const),
      after: fc.nat(3),
      code: fc.oneof(fc.constantFrom(1000, 1001, 1011), fc.integer({ min: 3000, max: 4999 })),
      reason: reasonText,
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('terminate' as const), after: fc.nat(3) }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('rejectVerify' as const),
      status: fc.constantFrom(400, 401, 403, 503),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'rejectProtocol' as const }) },
);

const messageArb: fc.Arbitrary<Message> = fc.oneof(
  fc.record({ kind: fc.constant('text' as const), text: fc.string({ unit: 'grapheme', maxLength: 12 }) }),
  fc.record({
    kind: fc.constant('binary' as const),
    bytes: fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 32 }),
    view: fc.boolean(),
  }),
);

const scenarioArb: fc.Arbitrary<Scenario> = fc
  .record({
    server: serverArb,
    handshakeDelay: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 15 })),
    sendBeforeOpen: fc.boolean(),
    messages: fc.array(messageArb, { maxLength: 5 }),
    pacing: fc.constantFrom('burst' as const, 'pingpong' as const),
    closeAt: fc.oneof(
      { weight: 1, arbitrary: fc.constant<CloseAt>({ kind: 'immediately' }) },
      { weight: 1, arbitrary: fc.constant<CloseAt>({ kind: 'onOpen' }) },
      { weight: 3, arbitrary: fc.nat(4).map((n): CloseAt => ({ kind: 'afterEchoes', n })) },
      { weight: 1, arbitrary: fc.constant<CloseAt>({ kind: 'never' }) },
    ),
    closeArgs: fc.record(
      { code: fc.oneof(fc.constant(1000), fc.integer({ min: 3000, max: 4999 })), reason: reasonText },
      { requiredKeys: [] },
    ),
    closeBeforeOpen: fc.constantFrom('defer' as const, 'ignore' as const),
  })
  .map((scenario) => {
    // The user closes after the last echo at the latest, unless the server is sure to end the connection.
    const { server, messages, closeAt } = scenario;
    const serverEnds =
      server.kind === 'rejectVerify' ||
      server.kind === 'rejectProtocol' ||
      ((server.kind === 'close' || server.kind === 'terminate') && server.after <= messages.length);
    const last: CloseAt = { kind: 'afterEchoes', n: messages.length };
    if (closeAt.kind === 'never' && !serverEnds) return { ...scenario, closeAt: last };
    if (closeAt.kind === 'afterEchoes' && closeAt.n > messages.length) return { ...scenario, closeAt: last };
    return scenario;
  });

// ---------------------------------------------------------------------------------------------------------
// The server

interface ServerSide {
  socket: ServerSocket;
  received: Array<string | number[]>;
  close?: CloseEvent;
}

interface TestServer {
  url: string;
  wss: WebSocketServer;
  sides: ServerSide[];
  stop(): Promise<void>;
}

const liveServers = new Set<TestServer>();

async function startServer(behaviour: ServerBehaviour, handshakeDelay: number): Promise<TestServer> {
  const wss = new WebSocketServer({
    host: '127.0.0.1',
    port: 0,
    verifyClient: (_info, answer) => {
      const reply = () =>
        behaviour.kind === 'rejectVerify' ? answer(false, behaviour.status) : answer(true);
      if (handshakeDelay > 0) setTimeout(reply, handshakeDelay);
      else reply();
    },
    handleProtocols: (protocols) =>
      behaviour.kind !== 'rejectProtocol' && protocols.has('stm') ? 'stm' : false,
  });
  const sides: ServerSide[] = [];
  wss.on('connection', (socket) => {
    const side: ServerSide = { socket, received: [] };
    sides.push(side);
    socket.on('close', (code, reason) => {
      side.close = { code, reason: reason.toString() };
    });
    const act = () => {
      if (behaviour.kind === 'close') socket.close(behaviour.code, behaviour.reason);
      else if (behaviour.kind === 'terminate') socket.terminate();
    };
    socket.on('message', (data, isBinary) => {
      const buffer = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as Buffer);
      side.received.push(isBinary ? [...buffer] : buffer.toString());
      socket.send(buffer, { binary: isBinary });
      if (
        (behaviour.kind === 'close' || behaviour.kind === 'terminate') &&
        side.received.length === behaviour.after
      ) {
        act();
      }
    });
    if ((behaviour.kind === 'close' || behaviour.kind === 'terminate') && behaviour.after === 0) act();
  });
  await new Promise<void>((resolve, reject) => {
    wss.once('listening', resolve);
    wss.once('error', reject);
  });
  const { port } = wss.address() as AddressInfo;
  const server: TestServer = {
    url: `ws://127.0.0.1:${port}/socket`,
    wss,
    sides,
    async stop() {
      liveServers.delete(server);
      for (const client of wss.clients) client.terminate();
      await within(new Promise((resolve) => wss.close(resolve)), 'the server closing', SETTLE_MS);
    },
  };
  liveServers.add(server);
  return server;
}

afterAll(async () => {
  await Promise.all([...liveServers].map((server) => server.stop()));
});

// ---------------------------------------------------------------------------------------------------------
// One run

type Observed =
  | { kind: 'state'; state: ReadyStateName; previous: ReadyStateName }
  | { kind: 'open' }
  | { kind: 'message'; data: string | number[]; state: ReadyStateName }
  | { kind: 'error' }
  | { kind: 'close'; event: CloseEvent };

function wire(data: string | ArrayBuffer): string | number[] {
  return typeof data === 'string' ? data : [...new Uint8Array(data)];
}

function toData(message: Message): string | ArrayBuffer | Uint8Array {
  if (message.kind === 'text') return message.text;
  if (!message.view) return new Uint8Array(message.bytes).buffer;
  const backing = new Uint8Array(message.bytes.length + 2).fill(0xee);
  backing.set(message.bytes, 1);
  return backing.subarray(1, 1 + message.bytes.length);
}

const messageWire = (message: Message): string | number[] =>
  message.kind === 'text' ? message.text : message.bytes;

async function runScenario(adapterName: keyof typeof ADAPTERS, scenario: Scenario): Promise<void> {
  const server = await startServer(scenario.server, scenario.handshakeDelay);
  try {
    await play(adapterName, scenario, server);
  } finally {
    await server.stop();
  }
}

async function play(
  adapterName: keyof typeof ADAPTERS,
  scenario: Scenario,
  server: TestServer,
): Promise<void> {
  const conn = createConnection({
    reconnect: false,
    url: server.url,
    adapter: ADAPTERS[adapterName](),
    protocols: ['stm'],
    closeBeforeOpen: scenario.closeBeforeOpen,
    errorGrace: 1000,
    closeTimeout: 2000,
    // The socket's own semantics: a send before open fails. The queue's properties are in
    // connection/policies.property.test.ts.
    queue: false,
  });
  const observed: Observed[] = [];
  const problems: string[] = [];
  let reported: ReadyStateName = 'CONNECTING';
  let lastReadyState = 0;
  const check = (where: string) => {
    const fromActor = topState(conn.actor.getSnapshot().value) as ReadyStateName;
    if (conn.state !== fromActor || conn.state !== reported || conn.readyState !== READY_STATE[fromActor]) {
      problems.push(
        `${where}: state ${conn.state}/${conn.readyState}, actor ${fromActor}, reported ${reported}`,
      );
    }
    if (conn.readyState < lastReadyState)
      problems.push(`${where}: readyState went back to ${conn.readyState}`);
    lastReadyState = conn.readyState;
  };

  const sentWhileOpen: Array<string | number[]> = [];
  const sends: Array<Promise<{ ok: true } | { ok: false; error: unknown }>> = [];
  const send = (message: Message) => {
    const state = conn.state;
    if (state === 'OPEN') sentWhileOpen.push(messageWire(message));
    sends.push(
      conn.send(toData(message)).then(
        () => ({ ok: true }) as const,
        (error: unknown) => ({ ok: false, error }) as const,
      ),
    );
  };
  let userClose: { stateAtCall: ReadyStateName; result: Promise<CloseEvent> } | undefined;
  const closeOnce = () => {
    if (userClose) return;
    userClose = { stateAtCall: conn.state, result: conn.close(scenario.closeArgs) };
  };

  let nextToSend = 0;
  let received = 0;
  const sendMore = () => {
    const count = scenario.pacing === 'burst' ? scenario.messages.length : 1;
    for (let i = 0; i < count && nextToSend < scenario.messages.length; i++) {
      send(scenario.messages[nextToSend++] as Message);
    }
  };

  conn.onStateChange((state, previous) => {
    observed.push({ kind: 'state', state, previous });
    reported = state;
    check(`onStateChange(${state})`);
  });
  conn.onOpen(() => {
    observed.push({ kind: 'open' });
    check('onOpen');
    sendMore();
    const { closeAt } = scenario;
    if (closeAt.kind === 'onOpen' || (closeAt.kind === 'afterEchoes' && closeAt.n === 0)) closeOnce();
  });
  conn.onMessage(({ data }) => {
    observed.push({ kind: 'message', data: wire(data), state: conn.state });
    check('onMessage');
    received++;
    if (conn.state === 'OPEN') sendMore();
    const { closeAt } = scenario;
    if (closeAt.kind === 'afterEchoes' && received === closeAt.n) closeOnce();
  });
  conn.onError(() => {
    observed.push({ kind: 'error' });
    check('onError');
  });
  conn.onClose((event) => {
    observed.push({ kind: 'close', event });
    check('onClose');
  });

  // Handled at once: the rejection is expected and must not count as unhandled.
  const early = scenario.sendBeforeOpen
    ? conn.send('too early').then(
        () => undefined,
        (error: unknown) => error,
      )
    : undefined;
  if (scenario.closeAt.kind === 'immediately') closeOnce();

  const closedWith = await within(conn.closed, 'conn.closed settling', SETTLE_MS);
  const sendResults = await within(Promise.all(sends), 'every send settling', SETTLE_MS);
  // The server has observed the close of every socket it accepted, and holds none any more.
  await until(
    () => server.sides.every((side) => side.close !== undefined) && server.wss.clients.size === 0,
    'the server dropping every client socket',
    SETTLE_MS,
  );

  expect(problems).toEqual([]);
  expect(conn.state).toBe('CLOSED');
  expectForwardToClosed(observed.flatMap((o) => (o.kind === 'state' ? [o] : [])));

  // Exactly one close, the last thing observed; conn.closed and close() settle with it.
  const closes = observed.filter((o) => o.kind === 'close');
  expect(closes).toHaveLength(1);
  expect(observed.at(-1)?.kind, 'events after close').toBe('close');
  const close = (closes[0] as Extract<Observed, { kind: 'close' }>).event;
  expect(closedWith).toEqual(close);
  if (userClose) expect(await within(userClose.result, 'close() settling', SETTLE_MS)).toEqual(close);

  if (early) expect(await early).toMatchObject({ code: 'ERR_NOT_OPEN' });
  for (const result of sendResults) {
    if (!result.ok) expect(result.error).toBeInstanceOf(SocketTaskError);
  }

  const opened = observed.some((o) => o.kind === 'open');
  const behaviour = scenario.server;
  const rejected = behaviour.kind === 'rejectVerify' || behaviour.kind === 'rejectProtocol';
  if (rejected || scenario.closeAt.kind === 'immediately') {
    // A failed or aborted handshake: never open, an error, then the abnormal close.
    expect(opened).toBe(false);
    expect(observed.some((o) => o.kind === 'error')).toBe(true);
    expect(close).toEqual({ code: 1006, reason: '' });
    for (const side of server.sides) expect(side.close?.code).toBe(1006);
    return;
  }
  expect(opened).toBe(true);
  expect(server.sides).toHaveLength(1);
  const side = server.sides[0] as ServerSide;

  // Echoes come back in order and unaltered, a prefix of what was sent while OPEN; all of it when the user
  // waited for the last echo and the server had no reason to stop early.
  const echoes = observed.flatMap((o) => (o.kind === 'message' ? [o.data] : []));
  for (const o of observed) if (o.kind === 'message') expect(['OPEN', 'CLOSING']).toContain(o.state);
  expect(echoes).toEqual(sentWhileOpen.slice(0, echoes.length));
  expect(side.received).toEqual(sentWhileOpen.slice(0, side.received.length));
  const complete =
    behaviour.kind === 'echo' &&
    scenario.closeAt.kind === 'afterEchoes' &&
    scenario.closeAt.n === scenario.messages.length;
  if (complete) {
    expect(sentWhileOpen).toHaveLength(scenario.messages.length);
    expect(echoes).toEqual(sentWhileOpen);
    expect(side.received).toEqual(sentWhileOpen);
    expect(sendResults.every((r) => r.ok)).toBe(true);
  }

  // The close reaches the other side: the user's code and reason, or the server's, or 1006 for a dropped TCP.
  const userCode = { code: scenario.closeArgs.code ?? 1000, reason: scenario.closeArgs.reason ?? '' };
  const serverCode =
    behaviour.kind === 'close'
      ? { code: behaviour.code, reason: behaviour.reason }
      : behaviour.kind === 'terminate'
        ? { code: 1006, reason: '' }
        : undefined;
  const userClosedWhileOpen = userClose?.stateAtCall === 'OPEN';
  if (behaviour.kind === 'echo') {
    expect(userClosedWhileOpen).toBe(true);
    expect(side.close).toEqual(userCode);
    expect(close).toEqual(userCode);
  } else if (userClosedWhileOpen) {
    // Both sides may close at once: each then sees the other's code.
    expect([userCode, serverCode]).toContainEqual(side.close);
    expect([userCode, serverCode]).toContainEqual(close);
  } else {
    expect(close).toEqual(serverCode);
    expect(side.close).toEqual(serverCode);
  }
}

describe.each(Object.keys(ADAPTERS) as Array<keyof typeof ADAPTERS>)(
  'createConnection over a real ws server (%s adapter)',
  (adapterName) => {
    it('moves forward only, closes exactly once, echoes in order and leaves no socket on the server', async () => {
      await fc.assert(
        fc.asyncProperty(scenarioArb, (scenario) => runScenario(adapterName, scenario)),
        { seed, numRuns },
      );
    }, 60_000);
  },
);
