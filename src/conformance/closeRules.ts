import { closeArgsProblem } from '../validate.js';

/**
 * How close arguments are judged. `'either'` (the default): where the seeds refuse a code that WHATWG or RFC 6455
 * allows, a task may refuse or accept it. `'whatwg'`: the WHATWG rule exactly, after WebIDL's conversion.
 */
export type CloseCodeRule = 'either' | 'whatwg';

/** What the documents say of one `close(code, reason)`, and which document says it. */
export type CloseVerdict =
  | { verdict: 'valid'; code: number | undefined; source: string }
  | { verdict: 'invalid'; source: string }
  | { verdict: 'contested'; code: number; source: string };

/** WebIDL `[Clamp] unsigned short`: ToNumber, NaN to 0, clamped to 0–65535, rounded half to even. */
function clampUnsignedShort(value: unknown): number {
  let x: number;
  try {
    x = Number(value);
  } catch {
    return 0;
  }
  if (Number.isNaN(x)) return 0;
  x = Math.min(Math.max(x, 0), 65535);
  const floor = Math.floor(x);
  const fraction = x - floor;
  if (fraction > 0.5) return floor + 1;
  if (fraction < 0.5) return floor;
  return floor % 2 === 0 ? floor : floor + 1;
}

const whatwgAllows = (code: number) => code === 1000 || (code >= 3000 && code <= 4999);
// RFC 6455 §7.4.1 and IANA's registry, as `ws` applies them: what an endpoint may send in a close frame.
const rfcAllows = (code: unknown) =>
  typeof code === 'number' &&
  Number.isInteger(code) &&
  ((code >= 1000 && code <= 1014 && code !== 1004 && code !== 1005 && code !== 1006) ||
    (code >= 3000 && code <= 4999));

/**
 * Judges close arguments by the seeds, WHATWG and RFC 6455. A reason over 123 UTF-8 bytes is refused by all of
 * them; a code the seeds allow is allowed by all; a code the seeds refuse is contested when WHATWG (after WebIDL's
 * conversion: `1000.5` and `"1000"` are 1000) or RFC 6455 (`1001`, going away) allows it.
 */
export function judgeClose(code: unknown, reason: unknown, rule: CloseCodeRule = 'either'): CloseVerdict {
  if (closeArgsProblem(undefined, reason) !== undefined) {
    return { verdict: 'invalid', source: 'seeds (reason a string of at most 123 UTF-8 bytes), WHATWG' };
  }
  if (code === undefined) return { verdict: 'valid', code: undefined, source: 'seeds, WHATWG' };
  if (closeArgsProblem(code, undefined) === undefined) {
    return { verdict: 'valid', code: code as number, source: 'seeds (1000 or 3000–4999), WHATWG' };
  }
  const converted = clampUnsignedShort(code);
  if (rule === 'whatwg') {
    return whatwgAllows(converted)
      ? { verdict: 'valid', code: converted, source: 'WHATWG (close([Clamp] unsigned short code))' }
      : { verdict: 'invalid', source: 'WHATWG (1000 or 3000–4999 after conversion)' };
  }
  if (whatwgAllows(converted)) {
    return {
      verdict: 'contested',
      code: converted,
      source: 'seeds refuse it; WHATWG converts it to an allowed code',
    };
  }
  if (rfcAllows(code)) {
    return {
      verdict: 'contested',
      code: code as number,
      source: 'seeds refuse it; RFC 6455 §7.4.1 allows it',
    };
  }
  return { verdict: 'invalid', source: 'seeds, WHATWG and RFC 6455 all refuse it' };
}
