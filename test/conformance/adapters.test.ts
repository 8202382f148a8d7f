import { describe, expect, it } from 'vitest';
import { nodeAdapter } from '../../src/adapters/node.js';
import { checkSocketTask, formatReport } from '../../src/conformance/index.js';

const numRuns = Number(process.env.FC_RUNS_KIT ?? 100);
const seed = Number(process.env.FC_SEED ?? Date.now() % 2 ** 31);
console.log(`[fast-check] conformance seed=${seed} numRuns=${numRuns}`);

describe('checkSocketTask against our own adapters', () => {
  it('passes for the Node adapter', async () => {
    const adapter = nodeAdapter();
    const started = performance.now();
    const result = await checkSocketTask({
      connect: (t) => adapter.connect(t),
      profile: adapter.profile,
      numRuns,
      seed,
    });
    console.log(`node adapter: ${numRuns} runs in ${Math.round(performance.now() - started)} ms`);
    expect(result.ok, formatReport(result)).toBe(true);
  }, 120_000);
});
