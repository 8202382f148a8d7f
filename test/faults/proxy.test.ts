// The fault proxy and the restartable echo server, driven by a real `ws` client over 127.0.0.1.
import { type AddressInfo, connect, createServer, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { until } from '../helpers.js';
import {
  type FaultProxy,
  type FaultProxyOptions,
  faults,
  type ProxyTimers,
  startFaultProxy,
} from './proxy.js';
import { type EchoServer, startEchoServer } from './server.js';

/** How long a negative check ("nothing arrives") waits: long against loopback, short for the suite. */
const QUIET_MS = 250;

let cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  cleanups = [];
  // No leaked listener or socket: Node frees a closed handle a loop turn or two after its 'close' event.
  await until(
    () => !process.getActiveResourcesInfo().some((resource) => resource.startsWith('TCP')),
    'every TCP handle to be released',
    1000,
  );
});

async function setup(proxyOptions: Omit<FaultProxyOptions, 'target'> = {}) {
  const server = await startEchoServer();
  cleanups.push(() => server.stop());
  const proxy = await startFaultProxy({ target: { port: server.port }, ...proxyOptions });
  cleanups.push(() => proxy.close());
  return { server, proxy };
}

interface Client {
  readonly ws: WebSocket;
  readonly messages: string[];
  readonly errors: Error[];
  /** Error codes seen on the client's TCP socket once upgraded, e.g. ECONNRESET. */
  readonly tcpErrors: string[];
  tcp: Socket | undefined;
  opened: boolean;
  close: { code: number; reason: string } | undefined;
}

function connectClient(url: string): Client {
  const ws = new WebSocket(url);
  const client: Client = {
    ws,
    messages: [],
    errors: [],
    tcpErrors: [],
    tcp: undefined,
    opened: false,
    close: undefined,
  };
  ws.on('upgrade', (response) => {
    const tcp = response.socket as Socket;
    client.tcp = tcp;
    tcp.on('error', (error: NodeJS.ErrnoException) => client.tcpErrors.push(error.code ?? error.message));
  });
  ws.on('open', () => {
    client.opened = true;
  });
  ws.on('message', (data) => client.messages.push(data.toString()));
  ws.on('error', (error) => client.errors.push(error));
  ws.on('close', (code, reason) => {
    client.close = { code, reason: reason.toString() };
  });
  cleanups.push(async () => {
    if (client.close) return;
    ws.terminate();
    await until(() => client.close, 'the client to close');
  });
  return client;
}

const opened = (client: Client) => until(() => client.opened, 'the client to open');
const closed = (client: Client, timeoutMs?: number) =>
  until(() => client.close, 'the client to close', timeoutMs);

async function openThrough(proxy: FaultProxy, server: EchoServer, path = '/') {
  const client = connectClient(proxy.url(path));
  await opened(client);
  const connection = await proxy.connection(proxy.accepted.length - 1);
  const serverSide = await server.connection(server.connections.length - 1);
  return { client, connection, serverSide };
}

/** Timers that only fire when the test says so: the proxy holds latency bytes until then. */
function manualTimers() {
  let next = 0;
  const pending = new Map<number, () => void>();
  const timers: ProxyTimers = {
    setTimeout(callback) {
      next += 1;
      pending.set(next, callback);
      return next;
    },
    clearTimeout(handle) {
      pending.delete(handle as number);
    },
  };
  const fireAll = () => {
    for (const [handle, callback] of [...pending]) {
      pending.delete(handle);
      callback();
    }
  };
  return { timers, pending, fireAll };
}

