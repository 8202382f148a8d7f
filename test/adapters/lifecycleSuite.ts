import { describe, expect, it, vi } from 'vitest';
import { WebSocket as WsWebSocket } from 'ws';
import type { SocketAdapter } from '../../src/adapters/types.js';
import type { FakeDevice } from '../fixtures/platforms/appLifecycle.js';
import { recordSignals, within } from '../helpers.js';
import type { AdapterHarness, AdapterSuiteEnv } from './suite.js';

/** One fake platform object and what the test needs of it. */
export interface LifecyclePlatform {
  /** Makes an adapter on this same platform object, as each `createConnection` of an app would. */
  adapter(): SocketAdapter;
  /** Fires the platform's network and app show / hide events. */
  device: FakeDevice;
}

/** What an adapter factory needs for the lifecycle suite. */
export interface LifecycleSuiteOptions {
  /** A fresh fake platform with every lifecycle function. */
  platform(env: AdapterSuiteEnv): LifecyclePlatform;
  /** An adapter on a platform object that has the socket API and none of the lifecycle functions. */
  bare(env: AdapterSuiteEnv): SocketAdapter;
}

function signalsOf(adapter: SocketAdapter) {
  return recordSignals(adapter.lifecycle, `the ${adapter.name} adapter`);
}

/**
 * Registers what every mini-program adapter's default lifecycle must do: the platform's own events become
 * lifecycle signals, its listeners are registered once per platform object and removed when the last
 * subscriber leaves, and a platform without those functions gives no lifecycle.
 *
 * @example
 * ```ts
 * adapterLifecycleSuite('qq', {
 *   platform: (env) => {
 *     const qq = createFakeQq(env);
 *     return { adapter: () => qqAdapter({ qq }), device: qq.device };
 *   },
 *   bare: (env) => qqAdapter({ qq: withoutLifecycle(createFakeQq(env)) }),
 * });
 * ```
 */
export function adapterLifecycleSuite(name: string, options: LifecycleSuiteOptions): void {
  // No socket is opened here: the platform's WebSocket is never used.
  const env: AdapterSuiteEnv = { WebSocket: WsWebSocket };
  const platform = () => options.platform(env);
  const bare = () => options.bare(env);
  describe(`${name} adapter: default lifecycle`, () => {
    it("maps the platform's network and app show / hide events to offline, online, background and foreground", () => {
      const { adapter, device } = platform();
      const { signals, unsubscribe } = signalsOf(adapter());
      device.goOffline();
      device.goOnline();
      device.hide();
      device.show();
      expect(signals).toEqual(['offline', 'online', 'background', 'foreground']);
      unsubscribe();
    });

    it('reports a repeated platform event once: a second onAppHide or the same network status is no new signal', () => {
      const { adapter, device } = platform();
      const { signals, unsubscribe } = signalsOf(adapter());
      device.hide();
      device.hide();
      device.goOnline('4g');
      device.goOffline();
      device.goOffline();
      expect(signals).toEqual(['background', 'offline']);
      unsubscribe();
    });

    it('registers the platform listeners once for every connection on one platform object and removes them with off* after the last', () => {
      const { adapter, device } = platform();
      const events = ['networkStatusChange', 'appShow', 'appHide'] as const;
      const counts = () => events.map((event) => device.listenerCount(event));
      const first = signalsOf(adapter());
      const second = signalsOf(adapter());
      const third = signalsOf(adapter());
      expect(counts()).toEqual([1, 1, 1]);
      device.hide();
      expect([first.signals, second.signals, third.signals]).toEqual([
        ['background'],
        ['background'],
        ['background'],
      ]);
      first.unsubscribe();
      second.unsubscribe();
      // Unsubscribing twice must not release the listeners the third subscriber still needs.
      second.unsubscribe();
      expect(counts()).toEqual([1, 1, 1]);
      third.unsubscribe();
      expect(counts()).toEqual([0, 0, 0]);
    });

    it('tells a subscriber that arrives while the app is in the background so at once', () => {
      const { adapter, device } = platform();
      const early = signalsOf(adapter());
      device.hide();
      const late = signalsOf(adapter());
      expect(late.signals).toEqual(['background']);
      early.unsubscribe();
      late.unsubscribe();
    });

    it("reports offline when the platform's getNetworkType answers 'none', before any network event", async () => {
      const { adapter, device } = platform();
      device.networkType = 'none';
      const { signals, unsubscribe } = signalsOf(adapter());
      await Promise.resolve();
      expect(signals).toEqual(['offline']);
      unsubscribe();
    });

    it('has no lifecycle when the platform object has none of the lifecycle functions', () => {
      expect(bare().lifecycle).toBeUndefined();
    });
  });
}

/** How one end-to-end test drives a platform's lifecycle. */
export interface SuspensionCase {
  harness: AdapterHarness;
  adapter: SocketAdapter;
  /** The app leaves the foreground or the network drops. */
  leave(): void;
  /** The app returns or the network comes back. */
  back(): void;
  /** Sockets the platform has been asked for so far. */
  attempts(): number;
}

/**
 * A server drop while the app is away: the connection waits in CLOSED.suspended without an attempt or a retry
 * spent, however long the clock runs, and reconnects the moment the app is back.
 */
export async function expectSuspendedUntilBack({
  harness,
  adapter,
  leave,
  back,
  attempts,
}: SuspensionCase): Promise<void> {
  // Only the clock: the sockets' I/O stays real, so the server's drop and the reconnect arrive as on a device.
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
  try {
    const server = await harness.serve();
    const { conn, peer } = await harness.open(server, { adapter, reconnect: { initialDelay: 1000 } });
    leave();
    expect(conn.state).toBe('OPEN');

    const dropped = new Promise<void>((resolve) => conn.onClose(() => resolve()));
    peer.socket.terminate();
    await within(dropped, 'the close after the server dropped the socket');
    expect(conn.actor.getSnapshot().matches({ CLOSED: 'suspended' })).toBe(true);

    await vi.advanceTimersByTimeAsync(10 * 60_000);
    expect(conn.actor.getSnapshot().matches({ CLOSED: 'suspended' })).toBe(true);
    expect(attempts()).toBe(1);
    expect(conn.retries).toBe(0);
    expect(conn.nextRetryAt).toBeNull();

    const reopened = new Promise<void>((resolve) => conn.onOpen(() => resolve()));
    back();
    expect(conn.state).toBe('CONNECTING');
    await within(reopened, 'the reconnect once the app is back');
    expect(attempts()).toBe(2);
    expect(server.connections).toHaveLength(2);
    // Made at once, but an attempt all the same: it counts toward maxRetries.
    expect(conn.retries).toBe(1);
    // Closed here, so that the lifecycle is released while the platform's global scope is still in place.
    await within(conn.close(), 'close');
  } finally {
    vi.useRealTimers();
  }
}
