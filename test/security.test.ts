// What the library refuses, and why: insecure URLs on platforms that require wss://, header injection, options from
// untrusted input, user hooks that throw, and a queue that must stay bounded under a flood.
import fc from 'fast-check';
import { afterEach, describe, expect, it, onTestFinished, vi } from 'vitest';
import { alipayAdapter, alipayProfile } from '../src/adapters/alipay.js';
import { baiduAdapter, baiduProfile } from '../src/adapters/baidu.js';
import { douyinAdapter, douyinProfile } from '../src/adapters/douyin.js';
import { nodeProfile } from '../src/adapters/node.js';
import { qqAdapter, qqProfile } from '../src/adapters/qq.js';
import { taroAdapter, taroH5Profile, taroProfile } from '../src/adapters/taro.js';
import type { PlatformProfile, SocketAdapter } from '../src/adapters/types.js';
import { uniAdapter, uniProfile } from '../src/adapters/uni-app.js';
import { webProfile } from '../src/adapters/web.js';
import {
  wechatAdapter,
  wechatLegacyAdapter,
  wechatLegacyProfile,
  wechatProfile,
} from '../src/adapters/wechat.js';
import { type Connection, createConnection } from '../src/connection/createConnection.js';
import { SocketTaskError } from '../src/errors.js';
import { createLifecycle } from '../src/lifecycle/createLifecycle.js';
import { fakeAdapter, wechatProfile as simProfile } from './fixtures/fakeSocketTask.js';
import { captureRethrown } from './fixtures/rethrown.js';
import { NativePlatform } from './fuzz/nativePlatform.js';
import { expectError, flush, propertySeed, record, thrown } from './helpers.js';

const numRuns = Number(process.env.FC_RUNS ?? 200);
const seed = propertySeed('security', `numRuns=${numRuns}`);

const WSS = 'wss://example.test/socket';
const WS = 'ws://example.test/socket';

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

/** Every mini-program adapter, over a platform that hands out a task and reports nothing by itself. */
const MINI_PROGRAMS: Array<[string, PlatformProfile, (platform: NativePlatform) => SocketAdapter, boolean]> =
  [
    ['wechat', wechatProfile, (p) => wechatAdapter({ wx: p as never }), false],
    ['wechat-legacy', wechatLegacyProfile, (p) => wechatLegacyAdapter({ wx: p as never }), false],
    ['qq', qqProfile, (p) => qqAdapter({ qq: p as never }), false],
    ['baidu', baiduProfile, (p) => baiduAdapter({ swan: p as never }), false],
    ['douyin', douyinProfile, (p) => douyinAdapter({ tt: p as never }), false],
    ['alipay', alipayProfile, (p) => alipayAdapter({ my: p as never }), false],
    ['uni-app', uniProfile, (p) => uniAdapter({ uni: p as never }), false],
    ['taro', taroProfile, (p) => taroAdapter({ Taro: p as never }), true],
  ];

/** The URL a platform was asked to connect to, through its connectSocket. */
function platformOf(promise: boolean) {
  const platform = new NativePlatform({ connect: 'task' }, promise);
  const urls: unknown[] = [];
  const connect = platform.connectSocket;
  platform.connectSocket = (options) => {
    urls.push(options.url);
    return connect(options);
  };
  return { platform, urls };
}

