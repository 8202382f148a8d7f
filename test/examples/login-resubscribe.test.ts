// Runs examples/login-resubscribe on the WeChat fake against a server that wants a login on every socket.
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Connection } from '../../src/index.js';
import { createFakeStorage, routedWebSocket } from '../fixtures/exampleApps.js';
import type { FakeSocketTaskPlatform } from '../fixtures/platforms/socketTaskPlatform.js';
import { createFakeWx } from '../fixtures/platforms/wechat.js';
import { type ServerConnection, startWsServer, type TestWsServer } from '../fixtures/wsServer.js';
import { until, within } from '../helpers.js';

// A variable, not a literal: the example compiles with WeChat's typings (its own tsconfig), not the tests'.
const SOCKET_MODULE = join(import.meta.dirname, '..', '..', 'examples', 'login-resubscribe', 'socket.ts');

interface Session {
  conn: Connection;
  login(token: string): void;
  logout(): Promise<void>;
  like(postId: number): Promise<void>;
}

let server: TestWsServer;
let wx: FakeSocketTaskPlatform;
let session: Session;
/** Per server connection, in order: what it received (`> ...`) and what it sent (`< ...`). */
let logs: string[][];
const globals = globalThis as Record<string, unknown>;

/** Accepts the login with token 'good' or 'second', refuses any other; logs every frame both ways. */
function loginServer(connection: ServerConnection) {
  const log: string[] = [];
  logs.push(log);
  const reply = (message: { type: string }) => {
    log.push(`< ${message.type}`);
    connection.socket.send(JSON.stringify(message));
  };
  connection.socket.on('message', (data: Buffer) => {
    const message = JSON.parse(data.toString()) as Record<string, unknown>;
    const { type, ...rest } = message;
    log.push(`> ${String(type)}${Object.keys(rest).length ? ` ${JSON.stringify(rest)}` : ''}`);
    if (type === 'login')
      reply({ type: rest.token === 'good' || rest.token === 'second' ? 'welcome' : 'login-refused' });
  });
}

beforeEach(async () => {
  logs = [];
  server = await startWsServer({ onConnection: loginServer });
  wx = createFakeWx({ WebSocket: routedWebSocket(server.url) });
  globals.wx = { ...wx, ...createFakeStorage() };
  vi.resetModules();
  session = (await import(SOCKET_MODULE)) as Session;
});

afterEach(async () => {
  await session.conn.close().catch(() => {});
  delete globals.wx;
  await server.stop();
});

describe('examples/login-resubscribe: login, then subscribe again on every reconnect', () => {
  it('makes no socket before the login', async () => {
    expect(session.conn.status).toBe('closed');
    await expect(session.like(1)).rejects.toMatchObject({ code: 'ERR_CLOSED' });
    expect(wx.tasks).toHaveLength(0);
  });

  it('logs in before any queued message is written, then subscribes, on every connection', async () => {
    session.login('good');
    const liked = [session.like(1)];
    const first = await server.connection(0);
    expect(first.request.url).toBe('/ws?token=good');
    await until(() => logs[0]?.includes('> subscribe {"topics":["news"]}'), 'the first subscribe');
    expect(logs[0]).toEqual([
      '> login {"token":"good"}',
      '< welcome',
      '> like {"postId":1}',
      '> subscribe {"topics":["news"]}',
    ]);

    // Sent the moment the drop is known, however short the wait before the next attempt.
    const queued = new Promise<number>((resolve) => {
      const off = session.conn.onStatusChange((status) => {
        if (status !== 'waiting') return;
        off();
        liked.push(session.like(2), session.like(3));
        resolve(session.conn.queue.messages);
      });
    });
    first.socket.terminate();
    expect(await within(queued, 'waiting after the drop')).toBe(2);
    await server.connection(1, 5000);
    await until(
      () => logs[1]?.includes('> subscribe {"topics":["news"]}'),
      'the subscribe on the new socket',
    );
    expect(logs[1]).toEqual([
      '> login {"token":"good"}',
      '< welcome',
      '> like {"postId":2}',
      '> like {"postId":3}',
      '> subscribe {"topics":["news"]}',
    ]);
    await within(Promise.all(liked), 'every like to be written');
    expect(wx.sockets).toHaveLength(2);
  });

  it('after logout, logs in with the new token on the next login, with the same listeners', async () => {
    session.login('good');
    await until(() => logs[0]?.includes('> subscribe {"topics":["news"]}'), 'the first subscribe');
    await session.logout();
    expect(session.conn.status).toBe('closed');
    expect((await server.connection(0)).close).toEqual({ code: 1000, reason: 'logout' });

    session.login('second');
    const liked = session.like(4);
    const second = await server.connection(1);
    expect(second.request.url).toBe('/ws?token=second');
    await until(
      () => logs[1]?.includes('> subscribe {"topics":["news"]}'),
      'the subscribe after the new login',
    );
    expect(logs[1]).toEqual([
      '> login {"token":"second"}',
      '< welcome',
      '> like {"postId":4}',
      '> subscribe {"topics":["news"]}',
    ]);
    await within(liked, 'the like after the new login');
  });

  it('writes no queued message when the server refuses the login, and closes', async () => {
    session.login('expired');
    const liked = session.like(5);
    await expect(liked).rejects.toMatchObject({ code: 'ERR_CLOSED' });
    const first = await server.connection(0);
    await within(Promise.all([session.conn.closed, first.closed]), 'the close after the refused login');
    expect(first.close).toEqual({ code: 1000, reason: 'logout' });
    expect(logs[0]).toEqual(['> login {"token":"expired"}', '< login-refused']);
    expect(session.conn.status).toBe('closed');
  });
});
