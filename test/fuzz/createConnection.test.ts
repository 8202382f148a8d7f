import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createConnection } from '../../src/connection/createConnection.js';
import { OPTION_NAMES } from '../../src/options/connectionOptions.js';
import { RECONNECT_OPTION_NAMES } from '../../src/reconnect/reconnectOptions.js';
import { abortingProfile, wechatProfile } from '../fixtures/fakeSocketTask.js';
import { propertySeed } from '../helpers.js';
import {
  any,
  expectClosesCleanly,
  expectNothingEscaped,
  fuzzAdapter,
  numRuns,
  onlySocketTaskError,
  real,
  realEntries,
  URL,
  useFakeTimers,
  watchEscapes,
} from './harness.js';

const seed = propertySeed('fuzz/createConnection', `numRuns=${numRuns}`);
watchEscapes();

beforeEach(useFakeTimers);
afterEach(() => {
  vi.useRealTimers();
});

const profile = fc.constantFrom(wechatProfile, abortingProfile, {
  ...wechatProfile,
  requiresSecureUrl: true,
});

describe('createConnection(anything)', () => {
  it('throws only a SocketTaskError with a documented code, and creates no socket', async () => {
    await fc.assert(
      fc.asyncProperty(any, async (options) => {
        const { value } = onlySocketTaskError(() => createConnection(real(options) as never));
        expect(value).toBeUndefined();
        await expectNothingEscaped();
      }),
      { seed, numRuns },
    );
  });

  it('with a valid url and adapter, and one option replaced by anything: a SocketTaskError at once, or a connection that closes cleanly', async () => {
    await fc.assert(
      fc.asyncProperty(profile, fc.constantFrom(...OPTION_NAMES), any, async (platform, name, value) => {
        const adapter = fuzzAdapter(platform);
        const options = { url: URL, adapter, [name]: real(value) };
        const { value: conn } = onlySocketTaskError(() => createConnection(options as never));
        if (conn === undefined) expect(adapter.tasks).toHaveLength(0);
        else await expectClosesCleanly(conn, adapter.tasks);
        await expectNothingEscaped();
      }),
      { seed, numRuns: numRuns * 2 },
    );
  });

  it('with several options replaced at once, prototype keys included, as from untrusted JSON', async () => {
    const key = fc.constantFrom(...OPTION_NAMES, '__proto__', 'constructor', 'prototype');
    await fc.assert(
      fc.asyncProperty(profile, fc.dictionary(key, any, { maxKeys: 4 }), async (platform, replaced) => {
        const adapter = fuzzAdapter(platform);
        // Spread, like JSON.parse, defines "__proto__" as an own key; it never sets the prototype.
        const options = { url: URL, adapter, ...realEntries(replaced) };
        const { value: conn } = onlySocketTaskError(() => createConnection(options as never));
        expect(({} as Record<string, unknown>).polluted).toBeUndefined();
        if (conn !== undefined) await expectClosesCleanly(conn, adapter.tasks);
        await expectNothingEscaped();
      }),
      { seed, numRuns },
    );
  });

  it('with nested reconnect, heartbeat and queue objects of anything', async () => {
    const nested = fc.record(
      {
        reconnect: fc.dictionary(fc.constantFrom(...RECONNECT_OPTION_NAMES, '__proto__'), any, {
          maxKeys: 3,
        }),
        heartbeat: fc.dictionary(
          fc.constantFrom('interval', 'timeout', 'message', 'isPong', '__proto__'),
          any,
          {
            maxKeys: 3,
          },
        ),
        queue: fc.dictionary(
          fc.constantFrom('maxMessages', 'maxBytes', 'overflow', 'ttl', 'holdUntilReady', '__proto__'),
          any,
          { maxKeys: 3 },
        ),
      },
      { requiredKeys: [] },
    );
    await fc.assert(
      fc.asyncProperty(profile, nested, async (platform, options) => {
        const adapter = fuzzAdapter(platform);
        const given: Record<string, unknown> = { url: URL, adapter };
        for (const [name, value] of Object.entries(options)) given[name] = realEntries(value);
        const { value: conn } = onlySocketTaskError(() => createConnection(given as never));
        if (conn !== undefined) {
          // Through a whole life: open, a message, a drop (which may reconnect), then the user's close.
          adapter.tasks[0]?.emitOpen();
          adapter.tasks[0]?.emitMessage('pong');
          await vi.advanceTimersByTimeAsync(20_000);
          adapter.tasks.at(-1)?.emitClose(1006, '');
          await vi.advanceTimersByTimeAsync(1000);
          await expectClosesCleanly(conn, adapter.tasks);
        }
        await expectNothingEscaped();
      }),
      { seed, numRuns },
    );
  });
});
