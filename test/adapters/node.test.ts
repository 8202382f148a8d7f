import { describe, expect, it } from 'vitest';
import { WebSocket as WsWebSocket } from 'ws';
import { nodeAdapter } from '../../src/adapters/node.js';
import { SocketTaskError } from '../../src/errors.js';
import { closedPort } from '../fixtures/wsServer.js';
import { within } from '../helpers.js';
import { adapterSuite, useAdapterHarness } from './suite.js';

adapterSuite('node', ({ WebSocket }) => nodeAdapter({ WebSocket }));

describe('nodeAdapter', () => {
  const { serve, connect, open } = useAdapterHarness(({ WebSocket }) => nodeAdapter({ WebSocket }));

  it('throws ERR_INVALID_ADAPTER when WebSocket is not a class', () => {
    const attempt = () => nodeAdapter({ WebSocket: 42 as never });
    expect(attempt).toThrow(SocketTaskError);
    expect(attempt).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ADAPTER' }));
    expect(attempt).toThrow(/^nodeAdapter\(\): WebSocket must be the ws package's WebSocket class, got 42$/);
  });

  it('has no lifecycle of its own: a Node process has no foreground, and its network is for the application to watch', () => {
    expect(nodeAdapter({ WebSocket: WsWebSocket }).lifecycle).toBeUndefined();
  });

  it('passes the upgrade response headers to onOpen', async () => {
    const server = await serve({});
    server.wss.on('headers', (headers) => headers.push('X-Server: yes'));
    const { opens } = await open(server, { protocols: ['chat.v2'] });

    expect(opens).toHaveLength(1);
    expect(opens[0]?.header).toMatchObject({
      upgrade: 'websocket',
      'sec-websocket-accept': expect.any(String),
      'sec-websocket-protocol': 'chat.v2',
      'x-server': 'yes',
    });
  });

  it('reports the ECONNREFUSED code when nothing listens on the port', async () => {
    const probe = connect({ url: `ws://127.0.0.1:${await closedPort()}` });
    await within(probe.conn.closed, 'closed');
    expect(probe.errors).toEqual([{ errMsg: expect.stringMatching(/ECONNREFUSED/), code: 'ECONNREFUSED' }]);
  });

  it('names the HTTP status in the error of a rejected handshake', async () => {
    const server = await serve({ verifyClient: (_info, callback) => callback(false, 401) });
    const probe = connect({ url: server.url });
    await within(probe.conn.closed, 'closed');
    expect(probe.errors).toEqual([{ errMsg: 'Unexpected server response: 401', code: 'ERR_PLATFORM' }]);
  });

  it('detects a half-open connection through the heartbeat when the server stops answering', async () => {
    let answering = true;
    const server = await serve({
      onConnection: ({ socket }) =>
        socket.on('message', (data) => {
          if (answering && data.toString() === 'ping') socket.send('pong');
        }),
    });
    const probe = connect({ url: server.url, heartbeat: { interval: 50, timeout: 200 }, errorGrace: 50 });
    await within(probe.opened, 'open');
    const failed = new Promise<void>((resolve) => probe.conn.onError(() => resolve()));
    // Two answered rounds keep it open; then the server goes silent, as a half-open peer does.
    await within(
      new Promise<void>((resolve) => {
        let pings = 0;
        const socket = server.connections[0]?.socket;
        socket?.on('message', () => {
          if (++pings === 2) {
            answering = false;
            resolve();
          }
        });
      }),
      'two heartbeat rounds',
    );
    expect(probe.errors).toEqual([]);
    await within(failed, 'the heartbeat timeout');
    expect(probe.errors.map((e) => e.code)).toEqual(['ERR_HEARTBEAT_TIMEOUT']);
    await within(probe.conn.closed, 'closed');
    expect(probe.closes).toHaveLength(1);
  });

  it("uses the ws package's WebSocket when none is given", async () => {
    const server = await serve();
    const probe = connect({ url: server.url, adapter: nodeAdapter() });
    await within(probe.opened, 'open');
    const reply = probe.nextMessage();
    await probe.conn.send('default');
    expect(await reply).toEqual({ data: 'default' });
  });
});
