import { SocketTaskError } from './errors.js';

/** A payload every platform can send: text, an `ArrayBuffer`, or a view of one (normalized to `ArrayBuffer`). */
export type SocketData = string | ArrayBuffer | ArrayBufferView;

const MAX_REASON_BYTES = 123;

/** UTF-8 byte length without allocating, so validation never costs an encode. */
export function utf8ByteLength(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0x80) bytes += 1;
    else if (unit < 0x800) bytes += 2;
    else if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      // A valid surrogate pair is one 4-byte code point; a lone surrogate is encoded as U+FFFD (3 bytes).
      if (next >= 0xdc00 && next <= 0xdfff) {
        bytes += 4;
        i++;
      } else bytes += 3;
    } else bytes += 3;
  }
  return bytes;
}

/** Why the close arguments are invalid, or `undefined` when they are valid. */
export function closeArgsProblem(code: unknown, reason: unknown): SocketTaskError | undefined {
  if (code !== undefined) {
    if (typeof code !== 'number' || !Number.isInteger(code)) {
      return new SocketTaskError(
        'ERR_INVALID_CLOSE_CODE',
        `close(): code must be an integer, got ${describe(code)}; use 1000 or 3000–4999`,
      );
    }
    if (code !== 1000 && (code < 3000 || code > 4999)) {
      return new SocketTaskError(
        'ERR_INVALID_CLOSE_CODE',
        `close(): code ${code} is ${code >= 1000 && code < 3000 ? 'reserved' : 'out of range'}; use 1000 or 3000–4999`,
      );
    }
  }
  if (reason !== undefined) {
    if (typeof reason !== 'string') {
      return new SocketTaskError(
        'ERR_INVALID_CLOSE_REASON',
        `close(): reason must be a string, got ${describe(reason)}`,
      );
    }
    const bytes = utf8ByteLength(reason);
    if (bytes > MAX_REASON_BYTES) {
      return new SocketTaskError(
        'ERR_INVALID_CLOSE_REASON',
        `close(): reason is ${bytes} UTF-8 bytes; shorten it to at most ${MAX_REASON_BYTES} bytes`,
      );
    }
  }
  return undefined;
}

// The intrinsic getter is a brand check: it throws for anything but a real ArrayBuffer, whatever its prototype
// says. `instanceof` is fooled both ways: by `Object.create(ArrayBuffer.prototype)` (which then breaks `slice`),
// and by an ArrayBuffer of another realm (a vm context, an iframe), which it refuses.
const byteLengthOf = Object.getOwnPropertyDescriptor(ArrayBuffer.prototype, 'byteLength')?.get as (
  this: unknown,
) => number;

/** True for a real `ArrayBuffer` of any realm, never for an object that only inherits from its prototype. */
export function isArrayBuffer(value: unknown): value is ArrayBuffer {
  if (typeof value !== 'object' || value === null) return false;
  try {
    byteLengthOf.call(value);
    return true;
  } catch {
    return false;
  }
}

/**
 * A transferred (detached) buffer has no bytes to read: `slice` and every view over it throw. Its byteLength
 * reads 0, so only an empty buffer needs the costlier check.
 */
function isDetached(buffer: ArrayBufferLike): boolean {
  if (buffer.byteLength !== 0) return false;
  try {
    new Uint8Array(buffer, 0, 0);
    return false;
  } catch {
    return true;
  }
}

function inheritsArrayBuffer(value: unknown): boolean {
  try {
    return value instanceof ArrayBuffer;
  } catch {
    // A Proxy whose getPrototypeOf trap throws.
    return false;
  }
}

/** True for the payloads a socket can carry. */
export function isSocketData(data: unknown): data is SocketData {
  return typeof data === 'string' || isArrayBuffer(data) || ArrayBuffer.isView(data);
}

