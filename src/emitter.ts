import { rethrowLater } from './defer.js';

/**
 * Listeners dispatched as `EventTarget` does: each event goes to the listeners registered when it was fired, in
 * order of registration; one added during the dispatch waits for the next event, one removed during it is not
 * called; a listener registered twice is called once; one that throws neither stops the others nor reaches the
 * code that fired the event (its error is rethrown asynchronously).
 *
 * The list is replaced, never changed in place, on add and remove: a dispatch walks the list it started with, so
 * the hot path (a message) allocates nothing.
 */
// Shared by every emitter without listeners: most of a connection's events have none.
const NONE: ReadonlyArray<never> = [];

export class Emitter<A extends unknown[]> {
  private list: ReadonlyArray<(...args: A) => void> = NONE;

  get size(): number {
    return this.list.length;
  }

  add(listener: (...args: A) => void): () => void {
    // concat, not a spread: its array is the exact size, where a spread reserves room to grow.
    if (!this.list.includes(listener)) this.list = this.list.concat(listener);
    // Once: a stale unsubscribe must not remove the same function registered again later.
    let subscribed = true;
    return () => {
      if (!subscribed) return;
      subscribed = false;
      if (this.list.includes(listener)) this.list = this.list.filter((l) => l !== listener);
    };
  }

  emit(...args: A): void {
    const list = this.list;
    for (const listener of list) {
      // Only a dispatch whose list changed under it looks again: one removed meanwhile is not called.
      if (list !== this.list && !this.list.includes(listener)) continue;
      try {
        listener(...args);
      } catch (error) {
        rethrowLater(error);
      }
    }
  }

  clear(): void {
    this.list = NONE;
  }
}
