import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { AnyStateMachine, AnyStateNode, AnyTransitionDefinition } from 'xstate';
import { connectionMachine } from '../src/machines/connection.js';
import { globalSocketMachine } from '../src/machines/globalSocket.js';
import { socketTaskMachine } from '../src/machines/socketTask.js';
import { taskMachine } from '../src/machines/task.js';

// Stately's import-from-code drops what it cannot read statically (state keys from another module, configs built
// by a helper, guards that are not names) without an error. This compares what its extractor reads from the source
// with the machines XState builds at runtime; tools/stately-check/extract.mjs documents the line format.

const root = join(import.meta.dirname, '..');
const tool = join(root, 'tools/stately-check');
const files = [
  'src/machines/socketTask.ts',
  'src/machines/connection.ts',
  'src/machines/task.ts',
  'src/machines/globalSocket.ts',
];
const runtimeMachines: AnyStateMachine[] = [
  socketTaskMachine,
  connectionMachine,
  taskMachine,
  globalSocketMachine,
];

interface ExtractedTransition {
  source: string;
  event: string;
  index: number;
  targets: string[];
  guard: string | null;
}
interface ExtractedMachine {
  file: string;
  id: string;
  states: string[];
  transitions: ExtractedTransition[];
}

function extract(): ExtractedMachine[] {
  if (!existsSync(join(tool, 'node_modules/@xstate/machine-extractor/package.json'))) {
    throw new Error(
      'tools/stately-check/node_modules is missing: run `npm run stately:install` (npm ci in tools/stately-check)',
    );
  }
  const result = spawnSync(process.execPath, [join(tool, 'extract.mjs'), ...files], {
    cwd: root,
    encoding: 'utf8',
  });
  if (result.status !== 0) {
    throw new Error(`extract.mjs exited with ${String(result.status)}:\n${result.stderr}`);
  }
  return (JSON.parse(result.stdout) as { machines: ExtractedMachine[] }).machines;
}

const stateName = (node: AnyStateNode): string => [node.machine.id, ...node.path].join('.');

function allStates(node: AnyStateNode): AnyStateNode[] {
  return [
    node,
    ...Object.values(node.states as Record<string, AnyStateNode>).flatMap((child) => allStates(child)),
  ];
}

/** The runtime's event descriptor in extract.mjs's naming: `after:<delay>`, `onDone`, `invoke:onDone`… */
function eventName(descriptor: string, transition: AnyTransitionDefinition & { delay?: unknown }): string {
  if (descriptor.startsWith('xstate.after.')) {
    if (typeof transition.delay !== 'string' && typeof transition.delay !== 'number') {
      throw new Error(`${descriptor}: a delayed transition without a delay name or number`);
    }
    return `after:${transition.delay}`;
  }
  if (descriptor.startsWith('xstate.done.state.')) return 'onDone';
  if (descriptor.startsWith('xstate.done.actor.')) return 'invoke:onDone';
  if (descriptor.startsWith('xstate.error.actor.')) return 'invoke:onError';
  if (descriptor.startsWith('xstate.snapshot.')) return 'invoke:onSnapshot';
  return descriptor;
}

function guardName(guard: AnyTransitionDefinition['guard']): string | null {
  if (guard === undefined) return null;
  if (typeof guard === 'string') return guard;
  // A higher-order guard (`and`, `not`, …) is a function: the extractor sees it as inline code, never as this name.
  if (typeof guard === 'function') return guard.name;
  return guard.type;
}

function runtimeTransitions(machine: AnyStateMachine): ExtractedTransition[] {
  return allStates(machine.root).flatMap((node) => {
    const groups: [string, AnyTransitionDefinition[]][] = [
      ...node.transitions.entries(),
      ['always', node.always ?? []],
    ];
    return groups.flatMap(([descriptor, transitions]) =>
      transitions.map((transition, index) => ({
        source: stateName(node),
        event: eventName(descriptor, transition),
        index,
        targets: (transition.target ?? []).map(stateName),
        guard: guardName(transition.guard),
      })),
    );
  });
}

/** One line per transition, so a difference reads as `source --event[i]--> targets [guard]`. */
const line = (t: ExtractedTransition): string =>
  `${t.source} --${t.event}[${t.index}]--> ${t.targets.join(', ') || '(no target)'}${t.guard === null ? '' : ` [${t.guard}]`}`;

const missingFrom = (side: string[], other: string[]): string[] =>
  other.filter((item) => !side.includes(item));

describe("Stately's extractor (@xstate/machine-extractor)", () => {
  const extracted = extract();

  it('finds one machine per file, with the runtime ids', () => {
    expect(extracted.map((machine) => machine.id)).toEqual(runtimeMachines.map((machine) => machine.id));
  });

  describe.each(runtimeMachines.map((machine) => [machine.id, machine] as const))('%s', (id, machine) => {
    const fromSource = extracted.find((candidate) => candidate.id === id);

    it('reads every state of the runtime machine, and no other', () => {
      const runtime = allStates(machine.root).map(stateName);
      const source = fromSource?.states ?? [];
      expect({
        missingInStately: missingFrom(source, runtime),
        onlyInStately: missingFrom(runtime, source),
      }).toEqual({ missingInStately: [], onlyInStately: [] });
    });

    it('reads every transition with its event, priority, targets and guard, and no other', () => {
      const runtime = runtimeTransitions(machine).map(line).sort();
      const source = (fromSource?.transitions ?? []).map(line).sort();
      expect({
        missingInStately: missingFrom(source, runtime),
        onlyInStately: missingFrom(runtime, source),
      }).toEqual({ missingInStately: [], onlyInStately: [] });
      expect(source).toHaveLength(runtime.length);
    });
  });
});