export function dataProblem(data: unknown): SocketTaskError | undefined {
  if (typeof data === 'string') return undefined;
  let detached: boolean | undefined;
  try {
    if (isArrayBuffer(data)) detached = isDetached(data);
    else if (ArrayBuffer.isView(data)) detached = isDetached(data.buffer);
  } catch {
    // A view whose `buffer` getter throws (a hostile subclass) has no readable bytes either.
    detached = true;
  }
  if (detached === false) return undefined;
  if (detached === true) {
    return new SocketTaskError(
      'ERR_INVALID_DATA',
      'send(): data is a detached (transferred) buffer, which has no bytes left; send a copy made before the transfer',
    );
  }
  if (inheritsArrayBuffer(data)) {
    return new SocketTaskError(
      'ERR_INVALID_DATA',
      'send(): data inherits from ArrayBuffer.prototype but is not an ArrayBuffer (it has no bytes); send a real ArrayBuffer or a view',
    );
  }
  return new SocketTaskError(
    'ERR_INVALID_DATA',
    `send(): data must be a string, an ArrayBuffer or an ArrayBufferView, got ${describe(data)}; serialize objects first, e.g. JSON.stringify(data)`,
  );
}

/** Platforms take `string | ArrayBuffer`; a view is copied out only when it does not span its whole buffer. */
export function toPlatformData(data: SocketData): string | ArrayBuffer {
  if (typeof data === 'string' || isArrayBuffer(data)) return data;
  const { buffer, byteOffset, byteLength } = data;
  if (isArrayBuffer(buffer) && byteOffset === 0 && byteLength === buffer.byteLength) return buffer;
  return new Uint8Array(buffer, byteOffset, byteLength).slice().buffer;
}

/**
 * `data` as the platform takes it, owned by the library: binary is copied, so that whatever the caller does with
 * its buffer once `send()` returned, the message is the bytes it passed (a platform such as `ws` may read them
 * later, while compressing). Text is immutable and passed as it is.
 */
export function ownedData(data: SocketData): string | ArrayBuffer {
  if (typeof data === 'string') return data;
  if (isArrayBuffer(data)) return data.slice(0);
  const { buffer, byteOffset, byteLength } = data;
  return new Uint8Array(buffer, byteOffset, byteLength).slice().buffer;
}

export function urlProblem(url: unknown): SocketTaskError | undefined {
  if (typeof url !== 'string') {
    return new SocketTaskError(
      'ERR_INVALID_URL',
      `url must be a ws:// or wss:// string (or a function returning one), got ${describe(url)}`,
    );
  }
  // The URL parser silently drops tabs and newlines anywhere and trims spaces and control characters at the ends
  // (" WS://a\tb" parses as ws://ab): what is checked here must be exactly what the platform's own parser sees.
  const control = firstControl(url, { tab: 'refused', space: 'refused' });
  if (control >= 0) {
    return new SocketTaskError(
      'ERR_INVALID_URL',
      `url ${JSON.stringify(url.length > 200 ? `${url.slice(0, 200)}…` : url)} contains a space or control character (${codePoint(url, control)}) at index ${control}; percent-encode it, or remove it`,
    );
  }
  const parsed = parseSocketUrl(url);
  if (parsed.scheme === 'ws:' || parsed.scheme === 'wss:' || parsed.scheme === undefined) {
    if (parsed.problem !== undefined) {
      return new SocketTaskError(
        'ERR_INVALID_URL',
        `url ${JSON.stringify(url)} is not a valid URL (${parsed.problem}); use e.g. wss://example.com/socket`,
      );
    }
  } else {
    return new SocketTaskError(
      'ERR_INVALID_URL',
      `url ${JSON.stringify(url)} has scheme ${parsed.scheme}; use ws:// or wss://`,
    );
  }
  if (parsed.fragment !== undefined) {
    return new SocketTaskError(
      'ERR_INVALID_URL',
      `url ${JSON.stringify(url)} has a fragment; WebSocket URLs cannot carry one, remove "${parsed.fragment}"`,
    );
  }
  return undefined;
}

