import type { LifecycleSource, SocketAdapter } from '../adapters/types.js';
import { invalid, read } from '../options/optionReaders.js';
import { describe } from '../validate.js';

/**
 * A lifecycle source as the connection uses it: `subscribe` read once and called as the source's method, and a
 * returned stop that is not a function (there is nothing to stop) replaced by one that does nothing, so that
 * tearing the connection down can never fail on it.
 */
function checkedSource(source: object, subscribe: LifecycleSource['subscribe']): LifecycleSource {
  return {
    subscribe(listener) {
      const stop: unknown = subscribe.call(source, listener);
      return typeof stop === 'function' ? (stop as () => void) : () => {};
    },
  };
}

export function lifecycleSource(option: unknown, adapter: SocketAdapter): LifecycleSource | undefined {
  if (option === false) return undefined;
  if (option === undefined) {
    const own = adapter.lifecycle;
    return own === undefined ? undefined : checkedSource(own, own.subscribe);
  }
  const subscribe = typeof option === 'object' && option !== null ? read(option, 'subscribe') : undefined;
  if (typeof subscribe !== 'function') {
    throw invalid(
      `createConnection(): lifecycle must be a source with subscribe(listener), such as createLifecycle(), or false; got ${describe(option)}`,
    );
  }
  return checkedSource(option as object, subscribe as LifecycleSource['subscribe']);
}