describe('startFaultProxy', () => {
  it('pass forwards frames both ways unchanged and counts exactly the bytes on the wire', async () => {
    const { server, proxy } = await setup();
    const { client, connection, serverSide } = await openThrough(proxy, server, '/pass?x=1');

    client.ws.send('hello');
    await until(() => client.messages[0], 'the echo');

    expect(client.messages).toEqual(['hello']);
    expect(serverSide.messages).toEqual(['hello']);
    expect(serverSide.path).toBe('/pass?x=1');
    const { toServer, toClient } = connection.bytes;
    expect(toServer).toMatchObject({ received: toServer.forwarded, dropped: 0, queued: 0 });
    expect(toClient).toMatchObject({ received: toClient.forwarded, dropped: 0, queued: 0 });
    expect(serverSide.tcp.bytesRead).toBe(toServer.forwarded);
    expect(client.tcp?.bytesRead).toBe(toClient.forwarded);
    expect(proxy.connections).toEqual([connection]);
  });

  it('latency delays every chunk in each direction by at least the latency and keeps their order', async () => {
    const LATENCY = 80;
    const { server, proxy } = await setup();
    const { client, connection, serverSide } = await openThrough(proxy, server);
    const before = connection.bytes.toServer.forwarded;

    connection.setMode(faults.latency(LATENCY));
    const sent = Array.from({ length: 10 }, (_, i) => `m${i}-${'x'.repeat(i * 50)}`);
    const sentAt = performance.now();
    for (const message of sent) client.ws.send(message);

    // The first poll after the bytes reach the proxy runs before a timer set LATENCY ms later can fire.
    await until(() => connection.bytes.toServer.received > before, 'the proxy to read the frames');
    expect(connection.bytes.toServer.forwarded).toBe(before);
    expect(connection.bytes.toServer.queued).toBeGreaterThan(0);

    await until(() => client.messages.length === sent.length, 'every echo');
    // Timers may fire a fraction of a ms early by performance.now(); two hops of latency, minus that.
    expect(performance.now() - sentAt).toBeGreaterThanOrEqual(2 * LATENCY - 2);
    expect(serverSide.messages).toEqual(sent);
    expect(client.messages).toEqual(sent);
  });

  it('latency holds the bytes until its timer fires, and close() clears the timers still pending', async () => {
    const manual = manualTimers();
    const { server, proxy } = await setup({ timers: manual.timers });
    const { client, connection, serverSide } = await openThrough(proxy, server);
    connection.setMode(faults.latency(60_000));

    client.ws.send('held');
    await until(() => connection.bytes.toServer.queued > 0, 'the frame to be held');
    await sleep(50);
    expect(serverSide.messages).toEqual([]);

    manual.fireAll();
    await until(() => connection.bytes.toClient.queued > 0, 'the echo to be held');
    expect(serverSide.messages).toEqual(['held']);
    expect(client.messages).toEqual([]);

    manual.fireAll();
    await until(() => client.messages[0], 'the echo');

    client.ws.send('never');
    await until(() => manual.pending.size > 0, 'a pending latency timer');
    await proxy.close();
    expect(manual.pending.size).toBe(0);
    expect(connection.bytes.toServer.queued).toBe(0);
  });

  it('switching from latency to pass forwards new bytes only after the held ones', async () => {
    const manual = manualTimers();
    const { server, proxy } = await setup({ timers: manual.timers });
    const { client, connection, serverSide } = await openThrough(proxy, server);

    connection.setMode(faults.latency(60_000));
    client.ws.send('first');
    await until(() => connection.bytes.toServer.queued > 0, 'the first frame to be held');
    const heldBytes = connection.bytes.toServer.received;
    connection.setMode(faults.pass());
    client.ws.send('second');
    await until(() => connection.bytes.toServer.received > heldBytes, 'the second frame to reach the proxy');
    await sleep(50);
    expect(serverSide.messages).toEqual([]);

    manual.fireAll();
    await until(() => client.messages.length === 2, 'both echoes');
    expect(serverSide.messages).toEqual(['first', 'second']);
    expect(client.messages).toEqual(['first', 'second']);
  });

  it('blackhole delivers nothing either way and no close, while both sides stay open: a half-open link', async () => {
    const { server, proxy } = await setup();
    const { client, connection, serverSide } = await openThrough(proxy, server);

    connection.setMode(faults.blackhole());
    client.ws.send('lost');
    serverSide.socket.send('pushed');
    await until(
      () => connection.bytes.toServer.dropped > 0 && connection.bytes.toClient.dropped > 0,
      'the proxy to drop bytes both ways',
    );
    await sleep(QUIET_MS);
    expect(client.messages).toEqual([]);
    expect(serverSide.messages).toEqual([]);
    expect(client.ws.readyState).toBe(WebSocket.OPEN);
    expect(client.close).toBeUndefined();
    expect(serverSide.close).toBeUndefined();
    expect(connection.bytes.toServer.forwarded).toBe(serverSide.tcp.bytesRead);

    // The client going away does not reach the server either: its socket is left a zombie.
    client.ws.terminate();
    await closed(client);
    await sleep(QUIET_MS);
    expect(serverSide.close).toBeUndefined();
    expect(server.openSockets).toEqual([serverSide.tcp]);
    expect(connection.server.destroyed).toBe(false);
  });

  it('reset sends an RST both ways: ECONNRESET and close 1006 on client and server', async () => {
    const { server, proxy } = await setup();
    const { client, connection, serverSide } = await openThrough(proxy, server);

    connection.setMode(faults.reset());

    expect((await closed(client)).code).toBe(1006);
    expect((await serverSide.closed).code).toBe(1006);
    expect(client.tcpErrors).toEqual(['ECONNRESET']);
    expect(serverSide.tcpError).toBe('ECONNRESET');
    await connection.closed;
    expect(proxy.connections).toEqual([]);
  });

  it('reset closes a connection whose FIN was already forwarded: both legs emit close and the proxy lets it go', async () => {
    // A target that keeps its half open, so the proxy's leg to it is left half-closed by the forwarded FIN.
    const accepted: Socket[] = [];
    const target = createServer({ allowHalfOpen: true }, (socket) => {
      socket.on('error', () => {});
      accepted.push(socket);
    });
    await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));
    cleanups.push(
      () =>
        new Promise<void>((resolve) => {
          for (const socket of accepted) socket.destroy();
          target.close(() => resolve());
        }),
    );
    const proxy = await startFaultProxy({ target: { port: (target.address() as AddressInfo).port } });
    cleanups.push(() => proxy.close());
    const client = connect({ host: '127.0.0.1', port: proxy.port, allowHalfOpen: true });
    client.on('error', () => {});
    cleanups.push(() => {
      client.destroy();
    });
    const connection = await proxy.connection(0);
    await until(() => connection.server.readyState === 'open', 'the leg to the target', 1000);

    // Reset while the forwarded FIN's shutdown is still in flight: the proxy ends the target leg in its own 'end'
    // listener, registered before this one.
    connection.client.once('end', () => {
      expect(connection.server.writableEnded).toBe(true);
      connection.setMode(faults.reset());
    });
    client.end();

    await until(() => connection.isClosed, 'both legs to emit close', 1000);
    expect(proxy.connections).toEqual([]);
  });

  it('cutAt toServer forwards exactly N more bytes, cutting a frame in half: the server never gets it', async () => {
    const { server, proxy } = await setup();
    const { client, connection, serverSide } = await openThrough(proxy, server);
    const before = connection.bytes.toServer.forwarded;

    connection.setMode(faults.cutAt(10, 'toServer'));
    // One masked frame of 2 + 4 + 100 bytes, of which the server gets the header, the mask and 4 bytes.
    client.ws.send('a'.repeat(100));

    expect((await serverSide.closed).code).toBe(1006);
    expect((await closed(client)).code).toBe(1006);
    expect(serverSide.messages).toEqual([]);
    expect(connection.bytes.toServer.forwarded - before).toBe(10);
    expect(serverSide.tcp.bytesRead).toBe(before + 10);
  });

  it('cutAt toClient forwards exactly N more bytes, cutting the echo in half: the client never gets it', async () => {
    const { server, proxy } = await setup();
    const { client, connection, serverSide } = await openThrough(proxy, server);
    const before = connection.bytes.toClient.forwarded;

    connection.setMode(faults.cutAt(50, 'toClient'));
    client.ws.send('b'.repeat(200));

    expect((await closed(client)).code).toBe(1006);
    expect((await serverSide.closed).code).toBe(1006);
    expect(serverSide.messages).toHaveLength(1);
    expect(client.messages).toEqual([]);
    expect(connection.bytes.toClient.forwarded - before).toBe(50);
    expect(client.tcp?.bytesRead).toBe(before + 50);
  });

  it('stallHandshake accepts the TCP connection but keeps the client CONNECTING until the mode changes', async () => {
    const { server, proxy } = await setup({ mode: faults.stallHandshake() });
    const client = connectClient(proxy.url('/stalled'));
    const connection = await proxy.connection(0);

    await sleep(QUIET_MS);
    expect(client.ws.readyState).toBe(WebSocket.CONNECTING);
    expect(client.opened).toBe(false);
    expect(connection.bytes.toServer).toMatchObject({ received: 0, forwarded: 0 });
    expect(server.connections).toEqual([]);

    // The held upgrade request was kept, not dropped: releasing it completes the handshake.
    connection.setMode(faults.pass());
    await opened(client);
    expect((await server.connection(0)).path).toBe('/stalled');
  });

  it('refuse makes a new client fail at once, without reaching the server, until the mode changes', async () => {
    const { server, proxy } = await setup({ mode: faults.refuse() });
    const refusedAt = performance.now();
    const client = connectClient(proxy.url());

    expect((await closed(client, 1000)).code).toBe(1006);
    expect(performance.now() - refusedAt).toBeLessThan(1000);
    expect(client.opened).toBe(false);
    expect(client.errors).toHaveLength(1);
    expect(proxy.refused).toBe(1);
    expect(proxy.accepted).toEqual([]);
    expect(server.openSockets).toEqual([]);

    proxy.setDefaultMode(faults.pass());
    await opened(connectClient(proxy.url()));
  });

  it('setModeForAll switches the live connections and the ones still to come', async () => {
    const { server, proxy } = await setup();
    const first = await openThrough(proxy, server);
    const second = await openThrough(proxy, server);

    proxy.setModeForAll(faults.reset());
    expect((await closed(first.client)).code).toBe(1006);
    expect((await closed(second.client)).code).toBe(1006);

    const third = connectClient(proxy.url());
    expect((await closed(third)).code).toBe(1006);
    expect(third.opened).toBe(false);
    expect((await proxy.connection(2)).mode).toEqual(faults.reset());
  });

  it('close() destroys every socket on both legs and stops listening', async () => {
    const { server, proxy } = await setup();
    const live = await openThrough(proxy, server);
    const stalled = connectClient(proxy.url());
    (await proxy.connection(1)).setMode(faults.stallHandshake());

    await proxy.close();

    expect((await closed(live.client)).code).toBe(1006);
    expect((await closed(stalled)).code).toBe(1006);
    expect(proxy.connections).toEqual([]);
    for (const connection of proxy.accepted) {
      expect(connection.client.destroyed && connection.server.destroyed).toBe(true);
    }
    await until(() => server.openSockets.length === 0, 'the server to see every socket closed');
    const late = connectClient(proxy.url());
    await closed(late);
    expect(late.errors[0]?.message).toMatch(/ECONNREFUSED/);
  });
});

describe('startEchoServer', () => {
  it('restarts on the same port: clients fail fast while it is down and connect again after', async () => {
    const { server, proxy } = await setup();
    const { client: before } = await openThrough(proxy, server);
    const { port } = server;

    await server.stop();
    expect((await closed(before)).code).toBe(1006);
    const whileDown = connectClient(proxy.url());
    expect((await closed(whileDown, 1000)).code).toBe(1006);
    expect(whileDown.opened).toBe(false);

    await server.start();
    const { client: after, serverSide } = await openThrough(proxy, server);
    after.ws.send('again');
    await until(() => after.messages[0], 'the echo after the restart');

    expect(server.port).toBe(port);
    expect(serverSide).toMatchObject({ id: 1, generation: 1, messages: ['again'] });
    expect(server.openSockets).toEqual([serverSide.tcp]);

    await server.restart();
    expect((await closed(after)).code).toBe(1006);
    expect(server.port).toBe(port);
    expect(server.openSockets).toEqual([]);
    await opened(connectClient(server.url()));
    expect((await server.connection(2)).generation).toBe(2);
  });
});
