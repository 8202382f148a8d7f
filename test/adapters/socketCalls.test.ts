import { describe, expect, it, vi } from 'vitest';
import { closeWebSocket, settleCall } from '../../src/adapters/socketCalls.js';

describe('settleCall', () => {
  it('reports success then complete when the call returns', () => {
    const calls: string[] = [];
    settleCall(() => {}, 'send', {
      success: () => calls.push('success'),
      fail: () => calls.push('fail'),
      complete: () => calls.push('complete'),
    });
    expect(calls).toEqual(['success', 'complete']);
  });

  it('reports fail with the platform message then complete when the call throws', () => {
    const fail = vi.fn();
    const complete = vi.fn();
    settleCall(
      () => {
        throw new Error('InvalidStateError');
      },
      'send',
      { fail, complete },
    );
    expect(fail).toHaveBeenCalledWith({ errMsg: 'send:fail InvalidStateError' });
    expect(complete).toHaveBeenCalledTimes(1);
  });

  it("never reports fail for an exception thrown by the caller's own success, and still calls complete", () => {
    const fail = vi.fn();
    const complete = vi.fn();
    expect(() =>
      settleCall(() => {}, 'close', {
        success: () => {
          throw new Error('user bug');
        },
        fail,
        complete,
      }),
    ).toThrow(/^user bug$/);
    expect(fail).not.toHaveBeenCalled();
    expect(complete).toHaveBeenCalledTimes(1);
  });
});

describe('closeWebSocket', () => {
  it("sends the seeds' default code 1000, and an empty reason, when neither is given", () => {
    const close = vi.fn();
    closeWebSocket({ close }, {});
    expect(close).toHaveBeenCalledWith(1000, '');
  });

  it('passes the code and reason it is given', () => {
    const close = vi.fn();
    closeWebSocket({ close }, { code: 4001, reason: 'bye' });
    expect(close).toHaveBeenCalledWith(4001, 'bye');
  });
});