describe('secure URLs', () => {
  it('every mini-program profile requires wss://, and only the browser, Node and Taro H5 do not', () => {
    for (const [, profile] of MINI_PROGRAMS) expect(profile.requiresSecureUrl).toBe(true);
    for (const profile of [nodeProfile, webProfile, taroH5Profile])
      expect(profile.requiresSecureUrl).toBe(false);
  });

  describe.each(MINI_PROGRAMS)('%s', (name, _profile, adapterFor, promise) => {
    it('refuses ws:// with ERR_INVALID_URL before calling the platform', () => {
      const { platform, urls } = platformOf(promise);
      const error = thrown(() => createConnection({ url: WS, adapter: adapterFor(platform) }));
      expectError(
        error,
        'ERR_INVALID_URL',
        new RegExp(
          `^url "ws://example\\.test/socket": the ${name} platform accepts wss:// only; use wss://, or pass allowInsecure: true for a development server$`,
        ),
      );
      expect(urls).toEqual([]);
    });

    it.each(['WS://example.test/', 'Ws://example.test/', 'wS://example.test/'])(
      'regression: refuses %s, the same insecure scheme in another case',
      (url) => {
        const { platform, urls } = platformOf(promise);
        const error = thrown(() => createConnection({ url, adapter: adapterFor(platform) }));
        expectError(error, 'ERR_INVALID_URL', /accepts wss:\/\/ only/);
        expect(urls).toEqual([]);
      },
    );

    it('lets ws:// through with allowInsecure: true', async () => {
      const { platform, urls } = platformOf(promise);
      const conn = createConnection({ url: WS, adapter: adapterFor(platform), allowInsecure: true });
      await flush();
      expect(urls).toEqual([WS]);
      conn.close();
    });

    it('refuses a ws:// returned by a url provider: onError ERR_INVALID_URL, close 1006, no platform call', async () => {
      const { platform, urls } = platformOf(promise);
      for (const url of [() => WS, async () => WS, () => 'WS://example.test/']) {
        const conn = createConnection({ url, adapter: adapterFor(platform) });
        const events = record(conn);
        await expect(conn.closed).resolves.toEqual({ code: 1006, reason: '' });
        expect(events.error).toHaveLength(1);
        expect(events.error[0]?.code).toBe('ERR_INVALID_URL');
        expect(events.error[0]?.errMsg).toMatch(/accepts wss:\/\/ only/);
      }
      expect(urls).toEqual([]);
    });
  });

  it.each([
    [' ws://example.test/', 'U\\+0020', 0],
    ['\tws://example.test/', 'U\\+0009', 0],
    ['ws://example.test/ ', 'U\\+0020', 18],
    ['\u0000wss://example.test/', 'U\\+0000', 0],
    ['wss://example.test/\u007f', 'U\\+007F', 19],
    ['w\nss://example.test/', 'U\\+000A', 1],
    ['wss://exa\tmple.test/', 'U\\+0009', 9],
    ['wss://example.test/a b', 'U\\+0020', 20],
  ])(
    'regression: refuses %j, which the URL parser would silently clean up into another URL than the platform sees',
    (url, unit, index) => {
      const adapter = fakeAdapter({ ...simProfile, requiresSecureUrl: true });
      expectError(
        thrown(() => createConnection({ url, adapter })),
        'ERR_INVALID_URL',
        new RegExp(
          `contains a space or control character \\(${unit}\\) at index ${index}; percent-encode it, or remove it$`,
        ),
      );
      expect(adapter.tasks).toHaveLength(0);
    },
  );

  it('accepts ws:// on the platforms that do not require wss://', () => {
    const adapter = fakeAdapter({ ...simProfile, requiresSecureUrl: false });
    const conn = createConnection({ url: WS, adapter });
    expect(adapter.tasks[0]?.options.url).toBe(WS);
    conn.close();
  });

  it('regression: a polluted Object.prototype.allowInsecure does not let ws:// through', () => {
    const proto = Object.prototype as Record<string, unknown>;
    proto.allowInsecure = true;
    try {
      const adapter = fakeAdapter({ ...simProfile, requiresSecureUrl: true });
      expectError(
        thrown(() => createConnection({ url: WS, adapter })),
        'ERR_INVALID_URL',
        /accepts wss:\/\/ only/,
      );
    } finally {
      delete proto.allowInsecure;
    }
  });
});

