import { afterEach, describe, expect, it, vi } from 'vitest';
import { nodeAdapter } from '../src/adapters/node.js';
import { webAdapter } from '../src/adapters/web.js';
import { platformClock, WALL_CLOCK } from '../src/clock.js';
import { monotonicClock } from '../src/lifecycle/platformSources.js';

afterEach(() => {
  vi.restoreAllMocks();
});

describe('platformClock', () => {
  it("follows the platform's monotonic clock, not the wall clock, when the adapter gives one", () => {
    let now = 1234.5;
    vi.spyOn(Date, 'now').mockReturnValue(0);
    const clock = platformClock(() => now);
    expect(clock.monotonic).toBe(true);
    expect(clock.now()).toBe(1234.5);
    now = 1300;
    expect(clock.now()).toBe(1300);
  });

  it('without one (a mini-program), reads the wall clock but never runs backwards when it steps back', () => {
    const clock = platformClock(undefined);
    expect(clock).toBe(WALL_CLOCK);
    expect(clock.monotonic).toBe(false);
    const wall = vi.spyOn(Date, 'now');
    wall.mockReturnValue(10_000);
    const first = clock.now();
    wall.mockReturnValue(10_000 - 3_600_000);
    expect(clock.now()).toBe(first);
    wall.mockReturnValue(10_000 - 3_600_000 + 250);
    // Time passing after the step counts from where the clock stood.
    expect(clock.now() - first).toBe(250);
  });
});

describe('the adapters give the platform clock', () => {
  it('the Node adapter: performance.now() of node:perf_hooks', () => {
    const now = nodeAdapter().now;
    expect(typeof now).toBe('function');
    const a = now?.() as number;
    expect(Math.abs(a - performance.now())).toBeLessThan(1000);
  });

  it("the web adapter: its scope's performance.now(), read on every call; none where the scope has none", () => {
    const scope = { performance: { now: () => 42 } };
    const now = monotonicClock(scope);
    expect(now?.()).toBe(42);
    scope.performance = { now: () => 43 };
    expect(now?.()).toBe(43);
    expect(monotonicClock({})).toBeUndefined();
    expect(monotonicClock(undefined)).toBeUndefined();
    expect(typeof webAdapter({ WebSocket: class {} as never }).now).toBe('function');
  });
});
