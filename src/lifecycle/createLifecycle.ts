import type { LifecycleSignal, LifecycleSource } from '../adapters/types.js';
import { Emitter } from '../emitter.js';
import { SocketTaskError } from '../errors.js';
import { describe } from '../validate.js';

/** A lifecycle source the application drives itself, e.g. from React Native's `AppState` or its own network probe. */
export interface ManualLifecycle extends LifecycleSource {
  /** Reports a change to every subscribed connection. */
  emit(signal: LifecycleSignal): void;
}

/**
 * @example
 * ```ts
 * const lifecycle = createLifecycle();
 * const conn = createConnection({ url, adapter, reconnect: {}, lifecycle });
 * AppState.addEventListener('change', (s) => lifecycle.emit(s === 'active' ? 'foreground' : 'background'));
 * ```
 */
export function createLifecycle(): ManualLifecycle {
  const listeners = new Emitter<[signal: LifecycleSignal]>();
  let online = true;
  let foreground = true;
  return {
    emit(signal) {
      if (signal !== 'online' && signal !== 'offline' && signal !== 'foreground' && signal !== 'background') {
        return;
      }
      if (signal === 'online' || signal === 'offline') online = signal === 'online';
      else foreground = signal === 'foreground';
      listeners.emit(signal);
    },
    subscribe(listener) {
      if (typeof listener !== 'function') {
        throw new SocketTaskError(
          'ERR_INVALID_CALLBACK',
          `lifecycle.subscribe(): listener must be a function, got ${describe(listener)}`,
        );
      }
      if (!online) listener('offline');
      if (!foreground) listener('background');
      return listeners.add(listener);
    },
  };
}