describe('handshake headers', () => {
  const connect = (header: unknown) => {
    const adapter = fakeAdapter();
    const conn = createConnection({ url: WSS, adapter, header: header as never });
    return { conn, sent: adapter.tasks[0]?.options.header };
  };

  it.each(['Referer', 'referer', 'REFERER', 'rEfErEr'])(
    'refuses a %s header, as the platforms forbid it',
    (name) => {
      expectError(
        thrown(() => connect({ [name]: 'https://example.test/' })),
        'ERR_INVALID_HEADER',
        /^header: Referer cannot be set \(the mini-program platforms forbid it\); remove it$/,
      );
    },
  );

  it.each([
    ['CR', 'a\rb'],
    ['LF', 'a\nb'],
    ['CRLF', 'ok\r\nInjected: 1'],
    ['NUL', 'a\u0000b'],
  ])('refuses a value with %s: header injection', (_, value) => {
    expectError(
      thrown(() => connect({ 'x-id': value })),
      'ERR_INVALID_HEADER',
      /^header: the value of "x-id" contains CR, LF or NUL; remove them$/,
    );
  });

  it.each([
    ['\u0001', '0001'],
    ['\u0008', '0008'],
    ['\u000b', '000B'],
    ['\u000c', '000C'],
    ['\u001b', '001B'],
    ['\u001f', '001F'],
    ['\u007f', '007F'],
  ])(
    'regression: refuses a value with the control character %j, which RFC 7230 does not allow',
    (char, unit) => {
      expectError(
        thrown(() => connect({ 'x-id': `a${char}b` })),
        'ERR_INVALID_HEADER',
        new RegExp(`^header: the value of "x-id" contains the control character U\\+${unit}; remove it$`),
      );
    },
  );

  it('accepts tab, space, visible characters and obs-text in a value', () => {
    const { sent, conn } = connect({ 'x-id': 'a\tb c~é' });
    expect(sent).toEqual({ 'x-id': 'a\tb c~é' });
    conn.close();
  });

  it.each([
    ['a number', 1],
    ['a boolean', true],
    ['null', null],
    ['undefined', undefined],
    ['an object', {}],
    ['an array', ['a']],
    ['a bigint', 1n],
    ['a symbol', Symbol('x')],
    ['a boxed string', new String('x')],
  ])('refuses %s as a value', (_, value) => {
    expectError(
      thrown(() => connect({ 'x-id': value })),
      'ERR_INVALID_HEADER',
      /^header: the value of "x-id" must be a string, got .*; convert it with String\(\)$/,
    );
  });

  it.each(['', 'a b', 'a:b', 'a\r\nb', 'é', '(x)', 'a/b', 'a@b', '[x]', 'a"b', 'a\u0000'])(
    'refuses the name %j, which is not an RFC 7230 token',
    (name) => {
      expectError(
        thrown(() => connect({ [name]: 'x' })),
        'ERR_INVALID_HEADER',
        /^header: ".*" is not a valid header name$/,
      );
    },
  );

  it("accepts every token character in a name: letters, digits and !#$%&'*+-.^_`|~", () => {
    const name = "aZ09!#$%&'*+-.^_`|~";
    const { sent, conn } = connect({ [name]: 'x' });
    expect(sent).toEqual({ [name]: 'x' });
    conn.close();
  });

  it('regression: refuses one name given twice in different cases', () => {
    expectError(
      thrown(() => connect({ Authorization: 'a', authorization: 'b' })),
      'ERR_INVALID_HEADER',
      /^header: "authorization" is given twice \(header names ignore case\); give it once$/,
    );
  });

  it.each([
    ['a Map', new Map([['x-id', '1']])],
    ['a Set', new Set(['x-id'])],
    ['a boxed String', new String('ab')],
    ['a Uint8Array', new Uint8Array([1])],
    ['a Date', new Date(0)],
  ])('regression: refuses %s instead of reading it as an object of headers', (_, header) => {
    expectError(
      thrown(() => connect(header)),
      'ERR_INVALID_HEADER',
      /^header must be an object of string values \(or a function returning one\), got a \w+$/,
    );
  });

  it('regression: sends what was checked, reading a getter once (a getter cannot inject CRLF after the check)', () => {
    let reads = 0;
    const header = {
      get 'x-token'() {
        reads++;
        return reads === 1 ? 'ok' : 'ok\r\nInjected: 1';
      },
    };
    const { sent, conn } = connect(header);
    expect(sent).toEqual({ 'x-token': 'ok' });
    expect(reads).toBe(1);
    conn.close();
  });

  it('checks what a header provider returns on every attempt: onError ERR_INVALID_HEADER, close 1006, no task', async () => {
    for (const header of [
      () => ({ referer: 'x' }),
      async () => ({ 'x-id': 'a\r\nb' }),
      () => ({ 'x-id': 'a\u0007b' }),
      () => ({ 'x id': 'a' }),
      () => ({ 'x-id': 7 }),
      () => new Map(),
      () => ({ A: '1', a: '2' }),
    ]) {
      const adapter = fakeAdapter();
      const conn = createConnection({ url: WSS, adapter, header: header as never });
      const events = record(conn);
      await expect(conn.closed).resolves.toEqual({ code: 1006, reason: '' });
      expect(events.error.map((e) => e.code)).toEqual(['ERR_INVALID_HEADER']);
      expect(adapter.tasks).toHaveLength(0);
    }
  });

  it('sends any header the checks accept exactly as given, and refuses every other with ERR_INVALID_HEADER', () => {
    const name = fc.oneof(
      fc.string({ maxLength: 8 }),
      fc.constantFrom('Referer', 'referer', 'X-A', 'x-a', '__proto__'),
    );
    const value = fc.oneof(fc.string({ maxLength: 8 }), fc.string({ unit: 'binary', maxLength: 8 }));
    fc.assert(
      fc.property(fc.dictionary(name, value, { maxKeys: 4 }), (header) => {
        const adapter = fakeAdapter();
        let conn: Connection | undefined;
        try {
          conn = createConnection({ url: WSS, adapter, header });
        } catch (error) {
          expect(error).toBeInstanceOf(SocketTaskError);
          expect((error as SocketTaskError).code).toBe('ERR_INVALID_HEADER');
          expect(adapter.tasks).toHaveLength(0);
          return;
        }
        const sent = adapter.tasks[0]?.options.header as Record<string, string>;
        expect(Object.entries(sent)).toEqual(Object.entries(header));
        const seen = new Set<string>();
        for (const [n, v] of Object.entries(sent)) {
          expect(n).toMatch(/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/);
          expect(n.toLowerCase()).not.toBe('referer');
          expect(seen.has(n.toLowerCase())).toBe(false);
          seen.add(n.toLowerCase());
          for (const char of v) {
            const unit = char.charCodeAt(0);
            expect(
              unit === 0x09 || (unit >= 0x20 && unit !== 0x7f),
              `control character in ${JSON.stringify(v)}`,
            ).toBe(true);
          }
        }
        conn.close();
      }),
      { seed, numRuns },
    );
  });
});

