/**
 * Resolves with what `probe` returns once it is neither `undefined` nor `false`; rejects naming `what` after
 * `timeoutMs`. It polls because most conditions on real sockets (a byte count, a socket being gone) have no
 * single event to wait for.
 *
 * @example
 * ```ts
 * const connection = await until(() => proxy.connections[0], 'the first proxied connection');
 * ```
 */
export function until<T>(
  probe: () => T,
  what: string,
  timeoutMs = 2000,
): Promise<Exclude<T, undefined | false>> {
  const deadline = performance.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const check = () => {
      let value: T;
      try {
        value = probe();
      } catch (error) {
        reject(error);
        return;
      }
      if (value !== undefined && value !== false) resolve(value as Exclude<T, undefined | false>);
      else if (performance.now() >= deadline) {
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
      } else setTimeout(check, 5);
    };
    check();
  });
}
