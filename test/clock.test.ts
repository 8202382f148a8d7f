import { afterEach, describe, expect, it, vi } from 'vitest';
import { monotonicNow } from '../src/clock.js';

afterEach(() => {
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

describe('monotonicNow', () => {
  it('follows performance.now(), not the wall clock, where the runtime has one', () => {
    const now = vi.spyOn(performance, 'now').mockReturnValue(1234.5);
    vi.spyOn(Date, 'now').mockReturnValue(0);
    expect(monotonicNow()).toBe(1234.5);
    now.mockReturnValue(1300);
    expect(monotonicNow()).toBe(1300);
  });

  it('without performance (a mini-program base library), never runs backwards when the wall clock steps back', () => {
    vi.stubGlobal('performance', undefined);
    const wall = vi.spyOn(Date, 'now');
    wall.mockReturnValue(10_000);
    const first = monotonicNow();
    wall.mockReturnValue(10_000 - 3_600_000);
    const afterStepBack = monotonicNow();
    expect(afterStepBack).toBe(first);
    wall.mockReturnValue(10_000 - 3_600_000 + 250);
    // Time passing after the step counts from where the clock stood.
    expect(monotonicNow() - first).toBe(250);
  });
});
