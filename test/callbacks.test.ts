import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { assertCallbacks, type Callbacks, report } from '../src/callbacks.js';
import { SocketTaskError } from '../src/errors.js';
import { captureRethrown } from './fixtures/rethrown.js';
import { flush, propertySeed } from './helpers.js';

const seed = propertySeed('callbacks');

type Settle = { resolve: (value: number) => void; reject: (error: SocketTaskError) => void };

/** Runs `report` and hands the test its resolve/reject, to play a platform that settles late or repeatedly. */
function run(options: Callbacks<number> | undefined) {
  let settle!: Settle;
  const result = report<number>(options, (resolve, reject) => {
    settle = { resolve, reject };
  });
  return { result, settle };
}

function spies() {
  const calls: string[] = [];
  return {
    calls,
    success: vi.fn((value: number) => calls.push(`success ${value}`)),
    fail: vi.fn((error: SocketTaskError) => calls.push(`fail ${error.code}`)),
    complete: vi.fn(() => calls.push('complete')),
  };
}

const notOpen = () => new SocketTaskError('ERR_NOT_OPEN', 'not open');

describe('report() without callbacks', () => {
  it.each([undefined, {}])(
    'returns a Promise that resolves with the result (options %o)',
    async (options) => {
      const { result, settle } = run(options);
      expect(result).toBeInstanceOf(Promise);
      settle.resolve(7);
      settle.reject(notOpen());
      await expect(result).resolves.toBe(7);
    },
  );

  it('returns a Promise that rejects with the error', async () => {
    const { result, settle } = run(undefined);
    const error = notOpen();
    settle.reject(error);
    settle.resolve(1);
    await expect(result).rejects.toBe(error);
  });

  it('rejects when start throws', async () => {
    const result = report<number>(undefined, () => {
      throw new Error('start failed');
    });
    await expect(result).rejects.toThrow(/^start failed$/);
  });
});

describe('report() with callbacks (docs/platforms.md#callbacks-or-a-promise)', () => {
  it('calls success then complete, once each, and returns undefined', () => {
    const { calls, success, fail, complete } = spies();
    const { result, settle } = run({ success, fail, complete });
    expect(result).toBeUndefined();
    expect(calls).toEqual([]);
    settle.resolve(1);
    settle.resolve(2);
    settle.reject(notOpen());
    expect(calls).toEqual(['success 1', 'complete']);
  });

  it('calls fail then complete, once each', () => {
    const { calls, success, fail, complete } = spies();
    const { settle } = run({ success, fail, complete });
    settle.reject(notOpen());
    settle.reject(notOpen());
    settle.resolve(1);
    expect(calls).toEqual(['fail ERR_NOT_OPEN', 'complete']);
  });

  it.each([
    ['success', (s: ReturnType<typeof spies>) => ({ success: s.success })],
    ['fail', (s: ReturnType<typeof spies>) => ({ fail: s.fail })],
    ['complete', (s: ReturnType<typeof spies>) => ({ complete: s.complete })],
  ] as const)('reports through %s alone when only it is given', (name, pick) => {
    const s = spies();
    const ok = run(pick(s));
    expect(ok.result).toBeUndefined();
    ok.settle.resolve(3);
    const bad = run(pick(s));
    bad.settle.reject(notOpen());
    const expected = {
      success: ['success 3'],
      fail: ['fail ERR_NOT_OPEN'],
      complete: ['complete', 'complete'],
    }[name];
    expect(s.calls).toEqual(expected);
  });

  it('never calls back inside the call: an outcome known at once is reported a promise turn later', async () => {
    const { calls, success, complete } = spies();
    report<number>({ success, complete }, (resolve) => resolve(5));
    expect(calls).toEqual([]);
    await flush();
    expect(calls).toEqual(['success 5', 'complete']);
  });

  it('a pump that starts its next call from success keeps a flat stack over 10,000 calls', async () => {
    let depth = 0;
    let deepest = 0;
    let done = 0;
    await new Promise<void>((finish) => {
      const next = () => {
        depth++;
        deepest = Math.max(deepest, depth);
        report<void>(
          {
            success: () => {
              done++;
              if (done === 10_000) finish();
              else next();
            },
          },
          (resolve) => resolve(),
        );
        depth--;
      };
      next();
    });
    expect(done).toBe(10_000);
    expect(deepest).toBe(1);
  });

  it('marks a failed Promise handled, so a caller that drops it raises no unhandled rejection', async () => {
    const unhandled = vi.fn();
    process.on('unhandledRejection', unhandled);
    try {
      const dropped = report<void>(undefined, (_, reject) => reject(notOpen()));
      const later = report<void>(undefined, (_, reject) => setTimeout(() => reject(notOpen()), 0));
      await new Promise((resolve) => setTimeout(resolve, 10));
      await new Promise((resolve) => setImmediate(resolve));
      expect(unhandled).not.toHaveBeenCalled();
      // Whoever does await it still sees the failure.
      await expect(dropped).rejects.toMatchObject({ code: 'ERR_NOT_OPEN' });
      await expect(later).rejects.toMatchObject({ code: 'ERR_NOT_OPEN' });
    } finally {
      process.off('unhandledRejection', unhandled);
    }
  });

  it('still calls complete when success throws, and rethrows the error asynchronously instead of to the settler', async () => {
    const complete = vi.fn();
    const rethrown = captureRethrown();
    try {
      const { settle } = run({
        success: () => {
          throw new Error('user bug');
        },
        complete,
      });
      expect(() => settle.resolve(1)).not.toThrow();
      expect(complete).toHaveBeenCalledTimes(1);
      settle.reject(notOpen());
      expect(complete).toHaveBeenCalledTimes(1);
      expect(rethrown.errors).toEqual([]);
      await rethrown.flush();
    } finally {
      rethrown.restore();
    }
    expect(rethrown.errors).toEqual([new Error('user bug')]);
  });

  it('reports the first outcome exactly once whatever sequence of settlements follows', () => {
    const settlement = fc.oneof(
      fc.integer().map((value) => ({ kind: 'resolve' as const, value })),
      fc.constant({ kind: 'reject' as const }),
    );
    fc.assert(
      fc.property(fc.array(settlement, { minLength: 1, maxLength: 8 }), (sequence) => {
        const { calls, success, fail, complete } = spies();
        const { settle } = run({ success, fail, complete });
        for (const step of sequence) {
          if (step.kind === 'resolve') settle.resolve(step.value);
          else settle.reject(notOpen());
        }
        const first = sequence[0];
        const outcome = first?.kind === 'resolve' ? `success ${first.value}` : 'fail ERR_NOT_OPEN';
        expect(calls).toEqual([outcome, 'complete']);
      }),
      { seed, numRuns: 200 },
    );
  });
});

describe('assertCallbacks', () => {
  it('accepts functions and absent callbacks', () => {
    expect(() => assertCallbacks('send()', {})).not.toThrow();
    expect(() => assertCallbacks('send()', { success: () => {}, complete: undefined })).not.toThrow();
  });

  it.each([
    ['success', 42, /^send\(\): success must be a function, got 42$/],
    ['fail', 'no', /^send\(\): fail must be a function, got "no"$/],
    ['complete', null, /^send\(\): complete must be a function, got null$/],
  ])('throws ERR_INVALID_CALLBACK when %s is %o', (name, value, message) => {
    let error: unknown;
    try {
      assertCallbacks('send()', { [name]: value });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SocketTaskError);
    expect((error as SocketTaskError).code).toBe('ERR_INVALID_CALLBACK');
    expect((error as SocketTaskError).message).toMatch(message);
  });
});
