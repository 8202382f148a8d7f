// The close the server starts must reach the task as given, unless a close of the task's own crossed it.
import { describe, expect, it } from 'vitest';
import { serverCloseViolation } from '../../src/conformance/checkSocketTask.js';
import type { Trace } from '../../src/conformance/trace.js';

const server3000 = { code: 3000, reason: '' };

/** A close(code) call, its outcome, then the task's close event with `reported`. */
function closeThenEvent(code: unknown, outcome: 'success' | 'fail', reported: number): Trace {
  return [
    { type: 'call', call: 'close', id: 1, code },
    { type: 'callback', id: 1, callback: outcome },
    { type: 'callback', id: 1, callback: 'complete' },
    { type: 'event', event: 'close', code: reported, reason: '' },
  ];
}

describe('serverCloseViolation', () => {
  it('accepts the server code reported as sent', () => {
    expect(
      serverCloseViolation(
        [{ type: 'event', event: 'close', code: 3000, reason: '' }],
        server3000,
        undefined,
      ),
    ).toBe(undefined);
  });

  it('reports another code when the task made no close of its own', () => {
    expect(
      serverCloseViolation(
        [{ type: 'event', event: 'close', code: 1006, reason: '' }],
        server3000,
        undefined,
      ),
    ).toBe('the server closed with 3000 ""; the task reported 1006 ""');
  });

  // Regression: ws aborts a handshake on close(1006) (it looks at no argument while CONNECTING) and reports
  // success; the server, which had already accepted, then closes with 3000 into an aborted socket. The kit called
  // the task's 1006 a lost server close.
  it('accepts 1006 after an invalid close the task reported as a success: it aborted the handshake', () => {
    expect(serverCloseViolation(closeThenEvent(1006, 'success', 1006), server3000, undefined)).toBe(
      undefined,
    );
  });

  it('still reports a lost server close when the invalid close was refused', () => {
    expect(serverCloseViolation(closeThenEvent(1006, 'fail', 1006), server3000, undefined)).toMatch(
      /^the server closed with 3000 ""; the task reported 1006 ""$/,
    );
  });

  it('accepts the code of a valid close of the task that crossed the server one', () => {
    expect(serverCloseViolation(closeThenEvent(4000, 'success', 4000), server3000, undefined)).toBe(
      undefined,
    );
    expect(serverCloseViolation(closeThenEvent(4000, 'success', 4001), server3000, undefined)).toMatch(
      /reported 4001/,
    );
  });
});
