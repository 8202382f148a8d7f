import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SocketTaskError, type SocketTaskErrorCode } from '../src/errors.js';
import {
  closeArgsProblem,
  dataProblem,
  describe as describeValue,
  headerProblem,
  isSocketData,
  protocolsProblem,
  toPlatformData,
  urlProblem,
  utf8ByteLength,
} from '../src/validate.js';
import { propertySeed } from './helpers.js';

const seed = propertySeed('validate');
const numRuns = 300;

function expectProblem(problem: unknown, code: SocketTaskErrorCode, message: RegExp | string): void {
  expect(problem).toBeInstanceOf(SocketTaskError);
  expect((problem as SocketTaskError).code).toBe(code);
  if (typeof message === 'string') expect((problem as SocketTaskError).message).toBe(message);
  else expect((problem as SocketTaskError).message).toMatch(message);
}

const encoder = new TextEncoder();
/** WHATWG UTF-8: a lone surrogate becomes U+FFFD, 3 bytes, which is also what platforms put on the wire. */
const encodedLength = (text: string) => encoder.encode(text).length;

/** Raw UTF-16 code units, weighted toward the surrogate range so lone and swapped halves are common. */
const utf16Unit = fc
  .oneof(
    fc.integer({ min: 0, max: 0xffff }),
    fc.integer({ min: 0xd800, max: 0xdfff }),
    fc.integer({ min: 0, max: 0x7f }),
  )
  .map((unit) => String.fromCharCode(unit));

describe('utf8ByteLength', () => {
  it.each([
    ['', 0],
    ['a', 1],
    ['\u007f', 1],
    ['\u0080', 2],
    ['é', 2],
    ['\u07ff', 2],
    ['\u0800', 3],
    ['€', 3],
    ['\uffff', 3],
    ['😀', 4],
    ['\ud800', 3],
    ['\udc00', 3],
    ['\ud800a', 4],
    ['a\ud800', 4],
    ['\udc00\ud800', 6],
    ['\ud800\ud800\udc00', 7],
  ])('counts %j as %i bytes', (text, bytes) => {
    expect(utf8ByteLength(text)).toBe(bytes);
    expect(encodedLength(text)).toBe(bytes);
  });

  it('agrees with Buffer.byteLength and TextEncoder on grapheme strings', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 40 }), (text) => {
        expect(utf8ByteLength(text)).toBe(Buffer.byteLength(text, 'utf8'));
        expect(utf8ByteLength(text)).toBe(encodedLength(text));
      }),
      { seed, numRuns },
    );
  });

  it('agrees with Buffer.byteLength and TextEncoder on any code points', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 60 }), (text) => {
        expect(utf8ByteLength(text)).toBe(Buffer.byteLength(text, 'utf8'));
        expect(utf8ByteLength(text)).toBe(encodedLength(text));
      }),
      { seed, numRuns },
    );
  });

  it('agrees with TextEncoder on strings with lone surrogates', () => {
    fc.assert(
      fc.property(fc.string({ unit: utf16Unit, maxLength: 60 }), (text) => {
        expect(utf8ByteLength(text)).toBe(encodedLength(text));
        expect(utf8ByteLength(text)).toBe(Buffer.byteLength(text, 'utf8'));
      }),
      { seed, numRuns },
    );
  });
});

