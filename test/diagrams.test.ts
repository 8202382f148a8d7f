import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type AnyStateMachine, type AnyStateNode, type AnyTransitionDefinition, not, setup } from 'xstate';
import { drawingsOf, generateFiles, MACHINES_DOC } from '../scripts/diagrams/files.js';
import {
  type DiagramSpec,
  diagramSpecs,
  hasMarkedRegion,
  renderStateDiagram,
  replaceMarkedRegions,
} from '../scripts/diagrams/render.js';
import { RENDERER, renderSvg, sha256, stampOf, svgStamp, withBrowser } from '../scripts/diagrams/svg.js';
import { diagramViews } from '../scripts/diagrams/views.js';

const root = join(import.meta.dirname, '..');
const readFile = (path: string): string | undefined =>
  existsSync(join(root, path)) ? readFileSync(join(root, path), 'utf8') : undefined;
const rootReadme = readFile('README.md');
const machinesDoc = readFile(MACHINES_DOC);
const generated = generateFiles({ rootReadme, machinesDoc });
const drawings = drawingsOf(diagramSpecs, diagramViews);

function allStates(node: AnyStateNode): AnyStateNode[] {
  return Object.values(node.states as Record<string, AnyStateNode>).flatMap((child) => [
    child,
    ...allStates(child),
  ]);
}

function allTransitions(machine: AnyStateMachine): AnyTransitionDefinition[] {
  return [machine.root, ...allStates(machine.root)].flatMap((node) => [
    ...[...node.transitions.values()].flat(),
    ...((node.always ?? []) as AnyTransitionDefinition[]),
  ]);
}

const idOf = (node: AnyStateNode): string => node.path.join('_');

/** Labels per arrow `source --> target`, one per transition. */
function arrows(diagram: string): Map<string, string[]> {
  const result = new Map<string, string[]>();
  for (const match of diagram.matchAll(/^ {2}(\w+ --> \w+) : (.*)$/gm)) {
    result.set(match[1] as string, (match[2] as string).split('<br/>'));
  }
  return result;
}

describe('generated diagram files', () => {
  it('include every machine diagram, their definitions, the page-width views, the diagrams README and docs/machines.md', () => {
    expect(generated.map((file) => file.path)).toEqual(
      expect.arrayContaining([
        'diagrams/socket-task.mmd',
        'diagrams/socket-task.machine.json',
        'diagrams/connection.mmd',
        'diagrams/connection.machine.json',
        'diagrams/task.mmd',
        'diagrams/task.machine.json',
        'diagrams/connection-overview.mmd',
        'diagrams/connection-connecting.mmd',
        'diagrams/connection-open.mmd',
        'diagrams/connection-closing.mmd',
        'diagrams/connection-closed.mmd',
        'diagrams/README.md',
        MACHINES_DOC,
      ]),
    );
  });

  it('are all that diagrams/ holds, with an SVG per diagram: nothing is left there that is no longer generated', () => {
    const expected = [
      ...generated.filter((file) => file.path.startsWith('diagrams/')).map((file) => file.path),
      ...drawings.map((drawing) => drawing.svgPath),
    ].sort();
    const present = readdirSync(join(root, 'diagrams'))
      .map((name) => `diagrams/${name}`)
      .sort();
    expect(present).toEqual(expected);
  });

  for (const file of generated) {
    it(`${file.path} is up to date with the machines`, () => {
      const committed = readFile(file.path);
      expect(
        committed,
        `${file.path} is stale: the machines changed since it was generated; run \`npm run diagrams\``,
      ).toBe(file.content);
    });
  }

  it('each start with a line saying they are generated and how to regenerate them', () => {
    for (const file of generated.filter((candidate) => candidate.path.startsWith('diagrams/'))) {
      // JSON has no comments: its first member, on the second line, says it.
      const first = file.content.split('\n')[file.path.endsWith('.json') ? 1 : 0];
      expect(first, file.path).toMatch(
        /^(%% |<!-- |\/\/ | {2}"\$comment": ")Generated from src\/machines\/\S+\.ts((, | and )src\/machines\/\S+\.ts)* by `npm run diagrams`; do not edit\.( -->|.*",)?$/,
      );
    }
  });

  it.skipIf(rootReadme === undefined || !hasMarkedRegion(rootReadme))(
    'README.md embeds the connection diagram between its markers, after a generated-file comment',
    () => {
      const readme = generated.find((file) => file.path === 'README.md')?.content ?? '';
      const region = /<!-- diagram:connection:start -->\n([\s\S]*?)<!-- diagram:connection:end -->/.exec(
        readme,
      );
      expect(region?.[1]).toBe(
        '<!-- Generated from src/machines/connection.ts by `npm run diagrams`; do not edit. -->\n\n' +
          `\`\`\`mermaid\n${renderStateDiagram(diagramSpecs.find((spec) => spec.name === 'connection')?.machine as AnyStateMachine)}\`\`\`\n`,
      );
    },
  );

  it('diagrams/README.md embeds each whole-machine diagram, links each .mmd file, and lists every view', () => {
    const readme = generated.find((file) => file.path === 'diagrams/README.md')?.content ?? '';
    for (const spec of diagramSpecs) {
      expect(readme).toContain(`\`\`\`mermaid\n${renderStateDiagram(spec.machine)}\`\`\``);
      expect(readme).toContain(`(./${spec.name}.mmd)`);
      expect(readme).toContain(`![${spec.name} machine](./${spec.name}.svg)`);
      expect(readme).toContain(`(./${spec.name}.machine.json)`);
    }
    for (const view of diagramViews) {
      expect(readme).toContain(
        `[${view.title}](./${view.name}.svg) ([\`${view.name}.mmd\`](./${view.name}.mmd))`,
      );
    }
  });

  it('are byte-identical when generated twice', () => {
    expect(generateFiles({ rootReadme, machinesDoc })).toEqual(generated);
  });
});

