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

/** True for the payloads a socket can carry. */
export function isSocketData(data: unknown): data is SocketData {
  return typeof data === 'string' || data instanceof ArrayBuffer || ArrayBuffer.isView(data);
}

export function dataProblem(data: unknown): SocketTaskError | undefined {
  if (isSocketData(data)) return undefined;
  return new SocketTaskError(
    'ERR_INVALID_DATA',
    `send(): data must be a string, an ArrayBuffer or an ArrayBufferView, got ${describe(data)}; serialize objects first, e.g. JSON.stringify(data)`,
  );
}

/** Platforms take `string | ArrayBuffer`; a view is copied out only when it does not span its whole buffer. */
export function toPlatformData(data: SocketData): string | ArrayBuffer {
  if (typeof data === 'string' || data instanceof ArrayBuffer) return data;
  const { buffer, byteOffset, byteLength } = data;
  if (buffer instanceof ArrayBuffer && byteOffset === 0 && byteLength === buffer.byteLength) return buffer;
  return new Uint8Array(buffer, byteOffset, byteLength).slice().buffer;
}

export function urlProblem(url: unknown): SocketTaskError | undefined {
  if (typeof url !== 'string') {
    return new SocketTaskError(
      'ERR_INVALID_URL',
      `url must be a ws:// or wss:// string (or a function returning one), got ${describe(url)}`,
    );
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (cause) {
    return new SocketTaskError(
      'ERR_INVALID_URL',
      `url ${JSON.stringify(url)} is not a valid URL; use e.g. wss://example.com/socket`,
      {
        cause,
      },
    );
  }
  if (parsed.protocol !== 'ws:' && parsed.protocol !== 'wss:') {
    return new SocketTaskError(
      'ERR_INVALID_URL',
      `url ${JSON.stringify(url)} has scheme ${parsed.protocol}; use ws:// or wss://`,
    );
  }
  if (parsed.hash !== '') {
    return new SocketTaskError(
      'ERR_INVALID_URL',
      `url ${JSON.stringify(url)} has a fragment; WebSocket URLs cannot carry one, remove "${parsed.hash}"`,
    );
  }
  return undefined;
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

export function headerProblem(header: unknown): SocketTaskError | undefined {
  if (typeof header !== 'object' || header === null || Array.isArray(header)) {
    return new SocketTaskError(
      'ERR_INVALID_HEADER',
      `header must be an object of string values (or a function returning one), got ${describe(header)}`,
    );
  }
  for (const [name, value] of Object.entries(header)) {
    if (!TOKEN.test(name)) {
      return new SocketTaskError(
        'ERR_INVALID_HEADER',
        `header: ${JSON.stringify(name)} is not a valid header name`,
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
    if (name.toLowerCase() === 'referer') {
      return new SocketTaskError(
        'ERR_INVALID_HEADER',
        'header: Referer cannot be set (the mini-program platforms forbid it); remove it',
      );
    }
  }
  return undefined;
}

/** A short, safe description of any value for error messages. */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
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
      const ctor = (value as { constructor?: { name?: unknown } }).constructor?.name;
      return typeof ctor === 'string' && ctor !== 'Object' ? `a ${ctor}` : 'an object';
    }
  }
}