describe('closeArgsProblem', () => {
  it.each([
    [undefined, undefined],
    [1000, undefined],
    [3000, ''],
    [4999, 'bye'],
    [undefined, 'x'.repeat(123)],
    [1000, '€'.repeat(41)],
    [1000, `${'😀'.repeat(30)}abc`],
  ])('accepts code %s with a reason of %j', (code, reason) => {
    expect(closeArgsProblem(code, reason)).toBeUndefined();
  });

  it.each([
    [999, /^close\(\): code 999 is out of range; use 1000 or 3000–4999$/],
    [0, /^close\(\): code 0 is out of range; use 1000 or 3000–4999$/],
    [-1000, /^close\(\): code -1000 is out of range; use 1000 or 3000–4999$/],
    [1001, /^close\(\): code 1001 is reserved; use 1000 or 3000–4999$/],
    [1005, /^close\(\): code 1005 is reserved; use 1000 or 3000–4999$/],
    [1006, /^close\(\): code 1006 is reserved; use 1000 or 3000–4999$/],
    [2999, /^close\(\): code 2999 is reserved; use 1000 or 3000–4999$/],
    [5000, /^close\(\): code 5000 is out of range; use 1000 or 3000–4999$/],
    [1000.5, /^close\(\): code must be an integer, got 1000\.5; use 1000 or 3000–4999$/],
    [Number.NaN, /^close\(\): code must be an integer, got NaN; use 1000 or 3000–4999$/],
    ['1000', /^close\(\): code must be an integer, got "1000"; use 1000 or 3000–4999$/],
    [null, /^close\(\): code must be an integer, got null; use 1000 or 3000–4999$/],
  ])('rejects code %s', (code, message) => {
    expectProblem(closeArgsProblem(code, undefined), 'ERR_INVALID_CLOSE_CODE', message);
  });

  it.each([
    ['x'.repeat(124), 124],
    ['€'.repeat(42), 126],
    [`${'😀'.repeat(30)}abcd`, 124],
    ['\ud800'.repeat(42), 126],
  ])('rejects a reason of %j as %i UTF-8 bytes', (reason, bytes) => {
    expectProblem(
      closeArgsProblem(1000, reason),
      'ERR_INVALID_CLOSE_REASON',
      new RegExp(`^close\\(\\): reason is ${bytes} UTF-8 bytes; shorten it to at most 123 bytes$`),
    );
  });

  it.each([
    [42, '42'],
    [null, 'null'],
    [{}, 'an object'],
  ])('rejects a reason of type %o', (reason, described) => {
    expectProblem(
      closeArgsProblem(undefined, reason),
      'ERR_INVALID_CLOSE_REASON',
      new RegExp(`^close\\(\\): reason must be a string, got ${described}$`),
    );
  });

  it('reports the code before the reason when both are invalid', () => {
    expect(closeArgsProblem(1001, 42)?.code).toBe('ERR_INVALID_CLOSE_CODE');
  });

  it('accepts exactly 1000 and 3000–4999 among integer codes', () => {
    fc.assert(
      fc.property(fc.integer({ min: -10, max: 6000 }), (code) => {
        const valid = code === 1000 || (code >= 3000 && code <= 4999);
        expect(closeArgsProblem(code, undefined) === undefined).toBe(valid);
      }),
      { seed, numRuns },
    );
  });

  it('accepts a reason exactly when it encodes to at most 123 bytes', () => {
    fc.assert(
      fc.property(fc.string({ unit: utf16Unit, maxLength: 80 }), (reason) => {
        expect(closeArgsProblem(undefined, reason) === undefined).toBe(encodedLength(reason) <= 123);
      }),
      { seed, numRuns },
    );
  });
});

