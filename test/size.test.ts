// The size budget: every entry point of the built package against size-budget.json. Growth is a decision made
// in that file, never found later in a benchmark.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type Budget, measureSizes, overBudget, root, type SizeRow } from '../scripts/size.js';

const budget = JSON.parse(readFileSync(join(root, 'size-budget.json'), 'utf8')) as Budget;

describe('the size budget', () => {
  it('holds every entry point of dist/ (min+gzip, without xstate) within its budget in size-budget.json', async () => {
    const rows = await measureSizes();
    expect(rows.length).toBeGreaterThan(10);
    expect(overBudget(rows, budget)).toEqual([]);
  }, 60_000);

  it('fails an entry that grew past its budget, one with no budget, one far below it, and a budget for nothing', () => {
    const row = (entry: string, gzip: number): SizeRow => ({
      entry,
      withoutXstate: { min: gzip * 3, gzip },
      withXstate: { min: gzip * 6, gzip: gzip * 2 },
    });
    const problems = overBudget([row('./a.js', 1001), row('./b.js', 500), row('./c.js', 100)], {
      entries: { './a.js': 1000, './c.js': 200, './gone.js': 10 },
    });
    expect(problems).toEqual([
      './a.js is 1001 B, over its budget of 1000 B',
      './b.js has no budget in size-budget.json (500 B)',
      './c.js is 100 B, far below its budget of 200 B: lower the budget',
      'size-budget.json names ./gone.js, which is not built',
    ]);
  });
});
