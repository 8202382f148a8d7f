import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type AlipayPlatform, alipayAdapter } from '../../src/adapters/alipay.js';
import { decodeBase64, encodeBase64 } from '../../src/adapters/base64.js';
import { createConnection } from '../../src/connection/createConnection.js';
import { SocketTaskError } from '../../src/errors.js';
import {
  ALIPAY_LIMIT_ERROR,
  createFakeMy,
  type FakeAlipayTask,
  type FakeMyOptions,
} from '../fixtures/platforms/alipay.js';
import { withoutLifecycle } from '../fixtures/platforms/appLifecycle.js';
import { closedPort, echo } from '../fixtures/wsServer.js';
import { propertySeed, until, within } from '../helpers.js';
import { adapterLifecycleSuite } from './lifecycleSuite.js';
import { type AdapterSuiteEnv, adapterSuite, useAdapterHarness } from './suite.js';

const seed = propertySeed('alipay');

const features = { errorWithoutClose: true, limitError: /WebSocket 连接数已达上限/ };
const withFake =
  (options: Omit<FakeMyOptions, 'WebSocket'> = {}) =>
  ({ WebSocket }: AdapterSuiteEnv) =>
    alipayAdapter({ my: createFakeMy({ WebSocket, ...options }) });

adapterSuite('alipay (payloads nested under data)', withFake(), features);
adapterSuite('alipay (flat payloads)', withFake({ payloads: 'flat' }), features);

/** A fake `my` whose connectSocket calls and tasks' send calls are recorded. */
function recordingMy(
  WebSocket: AdapterSuiteEnv['WebSocket'],
  options: Omit<FakeMyOptions, 'WebSocket'> = {},
) {
  const fake = createFakeMy({ WebSocket, ...options });
  const connects: Array<Record<string, unknown>> = [];
  const sends: Array<Record<string, unknown>> = [];
  const my: AlipayPlatform = {
    connectSocket(connectOptions) {
      connects.push(connectOptions);
      const task = fake.connectSocket(connectOptions);
      if (!task) return task;
      return {
        ...task,
        send(sendOptions) {
          sends.push(sendOptions);
          task.send(sendOptions);
        },
      };
    },
  };
  return { fake, my, connects, sends };
}

