// Defects the fault schedules found, each pinned by the smallest real scenario that showed it.
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { nodeAdapter } from '../../src/adapters/node.js';
import { wechatAdapter } from '../../src/adapters/wechat.js';
import { createConnection } from '../../src/connection/createConnection.js';
import { withoutLifecycle } from '../fixtures/platforms/appLifecycle.js';
import { createFakeWx } from '../fixtures/platforms/wechat.js';
import { until } from '../helpers.js';
import { type FaultProxy, faults, startFaultProxy } from './proxy.js';
import { type EchoServer, startEchoServer } from './server.js';

let server: EchoServer | undefined;
let proxy: FaultProxy | undefined;
afterEach(async () => {
  await proxy?.close();
  await server?.stop();
});

describe('regressions found under faults', () => {
  it('regression: a WeChat handshake lost in the network is ended by the platform timeout, so no socket outlives the connection', async () => {
    server = await startEchoServer();
    // The handshake's bytes vanish: the server never answers, and nothing tells the client.
    proxy = await startFaultProxy({ target: { port: server.port }, mode: faults.blackhole() });
    const wx = createFakeWx({ WebSocket });
    const conn = createConnection({
      url: proxy.url('/stalled'),
      adapter: wechatAdapter({ wx: withoutLifecycle(wx) as never }),
      allowInsecure: true,
      connectTimeout: 100,
      closeTimeout: 100,
    });
    conn.onError(() => {});
    await proxy.connection(0);
    // WeChat ignores a close while CONNECTING: before the fix, this socket stayed CONNECTING for good.
    await conn.close();
    await conn.closed;
    // The network heals; a socket still waiting for its handshake answer would now wait for ever.
    proxy.setModeForAll(faults.pass());
    await until(() => proxy?.connections.length === 0, 'the lost handshake socket to be gone', 2000);
    expect(wx.sockets.every((socket) => socket.ws.readyState === WebSocket.CLOSED)).toBe(true);
  });

  it("regression: a socket whose close frame is lost on a half-open link is aborted when closeTimeout ends, not left to ws's 30 s", async () => {
    server = await startEchoServer();
    proxy = await startFaultProxy({ target: { port: server.port } });
    const sockets: WebSocket[] = [];
    class Tracked extends WebSocket {
      constructor(...args: ConstructorParameters<typeof WebSocket>) {
        super(...args);
        sockets.push(this);
      }
    }
    const conn = createConnection({
      url: proxy.url('/half-open'),
      adapter: nodeAdapter({ WebSocket: Tracked as typeof WebSocket }),
      closeTimeout: 100,
    });
    await new Promise<void>((resolve) => conn.onOpen(() => resolve()));
    (await proxy.connection(0)).setMode(faults.blackhole());
    const closing = conn.close({ code: 1000 });
    await conn.closed;
    expect(await closing).toEqual({ code: 1006, reason: '' });
    await until(() => sockets[0]?.readyState === WebSocket.CLOSED, 'the half-open socket to be ended', 1000);
  });
});