describe('options from untrusted input', () => {
  const polluted = () => ({}) as Record<string, unknown>;

  afterEach(() => {
    expect(polluted().polluted).toBeUndefined();
    expect(polluted().allowInsecure).toBeUndefined();
  });

  it('refuses "__proto__", "constructor" and "prototype" keys parsed from JSON, and pollutes nothing', () => {
    for (const key of ['__proto__', 'constructor', 'prototype']) {
      const parsed = JSON.parse(
        `{ "url": "${WSS}", "${key}": { "polluted": 1, "prototype": { "polluted": 1 } } }`,
      );
      const error = thrown(() => createConnection({ ...parsed, adapter: fakeAdapter() }));
      expectError(
        error,
        'ERR_INVALID_OPTIONS',
        new RegExp(`^createConnection\\(\\): unknown option "${key}"; `),
      );
    }
  });

  it.each([
    ['reconnect', 'maxRetries', 2],
    ['heartbeat', 'interval', 100],
    ['queue', 'maxMessages', 3],
  ])('refuses such keys nested in %s too, naming them, and pollutes nothing', (policy, valid, value) => {
    for (const key of ['__proto__', 'constructor', 'prototype']) {
      const nested = JSON.parse(
        `{ "${key}": { "polluted": 1, "prototype": { "polluted": 1 } }, "${valid}": ${value} }`,
      );
      expectError(
        thrown(() => createConnection({ url: WSS, adapter: fakeAdapter(), [policy]: nested })),
        'ERR_INVALID_OPTIONS',
        new RegExp(`^createConnection\\(\\): unknown option "${policy}\\.${key}"; `),
      );
    }
  });

  it('sends a "__proto__" header parsed from JSON as a header, without setting a prototype', () => {
    const adapter = fakeAdapter();
    const header = JSON.parse('{ "__proto__": "x", "x-id": "1" }');
    const conn = createConnection({ url: WSS, adapter, header });
    const sent = adapter.tasks[0]?.options.header as Record<string, string>;
    expect(Object.getPrototypeOf(sent)).toBe(Object.prototype);
    expect(Object.entries(sent)).toEqual([
      ['__proto__', 'x'],
      ['x-id', '1'],
    ]);
    conn.close();
  });

  it('works with null-prototype objects for the options, their nested objects and the header', async () => {
    const bare = <T extends object>(o: T): T => Object.assign(Object.create(null), o);
    const adapter = fakeAdapter();
    const conn = createConnection(
      bare({
        url: WSS,
        adapter,
        header: bare({ 'x-id': '1' }),
        reconnect: bare({ maxRetries: 1 }),
        heartbeat: bare({ interval: 1000 }),
        queue: bare({ maxMessages: 2 }),
      }),
    );
    expect(adapter.tasks[0]?.options.header).toEqual({ 'x-id': '1' });
    adapter.tasks[0]?.emitOpen();
    expect(conn.state).toBe('OPEN');
    const closing = conn.close();
    adapter.tasks[0]?.completeClose();
    await expect(closing).resolves.toEqual({ code: 1000, reason: '' });
  });

  it.each([
    [
      'the options',
      () => ({
        url: WSS,
        adapter: fakeAdapter(),
        get heartbeat(): never {
          throw new Error('getter bug');
        },
      }),
    ],
    [
      'reconnect',
      () => ({
        url: WSS,
        adapter: fakeAdapter(),
        reconnect: {
          get maxRetries(): never {
            throw new Error('getter bug');
          },
        },
      }),
    ],
    [
      'heartbeat',
      () => ({
        url: WSS,
        adapter: fakeAdapter(),
        heartbeat: {
          get interval(): never {
            throw new Error('getter bug');
          },
        },
      }),
    ],
    [
      'queue',
      () => ({
        url: WSS,
        adapter: fakeAdapter(),
        queue: {
          get ttl(): never {
            throw new Error('getter bug');
          },
        },
      }),
    ],
    [
      'the header',
      () => ({
        url: WSS,
        adapter: fakeAdapter(),
        header: {
          get 'x-id'(): never {
            throw new Error('getter bug');
          },
        },
      }),
    ],
    [
      'protocols',
      () => ({
        url: WSS,
        adapter: fakeAdapter(),
        protocols: new Proxy(['a'], {
          get: () => {
            throw new Error('getter bug');
          },
        }),
      }),
    ],
  ])(
    'regression: a getter that throws in %s gives ERR_INVALID_OPTIONS with the error as cause, not a raw error',
    (_, options) => {
      const error = thrown(() => createConnection(options() as never));
      expectError(
        error,
        'ERR_INVALID_OPTIONS',
        /^createConnection\(\): reading the options threw: getter bug; pass plain values$/,
      );
      expect(error.cause).toEqual(new Error('getter bug'));
    },
  );

  it('regression: a Proxy that throws on every trap, as the options, gives ERR_INVALID_OPTIONS', () => {
    const trap = () => {
      throw new Error('trap');
    };
    const hostile = new Proxy(
      {},
      { get: trap, ownKeys: trap, getOwnPropertyDescriptor: trap, has: trap, getPrototypeOf: trap },
    );
    expectError(
      thrown(() => createConnection(hostile as never)),
      'ERR_INVALID_OPTIONS',
      /^createConnection\(\): reading the options threw: trap; /,
    );
    const { proxy, revoke } = Proxy.revocable({}, {});
    revoke();
    expect(thrown(() => createConnection(proxy as never)).code).toBe('ERR_INVALID_OPTIONS');
  });

  it('regression: reads each option once, so a getter cannot pass the checks with one value and be used with another', () => {
    let urlReads = 0;
    let protocolReads = 0;
    const adapter = fakeAdapter({ ...simProfile, requiresSecureUrl: true });
    createConnection({
      adapter,
      get url() {
        urlReads++;
        return urlReads === 1 ? WSS : WS;
      },
      get protocols() {
        protocolReads++;
        return protocolReads === 1 ? ['chat'] : ['chat', 'x y\r\n'];
      },
    }).close();
    expect(adapter.tasks[0]?.options).toMatchObject({ url: WSS, protocols: ['chat'] });
    expect([urlReads, protocolReads]).toEqual([1, 1]);
  });
});