describe('alipayAdapter', () => {
  const { env, serve, connect, open } = useAdapterHarness(withFake(), features);

  it.each([
    [
      undefined,
      /^alipayAdapter\(\): my must be the mini-program's my object, got undefined; pass it as alipayAdapter\(\{ my \}\)$/,
    ],
    [
      {},
      /^alipayAdapter\(\): my\.connectSocket must be a function, got undefined; pass the mini-program's my object, from an Alipay base library whose my\.connectSocket takes multiple: true, a version Alipay does not name \(opendocs\.alipay\.com\/mini\/api\/vx19c3\); my\.canIUse\('connectSocket\.object\.multiple'\) tells$/,
    ],
  ])('throws ERR_INVALID_ADAPTER for my = %o', (my, message) => {
    const attempt = () => alipayAdapter({ my: my as never });
    expect(attempt).toThrow(SocketTaskError);
    expect(attempt).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ADAPTER' }));
    expect(attempt).toThrow(message);
  });

  it('always asks for a SocketTask with multiple: true, passing header and protocols', async () => {
    const server = await serve({ handleProtocols: () => 'chat.v2' });
    const { my, connects } = recordingMy(env.WebSocket);
    const { peer } = await open(server, {
      adapter: alipayAdapter({ my }),
      header: { 'x-token': 'abc' },
      protocols: ['chat.v2'],
    });
    expect(connects).toEqual([
      expect.objectContaining({
        url: server.url,
        multiple: true,
        header: { 'x-token': 'abc' },
        protocols: ['chat.v2'],
      }),
    ]);
    expect(peer.request.headers['x-token']).toBe('abc');
  });

  it('sends text as a plain string and binary as base64 text with isBuffer: true', async () => {
    const server = await serve();
    const { my, sends } = recordingMy(env.WebSocket);
    const { conn, peer, nextMessage } = await open(server, { adapter: alipayAdapter({ my }) });
    const echoed = nextMessage();
    await conn.send('plain');
    expect(await echoed).toEqual({ data: 'plain' });
    const reply = nextMessage();
    await conn.send(new Uint8Array([0, 1, 2, 250, 255]).buffer);

    expect(sends.map(({ data, isBuffer }) => ({ data, isBuffer }))).toEqual([
      { data: 'plain', isBuffer: undefined },
      { data: 'AAEC+v8=', isBuffer: true },
    ]);
    expect((await peer.message(1)).data).toEqual(Buffer.from([0, 1, 2, 250, 255]));
    expect([...new Uint8Array((await reply).data as ArrayBuffer)]).toEqual([0, 1, 2, 250, 255]);
  });

  it('round-trips random bytes through base64 both ways, byte for byte', async () => {
    const server = await serve();
    const { conn, peer, nextMessage } = await open(server);
    let index = 0;
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 300 }), async (bytes) => {
        const reply = nextMessage();
        await conn.send(bytes.slice().buffer);
        const received = await peer.message(index++);
        expect(received.isBinary).toBe(true);
        expect(new Uint8Array(received.data)).toEqual(bytes);
        const { data } = await reply;
        expect(data).toBeInstanceOf(ArrayBuffer);
        expect(new Uint8Array(data as ArrayBuffer)).toEqual(bytes);
      }),
      { seed, numRuns: 40 },
    );
  });

  it('reports a close without a code as 1005 with the reason', async () => {
    const server = await serve({});
    const probe = await open(server, {
      adapter: alipayAdapter({ my: createFakeMy({ ...env, closeCode: 'omitted' }) }),
    });
    probe.peer.socket.close(4002, 'server bye');
    expect(await within(probe.conn.closed, 'closed')).toEqual({ code: 1005, reason: 'server bye' });
  });

  it('reads the text and the numeric code of a nested { data, error, errorMessage } error payload', async () => {
    const task = alipayAdapter({ my: createFakeMy(env) }).connect({
      url: `ws://127.0.0.1:${await closedPort()}`,
    });
    const error = new Promise((resolve) => {
      if ('onError' in task) task.onError(resolve);
    });
    expect(await within(error, 'error')).toEqual({ errMsg: expect.stringMatching(/ECONNREFUSED/), code: 1 });
  });

  it('registers each native listener once, however many listeners the connection has', async () => {
    const server = await serve();
    const fake = createFakeMy(env);
    const probe = await open(server, { adapter: alipayAdapter({ my: fake }) });
    for (let i = 0; i < 3; i++) {
      probe.conn.onMessage(() => {});
      probe.conn.onClose(() => {});
    }
    const socket = fake.sockets[0];
    expect(['open', 'message', 'error', 'close'].map((e) => socket?.listenerCount(e as 'open'))).toEqual([
      1, 1, 1, 1,
    ]);
  });

  it('reports a failed connect call as an error, then close 1006, when connectSocket returns a task that never opens', async () => {
    const server = await serve();
    let calls = 0;
    const my: AlipayPlatform = {
      connectSocket: ({ fail, complete }) => {
        calls++;
        setTimeout(() => {
          fail?.({ error: 2, errorMessage: '接口参数无效' });
          complete?.({});
        }, 0);
        return { send() {}, close() {}, onOpen() {}, onMessage() {}, onError() {}, onClose() {} };
      },
    };
    const probe = connect({ url: server.url, adapter: alipayAdapter({ my }) });
    expect(await within(probe.conn.closed, 'closed')).toEqual({ code: 1006, reason: '' });
    expect(probe.log).toEqual(['error', 'close']);
    expect(probe.errors[0]?.errMsg).toBe('接口参数无效');
    expect(calls).toBe(1);
  });

  it('fails the connection when connectSocket returns no SocketTask', async () => {
    const probe = connect({
      url: 'ws://127.0.0.1:9',
      adapter: alipayAdapter({ my: { connectSocket: () => undefined } }),
    });
    expect(await within(probe.conn.closed, 'closed')).toEqual({ code: 1006, reason: '' });
    expect(probe.errors[0]?.errMsg).toMatch(
      /^connect failed: my\.connectSocket\(\) returned no SocketTask \(got undefined\)/,
    );
  });
});

describe('alipayAdapter reporting a failed connect call', () => {
  type Listener = (payload: unknown) => void;

  function silentPlatform() {
    const native: Record<'open' | 'message' | 'error' | 'close', Listener[]> = {
      open: [],
      message: [],
      error: [],
      close: [],
    };
    let fail: Listener | undefined;
    const task = {
      send() {},
      close() {},
      onOpen: (l: Listener) => native.open.push(l),
      onMessage: (l: Listener) => native.message.push(l),
      onError: (l: Listener) => native.error.push(l),
      onClose: (l: Listener) => native.close.push(l),
    };
    const my = {
      connectSocket(options: { fail?: Listener }) {
        fail = options.fail;
        return task;
      },
    } as unknown as AlipayPlatform;
    return { my, native, fail: (payload: unknown) => fail?.(payload) };
  }

  it("passes the connect call's fail on as the task's onConnectFail, and nothing else", async () => {
    const platform = silentPlatform();
    const wrapped = await alipayAdapter({ my: platform.my }).connect({ url: 'wss://example.test/socket' });
    const seen: string[] = [];
    wrapped.onError((e) => seen.push(`error ${e.errMsg}`));
    wrapped.onClose((e) => seen.push(`close ${e.code}`));
    wrapped.onConnectFail?.((e) => seen.push(`connect fail ${e.errMsg}`));
    platform.fail({ error: 2, errorMessage: 'connect failed' });
    expect(seen).toEqual(['connect fail connect failed']);
  });

  it('reports once when the connect call fails and the task also reports its own error and close', async () => {
    const platform = silentPlatform();
    const conn = createConnection({
      url: 'wss://example.test/socket',
      adapter: alipayAdapter({ my: platform.my }),
      reconnect: false,
    });
    const seen: string[] = [];
    conn.onError((e) => seen.push(`error ${e.errMsg}`));
    conn.onClose((e) => seen.push(`close ${e.code}`));
    await until(() => platform.native.close.length > 0, 'the task listened to');
    platform.fail({ error: 2, errorMessage: 'connect failed' });
    for (const listener of platform.native.error) listener({ error: 2, errorMessage: 'task error' });
    for (const listener of platform.native.close) listener({ code: 1006, reason: '' });
    expect(await within(conn.closed, 'closed')).toEqual({ code: 1006, reason: '' });
    expect(seen).toEqual(['error connect failed', 'close 1006']);
  });
});