// Drawing an SVG takes a browser, so the check reads the stamp on its first line instead: the SHA-256 of the
// .mmd content it was drawn from, and the renderer.
describe.each(drawings.map((drawing) => [drawing.svgPath, drawing] as const))('%s', (path, drawing) => {
  it('exists and records the SHA-256 of the current .mmd and the current renderer', () => {
    expect(generated.find((file) => file.path === drawing.mmdPath)?.content).toBe(drawing.mmd);
    const svg = readFile(path);
    expect(svg, `${path} is missing; run \`npm run diagrams\``).toBeDefined();
    expect(
      stampOf(svg ?? ''),
      `${path} is stale: it was not drawn from the current ${drawing.mmdPath} by ${RENDERER}; run \`npm run diagrams\``,
    ).toBe(svgStamp(drawing.mmdPath, drawing.mmd));
  });

  it('is an SVG after its stamp line', () => {
    const svg = readFile(path) ?? '';
    expect(svg.split('\n')[1]).toMatch(new RegExp(`^<svg id="${drawing.name}" `));
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
  });
});

describe('svgStamp', () => {
  it('records the SHA-256 of the exact .mmd content and the renderer', () => {
    const stamp = svgStamp('diagrams/x.mmd', 'stateDiagram-v2\n  a\n');
    expect(stamp).toBe(
      `<!-- Generated from diagrams/x.mmd by \`npm run diagrams\`; do not edit. source-sha256: ${sha256('stateDiagram-v2\n  a\n')} renderer: ${RENDERER} -->`,
    );
    expect(RENDERER).toMatch(/^@mermaid-js\/mermaid-cli 11\.\d+\.\d+, mermaid 11\.\d+\.\d+, elk layout$/);
    expect(svgStamp('diagrams/x.mmd', 'stateDiagram-v2\n  b\n')).not.toBe(stamp);
  });
});