describe('user hooks that throw cannot break the machine', () => {
  it('a header provider that throws, or rejects: onError ERR_INVALID_OPTIONS, close 1006, and a retry calls it again', async () => {
    for (const header of [
      () => {
        throw new Error('no token');
      },
      () => Promise.reject(new Error('no token')),
    ]) {
      vi.useFakeTimers();
      const adapter = fakeAdapter();
      const provider = vi.fn(header);
      const conn = createConnection({
        url: WSS,
        adapter,
        header: provider,
        reconnect: { initialDelay: 10, maxDelay: 10, maxRetries: 1 },
      });
      const events = record(conn);
      await vi.advanceTimersByTimeAsync(100);
      expect(events.error.map((e) => [e.code, e.errMsg])).toEqual([
        ['ERR_INVALID_OPTIONS', 'no token'],
        ['ERR_INVALID_OPTIONS', 'no token'],
      ]);
      expect(provider).toHaveBeenCalledTimes(2);
      expect(adapter.tasks).toHaveLength(0);
      expect(conn.state).toBe('CLOSED');
      vi.useRealTimers();
    }
  });

  it('regression: an inspect function that throws breaks neither createConnection nor close; its error is rethrown', async () => {
    const { errors, flush: rethrowDue } = captureRethrown();
    const adapter = fakeAdapter();
    const conn = createConnection({
      url: WSS,
      adapter,
      inspect: () => {
        throw new Error('inspector bug');
      },
    });
    adapter.tasks[0]?.emitOpen();
    const closing = conn.close();
    adapter.tasks[0]?.completeClose();
    await expect(closing).resolves.toEqual({ code: 1000, reason: '' });
    await flush();
    await rethrowDue();
    expect(errors.length).toBeGreaterThan(0);
    expect(errors.every((e) => (e as Error).message === 'inspector bug')).toBe(true);
  });

  it('regression: an inspection observer whose next throws, or is not a function', async () => {
    const { errors, flush: rethrowDue } = captureRethrown();
    const adapter = fakeAdapter();
    const conn = createConnection({
      url: WSS,
      adapter,
      inspect: {
        next() {
          throw new Error('observer bug');
        },
      },
    });
    conn.close();
    await flush();
    await rethrowDue();
    expect(errors.length).toBeGreaterThan(0);
    expectError(
      thrown(() => createConnection({ url: WSS, adapter, inspect: { next: 5 } as never })),
      'ERR_INVALID_OPTIONS',
      /^createConnection\(\): inspect\.next must be a function, got 5$/,
    );
    // An observer without next observes nothing, as XState calls only next.
    createConnection({ url: WSS, adapter, inspect: {} }).close();
  });

  it('regression: a lifecycle whose subscribe returns no function, or whose stop throws: the connection still tears down', async () => {
    const { errors, flush: rethrowDue } = captureRethrown();
    for (const stop of [
      5,
      undefined,
      () => {
        throw new Error('stop bug');
      },
    ]) {
      const adapter = fakeAdapter();
      const conn = createConnection({ url: WSS, adapter, lifecycle: { subscribe: () => stop as never } });
      adapter.tasks[0]?.emitOpen();
      const closing = conn.close();
      adapter.tasks[0]?.completeClose();
      await expect(closing).resolves.toEqual({ code: 1000, reason: '' });
      await expect(conn.closed).resolves.toEqual({ code: 1000, reason: '' });
    }
    await flush();
    await rethrowDue();
    expect(errors).toEqual([new Error('stop bug')]);
  });

  it("regression: createLifecycle: a listener that throws neither stops the others nor reaches emit()'s caller", async () => {
    const { errors, flush: rethrowDue } = captureRethrown();
    const lifecycle = createLifecycle();
    const seen: string[] = [];
    lifecycle.subscribe(() => {
      throw new Error('listener bug');
    });
    lifecycle.subscribe((signal) => seen.push(signal));
    expect(() => lifecycle.emit('offline')).not.toThrow();
    expect(seen).toEqual(['offline']);
    await flush();
    await rethrowDue();
    expect(errors).toEqual([new Error('listener bug')]);
  });

  it('regression: createLifecycle().subscribe refuses a listener that is not a function, instead of failing on the next emit', () => {
    const lifecycle = createLifecycle();
    expectError(
      thrown(() => lifecycle.subscribe(5 as never)),
      'ERR_INVALID_CALLBACK',
      /^lifecycle\.subscribe\(\): listener must be a function, got 5$/,
    );
    expect(() => lifecycle.emit('offline')).not.toThrow();
  });

  it('regression: a signal without removeEventListener is refused, as teardown needs it and closed would never settle', () => {
    const signal = { aborted: false, addEventListener() {} };
    expectError(
      thrown(() => createConnection({ url: WSS, adapter: fakeAdapter(), signal: signal as never })),
      'ERR_INVALID_OPTIONS',
      /^createConnection\(\): signal must be an AbortSignal, got an object$/,
    );
  });
});