describe('base64 codec', () => {
  it('encodes like Buffer and decodes its own output back to the same bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        const text = encodeBase64(bytes.slice().buffer);
        expect(text).toBe(Buffer.from(bytes).toString('base64'));
        expect(new Uint8Array(decodeBase64(text) ?? new ArrayBuffer(1))).toEqual(bytes);
      }),
      { seed, numRuns: 300 },
    );
  });

  it('encodes exactly the bytes of a view', () => {
    expect(encodeBase64(new Uint8Array([9, 1, 2, 3, 9]).subarray(1, 4))).toBe('AQID');
  });

  it.each([
    ['AAEC\n+v8=', [0, 1, 2, 250, 255]],
    ['AAEC+v8', [0, 1, 2, 250, 255]],
    ['AAEC-_8=', [0, 1, 2, 251, 255]],
    ['', []],
  ])('decodes %j, tolerating line breaks, missing padding and the URL-safe alphabet', (text, bytes) => {
    expect([...new Uint8Array(decodeBase64(text) ?? new ArrayBuffer(1))]).toEqual(bytes);
  });

  it.each(['AA*B', 'A', 'AA==AA', 'AAé='])('rejects %j', (text) => {
    expect(decodeBase64(text)).toBeUndefined();
  });
});

function required<T>(value: T | undefined): T {
  if (value === undefined) throw new Error('the fake returned no task');
  return value;
}

/** Closes a fake task as soon as it opens; resolves on its close. */
function closeOnOpen(task: FakeAlipayTask): Promise<unknown> {
  return within(
    new Promise((resolve) => {
      task.onOpen(() => task.close({}));
      task.onClose(resolve);
    }),
    'the task to open and close',
  );
}

describe('fake my', () => {
  const { env, serve } = useAdapterHarness(withFake());

  it('returns no task without multiple: true; the socket is reachable only through the global API', async () => {
    const server = await serve();
    const my = createFakeMy(env);
    const events: unknown[] = [];
    my.onSocketOpen(() => events.push('open'));
    my.onSocketMessage((payload) => events.push(payload));
    const closed = new Promise((resolve) => my.onSocketClose(resolve));
    const opened = new Promise<void>((resolve) => my.onSocketOpen(() => resolve()));

    expect(my.connectSocket({ url: server.url })).toBeUndefined();
    await within(opened, 'global open');
    const reply = new Promise((resolve) => my.onSocketMessage(resolve));
    my.sendSocketMessage({ data: encodeBase64(new Uint8Array([7, 8]).buffer), isBuffer: true });
    expect(await within(reply, 'global message')).toEqual({ data: 'Bwg=', isBuffer: true });
    my.closeSocket({ code: 4000, reason: 'done' });
    expect(await within(closed, 'global close')).toEqual({ reason: 'done' });
    expect(events).toEqual(['open', { data: 'Bwg=', isBuffer: true }]);
  });

  it('fails the sixth SocketTask with Alipay-shaped error text (invented: Alipay documents none)', async () => {
    const server = await serve({ onConnection: echo });
    const my = createFakeMy(env);
    const tasks = Array.from({ length: 5 }, () =>
      required(my.connectSocket({ url: server.url, multiple: true })),
    );
    const failure = new Promise((resolve) =>
      my.connectSocket({ url: server.url, multiple: true, fail: resolve }),
    );
    // Listeners go on in the same tick as the connect calls, or an open could pass unseen.
    const closed = Promise.all(tasks.map((task) => closeOnOpen(task)));
    expect(await within(failure, 'limit fail')).toEqual(ALIPAY_LIMIT_ERROR);
    await closed;
  });

  it('removes one listener with off*, and all of them without an argument', async () => {
    const server = await serve();
    const my = createFakeMy(env);
    const task = required(my.connectSocket({ url: server.url, multiple: true }));
    const calls: string[] = [];
    const a = () => calls.push('a');
    const b = () => calls.push('b');
    task.onMessage(a);
    task.onMessage(b);
    task.offMessage(a);
    const socket = my.sockets[0];
    expect(socket?.listenerCount('message')).toBe(1);
    task.offMessage();
    expect(socket?.listenerCount('message')).toBe(0);
    await closeOnOpen(task);
    expect(calls).toEqual([]);
  });
});

adapterLifecycleSuite('alipay', {
  platform: (env) => {
    const my = createFakeMy(env);
    return { adapter: () => alipayAdapter({ my }), device: my.device };
  },
  bare: (env) => alipayAdapter({ my: withoutLifecycle(createFakeMy(env)) }),
});
