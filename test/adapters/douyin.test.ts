import { describe, expect, it } from 'vitest';
import { douyinAdapter, douyinProfile } from '../../src/adapters/douyin.js';
import type { MiniProgramSocketPlatform } from '../../src/adapters/wechat.js';
import { SocketTaskError } from '../../src/errors.js';
import { withoutLifecycle } from '../fixtures/platforms/appLifecycle.js';
import { createFakeTt } from '../fixtures/platforms/douyin.js';
import { within } from '../helpers.js';
import { adapterLifecycleSuite } from './lifecycleSuite.js';
import { type AdapterSuiteEnv, adapterSuite, useAdapterHarness } from './suite.js';

const makeAdapter = ({ WebSocket }: AdapterSuiteEnv) => douyinAdapter({ tt: createFakeTt({ WebSocket }) });

adapterSuite('douyin', makeAdapter, { limitError: /^connectSocket:fail exceed max task count$/ });

describe('douyinAdapter', () => {
  const { env, serve, connect, open } = useAdapterHarness(makeAdapter);

  it.each([
    [
      42,
      /^douyinAdapter\(\): tt must be the mini-program's tt object, got 42; pass it as douyinAdapter\(\{ tt \}\)$/,
    ],
    [
      { request() {} },
      /^douyinAdapter\(\): tt\.connectSocket must be a function, got undefined; pass the mini-program's tt object, from Douyin base library 1\.0\.0 or later$/,
    ],
  ])('throws ERR_INVALID_ADAPTER for tt = %o', (tt, message) => {
    const attempt = () => douyinAdapter({ tt: tt as never });
    expect(attempt).toThrow(SocketTaskError);
    expect(attempt).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ADAPTER' }));
    expect(attempt).toThrow(message);
  });

  it('exports the profile it uses: close treated as ignored while CONNECTING (undocumented), 5 sockets', () => {
    expect(makeAdapter(env).profile).toBe(douyinProfile);
    expect(douyinProfile).toMatchObject({
      closeWhileConnecting: 'ignored',
      maxConcurrent: 5,
      requiresSecureUrl: true,
    });
  });

  it('turns the string close code Douyin delivers into a number for onClose', async () => {
    const tt = createFakeTt(env);
    const server = await serve({});
    const probe = await open(server, { adapter: douyinAdapter({ tt }) });
    const native: unknown[] = [];
    tt.sockets[0]?.onClose((payload) => native.push(payload));
    probe.peer.socket.close(4002, 'server bye');
    const info = await within(probe.conn.closed, 'closed');

    expect(native).toEqual([{ errMsg: 'closeSocket:ok', reason: 'server bye', code: '4002' }]);
    expect(info).toEqual({ code: 4002, reason: 'server bye' });
    expect(probe.closes).toEqual([{ code: 4002, reason: 'server bye' }]);
  });

  it("passes the fail of a connect tt rejects on as the task's onConnectFail, and reports nothing else itself", async () => {
    const tt = createFakeTt(env);
    const task = douyinAdapter({ tt }).connect({ url: 'ftp://127.0.0.1/socket' });
    if ('then' in task) throw new Error('douyinAdapter must hand the task over synchronously');
    const log: unknown[] = [];
    task.onError((event) => log.push(['error', event]));
    task.onClose((event) => log.push(['close', event]));
    const failed = new Promise((resolve) => task.onConnectFail?.(resolve));
    expect(await within(failed, 'the connect fail')).toEqual({
      errMsg: 'connectSocket:fail invalid url "ftp://127.0.0.1/socket"',
    });
    expect(log).toEqual([]);
    expect(tt.tasks[0]?.readyState).toBeUndefined();
  });

  it('reports error then close 1006 for options tt rejects, whose task has no readyState and stays silent', async () => {
    const tt = createFakeTt(env);
    // A url the connection accepts, made one tt rejects on its way to the platform.
    const rejecting: MiniProgramSocketPlatform = {
      connectSocket: (options) => tt.connectSocket({ ...options, url: 'ftp://127.0.0.1/socket' }),
    };
    const probe = connect({
      url: 'wss://127.0.0.1/socket',
      adapter: douyinAdapter({ tt: rejecting as never }),
    });
    const info = await within(probe.conn.closed, 'closed');
    expect(probe.log).toEqual(['error', 'close']);
    expect(probe.errors).toEqual([
      { errMsg: 'connectSocket:fail invalid url "ftp://127.0.0.1/socket"', code: 'ERR_PLATFORM' },
    ]);
    expect(info).toEqual({ code: 1006, reason: '' });
    expect(tt.tasks[0]?.readyState).toBeUndefined();
    expect(tt.sockets).toEqual([]);
  });

  it('opens and carries data when success arrives only after the socket opened', async () => {
    const tt = createFakeTt(env);
    const late: MiniProgramSocketPlatform = {
      connectSocket: ({ success, ...rest }) => {
        const task = tt.connectSocket(rest);
        task.onOpen(() => setTimeout(() => success?.({ errMsg: 'connectSocket:ok', socketTaskId: 1 }), 0));
        return task;
      },
    };
    const server = await serve();
    const probe = await open(server, { adapter: douyinAdapter({ tt: late }) });
    const reply = probe.nextMessage();
    await probe.conn.send('before success');
    expect(await reply).toEqual({ data: 'before success' });
    expect(probe.opens).toHaveLength(1);
  });

  describe('on a runtime that aborts a close while CONNECTING', () => {
    const aborting = () => douyinAdapter({ tt: createFakeTt({ ...env, closeWhileConnecting: 'aborts' }) });

    it("closeBeforeOpen 'defer' never hands tt a close before open: the socket opens and is closed at once", async () => {
      const tt = createFakeTt({ ...env, closeWhileConnecting: 'aborts' });
      const server = await serve({});
      const probe = connect({ url: server.url, adapter: douyinAdapter({ tt }), closeBeforeOpen: 'defer' });
      const info = await within(probe.conn.close({ code: 4001, reason: 'early' }), 'close');

      expect(info).toEqual({ code: 4001, reason: 'early' });
      expect(await within((await server.connection(0)).closed, 'server close')).toEqual(info);
      expect(tt.sockets[0]?.log.slice(0, 2)).toEqual(['platform open', 'close: 4001 early']);
      expect(probe.opens).toEqual([]);
    });

    it("closeBeforeOpen 'ignore' hands the close over and the aborted handshake ends the connection", async () => {
      const server = await serve({});
      const probe = connect({ url: server.url, adapter: aborting(), closeBeforeOpen: 'ignore' });
      probe.conn.close({ code: 4001, reason: 'early' }).catch(() => {});
      const info = await within(probe.conn.closed, 'closed');

      expect(info.code).toBe(1006);
      expect(probe.opens).toEqual([]);
      expect(probe.states).not.toContain('OPEN');
      await server.waitForNoClients();
    });
  });
});

adapterLifecycleSuite('douyin', {
  platform: (env) => {
    const tt = createFakeTt(env);
    return { adapter: () => douyinAdapter({ tt }), device: tt.device };
  },
  bare: (env) => douyinAdapter({ tt: withoutLifecycle(createFakeTt(env)) }),
});
