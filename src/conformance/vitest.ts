import { expect, it } from 'vitest';
import { type CheckSocketTaskOptions, checkSocketTask, formatReport } from './checkSocketTask.js';

/**
 * Registers one vitest test that runs `checkSocketTask` and fails with a readable report (the broken property,
 * the shrunk scenario, the seed to replay it).
 *
 * @example
 * ```ts
 * import { testSocketTask } from 'socket-task-machine/conformance/vitest';
 *
 * testSocketTask('my shim conforms', { connect: ({ url }) => myShim.connect(url), profile: { closeWhileConnecting: 'aborts' } });
 * ```
 */
export function testSocketTask(name: string, options: CheckSocketTaskOptions, timeout = 120_000): void {
  it(
    name,
    async () => {
      const result = await checkSocketTask(options);
      expect(result.ok, formatReport(result)).toBe(true);
    },
    timeout,
  );
}
