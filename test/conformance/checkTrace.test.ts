// checkTrace and checkSocketTask refuse input that is not what they check, instead of inventing violations.
import { describe, expect, it } from 'vitest';
import { checkSocketTask } from '../../src/conformance/checkSocketTask.js';
import { checkTrace } from '../../src/conformance/checkTrace.js';
import type { Trace } from '../../src/conformance/trace.js';
import { expectError, thrown } from '../helpers.js';

const ignored = { closeWhileConnecting: 'ignored' } as const;

describe('checkTrace', () => {
  it('checks a recorded trace as before: an open after the close event is a violation', () => {
    const trace: Trace = [
      { type: 'event', event: 'close', code: 1006, reason: '' },
      { type: 'event', event: 'open' },
    ];
    expect(checkTrace(trace, ignored).map((v) => v.property)).toEqual(['no-open-after-close-or-error']);
  });

  it.each([
    [
      'a log of another format',
      [{ type: 'open' }],
      /^checkTrace\(\): trace entry 0 has an unknown type "open"; expected /,
    ],
    [
      'an event of no known kind',
      [{ type: 'event', event: 'ping' }],
      /trace entry 0 is an event of unknown kind "ping"/,
    ],
    [
      'a call without an id',
      [
        { type: 'event', event: 'open' },
        { type: 'call', call: 'send', data: 'x' },
      ],
      /trace entry 1 is a call without a numeric id/,
    ],
    [
      'a close without a code',
      [{ type: 'event', event: 'close', reason: '' }],
      /entry 0 is a close event without a numeric code/,
    ],
    ['something that is not an array', { steps: [] }, /^checkTrace\(\): the trace must be an array of steps/],
    ['null in the list', [null], /trace entry 0 is not an object/],
  ])('refuses %s with ERR_INVALID_OPTIONS naming the entry and the expected shape', (_, trace, message) => {
    expectError(
      thrown(() => checkTrace(trace as never, ignored)),
      'ERR_INVALID_OPTIONS',
      message,
    );
  });

  it.each([
    ['no profile', undefined],
    ['a profile without closeWhileConnecting', {}],
    ['an unknown closeWhileConnecting', { closeWhileConnecting: 'sometimes' }],
  ])('refuses %s, naming the two values', (_, profile) => {
    expectError(
      thrown(() => checkTrace([], profile as never)),
      'ERR_INVALID_OPTIONS',
      /^checkTrace\(\): the profile must say how a close while CONNECTING behaves: \{ closeWhileConnecting: 'ignored' \}/,
    );
  });
});

describe('checkSocketTask', () => {
  it('refuses a missing connect and a profile without closeWhileConnecting before starting anything', async () => {
    await expect(checkSocketTask({ connect: 42, profile: ignored } as never)).rejects.toMatchObject({
      code: 'ERR_INVALID_OPTIONS',
      message: expect.stringMatching(/^checkSocketTask\(\): connect must be a function/),
    });
    await expect(checkSocketTask({ connect: () => ({}), profile: {} } as never)).rejects.toMatchObject({
      code: 'ERR_INVALID_OPTIONS',
      message: expect.stringMatching(/^checkSocketTask\(\): the profile must say/),
    });
  });
});
