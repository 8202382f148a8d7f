import { guarded, invalid, MAX_DELAY, read, refuseUnknownKeys, tooLong } from '../options/optionReaders.js';
import { dataProblem, describe, type SocketData } from '../validate.js';

/** The `heartbeat` option of {@link createConnection}. */
export interface HeartbeatOptions {
  /** ms between the end of one check and the next ping. @defaultValue `15000` */
  interval?: number;
  /** ms to wait for any message after a ping. @defaultValue `10000` */
  timeout?: number;
  /** The ping, or a function making it. @defaultValue `'ping'` */
  message?: SocketData | (() => SocketData);
  /** Recognizes the server's answer, which is then not passed to `onMessage`. @defaultValue `data === 'pong'` */
  isPong?: (data: string | ArrayBuffer) => boolean;
}

export interface HeartbeatPolicy {
  interval: number;
  timeout: number;
  message: SocketData | (() => SocketData);
  isPong: (data: string | ArrayBuffer) => boolean;
}

export function heartbeatPolicy(option: unknown): HeartbeatPolicy | false {
  if (option === undefined || option === false) return false;
  if (typeof option !== 'object' || option === null) {
    throw invalid(
      `createConnection(): heartbeat must be an object such as { interval: 15000 } or false, got ${describe(option)}`,
    );
  }
  refuseUnknownKeys(option, ['interval', 'timeout', 'message', 'isPong'], 'heartbeat.');
  const interval = read(option, 'interval');
  const timeout = read(option, 'timeout');
  const message = read(option, 'message') as HeartbeatOptions['message'];
  const isPong = read(option, 'isPong') as HeartbeatOptions['isPong'];
  const positive = (name: string, value: unknown, fallback: number) => {
    if (value === undefined) return fallback;
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
      throw invalid(
        `createConnection(): heartbeat.${name} must be a finite number of ms > 0, got ${describe(value)}`,
      );
    }
    if (value > MAX_DELAY) throw tooLong(`heartbeat.${name}`, value);
    return value;
  };
  if (message !== undefined && typeof message !== 'function' && dataProblem(message)) {
    throw invalid(
      `createConnection(): heartbeat.message must be a string, an ArrayBuffer, a view or a function, got ${describe(message)}`,
    );
  }
  if (isPong !== undefined && typeof isPong !== 'function') {
    throw invalid(`createConnection(): heartbeat.isPong must be a function, got ${describe(isPong)}`);
  }
  return {
    interval: positive('interval', interval, 15_000),
    timeout: positive('timeout', timeout, 10_000),
    message: message ?? 'ping',
    isPong: isPong ? guarded(isPong, false) : (data) => data === 'pong',
  };
}