interface SocketUrl {
  /** Lower-cased, with its colon, as `URL.protocol` gives it (`"wss:"`); `undefined` when there is none. */
  scheme: string | undefined;
  /** What is wrong with the rest, as text for the error message. */
  problem: string | undefined;
  /** From the `#` on, when there is one. */
  fragment: string | undefined;
}

const SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*:/;
// WHATWG's forbidden host code points that can still appear here (controls and spaces are refused before).
const HOST_FORBIDDEN = /[#/:<>?@[\\\]^|]/;
const IPV6 = /^\[[0-9A-Fa-f:.]+\]$/;

/**
 * A hierarchical URL, read as strictly as the platforms' parsers: `scheme://[userinfo@]host[:port]`, then path and
 * query. Mini-program runtimes have no `URL` class, so the library parses what it checks itself.
 */
function parseSocketUrl(url: string): SocketUrl {
  const scheme = SCHEME.exec(url)?.[0];
  const hash = url.indexOf('#');
  const fragment = hash >= 0 ? url.slice(hash) : undefined;
  if (scheme === undefined) return { scheme, problem: 'no scheme such as wss:', fragment };
  const parsed = (problem: string | undefined): SocketUrl => ({
    scheme: scheme.toLowerCase(),
    problem,
    fragment,
  });
  const rest = url.slice(scheme.length, hash >= 0 ? hash : url.length);
  if (!rest.startsWith('//')) return parsed(`no "//" after ${scheme}`);
  const end = rest.slice(2).search(/[/?]/);
  const authority = end >= 0 ? rest.slice(2, 2 + end) : rest.slice(2);
  if (authority.includes('\\')) return parsed('a backslash in the host');
  const hostAndPort = authority.slice(authority.lastIndexOf('@') + 1);
  const bracketed = hostAndPort.startsWith('[');
  const close = bracketed ? hostAndPort.indexOf(']') : 0;
  const colon = close < 0 ? -1 : hostAndPort.indexOf(':', close);
  const host = colon >= 0 ? hostAndPort.slice(0, colon) : hostAndPort;
  const port = colon >= 0 ? hostAndPort.slice(colon + 1) : '';
  if (host === '') return parsed('no host');
  if (bracketed ? !IPV6.test(host) : HOST_FORBIDDEN.test(host)) return parsed(`invalid host ${host}`);
  if (port !== '' && (!/^[0-9]+$/.test(port) || Number(port) > 65535)) return parsed(`invalid port ${port}`);
  return parsed(undefined);
}

// RFC 6455 subprotocols are RFC 7230 tokens.
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

export function protocolsProblem(protocols: unknown): SocketTaskError | undefined {
  const list = typeof protocols === 'string' ? [protocols] : protocols;
  if (!Array.isArray(list)) {
    return new SocketTaskError(
      'ERR_INVALID_PROTOCOLS',
      `protocols must be a string or an array of strings, got ${describe(protocols)}`,
    );
  }
  const seen = new Set<string>();
  for (const p of list) {
    if (typeof p !== 'string' || !TOKEN.test(p)) {
      return new SocketTaskError(
        'ERR_INVALID_PROTOCOLS',
        `protocols: ${describe(p)} is not a valid subprotocol token; use letters, digits and !#$%&'*+-.^_\`|~ only`,
      );
    }
    if (seen.has(p)) {
      return new SocketTaskError(
        'ERR_INVALID_PROTOCOLS',
        `protocols: "${p}" is listed twice; list each subprotocol once`,
      );
    }
    seen.add(p);
  }
  return undefined;
}

/**
 * The index of the first C0 control character or DEL in `text` (a tab allowed, a space refused, as asked), else
 * -1. A loop rather than a regular expression of control characters, which the linter rightly flags as suspect.
 */
function firstControl(
  text: string,
  { tab, space }: { tab: 'allowed' | 'refused'; space: 'allowed' | 'refused' },
) {
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (
      unit === 0x09
        ? tab === 'refused'
        : unit < 0x20 || unit === 0x7f || (unit === 0x20 && space === 'refused')
    ) {
      return i;
    }
  }
  return -1;
}

