import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  browserScope,
  type MiniProgramLifecycleHost,
  miniProgramLifecycle,
  webLifecycle,
} from '../../src/lifecycle/platformSources.js';
import { createFakeLifecycle, withoutLifecycle } from '../fixtures/platforms/appLifecycle.js';
import { createFakeBrowserScope } from '../fixtures/platforms/browser.js';
import { recordSignals } from '../helpers.js';

describe('miniProgramLifecycle', () => {
  it('gives no source for a host without onNetworkStatusChange, onAppShow and onAppHide', () => {
    expect(miniProgramLifecycle({})).toBeUndefined();
    const { host } = createFakeLifecycle();
    expect(miniProgramLifecycle(withoutLifecycle(host))).toBeUndefined();
    expect(miniProgramLifecycle({ getNetworkType: host.getNetworkType })).toBeUndefined();
  });

  it('maps isConnected false and true to offline and online, onAppHide to background, onAppShow to foreground', () => {
    const { host, device } = createFakeLifecycle();
    const { signals, unsubscribe } = recordSignals(miniProgramLifecycle(host));
    device.goOffline();
    device.hide();
    device.goOnline();
    device.show();
    expect(signals).toEqual(['offline', 'background', 'online', 'foreground']);
    unsubscribe();
  });

  it('shares one registration per host between sources made from it, and removes it when the last subscriber leaves', () => {
    const { host, device } = createFakeLifecycle();
    const a = recordSignals(miniProgramLifecycle(host));
    const b = recordSignals(miniProgramLifecycle(host));
    expect(device.listenerCount('appHide')).toBe(1);
    device.hide();
    expect([a.signals, b.signals]).toEqual([['background'], ['background']]);
    a.unsubscribe();
    expect(device.listenerCount('appHide')).toBe(1);
    b.unsubscribe();
    expect(device.listenerCount('appHide')).toBe(0);
  });

  it('registers afresh, in the foreground and online, for a subscriber after the last one left', () => {
    const { host, device } = createFakeLifecycle();
    const source = miniProgramLifecycle(host);
    const first = recordSignals(source);
    device.hide();
    first.unsubscribe();
    device.show();
    const second = recordSignals(source);
    expect(second.signals).toEqual([]);
    expect(device.listenerCount('appShow')).toBe(1);
    device.hide();
    expect(second.signals).toEqual(['background']);
    second.unsubscribe();
  });

  it('keeps the listeners of a host without off* functions for the next subscriber, since they cannot be removed', () => {
    const { host, device } = createFakeLifecycle();
    const { onNetworkStatusChange, onAppShow, onAppHide } = host;
    const withoutOff: MiniProgramLifecycleHost = { onNetworkStatusChange, onAppShow, onAppHide };
    const source = miniProgramLifecycle(withoutOff);
    const first = recordSignals(source);
    device.hide();
    first.unsubscribe();
    const second = recordSignals(source);
    expect(second.signals).toEqual(['background']);
    expect(device.listenerCount('appHide')).toBe(1);
    expect(first.signals).toEqual(['background']);
    device.show();
    expect(first.signals).toEqual(['background']);
    expect(second.signals).toEqual(['background', 'foreground']);
    second.unsubscribe();
  });

  it('gives no signals, and does not throw, when the host throws from its on* functions', () => {
    const throws = () => {
      throw new Error('not supported in this base library');
    };
    const source = miniProgramLifecycle({
      onNetworkStatusChange: throws,
      onAppShow: throws,
      onAppHide: throws,
    });
    const { signals, unsubscribe } = recordSignals(source);
    expect(signals).toEqual([]);
    expect(unsubscribe).not.toThrow();
  });
});

describe('webLifecycle', () => {
  it('gives no source without a global scope', () => {
    expect(webLifecycle(undefined)).toBeUndefined();
  });

  it("maps the window's offline and online and the document's visibilitychange to the four signals", () => {
    const browser = createFakeBrowserScope();
    const { signals, unsubscribe } = recordSignals(webLifecycle(browser.window));
    browser.goOffline();
    browser.hide();
    browser.goOnline();
    browser.show();
    expect(signals).toEqual(['offline', 'background', 'online', 'foreground']);
    unsubscribe();
  });

  it('tells a subscriber at once when navigator.onLine is false or the document is hidden', () => {
    const browser = createFakeBrowserScope({ online: false, visible: false });
    const { signals, unsubscribe } = recordSignals(webLifecycle(browser.window));
    expect(signals).toEqual(['offline', 'background']);
    unsubscribe();
  });

  it('removes every listener it added when its subscriber unsubscribes', () => {
    const browser = createFakeBrowserScope();
    const source = webLifecycle(browser.window);
    const a = recordSignals(source);
    const b = recordSignals(source);
    expect(browser.listenerCount('online')).toBe(2);
    a.unsubscribe();
    b.unsubscribe();
    const types = ['online', 'offline', 'visibilitychange'] as const;
    expect(types.map((type) => browser.listenerCount(type))).toEqual([0, 0, 0]);
  });

  it('reports only the network in a scope without a document, such as a worker', () => {
    const browser = createFakeBrowserScope();
    const { addEventListener, removeEventListener, navigator } = browser.window;
    const { signals, unsubscribe } = recordSignals(
      webLifecycle({ addEventListener, removeEventListener, navigator }),
    );
    browser.goOffline();
    browser.hide();
    browser.goOnline();
    expect(signals).toEqual(['offline', 'online']);
    expect(browser.listenerCount('visibilitychange')).toBe(0);
    unsubscribe();
  });
});

describe('browserScope', () => {
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  it('is undefined in Node, whose global scope has no addEventListener', () => {
    expect(browserScope()).toBeUndefined();
  });

  it('is the global scope where it has addEventListener and removeEventListener', () => {
    const browser = createFakeBrowserScope();
    vi.stubGlobal('addEventListener', browser.window.addEventListener);
    vi.stubGlobal('removeEventListener', browser.window.removeEventListener);
    expect(browserScope()).toBe(globalThis);
  });

  it('is undefined where the global scope has addEventListener but no removeEventListener', () => {
    vi.stubGlobal('addEventListener', createFakeBrowserScope().window.addEventListener);
    expect(browserScope()).toBeUndefined();
  });
});

describe('miniProgramLifecycle and a late getNetworkType answer', () => {
  it('ignores an answer of "none" that arrives after the platform reported a network change', () => {
    let answer: ((result: { networkType: string }) => void) | undefined;
    const network: Array<(result: { isConnected: boolean }) => void> = [];
    const host: MiniProgramLifecycleHost = {
      onNetworkStatusChange: (listener) => network.push(listener),
      getNetworkType: ({ success }) => {
        answer = success;
      },
    };
    const { signals, unsubscribe } = recordSignals(miniProgramLifecycle(host));
    for (const listener of network) listener({ isConnected: true });
    answer?.({ networkType: 'none' });
    expect(signals).toEqual([]);
    unsubscribe();
  });

  it('takes an answer of "none" that arrives first as offline', () => {
    let answer: ((result: { networkType: string }) => void) | undefined;
    const host: MiniProgramLifecycleHost = {
      onNetworkStatusChange: () => {},
      getNetworkType: ({ success }) => {
        answer = success;
      },
    };
    const { signals, unsubscribe } = recordSignals(miniProgramLifecycle(host));
    answer?.({ networkType: 'none' });
    expect(signals).toEqual(['offline']);
    unsubscribe();
  });
});
