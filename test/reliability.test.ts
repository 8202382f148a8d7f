import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const path = new URL('../RELIABILITY.md', import.meta.url);
const text = () => readFileSync(path, 'utf8');
const section = (title: string) => text().split(`## ${title}`)[1]?.split('\n## ')[0] ?? '';

// Never timings: only that the committed report of `npm run soak` is there, complete, and passed its own checks.
describe('RELIABILITY.md', () => {
  it('exists at the repo root', () => {
    expect(existsSync(path)).toBe(true);
  });

  it.each([
    'every fault schedule passed',
    'every message got exactly one outcome',
    'no server socket left once every connection was closed (no zombies)',
    'heap at the end within 10% of the heap at the start',
  ])('records the check "%s" as passed', (check) => {
    expect(section('Verdict')).toContain(`| ${check} | yes |`);
  });

  it.each(['node', 'web', 'wechat'])(
    'has the fault schedules of the %s adapter, with their seed',
    (adapter) => {
      expect(section('Fault schedules')).toMatch(new RegExp(`\\n\\| ${adapter} \\| \\d+ \\| \\d+ \\|`));
    },
  );

  it.each([
    'Reconnects',
    'Messages sent (during the soak)',
    'With an outcome: written',
    'Without an outcome',
    'Heap at the start, after gc',
    'Heap at the end, after gc',
    'Event-loop delay p99 (max)',
    'Server sockets left after closing every connection',
  ])('reports the load figure "%s"', (figure) => {
    expect(section('Load soak')).toMatch(new RegExp(`\\| ${figure.replace(/[()]/g, '\\$&')} \\| [^|]+ \\|`));
  });
});
