// Live inspection: createConnection({ inspect }) takes XState's inspection observer. Here it is Stately's own
// WebSocket inspector, pointed at a relay on 127.0.0.1 instead of the Stately service, as the README shows.
import { createWebSocketInspector, type StatelyInspectionEvent } from '@statelyai/inspect';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { nodeAdapter } from '../src/adapters/node.js';
import { createConnection } from '../src/connection/createConnection.js';
import type { ReadyStateName } from '../src/readyState.js';
import { echo, startWsServer, type TestWsServer } from './fixtures/wsServer.js';
import { topState, until } from './helpers.js';

/** What the inspector sends, as the Stately inspector would receive it. */
async function startRelay() {
  const received: StatelyInspectionEvent[] = [];
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
  wss.on('connection', (socket) =>
    socket.on('message', (data) => received.push(JSON.parse(data.toString()) as StatelyInspectionEvent)),
  );
  const { port } = wss.address() as { port: number };
  return {
    url: `ws://127.0.0.1:${port}`,
    received,
    stop: () =>
      new Promise<void>((resolve) => {
        for (const client of wss.clients) client.terminate();
        wss.close(() => resolve());
      }),
  };
}

const snapshotValue = (event: StatelyInspectionEvent): unknown =>
  'snapshot' in event ? (event.snapshot as { value?: unknown } | undefined)?.value : undefined;

let stops: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const stop of stops.reverse()) await stop();
  stops = [];
});

describe('createConnection({ inspect }) with @statelyai/inspect', () => {
  it('sends the machine definition and every transition to a WebSocket inspector on loopback', async () => {
    const relay = await startRelay();
    stops.push(relay.stop);
    const server: TestWsServer = await startWsServer({ onConnection: echo });
    stops.push(() => server.stop());
    const inspector = createWebSocketInspector({ url: relay.url });
    stops.push(() => inspector.stop());

    const conn = createConnection({ url: server.url, adapter: nodeAdapter(), inspect: inspector.inspect });
    const states: ReadyStateName[] = [conn.state];
    conn.onStateChange((state) => states.push(state));
    await new Promise<void>((resolve) => conn.onOpen(() => resolve()));
    await conn.send('hello');
    await conn.close({ code: 1000, reason: 'bye' });
    await conn.closed;
    expect(states).toEqual(['CONNECTING', 'OPEN', 'CLOSING', 'CLOSED']);

    const events = relay.received;
    await until(
      () => events.some((e) => e.type === '@xstate.snapshot' && topState(snapshotValue(e)) === 'CLOSED'),
      'the last snapshot to reach the relay',
      3000,
    );
    // The machine definition, which Stately's inspector draws.
    const registration = events.find(
      (e) => e.type === '@xstate.actor' && e.definition?.includes('"connection"'),
    );
    expect(registration, 'an @xstate.actor event with the connection definition').toBeDefined();
    const definition = JSON.parse((registration as { definition: string }).definition) as {
      id: string;
      states: Record<string, unknown>;
    };
    expect(definition.id).toBe('connection');
    expect(Object.keys(definition.states).sort()).toEqual(['CLOSED', 'CLOSING', 'CONNECTING', 'OPEN']);

    // Each attempt's task machine is inspected too, as a child of the connection.
    const task = events.find((e) => e.type === '@xstate.actor' && e.definition?.includes('"id":"task"'));
    expect(task, 'an @xstate.actor event with the task definition').toBeDefined();
    expect(task?.rootId).toBe(registration?.rootId);

    // Every transition: the snapshots of the connection actor pass through each readyState the listeners saw.
    const sessionId = registration?.sessionId;
    const seen = events
      .filter(
        (e) => e.type === '@xstate.snapshot' && e.sessionId === sessionId && snapshotValue(e) !== undefined,
      )
      .map((e) => topState(snapshotValue(e)))
      .filter((state, i, all) => i === 0 || all[i - 1] !== state);
    expect(seen).toEqual(states);
    // And the events that caused them.
    const types = events.flatMap((e) => (e.type === '@xstate.event' ? [e.event.type] : []));
    for (const type of ['platform.open', 'user.close', 'platform.close']) expect(types).toContain(type);
  });
});
