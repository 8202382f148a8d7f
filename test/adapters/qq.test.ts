import { describe, expect, it } from 'vitest';
import { qqAdapter, qqProfile } from '../../src/adapters/qq.js';
import { SocketTaskError } from '../../src/errors.js';
import { withoutLifecycle } from '../fixtures/platforms/appLifecycle.js';
import { createFakeQq } from '../fixtures/platforms/qq.js';
import { within } from '../helpers.js';
import { adapterLifecycleSuite } from './lifecycleSuite.js';
import {
  type AdapterSuiteEnv,
  adapterSuite,
  SHORT_CLOSE_TIMEOUT_MS,
  SHORT_ERROR_GRACE_MS,
  useAdapterHarness,
} from './suite.js';

const makeAdapter = ({ WebSocket }: AdapterSuiteEnv) => qqAdapter({ qq: createFakeQq({ WebSocket }) });

adapterSuite('qq', makeAdapter, { limitError: /^exceed max task count$/ });

describe('qqAdapter', () => {
  const { env, serve, connect, open } = useAdapterHarness(makeAdapter);

  it.each([
    [
      null,
      /^qqAdapter\(\): qq must be the mini-program's qq object, got null; pass it as qqAdapter\(\{ qq \}\)$/,
    ],
    [
      { connectSocket: 1 },
      /^qqAdapter\(\): qq\.connectSocket must be a function, got 1; pass the mini-program's qq object, from QQ base library 1\.0\.0 or later$/,
    ],
  ])('throws ERR_INVALID_ADAPTER for qq = %o', (qq, message) => {
    const attempt = () => qqAdapter({ qq: qq as never });
    expect(attempt).toThrow(SocketTaskError);
    expect(attempt).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ADAPTER' }));
    expect(attempt).toThrow(message);
  });

  it('exports the profile it uses: close ignored while CONNECTING, at most 5 sockets, wss:// only', () => {
    expect(makeAdapter(env).profile).toBe(qqProfile);
    expect(qqProfile).toMatchObject({
      closeWhileConnecting: 'ignored',
      maxConcurrent: 5,
      requiresSecureUrl: true,
    });
  });

  it('closes a task refused over the limit with 1006 after errorGrace, and gives it up after closeTimeout, though QQ never reports its close', async () => {
    const qq = createFakeQq(env);
    const adapter = qqAdapter({ qq });
    const server = await serve();
    for (let i = 0; i < qqProfile.maxConcurrent; i += 1) await open(server, { adapter });

    // A second adapter over the same qq: the manager's own count cannot stop it, so QQ refuses the task.
    const extra = connect({
      url: server.url,
      adapter: qqAdapter({ qq }),
      errorGrace: SHORT_ERROR_GRACE_MS,
      closeTimeout: SHORT_CLOSE_TIMEOUT_MS,
    });
    const info = await within(extra.conn.closed, 'closed');
    expect(info).toEqual({ code: 1006, reason: '' });
    expect(extra.errors).toEqual([{ errMsg: 'exceed max task count', code: 'ERR_PLATFORM' }]);
    const refused = qq.tasks.at(-1);
    // The abandoned task is also asked to close, which a refused task without a socket cannot do.
    expect(refused?.log).toEqual(['error: exceed max task count', 'close: no socket']);
  });
});

adapterLifecycleSuite('qq', {
  platform: (env) => {
    const qq = createFakeQq(env);
    return { adapter: () => qqAdapter({ qq }), device: qq.device };
  },
  bare: (env) => qqAdapter({ qq: withoutLifecycle(createFakeQq(env)) }),
});
