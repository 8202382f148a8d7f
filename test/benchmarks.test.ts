import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  DISPATCH_TITLE,
  GAPS_TITLE,
  HEAP_TITLE,
  MEASUREMENTS,
  PROFILE_TITLE,
  SIZE_TITLE,
  VARIANT_NAMES,
} from '../bench/meta.js';

const path = new URL('../BENCHMARKS.md', import.meta.url);
const titles = [
  ...Object.values(MEASUREMENTS).flatMap(({ metrics }) => Object.values(metrics).map(({ title }) => title)),
  DISPATCH_TITLE,
  HEAP_TITLE,
  PROFILE_TITLE,
  GAPS_TITLE,
  SIZE_TITLE,
];

// Never timings: only that the committed report is there and covers every variant and every measurement.
describe('BENCHMARKS.md', () => {
  it('exists at the repo root', () => {
    expect(existsSync(path)).toBe(true);
  });

  it.each(VARIANT_NAMES)('names the variant %s', (variant) => {
    expect(readFileSync(path, 'utf8')).toContain(variant);
  });

  it.each(titles)('has a table for %s', (title) => {
    expect(readFileSync(path, 'utf8')).toContain(`### ${title}`);
  });

  it.each([
    'send throughput',
    'binary send throughput',
    'burst receive',
    'echo p50',
    '1,000 connections: time',
    '1,000 connections: heap per connection',
    '10,000 connections opened and closed',
    'reconnect at zero delay',
    '`send()` dispatch on a no-op socket',
    'min+gzip without xstate',
  ])('lists the target "%s" next to its measured figure', (target) => {
    const targets = readFileSync(path, 'utf8').split('## Targets')[1]?.split('## Results')[0] ?? '';
    expect(targets).toMatch(
      new RegExp(
        `\\| [^|]*${target.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}[^|]*\\| [^|]+ \\| [^|]+ \\| (yes|\\*\\*no\\*\\*) \\|`,
      ),
    );
  });
});
