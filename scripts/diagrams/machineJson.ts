import type { AnyStateMachine } from 'xstate';

// One more view of each machine beside its diagram: its definition as JSON (`machine.toJSON()`), generated from the
// machine object. Stately Studio's "Import from code" reads the machines' source files themselves
// (test/stately.test.ts runs its extractor on them), so no copy of their configs is generated for it.

/** The name of an action, guard or actor given as a function: XState's built-ins carry a `type`. */
function functionName(value: { type?: unknown; name?: string }): string {
  if (typeof value.type === 'string') return value.type;
  return value.name || 'inline';
}

interface GuardCombinator {
  check: unknown;
  guards: unknown[];
  name?: string;
}

function isGuardCombinator(value: unknown): value is GuardCombinator {
  const candidate = value as Partial<GuardCombinator>;
  return typeof candidate.check === 'function' && Array.isArray(candidate.guards);
}

/** `machine.toJSON()` as JSON: functions become their names, a `not`/`and`/`or` guard `{ type, guards }`. */
export function machineJson(machine: AnyStateMachine, comment: string): string {
  const definition = JSON.parse(
    JSON.stringify(machine.toJSON(), function replacer(_key, value: unknown) {
      if (typeof value !== 'function') return value;
      if (isGuardCombinator(value)) return { type: value.name ?? 'and', guards: value.guards };
      return functionName(value as { type?: unknown; name?: string });
    }),
  ) as Record<string, unknown>;
  return `${JSON.stringify({ $comment: comment, ...definition }, null, 2)}\n`;
}
