import type { LifecycleSignal, LifecycleSource } from '../adapters/types.js';

type Listener = (signal: LifecycleSignal) => void;

/** The part of a mini-program host (`wx`, `qq`, `swan`, `tt`, `my`, `uni`, `Taro`) that reports lifecycle changes. */
export interface MiniProgramLifecycleHost {
  onNetworkStatusChange?(listener: (result: { isConnected: boolean }) => void): void;
  // `unknown`: every vendor types this listener differently (WeChat's typings give it `GeneralCallbackResult`,
  // with no `isConnected`), and only a listener that takes anything fits them all.
  offNetworkStatusChange?(listener: (result: unknown) => void): void;
  onAppShow?(listener: () => void): void;
  offAppShow?(listener: () => void): void;
  onAppHide?(listener: () => void): void;
  offAppHide?(listener: () => void): void;
  getNetworkType?(options: { success?: (result: { networkType: string }) => void }): void;
}

interface HostState {
  listeners: Set<Listener>;
  online: boolean;
  foreground: boolean;
  release: () => void;
}

const hosts = new WeakMap<object, HostState>();

function deliver(state: HostState, signal: LifecycleSignal): void {
  for (const listener of state.listeners) listener(signal);
}

function current(state: HostState, listener: Listener): void {
  if (!state.online) listener('offline');
  if (!state.foreground) listener('background');
}

function call(fn: (() => void) | undefined): void {
  try {
    fn?.();
  } catch {
    // A host that throws from on*/off* (an old base library, a shim) simply gives no signals.
  }
}

/**
 * Signals from a mini-program host's `onNetworkStatusChange`, `onAppShow` and `onAppHide`. The host's listeners are
 * registered once per host and shared by every connection, because some base libraries have no `off*` to remove
 * them; they are removed, where `off*` exists, when the last connection unsubscribes.
 */
export function miniProgramLifecycle(host: MiniProgramLifecycleHost): LifecycleSource | undefined {
  if (
    typeof host.onNetworkStatusChange !== 'function' &&
    typeof host.onAppShow !== 'function' &&
    typeof host.onAppHide !== 'function'
  ) {
    return undefined;
  }
  const start = (): HostState => {
    const state: HostState = { listeners: new Set(), online: true, foreground: true, release: () => {} };
    // The answer to getNetworkType describes the network at start; a change reported since is newer.
    let changed = false;
    const onNetwork = (result: unknown) => {
      let online: boolean;
      try {
        online = !(
          typeof result === 'object' &&
          result !== null &&
          (result as { isConnected?: unknown }).isConnected === false
        );
      } catch {
        // A payload that cannot be read (a getter or a Proxy that throws) says nothing about the network.
        return;
      }
      changed = true;
      if (online === state.online) return;
      state.online = online;
      deliver(state, online ? 'online' : 'offline');
    };
    const onShow = () => {
      if (state.foreground) return;
      state.foreground = true;
      deliver(state, 'foreground');
    };
    const onHide = () => {
      if (!state.foreground) return;
      state.foreground = false;
      deliver(state, 'background');
    };
    call(() => host.onNetworkStatusChange?.(onNetwork));
    call(() => host.onAppShow?.(onShow));
    call(() => host.onAppHide?.(onHide));
    call(() =>
      host.getNetworkType?.({
        success: (result) => {
          let type: unknown;
          try {
            type = (result as { networkType?: unknown } | null | undefined)?.networkType;
          } catch {
            return;
          }
          if (!changed && type === 'none') onNetwork({ isConnected: false });
        },
      }),
    );
    const canRelease =
      typeof host.offNetworkStatusChange === 'function' &&
      typeof host.offAppShow === 'function' &&
      typeof host.offAppHide === 'function';
    if (canRelease) {
      state.release = () => {
        call(() => host.offNetworkStatusChange?.(onNetwork));
        call(() => host.offAppShow?.(onShow));
        call(() => host.offAppHide?.(onHide));
        hosts.delete(host);
      };
    }
    return state;
  };
  return {
    subscribe(listener) {
      let state = hosts.get(host);
      if (state === undefined) {
        state = start();
        hosts.set(host, state);
      }
      const own = state;
      current(own, listener);
      own.listeners.add(listener);
      return () => {
        if (!own.listeners.delete(listener)) return;
        if (own.listeners.size === 0) own.release();
      };
    },
  };
}

/** The part of a browser's global scope that reports lifecycle changes. */
export interface WebLifecycleHost {
  addEventListener(type: string, listener: () => void): void;
  removeEventListener(type: string, listener: () => void): void;
  navigator?: { onLine?: boolean };
  document?: {
    visibilityState?: string;
    addEventListener(type: string, listener: () => void): void;
    removeEventListener(type: string, listener: () => void): void;
  };
}

function isWebLifecycleHost(scope: Partial<WebLifecycleHost>): scope is WebLifecycleHost {
  return typeof scope.addEventListener === 'function' && typeof scope.removeEventListener === 'function';
}

/** The global scope when it is a browser's (or a worker's): it has `addEventListener`. `undefined` in Node. */
export function browserScope(): WebLifecycleHost | undefined {
  // A structural view, not the DOM's `Window`: this must compile without the DOM lib, and run where there is none.
  // `globalThis` is ES2020: an older mini-program engine has none, and has no browser scope either.
  if (typeof globalThis === 'undefined') return undefined;
  const scope = globalThis as Partial<WebLifecycleHost>;
  return isWebLifecycleHost(scope) ? scope : undefined;
}

/**
 * The browser scope's `performance.now()`, read from the scope on every call (a page or a test may replace it),
 * or `undefined` where the scope has none.
 */
export function monotonicClock(scope: object | undefined): (() => number) | undefined {
  const read = () => (scope as { performance?: { now?: unknown } } | undefined)?.performance;
  const perf = read();
  if (typeof perf !== 'object' || perf === null || typeof perf.now !== 'function') return undefined;
  return () => (read() as { now(): number }).now();
}

/** Signals from the window's `online` / `offline` events and the document's `visibilitychange`. */
export function webLifecycle(host: WebLifecycleHost | undefined): LifecycleSource | undefined {
  if (typeof host?.addEventListener !== 'function' || typeof host.removeEventListener !== 'function') {
    return undefined;
  }
  return {
    subscribe(listener) {
      const onOnline = () => listener('online');
      const onOffline = () => listener('offline');
      const doc = typeof host.document?.addEventListener === 'function' ? host.document : undefined;
      const onVisibility = () => listener(doc?.visibilityState === 'hidden' ? 'background' : 'foreground');
      if (host.navigator?.onLine === false) listener('offline');
      if (doc?.visibilityState === 'hidden') listener('background');
      host.addEventListener('online', onOnline);
      host.addEventListener('offline', onOffline);
      doc?.addEventListener('visibilitychange', onVisibility);
      return () => {
        host.removeEventListener('online', onOnline);
        host.removeEventListener('offline', onOffline);
        doc?.removeEventListener('visibilitychange', onVisibility);
      };
    },
  };
}
