// What Stately's import-from-code sees in a source file, as JSON on stdout.
//
//   node tools/stately-check/extract.mjs src/machines/socketTask.ts src/machines/connection.ts
//
// Output: { "machines": [{ "file", "id", "states", "transitions" }] }, one entry per createMachine() call.
// - A state is named by its path from the machine, dot-joined and prefixed with the machine id:
//   `connection`, `connection.CONNECTING`, `connection.CONNECTING.handshake`.
// - A transition is { source, event, index, targets, guard }:
//   event is the event type for `on`, `after:<delay>` for `after` (the key as written: a delay name or a number
//   of ms), `always` for eventless transitions, `onDone` for a state's onDone, `invoke:onDone`/`invoke:onError`
//   for an invoke's; index is the position among the candidates of the same source and event (their priority);
//   targets are state paths as above (empty for a targetless transition; `unresolved:<written target>` when the
//   extractor cannot resolve one); guard is the guard's name, `inline:<source text>` for anything that is not a
//   name (Stately cannot show it as one), or null.
// Targets are resolved by the extractor itself (getTransitionTargets), not re-implemented here.
import { readFileSync } from 'node:fs';
import { extractMachinesFromFile } from '@xstate/machine-extractor';

/** Turns the extractor's transitionPath into this script's event name and candidate index. */
function eventOf(transitionPath) {
  switch (transitionPath[0]) {
    case 'on':
      return { event: transitionPath[1], index: transitionPath[2] };
    case 'after':
      return { event: `after:${transitionPath[1]}`, index: transitionPath[2] };
    case 'always':
      return { event: 'always', index: transitionPath[1] };
    case 'onDone':
      return { event: 'onDone', index: transitionPath[1] };
    case 'invoke':
      return { event: `invoke:${transitionPath[2]}`, index: transitionPath[3] };
    default:
      throw new Error(`unknown transition path ${JSON.stringify(transitionPath)}`);
  }
}

function guardOf(condNode, fileContent) {
  if (!condNode) return null;
  if (condNode.declarationType === 'named') return condNode.name;
  return `inline:${fileContent.slice(condNode.node.start, condNode.node.end)}`;
}

function extractFile(file) {
  const fileContent = readFileSync(file, 'utf8');
  const result = extractMachinesFromFile(fileContent);
  if (!result) return [];
  return result.machines.map((machine, machineIndex) => {
    if (!machine) throw new Error(`${file}: the extractor could not parse machine #${machineIndex}`);
    const config = machine.toConfig();
    const id = config?.id ?? '(machine)';
    const name = (path) => [id, ...path].join('.');

    const targetsByKey = new Map();
    for (const t of machine.getTransitionTargets()) {
      targetsByKey.set(
        JSON.stringify([t.fromPath, t.transitionPath]),
        t.targetPath.map((path, i) => (path ? name(path) : `unresolved:${t.target[i]?.value}`)),
      );
    }

    return {
      file,
      id,
      states: machine.getAllStateNodes().map((node) => name(node.path)),
      transitions: machine.getTransitions().map((t) => ({
        source: name(t.fromPath),
        ...eventOf(t.transitionPath),
        targets: targetsByKey.get(JSON.stringify([t.fromPath, t.transitionPath])) ?? [],
        guard: guardOf(t.config.guard ?? t.config.cond, fileContent),
      })),
    };
  });
}

const files = process.argv.slice(2);
if (files.length === 0) {
  process.stderr.write('usage: node extract.mjs <file.ts>...\n');
  process.exit(2);
}
process.stdout.write(`${JSON.stringify({ machines: files.flatMap(extractFile) }, null, 2)}\n`);