describe('urlProblem', () => {
  it.each([
    'ws://127.0.0.1:8080',
    'wss://example.com/socket?token=a%20b',
    'WSS://EXAMPLE.COM',
    'ws://[::1]:1/',
  ])('accepts %s', (url) => {
    expect(urlProblem(url)).toBeUndefined();
  });

  it.each([
    [42, /^url must be a ws:\/\/ or wss:\/\/ string \(or a function returning one\), got 42$/],
    [undefined, /^url must be a ws:\/\/ or wss:\/\/ string \(or a function returning one\), got undefined$/],
    ['', /^url "" is not a valid URL \(no scheme such as wss:\); use e\.g\. wss:\/\/example\.com\/socket$/],
    [
      '//example.com',
      /^url "\/\/example\.com" is not a valid URL \(no scheme such as wss:\); use e\.g\. wss:\/\/example\.com\/socket$/,
    ],
    ['http://example.com', /^url "http:\/\/example\.com" has scheme http:; use ws:\/\/ or wss:\/\/$/],
    ['file:///tmp/x', /^url "file:\/\/\/tmp\/x" has scheme file:; use ws:\/\/ or wss:\/\/$/],
    ['wss://example.com/#a', /^url "wss:\/\/example\.com\/#a" has a fragment; .* remove "#a"$/],
  ])('rejects %j', (url, message) => {
    expectProblem(urlProblem(url), 'ERR_INVALID_URL', message);
  });

  it.each([
    ['ws:example.com', 'no "//" after ws:'],
    ['wss://', 'no host'],
    ['wss:///path', 'no host'],
    ['wss://user@:443/', 'no host'],
    ['wss://exa^mple.com/', 'invalid host exa^mple.com'],
    ['wss://[::1/', 'invalid host [::1'],
    ['wss://[g::1]/', 'invalid host [g::1]'],
    ['wss://example.com:65536/', 'invalid port 65536'],
    ['wss://example.com:8o/', 'invalid port 8o'],
    ['wss:\\\\example.com/', 'no "//" after wss:'],
    ['wss://exa\\mple.com/', 'a backslash in the host'],
  ])('rejects %j, naming what is wrong, without a URL class', (url, what) => {
    expectProblem(
      urlProblem(url),
      'ERR_INVALID_URL',
      `url ${JSON.stringify(url)} is not a valid URL (${what}); use e.g. wss://example.com/socket`,
    );
  });

  it.each([
    'wss://user:pass@example.com:443/a/b?c=d&e',
    'ws://[2001:db8::1]:8080',
    'wss://例子.测试/socket',
    'wss://example.com:/',
    'wss://example.com?x=1',
  ])('accepts %s, as the WHATWG URL parser does', (url) => {
    expect(() => new URL(url)).not.toThrow();
    expect(urlProblem(url)).toBeUndefined();
  });

  it('reads the url without the URL class, which mini-program runtimes lack', () => {
    const original = globalThis.URL;
    // @ts-expect-error: removed to prove the check does not need it.
    delete globalThis.URL;
    try {
      expect(urlProblem('wss://example.com/socket')).toBeUndefined();
      expectProblem(urlProblem('https://example.com'), 'ERR_INVALID_URL', /has scheme https:/);
    } finally {
      globalThis.URL = original;
    }
  });
});

describe('protocolsProblem', () => {
  it.each([['chat'], [[]], [['chat', 'v2.json', "a!#$%&'*+-.^_`|~z"]]])('accepts %j', (protocols) => {
    expect(protocolsProblem(protocols)).toBeUndefined();
  });

  it.each([
    [{}, /^protocols must be a string or an array of strings, got an object$/],
    [null, /^protocols must be a string or an array of strings, got null$/],
    ['', /^protocols: "" is not a valid subprotocol token; /],
    ['a,b', /^protocols: "a,b" is not a valid subprotocol token; /],
    [['ok', 1], /^protocols: 1 is not a valid subprotocol token; /],
    [['é'], /^protocols: "é" is not a valid subprotocol token; /],
    [['a', 'b', 'a'], /^protocols: "a" is listed twice; list each subprotocol once$/],
  ])('rejects %j', (protocols, message) => {
    expectProblem(protocolsProblem(protocols), 'ERR_INVALID_PROTOCOLS', message);
  });
});

describe('headerProblem', () => {
  it.each([[{}], [{ 'content-type': 'application/json', 'X-Token': 'a b\tc' }]])('accepts %j', (header) => {
    expect(headerProblem(header)).toBeUndefined();
  });

  it.each([
    [null, /^header must be an object of string values \(or a function returning one\), got null$/],
    ['a: b', /^header must be an object of string values \(or a function returning one\), got "a: b"$/],
    [[], /^header must be an object of string values \(or a function returning one\), got an array$/],
    [{ 'a:b': 'x' }, /^header: "a:b" is not a valid header name$/],
    [{ '': 'x' }, /^header: "" is not a valid header name$/],
    [{ n: 1 }, /^header: the value of "n" must be a string, got 1; convert it with String\(\)$/],
    [{ n: undefined }, /^header: the value of "n" must be a string, got undefined; /],
    [{ n: 'a\rb' }, /^header: the value of "n" contains CR, LF or NUL; remove them$/],
    [{ n: 'a\nb' }, /^header: the value of "n" contains CR, LF or NUL; remove them$/],
    [{ n: 'a\0b' }, /^header: the value of "n" contains CR, LF or NUL; remove them$/],
    [
      { Referer: 'https://a' },
      /^header: Referer cannot be set \(the mini-program platforms forbid it\); remove it$/,
    ],
    [{ REFERER: 'https://a' }, /^header: Referer cannot be set /],
  ])('rejects %j', (header, message) => {
    expectProblem(headerProblem(header), 'ERR_INVALID_HEADER', message);
  });
});

