// What users of the popular WebSocket wrappers complain about most, one test per complaint, numbered (other
// files cite them by number).
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { nodeAdapter } from '../src/adapters/node.js';
import { webAdapter } from '../src/adapters/web.js';
import { createConnection } from '../src/connection/createConnection.js';
import type { SocketTaskError } from '../src/errors.js';
import { createLifecycle } from '../src/lifecycle/createLifecycle.js';
import { abortingProfile, fakeAdapter, wechatProfile } from './fixtures/fakeSocketTask.js';
import { startWsServer } from './fixtures/wsServer.js';
import { freezeFor } from './helpers.js';

const URL = 'wss://example.test/socket';

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

const outcome = (sent: Promise<void>) =>
  sent.then(
    () => 'written',
    (error: SocketTaskError) => error.code,
  );

describe('what users of the popular wrappers complain about', () => {
  it('1. no message is silently lost across a drop: sends made while the socket is down reach the next one, in order', async () => {
    const server = await startWsServer({});
    try {
      const conn = createConnection({
        url: server.url,
        adapter: nodeAdapter(),
        reconnect: { initialDelay: 0, maxDelay: 0 },
      });
      const first = await server.connection(0);
      const dropped = new Promise((resolve) => conn.onClose(resolve));
      first.socket.terminate();
      await dropped;
      const sends = ['a', 'b', 'c'].map((m) => outcome(conn.send(m)));
      expect(conn.queue.messages).toBe(3);
      expect(await Promise.all(sends)).toEqual(['written', 'written', 'written']);
      const second = await server.connection(1);
      await second.message(2);
      expect(second.messages.map((m) => m.data.toString())).toEqual(['a', 'b', 'c']);
      expect(first.messages).toEqual([]);
      await conn.close();
    } finally {
      await server.stop();
    }
  });

  it('2. a half-open connection is detected: the heartbeat reports ERR_HEARTBEAT_TIMEOUT when the peer goes silent', () => {
    vi.useFakeTimers();
    const adapter = fakeAdapter(wechatProfile);
    const conn = createConnection({ url: URL, adapter, heartbeat: { interval: 1000, timeout: 500 } });
    const codes: unknown[] = [];
    conn.onError((e) => codes.push(e.code));
    adapter.tasks[0]?.emitOpen();
    vi.advanceTimersByTime(1500);
    expect(codes).toEqual(['ERR_HEARTBEAT_TIMEOUT']);
  });

  it('3. no reconnect storm: jitter is drawn per attempt, so two clients that lost the same server wait differently', async () => {
    vi.useFakeTimers();
    const waits = (draws: number[]) => {
      vi.spyOn(Math, 'random').mockImplementation(() => draws.shift() ?? 0.5);
      const adapter = fakeAdapter(wechatProfile);
      const conn = createConnection({ url: URL, adapter, reconnect: { initialDelay: 1000 } });
      adapter.tasks[0]?.emitClose(1006, '');
      const wait = (conn.nextRetryAt ?? 0) - Date.now();
      vi.restoreAllMocks();
      conn.close().catch(() => {});
      return wait;
    };
    expect(waits([0.1])).toBe(100);
    expect(waits([0.9])).toBe(900);
  });

  it("4. close or timeout during CONNECTING does not crash Node ('closed before the connection was established')", async () => {
    const server = await startWsServer({});
    try {
      const conn = createConnection({ url: server.url, adapter: nodeAdapter() });
      conn.close();
      expect(await conn.closed).toEqual({ code: 1006, reason: '' });
      const timedOut = createConnection({ url: server.url, adapter: nodeAdapter(), connectTimeout: 0 });
      expect((await timedOut.closed).code).toBe(1006);
    } finally {
      await server.stop();
    }
  });

  it('5. close() stops a pending reconnect, and the connection can be replaced by a new one afterwards', async () => {
    vi.useFakeTimers();
    const adapter = fakeAdapter(wechatProfile);
    const conn = createConnection({ url: URL, adapter, reconnect: { jitter: 'none', initialDelay: 1000 } });
    adapter.tasks[0]?.emitClose(1006, '');
    await conn.close();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(adapter.tasks).toHaveLength(1);
    const next = createConnection({ url: URL, adapter });
    adapter.tasks[1]?.emitOpen();
    expect(next.state).toBe('OPEN');
  });

  it('6. no duplicate connection: a late open of an abandoned attempt never adds a second live socket', async () => {
    vi.useFakeTimers();
    const adapter = fakeAdapter(wechatProfile);
    const conn = createConnection({
      url: URL,
      adapter,
      connectTimeout: 100,
      reconnect: { jitter: 'none', initialDelay: 10 },
    });
    await vi.advanceTimersByTimeAsync(110);
    adapter.tasks[1]?.emitOpen();
    adapter.tasks[0]?.emitOpen();
    expect(conn.state).toBe('OPEN');
    expect(adapter.tasks.filter((task) => task.isLeaking)).toEqual([adapter.tasks[1]]);
    const closing = conn.close();
    adapter.tasks[1]?.completeClose();
    await closing;
  });

  it('10. close codes: WeChat\'s 1000 "interrupted" after backgrounding reconnects; 1008 does not', async () => {
    vi.useFakeTimers();
    const attempt = async (code: number, reason: string) => {
      const adapter = fakeAdapter(wechatProfile);
      const conn = createConnection({ url: URL, adapter, reconnect: { jitter: 'none', initialDelay: 10 } });
      adapter.tasks[0]?.emitOpen();
      adapter.tasks[0]?.emitClose(code, reason);
      await vi.advanceTimersByTimeAsync(10);
      conn.close().catch(() => {});
      return adapter.tasks.length;
    };
    expect(await attempt(1000, 'interrupted')).toBe(2);
    expect(await attempt(1008, 'policy violation')).toBe(1);
  });

  it('12. the client says when it gives up, and its retries are visible', async () => {
    vi.useFakeTimers();
    const adapter = fakeAdapter(abortingProfile);
    const conn = createConnection({
      url: URL,
      adapter,
      reconnect: { jitter: 'none', initialDelay: 10, maxRetries: 1 },
    });
    const reasons: string[] = [];
    conn.onGiveUp((e) => reasons.push(e.reason));
    adapter.tasks[0]?.emitClose(1006, '');
    expect(conn.nextRetryAt).not.toBeNull();
    await vi.advanceTimersByTimeAsync(10);
    expect(conn.retries).toBe(1);
    adapter.tasks[1]?.emitClose(1006, '');
    expect(reasons).toEqual(['max-retries']);
  });

  it('13. auth tokens are refreshed on every reconnect: the url and header providers are called per attempt', async () => {
    vi.useFakeTimers();
    let n = 0;
    const adapter = fakeAdapter(wechatProfile);
    const conn = createConnection({
      url: () => `${URL}?t=${++n}`,
      header: async () => ({ authorization: `Bearer ${n}` }),
      adapter,
      reconnect: { jitter: 'none', initialDelay: 10 },
    });
    await vi.advanceTimersByTimeAsync(0);
    adapter.tasks[0]?.emitClose(1006, '');
    await vi.advanceTimersByTimeAsync(10);
    expect(adapter.tasks.map((t) => [t.options.url, t.options.header?.authorization])).toEqual([
      [`${URL}?t=1`, 'Bearer 1'],
      [`${URL}?t=2`, 'Bearer 2'],
    ]);
    conn.close().catch(() => {});
  });

  it('14. no listener or timer left behind: once closed settles, no timer is pending and the actor idles with its task done', async () => {
    vi.useFakeTimers();
    const adapter = fakeAdapter(wechatProfile);
    const conn = createConnection({
      url: URL,
      adapter,
      heartbeat: { interval: 1000 },
      reconnect: { initialDelay: 10 },
    });
    adapter.tasks[0]?.emitOpen();
    const closing = conn.close();
    adapter.tasks[0]?.completeClose();
    await closing;
    await conn.closed;
    expect(vi.getTimerCount()).toBe(0);
    // Idle until reconnect(): no timer, and every task at its end, nothing more to run.
    expect(conn.actor.getSnapshot().matches({ CLOSED: 'terminated' })).toBe(true);
    expect(
      Object.values(conn.actor.getSnapshot().children).map((child) => child?.getSnapshot().status),
    ).toEqual(['done']);
  });

  it('7. the send buffer is bounded, and can be inspected, cleared and expired', async () => {
    vi.useFakeTimers();
    const adapter = fakeAdapter(wechatProfile);
    const conn = createConnection({
      url: URL,
      adapter,
      connectTimeout: false,
      queue: { maxMessages: 2, maxBytes: 64, ttl: 5000 },
    });
    const full = [outcome(conn.send('one')), outcome(conn.send('two')), outcome(conn.send('three'))];
    expect(conn.queue).toEqual({ messages: 2, bytes: 6 });
    expect(await full[2]).toBe('ERR_QUEUE_FULL');
    expect(conn.clearQueue()).toBe(2);
    expect(await Promise.all(full.slice(0, 2))).toEqual(['ERR_QUEUE_CLEARED', 'ERR_QUEUE_CLEARED']);
    const stale = outcome(conn.send('stale'));
    vi.advanceTimersByTime(5000);
    expect(await stale).toBe('ERR_MESSAGE_EXPIRED');
    expect(conn.queue).toEqual({ messages: 0, bytes: 0 });
  });

  it("8. buffered messages wait for the application's own login: the flush is held until ready()", async () => {
    const server = await startWsServer({});
    try {
      const conn = createConnection({
        url: server.url,
        adapter: nodeAdapter(),
        queue: { holdUntilReady: true },
      });
      const queued = outcome(conn.send('after login'));
      conn.onOpen(() => {
        conn.send('login').catch(() => {});
      });
      const peer = await server.connection(0);
      await peer.message(0);
      expect(peer.messages.map((m) => m.data.toString())).toEqual(['login']);
      peer.socket.send('welcome');
      await new Promise<void>((resolve) => conn.onMessage(() => resolve()));
      conn.ready();
      expect(await queued).toBe('written');
      await peer.message(1);
      expect(peer.messages.map((m) => m.data.toString())).toEqual(['login', 'after login']);
      await conn.close();
    } finally {
      await server.stop();
    }
  });

  it('9. backgrounding causes no false timeout and no stale retries: a late heartbeat timer pings again, and a hidden app waits', () => {
    vi.useFakeTimers();
    const adapter = fakeAdapter(wechatProfile);
    const lifecycle = createLifecycle();
    const conn = createConnection({
      url: URL,
      adapter,
      lifecycle,
      heartbeat: { interval: 1000, timeout: 500 },
      reconnect: { initialDelay: 100 },
    });
    const errors: unknown[] = [];
    conn.onError((e) => errors.push(e.code));
    adapter.tasks[0]?.emitOpen();
    // The app is suspended for a minute: time passes while the timers stand still, then they fire late.
    lifecycle.emit('background');
    vi.advanceTimersByTime(1000);
    freezeFor(60_000);
    vi.advanceTimersByTime(500);
    expect(errors).toEqual([]);
    expect(conn.state).toBe('OPEN');
    // Meanwhile the platform cut the socket (WeChat's 1000 "interrupted"): no attempt while hidden.
    adapter.tasks[0]?.emitClose(1000, 'interrupted');
    vi.advanceTimersByTime(60_000);
    expect(adapter.tasks).toHaveLength(1);
    expect(conn.retries).toBe(0);
    lifecycle.emit('foreground');
    expect(adapter.tasks).toHaveLength(2);
    expect(conn.state).toBe('CONNECTING');
  });

  it('11. works and type-checks in Node without the DOM: every entry point compiles with lib ES2022 alone', () => {
    expect(() => webAdapter({ WebSocket: class {} as never })).not.toThrow();
    expect(webAdapter({ WebSocket: class {} as never }).lifecycle).toBeUndefined();
    const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
    const project = join(import.meta.dirname, 'types', 'node-no-dom', 'tsconfig.json');
    const result = spawnSync(process.execPath, [tsc, '-p', project, '--noEmit'], { encoding: 'utf8' });
    expect(result.stdout + result.stderr).toBe('');
    expect(result.status).toBe(0);
  });
});
