import { isArrayBuffer } from '../validate.js';

// Base64 (RFC 4648 §4) for platforms that carry binary frames as text, such as Alipay's `isBuffer` messages.
// Mini-program runtimes may lack `atob`/`btoa` (and those work on Latin-1 strings, not bytes), so this is plain code.

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

// Decoding also accepts the URL-safe alphabet (`-`, `_`): some native encoders use it.
const VALUES = new Int16Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) VALUES[ALPHABET.charCodeAt(i)] = i;
VALUES['-'.charCodeAt(0)] = 62;
VALUES['_'.charCodeAt(0)] = 63;

const char = (sextet: number) => ALPHABET.charAt(sextet & 63);

/** Encodes bytes as padded standard base64. */
export function encodeBase64(data: ArrayBuffer | ArrayBufferView): string {
  const bytes = isArrayBuffer(data)
    ? new Uint8Array(data)
    : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  let out = '';
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = ((bytes[i] as number) << 16) | ((bytes[i + 1] as number) << 8) | (bytes[i + 2] as number);
    out += char(n >> 18) + char(n >> 12) + char(n >> 6) + char(n);
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = (bytes[i] as number) << 16;
    out += `${char(n >> 18)}${char(n >> 12)}==`;
  } else if (rest === 2) {
    const n = ((bytes[i] as number) << 16) | ((bytes[i + 1] as number) << 8);
    out += `${char(n >> 18)}${char(n >> 12)}${char(n >> 6)}=`;
  }
  return out;
}

/**
 * Decodes base64 to an `ArrayBuffer`. Whitespace is skipped (Android's default encoder breaks lines every 76
 * characters) and padding is optional; any other character outside the alphabet gives `undefined`.
 */
export function decodeBase64(text: string): ArrayBuffer | undefined {
  const out = new Uint8Array(Math.floor((text.length * 3) / 4));
  let length = 0;
  let buffer = 0;
  let bits = 0;
  let padding = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) continue;
    if (c === 0x3d) {
      padding = true;
      continue;
    }
    const value = c < 128 ? (VALUES[c] as number) : -1;
    // Data after padding means two encodings were glued together, or the text is not base64 at all.
    if (value < 0 || padding) return undefined;
    buffer = ((buffer << 6) | value) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[length++] = (buffer >> bits) & 0xff;
    }
  }
  // A single leftover sextet cannot encode a byte: the text was truncated.
  if (bits >= 6) return undefined;
  return out.slice(0, length).buffer;
}
