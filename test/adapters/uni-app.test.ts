import { beforeEach, describe, expect, it } from 'vitest';
import { uniAdapter, uniProfile } from '../../src/adapters/uni-app.js';
import { createConnection } from '../../src/connection/createConnection.js';
import { SocketTaskError } from '../../src/errors.js';
import { withoutLifecycle } from '../fixtures/platforms/appLifecycle.js';
import {
  createFakeUni,
  type FakeUni,
  type FakeUniOptions,
  UNI_MP_WEIXIN_LIMIT_TEXT,
  type UniRuntime,
} from '../fixtures/platforms/uni.js';
import { closedPort, echo, startWsServer } from '../fixtures/wsServer.js';
import { within } from '../helpers.js';
import { adapterLifecycleSuite } from './lifecycleSuite.js';
import { type AdapterSuiteEnv, adapterSuite, stalledServer, useAdapterHarness } from './suite.js';

const RUNTIMES: UniRuntime[] = ['h5', 'app', 'mp-weixin'];

/** What each runtime calls for one send outside OPEN (docs/platforms.md#uni-app). */
const RAW_SEND_OUTSIDE_OPEN: Record<UniRuntime, string[]> = {
  h5: ['fail', 'complete', 'fail', 'complete'],
  app: ['fail', 'success', 'complete'],
  'mp-weixin': ['fail', 'complete'],
};

/**
 * uniAdapter over one runtime, with the profile that runtime really has, so that the shared suite checks the
 * runtime's own behaviour: H5 and App abort a close while CONNECTING and have no connection limit, and H5 sets
 * no handshake headers. The shipped profile, safe on all of them, is checked below on every runtime.
 */
const onRuntime =
  (runtime: UniRuntime, closePayload?: FakeUniOptions['closePayload']) =>
  ({ WebSocket }: AdapterSuiteEnv) => {
    const uni = createFakeUni({ WebSocket, runtime, ...(closePayload ? { closePayload } : {}) });
    const adapter = uniAdapter({ uni });
    if (runtime === 'mp-weixin') return adapter;
    const profile = {
      ...adapter.profile,
      closeWhileConnecting: 'aborts' as const,
      maxConcurrent: Number.POSITIVE_INFINITY,
      headers: runtime !== 'h5',
    };
    return { ...adapter, profile };
  };

adapterSuite('uni-app (H5)', onRuntime('h5'));
/**
 * The shared suite's tests that read a close code off the platform's close event: uni-app H5 versions that pass
 * `{}` to onClose give no code to read. What the adapter reports instead is asserted below, by name.
 */
const CLOSE_CODE_LOST = new Set([
  'client close({ code: 4001, reason }) reaches the server and closes exactly once',
  'close() with callbacks returns undefined and calls success with the close, then complete',
  'reports the server close code and reason exactly as sent',
  'closes with 1006 exactly once when the server terminates the socket',
]);

describe('where onClose gets {}', () => {
  beforeEach((context) => {
    if (CLOSE_CODE_LOST.has(context.task.name)) context.skip();
  });
  adapterSuite('uni-app (H5, onClose gets {})', onRuntime('h5', 'empty'));
});
adapterSuite('uni-app (App)', onRuntime('app'), { errorWithoutClose: true });
adapterSuite('uni-app (mp-weixin)', onRuntime('mp-weixin'), {
  limitError: new RegExp(UNI_MP_WEIXIN_LIMIT_TEXT),
});

