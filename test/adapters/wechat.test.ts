import { describe, expect, it } from 'vitest';
import { type MiniProgramSocketPlatform, wechatAdapter, wechatProfile } from '../../src/adapters/wechat.js';
import { SocketTaskError } from '../../src/errors.js';
import { withoutLifecycle } from '../fixtures/platforms/appLifecycle.js';
import { SilentTask } from '../fixtures/platforms/socketTaskPlatform.js';
import { createFakeWx } from '../fixtures/platforms/wechat.js';
import { wechatShape } from '../fixtures/platforms/wsTask.js';
import { within } from '../helpers.js';
import { adapterLifecycleSuite, expectSuspendedUntilBack } from './lifecycleSuite.js';
import { type AdapterSuiteEnv, adapterSuite, useAdapterHarness } from './suite.js';

const makeAdapter = ({ WebSocket }: AdapterSuiteEnv) => wechatAdapter({ wx: createFakeWx({ WebSocket }) });

adapterSuite('wechat', makeAdapter, { limitError: /^createSocketTask:fail exceed max cocurrent count$/ });

describe('wechatAdapter', () => {
  const { env, serve, connect, open } = useAdapterHarness(makeAdapter);

  it.each([
    [undefined, /^wechatAdapter\(\): wx must be the mini-program's wx object, got undefined; pass it as/],
    [
      {},
      /^wechatAdapter\(\): wx\.connectSocket must be a function, got undefined; pass the mini-program's wx object, from WeChat base library 1\.7\.0 or later$/,
    ],
    [
      { connectSocket: 'wss://x' },
      /^wechatAdapter\(\): wx\.connectSocket must be a function, got "wss:\/\/x"/,
    ],
  ])('throws ERR_INVALID_ADAPTER for wx = %o', (wx, message) => {
    const attempt = () => wechatAdapter({ wx: wx as never });
    expect(attempt).toThrow(SocketTaskError);
    expect(attempt).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ADAPTER' }));
    expect(attempt).toThrow(message);
  });

  it("passes the connection's connectTimeout on as connectSocket's timeout: only the platform can end a stalled handshake", () => {
    const calls: Array<Record<string, unknown>> = [];
    const wx = {
      connectSocket(options: Record<string, unknown>) {
        calls.push(options);
        return new SilentTask('not connected', wechatShape);
      },
    };
    const adapter = wechatAdapter({ wx: wx as unknown as MiniProgramSocketPlatform });
    adapter.connect({ url: 'wss://example.test/a', timeout: 4000 });
    adapter.connect({ url: 'wss://example.test/b' });
    expect(calls.map((options) => options.timeout)).toEqual([4000, undefined]);
    expect('timeout' in (calls[1] ?? {})).toBe(false);
  });

  it('exports the profile it uses: close ignored while CONNECTING, at most 2 sockets, wss:// only', () => {
    expect(makeAdapter(env).profile).toBe(wechatProfile);
    expect(wechatProfile).toEqual({
      closeWhileConnecting: 'ignored',
      maxConcurrent: 2,
      requiresSecureUrl: true,
      binary: true,
      headers: true,
      protocols: true,
    });
  });

  it('registers each native listener once, however many listeners the connection has', async () => {
    const wx = createFakeWx(env);
    const server = await serve();
    const probe = connect({ url: server.url, adapter: wechatAdapter({ wx }) });
    for (let i = 0; i < 3; i += 1) {
      probe.conn.onOpen(() => {});
      probe.conn.onMessage(() => {});
      probe.conn.onError(() => {});
      probe.conn.onClose(() => {});
    }
    await within(probe.opened, 'open');
    const [task] = wx.sockets;
    for (const event of ['open', 'message', 'error', 'close'] as const) {
      expect(task?.listenerCount(event), event).toBe(1);
    }
  });

  it("hands onOpen the handshake's response headers and drops WeChat's `profile`", async () => {
    const server = await serve();
    server.wss.on('headers', (headers) => headers.push('X-Server: yes'));
    const { opens } = await open(server);
    expect(opens).toHaveLength(1);
    expect(opens[0]).toEqual({
      header: expect.objectContaining({ 'x-server': 'yes', upgrade: 'websocket' }),
    });
  });

  it('passes url, header and protocols to wx.connectSocket with a complete callback', async () => {
    const calls: unknown[] = [];
    const wx = createFakeWx(env);
    const spy: MiniProgramSocketPlatform = {
      connectSocket: (options) => {
        calls.push(options);
        return wx.connectSocket(options);
      },
    };
    const server = await serve({ handleProtocols: () => 'chat.v2' });
    await open(server, {
      adapter: wechatAdapter({ wx: spy }),
      header: { 'x-token': 'abc' },
      protocols: ['chat.v2'],
    });
    expect(calls).toEqual([
      {
        url: server.url,
        header: { 'x-token': 'abc' },
        protocols: ['chat.v2'],
        timeout: 10_000,
        fail: expect.any(Function),
        complete: expect.any(Function),
      },
    ]);
  });

  describe('a connect call that produces no working task', () => {
    const failing = (connectSocket: MiniProgramSocketPlatform['connectSocket']) =>
      wechatAdapter({ wx: { connectSocket } });

    it.each([
      [
        'throws',
        failing(() => {
          throw new Error('url not in domain list');
        }),
        /^connect failed: wx\.connectSocket\(\) threw: url not in domain list$/,
      ],
      [
        'returns nothing (base library before 1.7.0)',
        failing(() => undefined as never),
        /^connect failed: wx\.connectSocket\(\) returned no SocketTask \(got undefined\); SocketTasks need WeChat base library 1\.7\.0 or later; older ones have only the global socket API: use wechatLegacyAdapter\(\{ wx \}\)$/,
      ],
      [
        'calls fail before returning',
        failing((options) => {
          options.fail?.({ errMsg: 'connectSocket:fail invalid url' });
          return new SilentTask('sendSocketMessage:fail WebSocket is not connected', wechatShape);
        }),
        /^connect failed: wx\.connectSocket\(\) failed: connectSocket:fail invalid url$/,
      ],
    ])('reports error then close 1006 when connectSocket %s', async (_, adapter, message) => {
      const probe = connect({ url: 'wss://example.invalid/socket', adapter });
      const info = await within(probe.conn.closed, 'closed');
      expect(probe.log).toEqual(['error', 'close']);
      expect(probe.errors).toEqual([{ errMsg: expect.stringMatching(message), code: 'ERR_PLATFORM' }]);
      expect(info).toEqual({ code: 1006, reason: '' });
    });

    it('reports a later fail as error then close 1006, and closes the socket if it opens after all', async () => {
      let failed!: () => void;
      const failDelivered = new Promise<void>((resolve) => {
        failed = resolve;
      });
      // The handshake completes only after the fail, so the socket opens after its connect was reported failed.
      const server = await serve({
        verifyClient: (_info, accept) => void failDelivered.then(() => accept(true)),
      });
      const wx = createFakeWx(env);
      const adapter = wechatAdapter({
        wx: {
          connectSocket: (options) => {
            const task = wx.connectSocket({ url: options.url });
            setTimeout(() => {
              options.fail?.({ errMsg: 'connectSocket:fail interrupted' });
              failed();
            }, 0);
            return task;
          },
        },
      });
      // A long errorGrace: only the adapter's own close, not the manager's synthesised one, can end this in time.
      const probe = connect({ url: server.url, adapter, errorGrace: 60_000 });
      const info = await within(probe.conn.closed, 'closed');
      expect(probe.log).toEqual(['error', 'close']);
      expect(probe.errors[0]?.errMsg).toBe('connectSocket:fail interrupted');
      expect(info).toEqual({ code: 1006, reason: '' });

      const peer = await server.connection(0);
      expect(await within(peer.closed, 'the orphan socket closed')).toEqual({ code: 1000, reason: '' });
      expect(probe.opens).toEqual([]);
      const socket = wx.sockets[0]?.ws;
      if (socket && socket.readyState !== socket.CLOSED) {
        await within(
          new Promise((resolve) => socket.once('close', resolve)),
          'the client side of the orphan closed',
        );
      }
    });
  });
});

adapterLifecycleSuite('wechat', {
  platform: (env) => {
    const wx = createFakeWx(env);
    return { adapter: () => wechatAdapter({ wx }), device: wx.device };
  },
  bare: (env) => wechatAdapter({ wx: withoutLifecycle(createFakeWx(env)) }),
});

describe('wechatAdapter: reconnecting around the app lifecycle', () => {
  const harness = useAdapterHarness(makeAdapter);

  it('after a drop while the app is in the background, waits in CLOSED.suspended without an attempt or a retry, and reconnects at once on onAppShow', async () => {
    const wx = createFakeWx(harness.env);
    await expectSuspendedUntilBack({
      harness,
      adapter: wechatAdapter({ wx }),
      leave: () => wx.device.hide(),
      back: () => wx.device.show(),
      attempts: () => wx.tasks.length,
    });
  });

  it('after a drop while the network is down, waits in CLOSED.suspended and reconnects at once when onNetworkStatusChange reports it connected', async () => {
    const wx = createFakeWx(harness.env);
    await expectSuspendedUntilBack({
      harness,
      adapter: wechatAdapter({ wx }),
      leave: () => wx.device.goOffline(),
      back: () => wx.device.goOnline(),
      attempts: () => wx.tasks.length,
    });
  });

  it('removes its onAppShow, onAppHide and onNetworkStatusChange listeners from wx once the connection is closed', async () => {
    const wx = createFakeWx(harness.env);
    const server = await harness.serve();
    const { conn } = await harness.open(server, { adapter: wechatAdapter({ wx }) });
    expect(wx.device.listenerCount('appShow')).toBe(1);
    await within(conn.close(), 'close');
    await within(conn.closed, 'closed');
    expect(wx.device.listenerCount('appShow')).toBe(0);
    expect(wx.device.listenerCount('appHide')).toBe(0);
    expect(wx.device.listenerCount('networkStatusChange')).toBe(0);
  });
});
