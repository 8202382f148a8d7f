import { describe, expect, it } from 'vitest';
import { wechatLegacyAdapter, wechatLegacyProfile } from '../../src/adapters/wechatLegacy.js';
import { SocketTaskError } from '../../src/errors.js';
import { createFakeLegacyWx, type FakeLegacyWx } from '../fixtures/platforms/wechatLegacy.js';
import { echo } from '../fixtures/wsServer.js';
import { adapterSuite, useAdapterHarness, within } from './suite.js';

const LIMIT_TEXT = /^connect failed: wechatLegacyAdapter: wx\.connectSocket keeps one socket at a time/;

adapterSuite(
  'wechat (legacy global API)',
  ({ WebSocket }) => wechatLegacyAdapter({ wx: createFakeLegacyWx({ WebSocket }) }),
  { limitError: LIMIT_TEXT },
);

describe('wechatLegacyAdapter', () => {
  let wx!: FakeLegacyWx;
  const { adapter, serve, connect, open } = useAdapterHarness(({ WebSocket }) => {
    wx = createFakeLegacyWx({ WebSocket });
    return wechatLegacyAdapter({ wx });
  });

  it('has the profile of a single-socket platform that ignores a close while CONNECTING', () => {
    expect(adapter().profile).toBe(wechatLegacyProfile);
    expect(wechatLegacyProfile).toEqual({
      closeWhileConnecting: 'ignored',
      maxConcurrent: 1,
      requiresSecureUrl: true,
      binary: true,
      headers: true,
      protocols: true,
    });
  });

  it.each([
    [undefined, /got undefined$/],
    [{}, /with connectSocket\(\); got an object/],
    [{ connectSocket() {} }, /with onSocketOpen\(\); got an object/],
  ])('throws ERR_INVALID_ADAPTER for wx = %o', (value, message) => {
    const attempt = () => wechatLegacyAdapter({ wx: value as never });
    expect(attempt).toThrow(SocketTaskError);
    expect(attempt).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ADAPTER' }));
    expect(attempt).toThrow(/^wechatLegacyAdapter\(\): wx must be the mini-program's wx, /);
    expect(attempt).toThrow(message);
  });

  it('leaves the fake platform alone until a connection is made', () => {
    adapter();
    const events = ['open', 'message', 'error', 'close'] as const;
    expect(events.map((event) => wx.listenerCount(event))).toEqual([0, 0, 0, 0]);
    expect(wx.sockets).toEqual([]);
  });

  it('fails a second connection with ERR_CONNECTION_LIMIT and leaves the first its socket and its messages', async () => {
    const server = await serve();
    const first = await open(server);
    const second = connect({ url: server.url });
    await within(second.conn.closed, 'the second connection closed');

    expect(second.errors).toEqual([
      {
        errMsg: expect.stringMatching(
          /readyState 1 \(OPEN\); close that connection first, or use wechatAdapter/,
        ),
        code: 'ERR_CONNECTION_LIMIT',
      },
    ]);
    expect(second.log).toEqual(['error', 'close']);
    // The platform was never asked for a second socket, so it could not silently replace the first.
    expect(wx.sockets).toHaveLength(1);
    expect(server.connections).toHaveLength(1);
    const reply = first.nextMessage();
    await first.conn.send('still mine');
    expect(await reply).toEqual({ data: 'still mine' });
    expect(first.closes).toEqual([]);
  });

  it('fails a second connection while the first is still CONNECTING', async () => {
    const server = await serve();
    const first = connect({ url: server.url });
    const second = connect({ url: server.url });
    await within(second.conn.closed, 'the second connection closed');
    expect(second.errors[0]?.errMsg).toMatch(/readyState 0 \(CONNECTING\)/);
    await within(first.opened, 'the first opened');
    expect(wx.sockets).toHaveLength(1);
  });

  it('lets a connection made while the holder is closing wait for its close, which never reaches the newcomer', async () => {
    const server = await serve();
    const first = await open(server);
    const closing = first.conn.close({ code: 4001, reason: 'handing over' });
    const second = connect({ url: server.url });
    await within(second.opened, 'the second opened');

    expect(await within(closing, 'the first closed')).toEqual({ code: 4001, reason: 'handing over' });
    expect(first.closes).toEqual([{ code: 4001, reason: 'handing over' }]);
    expect(await first.peer.closed).toEqual({ code: 4001, reason: 'handing over' });
    const [oldSocket, newSocket] = wx.sockets;
    expect(oldSocket?.log).not.toContain('replaced by connectSocket');
    expect(oldSocket?.readyState).toBe(3);
    expect(newSocket?.readyState).toBe(1);

    const reply = second.nextMessage();
    await second.conn.send('after the handover');
    expect(await reply).toEqual({ data: 'after the handover' });
    expect(second.closes).toEqual([]);
    expect(second.log).toEqual(['open']);

    // This platform never reports a close asked through the adapter; end the socket the way it would end.
    wx.sockets[1]?.ws.close(1000);
    expect(await within(second.conn.closed, 'the second closed')).toEqual({ code: 1000, reason: '' });
  });

  it('registers each wx.onSocket* listener once per wx, however many connections and adapters use it', async () => {
    const server = await serve();
    adapter();
    const other = wechatLegacyAdapter({ wx });
    for (let i = 0; i < 3; i += 1) {
      const probe = await open(server, i === 1 ? { adapter: other } : {});
      await within(probe.conn.close(), 'close');
    }
    expect(wx.sockets).toHaveLength(3);
    for (const event of ['open', 'message', 'error', 'close'] as const)
      expect(wx.listenerCount(event)).toBe(1);
  });

  it('holds the single socket per wx, not per adapter', async () => {
    const server = await serve();
    const first = await open(server);
    const second = connect({ url: server.url, adapter: wechatLegacyAdapter({ wx }) });
    await within(second.conn.closed, 'the second connection closed');
    expect(second.errors[0]?.code).toBe('ERR_CONNECTION_LIMIT');
    expect(first.conn.state).toBe('OPEN');
  });

  it('always passes callbacks, so sendSocketMessage and closeSocket never return a Promise', async () => {
    const server = await serve();
    const probe = await open(server);
    await probe.conn.send('one');
    await within(probe.conn.close(), 'close');
    expect(wx.promiseCalls).toEqual([]);

    // Without callbacks the fake, like wx, returns a Promise.
    const bare = wx.closeSocket();
    expect(bare).toBeInstanceOf(Promise);
    await bare;
    expect(wx.promiseCalls).toEqual(['closeSocket']);
  });

  it('keeps a finished task from sending on, or closing, the socket of its successor', async () => {
    const server = await serve();
    const old = await adapter().connect({ url: server.url });
    await within(new Promise((resolve) => old.onOpen(resolve)), 'the old task opened');
    const oldClosed = new Promise((resolve) => old.onClose(resolve));
    old.close({});
    await within(oldClosed, 'the old task closed');
    const successor = await open(server);

    const calls: string[] = [];
    old.send({ data: 'stale', success: () => calls.push('send ok'), fail: (e) => calls.push(e.errMsg) });
    old.close({ code: 4000, success: () => calls.push('close ok'), fail: (e) => calls.push(e.errMsg) });
    expect(calls).toEqual(['sendSocketMessage:fail not open: readyState 3 (CLOSED)', 'close ok']);

    await successor.conn.send('mine');
    expect((await successor.peer.message(0)).data.toString()).toBe('mine');
    expect(successor.peer.messages).toHaveLength(1);
    expect(successor.conn.state).toBe('OPEN');
  });

  it('reports a failed wx.connectSocket call as error then close 1006, and frees the socket', async () => {
    const server = await serve();
    adapter();
    let refuse = true;
    const failing = wechatLegacyAdapter({
      wx: {
        ...wx,
        connectSocket: (options) =>
          refuse
            ? options.fail({ errMsg: 'connectSocket:fail url not in domain list' })
            : wx.connectSocket(options),
      },
    });
    const probe = connect({ url: server.url, adapter: failing });
    const info = await within(probe.conn.closed, 'closed');
    expect(probe.errors).toEqual([
      { errMsg: 'connectSocket:fail url not in domain list', code: 'ERR_PLATFORM' },
    ]);
    expect(info).toEqual({ code: 1006, reason: '' });

    refuse = false;
    const next = await open(server, { adapter: failing });
    expect(next.conn.state).toBe('OPEN');
  });

  it('gives the slot up after releaseTimeout when the closing socket never reports its close, and keeps its late close from the newcomer', async () => {
    let handshakes = 0;
    const server = await serve({
      onConnection: echo,
      // Holds the newcomer's handshake until the replaced socket's close has reached the global listener.
      verifyClient: (_info, accept) => {
        handshakes += 1;
        const old = wx.sockets[0];
        if (handshakes === 1 || old === undefined || old.readyState === 3) return accept(true);
        old.ws.once('close', () => setImmediate(() => accept(true)));
      },
    });
    adapter();
    // A platform that accepts the close but never reports it.
    const silent = { ...wx, closeSocket: ({ success }: { success: (r: unknown) => void }) => success({}) };
    const patient = wechatLegacyAdapter({ wx: silent, releaseTimeout: 50 });
    const first = await open(server, { adapter: patient, closeTimeout: 10_000 });
    const closing = first.conn.close();
    const second = connect({ url: server.url, adapter: patient });
    await within(second.opened, 'the second opened');

    // The holder hears of its end explicitly; then the platform replaced its socket, and that close was dropped.
    expect(await within(closing, 'the first closed')).toEqual({ code: 1006, reason: '' });
    expect(wx.sockets[0]?.log).toEqual(
      expect.arrayContaining(['replaced by connectSocket', 'platform close']),
    );
    const reply = second.nextMessage();
    await second.conn.send('survived the old close');
    expect(await reply).toEqual({ data: 'survived the old close' });
    expect(second.closes).toEqual([]);
    expect(second.log).toEqual(['open']);

    // This platform never reports a close asked through the adapter; end the socket the way it would end.
    wx.sockets[1]?.ws.close(1000);
    expect(await within(second.conn.closed, 'the second closed')).toEqual({ code: 1000, reason: '' });
  });
});