describe('dataProblem and isSocketData', () => {
  it.each([
    ['', true],
    ['text', true],
    [new ArrayBuffer(2), true],
    [new Uint8Array(2), true],
    [new DataView(new ArrayBuffer(2)), true],
    [new Float64Array(1), true],
    [42, false],
    [null, false],
    [undefined, false],
    [{ byteLength: 2 }, false],
    [[1, 2], false],
  ])('classifies %o as sendable: %s', (data, sendable) => {
    expect(isSocketData(data)).toBe(sendable);
    if (sendable) expect(dataProblem(data)).toBeUndefined();
    else
      expectProblem(
        dataProblem(data),
        'ERR_INVALID_DATA',
        /^send\(\): data must be a string, an ArrayBuffer or an ArrayBufferView, got .+; serialize objects first, e\.g\. JSON\.stringify\(data\)$/,
      );
  });
});

describe('toPlatformData', () => {
  it('passes strings and ArrayBuffers through untouched', () => {
    const buffer = new ArrayBuffer(3);
    expect(toPlatformData('x')).toBe('x');
    expect(toPlatformData(buffer)).toBe(buffer);
  });

  it('hands over the buffer of a view that spans it, without copying', () => {
    const view = new Uint16Array([1, 2, 3]);
    expect(toPlatformData(view)).toBe(view.buffer);
  });

  it('copies a view over a SharedArrayBuffer into an ArrayBuffer', () => {
    const shared = new Uint8Array(new SharedArrayBuffer(3));
    shared.set([7, 8, 9]);
    const data = toPlatformData(shared);
    expect(data).toBeInstanceOf(ArrayBuffer);
    expect([...new Uint8Array(data as ArrayBuffer)]).toEqual([7, 8, 9]);
  });

  it('yields exactly the bytes of any view, leaving the source untouched', () => {
    const slice = fc.uint8Array({ maxLength: 64 }).chain((bytes) =>
      fc.tuple(
        fc.constant(bytes),
        fc
          .nat({ max: bytes.length })
          .chain((start) => fc.tuple(fc.constant(start), fc.nat({ max: bytes.length - start }))),
      ),
    );
    fc.assert(
      fc.property(
        slice,
        fc.constantFrom('Uint8Array', 'DataView', 'Int8Array'),
        ([bytes, [start, length]], kind) => {
          const source = new Uint8Array(bytes);
          const view =
            kind === 'DataView'
              ? new DataView(source.buffer, start, length)
              : kind === 'Int8Array'
                ? new Int8Array(source.buffer, start, length)
                : new Uint8Array(source.buffer, start, length);
          const data = toPlatformData(view);
          expect(data).toBeInstanceOf(ArrayBuffer);
          expect([...new Uint8Array(data as ArrayBuffer)]).toEqual([
            ...bytes.subarray(start, start + length),
          ]);
          expect([...source]).toEqual([...bytes]);
        },
      ),
      { seed, numRuns },
    );
  });
});

describe('describe', () => {
  it.each([
    [null, 'null'],
    [undefined, 'undefined'],
    [[], 'an array'],
    ['short', '"short"'],
    ['x'.repeat(41), 'a string of length 41'],
    [3, '3'],
    [true, 'true'],
    [10n, '10'],
    [() => {}, 'a function'],
    [Symbol('s'), 'a symbol'],
    [{}, 'an object'],
    [Object.create(null), 'an object'],
    [new Map(), 'a Map'],
  ])('describes %o as %s', (value, text) => {
    expect(describeValue(value)).toBe(text);
  });
});