describe('the queue under a flood', () => {
  const MAX_BYTES = 64 * 1024;
  const SENDS = 100_000;

  it.each(['reject', 'drop-oldest'] as const)(
    '%s: 100k sends of random sizes while CONNECTING never exceed maxBytes, and each gets exactly one outcome',
    async (overflow) => {
      const adapter = fakeAdapter();
      const conn = createConnection({
        url: WSS,
        adapter,
        queue: { maxBytes: MAX_BYTES, maxMessages: 100_000, overflow },
      });
      const outcomes = new Uint8Array(SENDS); // 0 none, 1 written, 2 ERR_QUEUE_FULL, 3 other
      const twice: number[] = [];
      // Sizes up to 2 KiB, from the seed: about 64 fit at once, so nearly every send meets a full queue.
      let state = seed || 1;
      const nextSize = () => {
        state ^= state << 13;
        state ^= state >>> 17;
        state ^= state << 5;
        return (state >>> 0) % 2049;
      };
      const text = 'x'.repeat(2048);
      const binary = new Uint8Array(2048);
      let peak = 0;
      // 100k refusals are 100k SocketTaskErrors: their stack traces, irrelevant here, would be most of the time.
      const { stackTraceLimit } = Error;
      Error.stackTraceLimit = 0;
      onTestFinished(() => {
        Error.stackTraceLimit = stackTraceLimit;
      });
      for (let i = 0; i < SENDS; i++) {
        const size = nextSize();
        const settle = (outcome: number) => {
          if (outcomes[i] !== 0) twice.push(i);
          outcomes[i] = outcome;
        };
        conn.send(i % 2 === 0 ? text.slice(0, size) : binary.subarray(0, size), {
          success: () => settle(1),
          fail: (error) => settle(error.code === 'ERR_QUEUE_FULL' ? 2 : 3),
        });
        const { bytes } = conn.queue;
        if (bytes > peak) peak = bytes;
        if (bytes > MAX_BYTES) throw new Error(`queue.bytes ${bytes} > maxBytes after send ${i}`);
      }
      expect(peak).toBeLessThanOrEqual(MAX_BYTES);
      expect(peak).toBeGreaterThan(MAX_BYTES / 2);
      const queued = conn.queue.messages;
      // The callbacks run a promise turn after their send() returned, never inside it.
      await flush();
      // Until the open, every send that is not queued has failed with ERR_QUEUE_FULL; none is written.
      const counts = (n: number) => outcomes.reduce((sum, o) => sum + (o === n ? 1 : 0), 0);
      expect(counts(1)).toBe(0);
      expect(counts(3)).toBe(0);
      expect(counts(0)).toBe(queued);
      adapter.tasks[0]?.emitOpen();
      await flush();
      expect(counts(0)).toBe(0);
      expect(counts(1)).toBe(queued);
      expect(counts(2)).toBe(SENDS - queued);
      expect(twice).toEqual([]);
      // What was written is what was queued, in order: with drop-oldest, the newest that fitted.
      const written = adapter.tasks[0]?.sent ?? [];
      expect(written).toHaveLength(queued);
      const indices = [...outcomes.keys()].filter((i) => outcomes[i] === 1);
      if (overflow === 'drop-oldest') expect(indices.at(-1)).toBe(SENDS - 1);
      expect(indices).toEqual([...indices].sort((a, b) => a - b));
      conn.close();
    },
  );
});
