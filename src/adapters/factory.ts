import { SocketTaskError } from '../errors.js';

/**
 * Runs an adapter factory's checks. The platform object comes from the caller and may be anything: a getter or a
 * Proxy that throws while it is read is reported as `ERR_INVALID_ADAPTER`, with its error as the cause, never raw.
 */
export function checkedFactory<A>(factory: string, build: () => A): A {
  try {
    return build();
  } catch (error) {
    if (error instanceof SocketTaskError) throw error;
    throw new SocketTaskError(
      'ERR_INVALID_ADAPTER',
      `${factory}(): reading the platform object threw; pass the platform's own object`,
      { cause: error },
    );
  }
}
