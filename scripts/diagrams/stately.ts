import type { AnyStateMachine } from 'xstate';

// Two more views of each machine beside its diagram: its definition as JSON (`machine.toJSON()`), and its config
// as a self-contained `createMachine({...})` file that Stately Studio's "Import from code" reads
// (https://stately.ai/docs/studio). Both are generated from the machine object, never from its source text.

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

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

function quote(text: string): string {
  return `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n')}'`;
}

/** Config keys that hold implementations, not structure; Stately gets none of them. */
const OMITTED = new Set(['context', 'schemas', 'types']);

/** A member whose value is a non-empty object: a state or an `on` map stays on lines of its own. */
const isNested = (member: string): boolean => /: \{ /.test(member);

/** A config value as a TypeScript literal; `combinators` collects the guard helpers it calls. */
function literal(value: unknown, indent: string, combinators: Set<string>): string {
  if (typeof value === 'string') return quote(value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value);
  if (typeof value === 'function') {
    if (isGuardCombinator(value)) {
      const name = value.name ?? 'and';
      combinators.add(name);
      const inner = value.guards.map((guard) => literal(guard, indent, combinators));
      return name === 'not' ? `not(${inner[0] ?? ''})` : `${name}([${inner.join(', ')}])`;
    }
    return quote(functionName(value as { type?: unknown; name?: string }));
  }
  const inner = `${indent}  `;
  if (Array.isArray(value)) {
    const items = value.map((item) => literal(item, inner, combinators));
    if (items.every((item) => !item.includes('\n')) && items.join(', ').length + indent.length < 100) {
      return `[${items.join(', ')}]`;
    }
    return `[\n${items.map((item) => `${inner}${item},\n`).join('')}${indent}]`;
  }
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(
      ([key, item]) => item !== undefined && !(indent === '' && OMITTED.has(key)),
    );
    if (entries.length === 0) return '{}';
    const members = entries.map(
      ([key, item]) => `${IDENTIFIER.test(key) ? key : quote(key)}: ${literal(item, inner, combinators)}`,
    );
    const oneLine = `{ ${members.join(', ')} }`;
    if (!oneLine.includes('\n') && oneLine.length + inner.length < 100 && !members.some(isNested)) {
      return oneLine;
    }
    return `{\n${members.map((member) => `${inner}${member},\n`).join('')}${indent}}`;
  }
  throw new Error(`diagrams: cannot write ${typeof value} into a machine config literal`);
}

/**
 * A self-contained module `export const machine = createMachine({...})` with the machine's config as one
 * literal: states, transitions, guards, actions, delays and actors by name. The context, which a function of the
 * input computes, is left out. `header` is the file's first lines.
 */
export function statelySource(machine: AnyStateMachine, header: string): string {
  const combinators = new Set<string>();
  const config = literal(machine.config, '', combinators);
  const imports = ['createMachine', ...[...combinators].sort()].join(', ');
  return `${header}import { ${imports} } from 'xstate';\n\nexport const machine = createMachine(${config});\n`;
}
