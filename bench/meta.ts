// Names shared by the harness and test/benchmarks.test.ts; no imports, so the test can load it without bench/'s
// dependencies installed.

export const VARIANT_NAMES = [
  'ws (EventEmitter)',
  'ws (onmessage)',
  'reconnecting-websocket',
  'partysocket',
  'socket-task-machine (nodeAdapter)',
  'socket-task-machine (webAdapter)',
] as const;

export type VariantName = (typeof VARIANT_NAMES)[number];

/** Every ratio is against this variant, from the same run. */
export const BASELINE: VariantName = 'ws (EventEmitter)';

export interface Metric {
  /** The table's heading in BENCHMARKS.md. */
  title: string;
  unit: string;
  /** Higher is better (a rate) or lower is better (a time, a size). */
  better: 'higher' | 'lower';
}

/** One client process per (measurement, variant, repetition) reports these metrics. */
export const MEASUREMENTS = {
  send: {
    what: 'Send throughput',
    metrics: { send: { title: 'Send throughput', unit: 'k msg/s', better: 'higher' } },
  },
  sendBinary: {
    what: 'Binary send throughput',
    metrics: { sendBinary: { title: 'Binary send throughput', unit: 'k msg/s', better: 'higher' } },
  },
  echo: {
    what: 'Echo round trip',
    metrics: {
      echoP50: { title: 'Echo round trip p50', unit: 'µs', better: 'lower' },
      echoP99: { title: 'Echo round trip p99', unit: 'µs', better: 'lower' },
    },
  },
  burst: {
    what: 'Burst receive',
    metrics: { burst: { title: 'Burst receive', unit: 'k msg/s', better: 'higher' } },
  },
  connections: {
    what: '1,000 concurrent connections',
    metrics: {
      connectionsTime: {
        title: '1,000 concurrent connections: time until all open',
        unit: 'ms',
        better: 'lower',
      },
      connectionsHeap: {
        title: '1,000 concurrent connections: heap per connection',
        unit: 'bytes',
        better: 'lower',
      },
    },
  },
  churn: {
    what: '10,000 connections opened and closed',
    metrics: {
      churn: {
        title: '10,000 concurrent connections opened and closed cleanly',
        unit: 'ms',
        better: 'lower',
      },
    },
  },
  reconnect: {
    what: 'Reconnect latency at zero delay',
    metrics: { reconnect: { title: 'Reconnect latency at zero delay', unit: 'ms', better: 'lower' } },
  },
} as const satisfies Record<string, { what: string; metrics: Record<string, Metric> }>;

export type MeasurementName = keyof typeof MEASUREMENTS;

export const DISPATCH_TITLE = 'send() dispatch cost on a no-op socket';
export const HEAP_TITLE = 'Heap per open connection, by owner';
export const PROFILE_TITLE = 'Time of 1,000 opens, by owner';
export const GAPS_TITLE = 'The targets not met: where the cost is, and what would close it';
export const SIZE_TITLE = 'Size (min+gzip)';