describe('uniAdapter', () => {
  it('has a profile that is safe on every runtime', () => {
    expect(uniProfile).toEqual({
      closeWhileConnecting: 'ignored',
      maxConcurrent: 5,
      requiresSecureUrl: true,
      binary: true,
      headers: true,
      protocols: true,
    });
  });

  it.each([
    [
      undefined,
      /^uniAdapter\(\): uni must be uni-app's uni, got undefined; pass it as uniAdapter\(\{ uni \}\)$/,
    ],
    [
      {},
      /^uniAdapter\(\): uni\.connectSocket must be a function, got undefined; pass uni-app's uni, from uni-app 2\.2\.6 or later$/,
    ],
    [
      { connectSocket: 'wss://example.com' },
      /^uniAdapter\(\): uni\.connectSocket must be a function, got "wss:\/\/example\.com"; pass uni-app's uni, from uni-app 2\.2\.6 or later$/,
    ],
  ])('throws ERR_INVALID_ADAPTER for uni = %o', (value, message) => {
    const attempt = () => uniAdapter({ uni: value as never });
    expect(attempt).toThrow(SocketTaskError);
    expect(attempt).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ADAPTER' }));
    expect(attempt).toThrow(message);
  });

  describe.each(RUNTIMES)('on %s', (runtime) => {
    let uni!: FakeUni;
    const { env, adapter, serve, connect, open } = useAdapterHarness(
      ({ WebSocket }) => {
        uni = createFakeUni({ WebSocket, runtime });
        return uniAdapter({ uni });
      },
      { errorWithoutClose: runtime === 'app' },
    );

    it('the fake returns a Promise, and still creates the socket, when connectSocket gets no callback', async () => {
      const server = await serve();
      const fake = createFakeUni({ WebSocket: env.WebSocket, runtime });
      const returned = fake.connectSocket({ url: server.url });
      expect(returned).toBeInstanceOf(Promise);
      await expect(within(returned, 'the Promise')).resolves.toEqual({ errMsg: 'connectSocket:ok' });
      const orphan = fake.tasks[0]?.task;
      await server.connection(0);
      expect(server.connections).toHaveLength(1);
      // The socket exists with no handle in the caller's hands; only the fake can close it.
      const gone = new Promise((resolve) => orphan?.ws.once('close', resolve));
      orphan?.ws.close();
      await within(gone, 'the orphan socket closed');
    });

    it('gets a task back because the adapter passes complete', async () => {
      const server = await serve();
      const probe = await open(server);
      expect(uni.tasks).toHaveLength(1);
      expect(uni.tasks[0]?.task).toBeDefined();
      await within(probe.conn.close(), 'close');
    });

    it("with the shipped profile, a close before open in 'defer' mode ends the socket", async () => {
      const server = await serve({});
      const probe = connect({ url: server.url, closeBeforeOpen: 'defer' });
      const info = await within(probe.conn.close({ code: 4001, reason: 'early' }), 'close');
      expect(await within(probe.conn.closed, 'closed')).toEqual(info);
      expect(probe.opens).toEqual([]);
      await server.waitForNoClients();
      expect(uni.tasks.map((t) => t.task?.ws.readyState)).toEqual([3]);
    });

    it("with the shipped profile, a close before open in 'ignore' mode goes to the runtime, which aborts or ignores it", async () => {
      const server = await serve();
      const probe = connect({ url: server.url, closeBeforeOpen: 'ignore' });
      const early = probe.conn.close({ code: 4001, reason: 'early' });
      if (runtime === 'mp-weixin') {
        await within(probe.opened, 'open');
        expect(probe.conn.state).toBe('OPEN');
        await within(probe.conn.close(), 'close');
      } else {
        expect(await within(early, 'close')).toEqual({ code: 1006, reason: '' });
        expect(probe.opens).toEqual([]);
      }
      await within(early, 'the early close() settled');
      await server.waitForNoClients();
    });

    it('normalizes the error payload of the runtime to an errMsg', async () => {
      const probe = connect({ url: `ws://127.0.0.1:${await closedPort()}` });
      await within(probe.conn.closed, 'closed');
      // H5 and App report `{}`; WeChat builds `{ errMsg }`.
      expect(probe.errors[0]?.errMsg).toEqual(
        runtime === 'mp-weixin' ? expect.stringMatching(/ECONNREFUSED/) : 'unknown socket error',
      );
    });

    it("turns the runtime's report of a send outside OPEN into exactly one fail, then complete", async () => {
      const server = await serve();
      const task = await adapter().connect({ url: server.url });
      const native = uni.tasks[0];
      const raw: string[] = [];
      native?.send({
        data: 'too early',
        success: () => raw.push('success'),
        fail: () => raw.push('fail'),
        complete: () => raw.push('complete'),
      });
      expect(raw).toEqual(RAW_SEND_OUTSIDE_OPEN[runtime]);

      const calls: string[] = [];
      task.send({
        data: 'too early',
        success: () => calls.push('success'),
        fail: (error) => calls.push(`fail ${error.errMsg}`),
        complete: () => calls.push('complete'),
      });
      expect(calls).toEqual([`fail ${native?.task?.behaviour.notConnected}`, 'complete']);
      await within(new Promise((resolve) => task.onOpen(resolve)), 'open');
      const closed = new Promise((resolve) => task.onClose(resolve));
      task.close({});
      await within(closed, 'close');
      await server.waitForNoClients();
      expect(server.connections[0]?.messages).toEqual([]);
    });
  });

  it('reports the open once on App, whose task says readyState 3 while connecting', async () => {
    const { WebSocket } = await import('ws');
    const server = await startWsServer({ onConnection: echo });
    try {
      const uni = createFakeUni({ WebSocket, runtime: 'app' });
      const conn = createConnection({
        url: server.url,
        adapter: uniAdapter({ uni }),
        allowInsecure: true,
        reconnect: false,
      });
      expect(uni.tasks[0]?.readyState).toBe(3);
      const opens: unknown[] = [];
      conn.onOpen((event) => opens.push(event));
      await within(new Promise((resolve) => conn.onOpen(resolve)), 'open');
      const reply = new Promise((resolve) => conn.onMessage(resolve));
      await conn.send('app');
      expect(await within(reply, 'reply')).toEqual({ data: 'app' });
      await within(conn.close(), 'close');
      expect(opens).toEqual([{}]);
    } finally {
      await server.stop();
    }
  });

  describe('on h5, with the shipped profile (close while CONNECTING declared ignored)', () => {
    const { connect } = useAdapterHarness(({ WebSocket }) =>
      uniAdapter({ uni: createFakeUni({ WebSocket, runtime: 'h5' }) }),
    );

    it('frees a stalled handshake abandoned by connectTimeout: the close is handed over, and H5 aborts', async () => {
      const stalled = await stalledServer();
      try {
        const probe = connect({ url: stalled.url, connectTimeout: 100 });
        expect(await within(probe.conn.closed, 'closed')).toEqual({ code: 1006, reason: '' });
        await within(stalled.drained(), 'the stalled socket to close');
      } finally {
        await stalled.stop();
      }
    });
  });

  describe('on h5, where onClose gets {} (no code, no reason)', () => {
    let uni!: FakeUni;
    const { serve, open } = useAdapterHarness(({ WebSocket }) => {
      uni = createFakeUni({ WebSocket, runtime: 'h5', closePayload: 'empty' });
      return uniAdapter({ uni });
    });

    it('reports its own close as 1005 (no status received): the server gets the code and reason, the task hears neither', async () => {
      const server = await serve({});
      const probe = await open(server);
      const info = await within(probe.conn.close({ code: 4001, reason: 'bye' }), 'close');
      expect(await within(probe.peer.closed, 'server close')).toEqual({ code: 4001, reason: 'bye' });
      expect(info).toEqual({ code: 1005, reason: '' });
      expect(probe.closes).toEqual([info]);
      expect(probe.log).toEqual(['open', 'close']);
    });

    it("reports the server's close as 1005 with an empty reason", async () => {
      const server = await serve({});
      const probe = await open(server);
      probe.peer.socket.close(4002, 'server bye');
      expect(await within(probe.conn.closed, 'closed')).toEqual({ code: 1005, reason: '' });
      expect(probe.log).toEqual(['open', 'close']);
    });

    it('reports a dropped connection as 1005 too, since the runtime reports no error before that close', async () => {
      const server = await serve({});
      const probe = await open(server);
      probe.peer.socket.terminate();
      expect(await within(probe.conn.closed, 'closed')).toEqual({ code: 1005, reason: '' });
      expect(probe.log).toEqual(['open', 'close']);
    });

    it('reports a close that follows an error as 1006 (abnormal closure)', async () => {
      const server = await serve({});
      const probe = await open(server);
      uni.tasks[0]?.task?.fail('network error');
      probe.peer.socket.terminate();
      expect(await within(probe.conn.closed, 'closed')).toEqual({ code: 1006, reason: '' });
      expect(probe.log).toEqual(['open', 'error', 'close']);
    });
  });

  describe("on mp-weixin, when connectSocket's fail is the only report of the limit", () => {
    const { adapter, serve, open, connect } = useAdapterHarness(({ WebSocket }) =>
      uniAdapter({ uni: createFakeUni({ WebSocket, runtime: 'mp-weixin', limit: 'fail' }) }),
    );

    it('reports that fail as the error of the connection, which then closes with 1006', async () => {
      const server = await serve();
      const held = [];
      for (let i = 0; i < 5; i += 1) held.push(await open(server));
      // A second adapter over the same uni: the manager's own count cannot stop it, so the platform refuses.
      const extra = connect({
        url: server.url,
        errorGrace: 20,
        closeTimeout: 200,
        adapter: { ...adapter() },
      });
      const info = await within(extra.conn.closed, 'closed');
      expect(extra.errors).toEqual([
        { errMsg: `connectSocket:fail ${UNI_MP_WEIXIN_LIMIT_TEXT}`, code: 'ERR_PLATFORM' },
      ]);
      expect(extra.log).toEqual(['error', 'close']);
      expect(info).toEqual({ code: 1006, reason: '' });
      expect(held.map((probe) => probe.conn.state)).toEqual(Array(5).fill('OPEN'));
    });
  });

  describe('with a uni whose connectSocket hands back no task', () => {
    const { connect } = useAdapterHarness(() =>
      uniAdapter({ uni: { connectSocket: () => Promise.resolve({ errMsg: 'connectSocket:ok' }) } as never }),
    );

    it('fails the connection with ERR_PLATFORM, naming what came back', async () => {
      const probe = connect({ url: 'wss://127.0.0.1:9' });
      await within(probe.conn.closed, 'closed');
      expect(probe.errors).toEqual([
        {
          errMsg: expect.stringMatching(
            /^connect failed: uniAdapter: uni\.connectSocket returned no SocketTask \(got a Promise\); SocketTasks need uni-app 2\.2\.6 or later; complete was passed, so uni-app must return one$/,
          ),
          code: 'ERR_PLATFORM',
        },
      ]);
    });
  });
});

adapterLifecycleSuite('uni-app', {
  platform: (env) => {
    const uni = createFakeUni({ ...env, runtime: 'mp-weixin' });
    return { adapter: () => uniAdapter({ uni }), device: uni.device };
  },
  bare: (env) => uniAdapter({ uni: withoutLifecycle(createFakeUni({ ...env, runtime: 'mp-weixin' })) }),
});
