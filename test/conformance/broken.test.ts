import { describe, expect, it } from 'vitest';
import { checkSocketTask, formatReport } from '../../src/conformance/index.js';
import { propertySeed } from '../helpers.js';
import { brokenTasks } from './broken.js';

const seed = propertySeed('conformance.broken');

describe('checkSocketTask catches every deliberately broken SocketTask', () => {
  it.each(brokenTasks)(
    'reports $name as $property, with the scenario and the seed',
    async ({ connect, property }) => {
      const result = await checkSocketTask({
        connect,
        profile: { closeWhileConnecting: 'aborts' },
        numRuns: 300,
        seed,
      });
      const report = formatReport(result);
      expect(result.ok, report).toBe(false);
      expect(
        result.violations.map((v) => v.property),
        report,
      ).toContain(property);
      const [first] = result.violations;
      expect(first?.seed).toBe(seed);
      expect(first?.scenario.length).toBeGreaterThan(1);
      expect(report).toMatch(/^does not conform \(seed \d+, path [\d:]+\):/);
      expect(report).toContain(`✗ ${property}`);
      expect(report).toMatch(/scenario:\n {4}server: /);

      // The seed replays the search, which finds the broken property again. (Its path replays only the one shrunk
      // run, which real sockets may time differently: a scenario step such as a server close may then find no
      // socket to act on yet.)
      const replay = await checkSocketTask({
        connect,
        profile: { closeWhileConnecting: 'aborts' },
        numRuns: 300,
        seed,
      });
      expect(replay.violations.map((v) => v.property)).toContain(property);
    },
    60_000,
  );
});
