import { describe, expect, it } from 'vitest';
import { checkSocketTask, formatReport } from '../../src/conformance/index.js';
import { propertySeed } from '../helpers.js';
import { brokenTasks } from './broken.js';

const seed = propertySeed('conformance.broken');

describe('checkSocketTask catches every deliberately broken SocketTask', () => {
  it.each(brokenTasks)(
    'reports $name as $property, naming the rule, the numbered scenario and the call that replays it',
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
      // Every violation names its property and the document of its rule, and comes with the shrunk scenario and
      // the call that replays it, values filled in.
      const caught = result.violations.find((v) => v.property === property);
      expect(caught?.source, report).toMatch(/seeds|WHATWG|RFC 6455/);
      for (const v of result.violations) {
        expect(v.seed).toBe(seed);
        expect(v.scenario.length).toBeGreaterThan(1);
        expect(v.path).toMatch(/^\d+(:\d+)*$/);
        expect(v.replay).toBe(
          `checkSocketTask({ connect, profile: { closeWhileConnecting: 'aborts' }, seed: ${seed}, path: '${v.path}' })`,
        );
      }
      expect(report).toMatch(/^does not conform \(seed \d+, path [\d:]+\):/);
      expect(report).toContain(`✗ ${property}`);
      expect(report).toContain(`    rule: ${caught?.source}\n`);
      expect(report).toMatch(/scenario, to replay by hand:\n {4}1\. server: .*\n {4}2\. /);
      expect(report).toContain(`  replay: await ${caught?.replay}`);

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