describe('renderSvg', () => {
  it('draws a small diagram with the system Chromium as an SVG naming every state, the same twice', async () => {
    const mmd = 'stateDiagram-v2\n  [*] --> idle\n  idle --> busy : go [ready]\n  busy --> [*]\n';
    const [first, second] = await withBrowser(async (browser) => [
      await renderSvg(browser, 'diagrams/sample.mmd', mmd, 'sample'),
      await renderSvg(browser, 'diagrams/sample.mmd', mmd, 'sample'),
    ]);
    const [stamp, svg] = (first ?? '').split(/\n(.*)/s) as [string, string];
    expect(stamp).toBe(svgStamp('diagrams/sample.mmd', mmd));
    expect(svg).toMatch(/^<svg id="sample" [^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    const text = svg.replace(/<style>[\s\S]*?<\/style>/, '').replace(/<[^>]*>/g, '');
    expect(text).toContain('idle');
    expect(text).toContain('busy');
    expect(text).toContain('go [ready]');
    expect(second).toBe(first);
  }, 60_000);
});

describe.each(diagramSpecs.map((spec) => [spec.name, spec] as const))('the %s diagram', (_name, spec) => {
  const { machine } = spec;
  const diagram = renderStateDiagram(machine);
  const lines = diagram.trimEnd().split('\n');

  // Mermaid separates parallel regions only inside a composite state: a parallel root is drawn as one, named
  // after the machine, and everything in it is one level deeper.
  const offset = machine.root.type === 'parallel' ? 1 : 0;

  it("has the top-level states of its machine: the four readyStates, the stages of a task, the global socket's regions", () => {
    const top = new RegExp(`^ {${2 + 2 * offset}}(?:state (\\w+) \\{|(\\w+))$`);
    const topLevel = lines.flatMap((line) => top.exec(line)?.slice(1, 3) ?? []);
    expect(topLevel.filter(Boolean)).toEqual(
      spec.name === 'task'
        ? ['resolving', 'live', 'gone']
        : spec.name === 'global-socket'
          ? ['socket', 'ghost']
          : ['CONNECTING', 'OPEN', 'CLOSING', 'CLOSED'],
    );
    if (offset === 1) expect(lines[1]).toBe(`  state ${machine.id} {`);
  });

  it('declares every state of the machine, nested inside its parent', () => {
    for (const state of allStates(machine.root)) {
      const indent = '  '.repeat(state.path.length + offset);
      const declarations =
        state.path.length === 1
          ? [`${indent}state ${state.key} {`, `${indent}${state.key}`]
          : [`${indent}state "${state.key}" as ${idOf(state)}`];
      expect(
        lines.some((line) => declarations.includes(line)),
        `${state.id} is not declared at depth ${state.path.length}`,
      ).toBe(true);
    }
  });

  it('marks every initial state with [*] --> and every final state with --> [*]', () => {
    for (const state of [machine.root, ...allStates(machine.root)]) {
      for (const initial of state.type === 'compound' ? (state.initial?.target ?? []) : []) {
        expect(diagram).toContain(`[*] --> ${idOf(initial)}\n`);
      }
      if (state.type === 'final') expect(diagram).toContain(`  ${idOf(state)} --> [*]\n`);
    }
  });

  it('labels an arrow with every guard name the machine defines', () => {
    const guards = Object.keys(machine.implementations.guards);
    expect(guards.length).toBeGreaterThan(0);
    for (const guard of guards) {
      expect(diagram, `guard ${guard} is missing (or used by no transition)`).toMatch(
        new RegExp(`^ {2}\\w+ --> \\w+ : .*\\[${guard}\\]`, 'm'),
      );
    }
  });

  it('labels delayed transitions with the delay names, never an internal event id', () => {
    for (const delay of Object.keys(machine.implementations.delays)) {
      expect(diagram, `delay ${delay} is missing`).toMatch(
        new RegExp(`(: |<br/>)after ${delay}(<br/>| |$)`, 'm'),
      );
    }
    expect(diagram).not.toContain('xstate.');
  });

  it('draws one labelled arrow line per transition and target, each naming its event', () => {
    const drawn = arrows(diagram);
    let expected = 0;
    // The root is no box: a transition of the root applies in every top-level state and is drawn from each.
    const topLevel = Object.values(machine.root.states);
    const sourcesOf = (t: AnyTransitionDefinition) => (t.source === machine.root ? topLevel : [t.source]);
    for (const transition of allTransitions(machine)) {
      for (const [source, target] of sourcesOf(transition).flatMap((from) =>
        (transition.target ?? [from]).map((to) => [from, to === machine.root ? from : to] as const),
      )) {
        expected++;
        const labels = drawn.get(`${idOf(source)} --> ${idOf(target)}`) ?? [];
        const delay = (transition as { delay?: unknown }).delay;
        const trigger = delay === undefined ? String(transition.eventType) : `after ${String(delay)}`;
        expect(
          labels.some((label) => label.startsWith(trigger)),
          `${source.id} --${trigger}--> ${target.id}`,
        ).toBe(true);
      }
    }
    expect([...drawn.values()].flat()).toHaveLength(expected);
  });

  it('names the actions of transitions that change no state', () => {
    const topLevel = Object.values(machine.root.states);
    for (const transition of allTransitions(machine).filter((t) => t.target === undefined)) {
      const sources = transition.source === machine.root ? topLevel : [transition.source];
      for (const source of sources) {
        const labels = arrows(diagram).get(`${idOf(source)} --> ${idOf(source)}`) ?? [];
        const actions = transition.actions.map((action) => String(action)).join(', ');
        expect(labels.some((label) => label.endsWith(` / ${actions}`))).toBe(true);
      }
    }
  });

  it('uses only Mermaid statements whose ids have no dots and whose labels have no colon', () => {
    const id = '[A-Za-z0-9_]+';
    const allowed = [
      /^stateDiagram-v2$/,
      new RegExp(`^\\s*\\[\\*\\] --> ${id}$`),
      new RegExp(`^\\s*${id} --> \\[\\*\\]$`),
      new RegExp(`^\\s*state "[^":;]+" as ${id}$`),
      new RegExp(`^\\s*state ${id} \\{$`),
      /^\s*\}$/,
      /^\s*--$/,
      new RegExp(`^\\s*${id}$`),
      new RegExp(`^\\s*${id} : [^:;"]+$`),
      new RegExp(`^\\s*${id} --> ${id} : [^:;"]+$`),
    ];
    for (const line of lines) {
      expect(
        allowed.some((pattern) => pattern.test(line)),
        `not an allowed Mermaid line: ${line}`,
      ).toBe(true);
    }
  });
});

describe('renderStateDiagram', () => {
  const sample = setup({
    guards: { ready: () => true, allowed: () => true },
    delays: { settle: 10 },
  }).createMachine({
    id: 'sample',
    initial: 'idle',
    states: {
      idle: {
        always: { guard: not('ready'), target: 'busy' },
        on: { 'odd:event;name': 'busy.one' },
      },
      busy: {
        initial: 'one',
        states: {
          one: { after: { settle: 'two', 250: '#sample.done' } },
          two: { on: { go: { guard: { type: 'allowed' }, target: '#sample.done' } } },
        },
        onDone: 'done',
      },
      both: {
        type: 'parallel',
        states: { left: {}, right: {} },
      },
      done: { type: 'final' },
    },
  });
  const diagram = renderStateDiagram(sample);

  it('draws eventless transitions as always, with not() guards spelled out', () => {
    expect(diagram).toContain('  idle --> busy : always [not ready]\n');
  });

  it('replaces characters Mermaid rejects in a label with _', () => {
    expect(diagram).toContain('  idle --> busy_one : odd_event_name\n');
  });

  it('labels named and numeric delays, object guards and onDone', () => {
    expect(diagram).toContain('  busy_one --> busy_two : after settle\n');
    expect(diagram).toContain('  busy_one --> done : after 250ms\n');
    expect(diagram).toContain('  busy_two --> done : go [allowed]\n');
    expect(diagram).toContain('  busy --> done : onDone\n');
  });

  it('separates the regions of a parallel state with --', () => {
    expect(diagram).toContain(
      '  state both {\n    state "left" as both_left\n    --\n    state "right" as both_right\n  }\n',
    );
  });

  it('rejects two states that would share one Mermaid id', () => {
    const clash = setup({}).createMachine({
      initial: 'a',
      states: { a: { initial: 'b', states: { b: {} } }, a_b: {} },
    });
    expect(() => renderStateDiagram(clash)).toThrow(/both map to the Mermaid id a_b/);
  });
});

describe('replaceMarkedRegions', () => {
  const specs: DiagramSpec[] = diagramSpecs.filter((spec) => spec.name === 'connection');
  const before =
    'intro\n<!-- diagram:connection:start -->\nold text\n<!-- diagram:connection:end -->\noutro\n';

  it('replaces only what lies between the markers, and is idempotent', () => {
    const after = replaceMarkedRegions(before, specs);
    expect(after.startsWith('intro\n<!-- diagram:connection:start -->\n<!-- Generated from')).toBe(true);
    expect(after.endsWith('```\n<!-- diagram:connection:end -->\noutro\n')).toBe(true);
    expect(after).not.toContain('old text');
    expect(replaceMarkedRegions(after, specs)).toBe(after);
  });

  it('throws on a marker naming no known diagram', () => {
    expect(() =>
      replaceMarkedRegions('<!-- diagram:conection:start -->\n<!-- diagram:conection:end -->', specs),
    ).toThrow(/unknown diagram "conection"/);
  });
});
