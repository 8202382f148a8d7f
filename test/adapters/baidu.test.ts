import { describe, expect, it } from 'vitest';
import { baiduAdapter, baiduProfile } from '../../src/adapters/baidu.js';
import { SocketTaskError } from '../../src/errors.js';
import { withoutLifecycle } from '../fixtures/platforms/appLifecycle.js';
import { createFakeSwan } from '../fixtures/platforms/baidu.js';
import { within } from '../helpers.js';
import { adapterLifecycleSuite } from './lifecycleSuite.js';
import { type AdapterSuiteEnv, adapterSuite, useAdapterHarness } from './suite.js';

const makeAdapter = ({ WebSocket }: AdapterSuiteEnv) => baiduAdapter({ swan: createFakeSwan({ WebSocket }) });

adapterSuite('baidu', makeAdapter, { limitError: /^createSocketTask:fail exceed max cocurrent count$/ });

describe('baiduAdapter', () => {
  const { env, connect } = useAdapterHarness(makeAdapter);

  it.each([
    [
      'swan',
      /^baiduAdapter\(\): swan must be the mini-program's swan object, got "swan"; pass it as baiduAdapter\(\{ swan \}\)$/,
    ],
    [
      { connectSocket: null },
      /^baiduAdapter\(\): swan\.connectSocket must be a function, got null; pass the mini-program's swan object, from Baidu base library 1\.9\.4 or later$/,
    ],
  ])('throws ERR_INVALID_ADAPTER for swan = %o', (swan, message) => {
    const attempt = () => baiduAdapter({ swan: swan as never });
    expect(attempt).toThrow(SocketTaskError);
    expect(attempt).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ADAPTER' }));
    expect(attempt).toThrow(message);
  });

  it('exports the profile it uses: close ignored while CONNECTING, at most 2 sockets, wss:// only', () => {
    expect(makeAdapter(env).profile).toBe(baiduProfile);
    expect(baiduProfile).toMatchObject({
      closeWhileConnecting: 'ignored',
      maxConcurrent: 2,
      requiresSecureUrl: true,
    });
  });

  it('reports error then close 1006, naming base library 1.9.4, when swan.connectSocket returns no task', async () => {
    const adapter = baiduAdapter({ swan: { connectSocket: () => undefined as never } });
    const probe = connect({ url: 'wss://example.invalid/socket', adapter });
    const info = await within(probe.conn.closed, 'closed');
    expect(probe.log).toEqual(['error', 'close']);
    expect(probe.errors[0]?.errMsg).toMatch(
      /^connect failed: swan\.connectSocket\(\) returned no SocketTask \(got undefined\); SocketTasks need Baidu base library 1\.9\.4 or later$/,
    );
    expect(info).toEqual({ code: 1006, reason: '' });
  });
});

adapterLifecycleSuite('baidu', {
  platform: (env) => {
    const swan = createFakeSwan(env);
    return { adapter: () => baiduAdapter({ swan }), device: swan.device };
  },
  bare: (env) => baiduAdapter({ swan: withoutLifecycle(createFakeSwan(env)) }),
});