function codePoint(text: string, index: number): string {
  return `U+${text.charCodeAt(index).toString(16).toUpperCase().padStart(4, '0')}`;
}

/** `header` as a plain object of its own enumerable entries, copied once so that what is checked is what is sent. */
export function copyHeader(header: unknown): Record<string, unknown> | undefined {
  if (typeof header !== 'object' || header === null || Array.isArray(header)) return undefined;
  // A Map, a Set, a boxed String or a typed array has no header entries of its own: refused, not read as `{}`.
  if (Object.prototype.toString.call(header) !== '[object Object]') return undefined;
  // `fromEntries` defines each key as an own property: a "__proto__" key stays a key, it never sets a prototype.
  return Object.fromEntries(Object.entries(header));
}

/** Why `header` cannot be sent, or `undefined`; reads it once (see {@link copyHeader} to send what was checked). */
export function headerProblem(header: unknown): SocketTaskError | undefined {
  const entries = copyHeader(header);
  if (entries === undefined) {
    return new SocketTaskError(
      'ERR_INVALID_HEADER',
      `header must be an object of string values (or a function returning one), got ${describe(header)}`,
    );
  }
  const seen = new Set<string>();
  for (const [name, value] of Object.entries(entries)) {
    if (!TOKEN.test(name)) {
      return new SocketTaskError(
        'ERR_INVALID_HEADER',
        `header: ${JSON.stringify(name.length > 40 ? `${name.slice(0, 40)}…` : name)} is not a valid header name`,
      );
    }
    if (typeof value !== 'string') {
      return new SocketTaskError(
        'ERR_INVALID_HEADER',
        `header: the value of "${name}" must be a string, got ${describe(value)}; convert it with String()`,
      );
    }
    if (/[\r\n\0]/.test(value)) {
      return new SocketTaskError(
        'ERR_INVALID_HEADER',
        `header: the value of "${name}" contains CR, LF or NUL; remove them`,
      );
    }
    // RFC 7230 field-value: visible characters, obs-text, space and tab. Every other control character (CR and
    // LF above all, which would end the header and start another: header injection) is refused.
    const control = firstControl(value, { tab: 'allowed', space: 'allowed' });
    if (control >= 0) {
      return new SocketTaskError(
        'ERR_INVALID_HEADER',
        `header: the value of "${name}" contains the control character ${codePoint(value, control)}; remove it`,
      );
    }
    const lower = name.toLowerCase();
    if (lower === 'referer') {
      return new SocketTaskError(
        'ERR_INVALID_HEADER',
        'header: Referer cannot be set (the mini-program platforms forbid it); remove it',
      );
    }
    // Header names are case-insensitive: two spellings of one name would leave the platform to pick one.
    if (seen.has(lower)) {
      return new SocketTaskError(
        'ERR_INVALID_HEADER',
        `header: "${name}" is given twice (header names ignore case); give it once`,
      );
    }
    seen.add(lower);
  }
  return undefined;
}

/** A short, safe description of any value for error messages. */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  let array: boolean;
  try {
    array = Array.isArray(value);
  } catch {
    // Array.isArray throws only for a revoked Proxy.
    return 'a revoked proxy';
  }
  if (array) return 'an array';
  switch (typeof value) {
    case 'string':
      return value.length > 40 ? `a string of length ${value.length}` : JSON.stringify(value);
    case 'number':
    case 'boolean':
    case 'bigint':
    case 'undefined':
      return String(value);
    case 'function':
      return 'a function';
    case 'symbol':
      return 'a symbol';
    default: {
      // Called on untrusted values to build an error: a getter or a Proxy that throws must not replace that error.
      let ctor: unknown;
      try {
        ctor = (value as { constructor?: { name?: unknown } }).constructor?.name;
      } catch {
        return 'an object';
      }
      return typeof ctor === 'string' && ctor !== 'Object' ? `a ${ctor.slice(0, 40)}` : 'an object';
    }
  }
}
