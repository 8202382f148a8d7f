import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type AnyStateMachine, type AnyStateNode, type AnyTransitionDefinition, createMachine } from 'xstate';
import {
  drawingsOf,
  figureNames,
  generateFiles,
  MACHINES_DOC,
  replaceFigures,
  staleFiles,
} from '../../scripts/diagrams/files.js';
import { type DiagramSpec, diagramSpecs, triggerText } from '../../scripts/diagrams/render.js';
import {
  diagramViews,
  OUTSIDE_PREFIX,
  renderFocus,
  renderOverview,
  viewsFor,
} from '../../scripts/diagrams/views.js';
import { connectionMachine } from '../../src/machines/connection.js';

const root = join(import.meta.dirname, '..', '..');
const readFile = (path: string): string | undefined =>
  existsSync(join(root, path)) ? readFileSync(join(root, path), 'utf8') : undefined;
const pages = { rootReadme: readFile('README.md'), machinesDoc: readFile(MACHINES_DOC) };

function descendants(node: AnyStateNode): AnyStateNode[] {
  return Object.values(node.states as Record<string, AnyStateNode>).flatMap((child) => [
    child,
    ...descendants(child),
  ]);
}

/** Every transition with a target, as [source, target]; the root's from each top-level state. */
function targeted(machine: AnyStateMachine): [AnyStateNode, AnyStateNode, AnyTransitionDefinition][] {
  const topLevel = Object.values(machine.root.states) as AnyStateNode[];
  return [machine.root, ...descendants(machine.root)].flatMap((node) =>
    [...[...node.transitions.values()].flat(), ...((node.always ?? []) as AnyTransitionDefinition[])].flatMap(
      (transition) =>
        (node === machine.root ? topLevel : [node]).flatMap((source) =>
          (transition.target ?? []).map(
            (target) => [source, target, transition] as [AnyStateNode, AnyStateNode, AnyTransitionDefinition],
          ),
        ),
    ),
  );
}

const topOf = (node: AnyStateNode): string => node.path[0] as string;

/** Labels per arrow `source --> target`. */
function arrows(diagram: string): Map<string, string[]> {
  const result = new Map<string, string[]>();
  for (const match of diagram.matchAll(/^ {2}(\w+ --> \w+) : (.*)$/gm)) {
    result.set(match[1] as string, (match[2] as string).split('<br/>'));
  }
  return result;
}

describe('the overview of the connection machine', () => {
  const diagram = renderOverview(connectionMachine);
  const drawn = arrows(diagram);

  it('declares exactly the four top-level states, CONNECTING first', () => {
    expect(diagram.split('\n').filter((line) => /^ {2}\w+$/.test(line))).toEqual([
      '  CONNECTING',
      '  OPEN',
      '  CLOSING',
      '  CLOSED',
    ]);
    expect(diagram).toContain('  [*] --> CONNECTING\n');
  });

  it('draws an arrow for every transition between two top-level states, labelled with its trigger', () => {
    const crossing = targeted(connectionMachine).filter(
      ([source, target]) => topOf(source) !== topOf(target),
    );
    expect(crossing.length).toBeGreaterThan(10);
    for (const [source, target, transition] of crossing) {
      const labels = drawn.get(`${topOf(source)} --> ${topOf(target)}`) ?? [];
      expect(
        labels.some((label) => label.startsWith(triggerText(transition))),
        `${source.id} -> ${target.id}`,
      ).toBe(true);
    }
    const pairs = new Set(crossing.map(([source, target]) => `${topOf(source)} --> ${topOf(target)}`));
    expect([...drawn.keys()].sort()).toEqual([...pairs].sort());
  });

  it('names each cause once per arrow, and the guard of a decision taken without an event', () => {
    for (const labels of drawn.values()) expect(new Set(labels).size).toBe(labels.length);
    expect(drawn.get('CLOSED --> CONNECTING')).toEqual(
      expect.arrayContaining(['always [reconnectWasRequested]', 'user.reconnect', 'after retryDelay']),
    );
    expect(drawn.get('OPEN --> CLOSED')).toEqual(['platform.close', 'heartbeat.silent']);
  });
});

describe.each(['CONNECTING', 'CLOSING', 'CLOSED'])('the view of %s', (key) => {
  const focus = connectionMachine.root.states[key] as AnyStateNode;
  const diagram = renderFocus(connectionMachine, focus);
  const drawn = arrows(diagram);

  it('declares every state inside it, inside its box', () => {
    const box = new RegExp(`^ {2}state ${key} \\{\\n([\\s\\S]*?)^ {2}\\}$`, 'm').exec(diagram)?.[1] ?? '';
    for (const state of descendants(focus))
      expect(box).toContain(`"${state.key}" as ${state.path.join('_')}`);
  });

  it('draws every transition inside it and every one leaving it, to a grey box named by the target path', () => {
    for (const [source, target, transition] of targeted(connectionMachine)) {
      if (topOf(source) !== key) continue;
      const to = topOf(target) === key ? target.path.join('_') : `${OUTSIDE_PREFIX}${target.path.join('_')}`;
      const labels = drawn.get(`${source === focus ? key : source.path.join('_')} --> ${to}`) ?? [];
      expect(
        labels.some((label) => label.startsWith(triggerText(transition))),
        `${source.id} -> ${target.id}`,
      ).toBe(true);
      if (topOf(target) !== key) expect(diagram).toContain(`  state "${target.path.join('.')}" as ${to}\n`);
    }
    expect(diagram).toMatch(/^ {2}classDef outside .*dasharray/m);
    expect(diagram).toMatch(
      new RegExp(`^ {2}class (${OUTSIDE_PREFIX}\\w+, )*${OUTSIDE_PREFIX}\\w+ outside$`, 'm'),
    );
  });

  it('draws every transition entering it from the top-level state it comes from', () => {
    for (const [source, target, transition] of targeted(connectionMachine)) {
      if (topOf(target) !== key || topOf(source) === key) continue;
      const into = target === focus ? key : target.path.join('_');
      const labels = drawn.get(`${OUTSIDE_PREFIX}${topOf(source)} --> ${into}`) ?? [];
      expect(
        labels.some((label) => label.startsWith(triggerText(transition))),
        `${source.id} -> ${target.id}`,
      ).toBe(true);
    }
  });
});

describe('the views of OPEN', () => {
  const open = connectionMachine.root.states.OPEN as AnyStateNode;
  const names = diagramViews.map((view) => view.name);

  it('are OPEN with its regions as plain boxes, then each region with its states', () => {
    expect(names).toEqual(
      expect.arrayContaining([
        'connection-open',
        ...Object.keys(open.states).map((region) => `connection-open-${region}`),
      ]),
    );
    const whole = diagramViews.find((view) => view.name === 'connection-open')?.diagram ?? '';
    for (const region of Object.values(open.states) as AnyStateNode[]) {
      expect(whole).toContain(`"${region.key}" as OPEN_${region.key}\n`);
      for (const state of descendants(region)) expect(whole).not.toContain(` as ${state.path.join('_')}\n`);
    }
    // An arrow from a state inside a region is drawn from that region.
    expect(arrows(whole).get(`OPEN_heartbeat --> ${OUTSIDE_PREFIX}CLOSED`)).toEqual(['heartbeat.silent']);
  });

  it("leave OPEN's own transitions to OPEN's view: a region's view has its own states and arrows only", () => {
    const heartbeat = diagramViews.find((view) => view.name === 'connection-open-heartbeat')?.diagram ?? '';
    expect(heartbeat).not.toContain('user.close');
    expect(heartbeat).not.toContain('lifecycle.');
    expect(arrows(heartbeat).get(`OPEN_heartbeat_checkingPong --> ${OUTSIDE_PREFIX}CLOSED`)).toEqual([
      'heartbeat.silent',
    ]);
  });
});

describe(MACHINES_DOC, () => {
  const doc = readFile(MACHINES_DOC) ?? '';
  const drawings = drawingsOf(diagramSpecs, diagramViews);

  it('opens with the overview, then shows every drawing meant for a page', () => {
    const figures = figureNames(doc);
    expect(figures[0]).toBe('connection-overview');
    expect([...figures].sort()).toEqual(
      drawings
        .filter((drawing) => drawing.pageWidth)
        .map((drawing) => drawing.name)
        .sort(),
    );
  });

  it('links the whole connection diagram, for Stately and the inspector', () => {
    expect(doc).toContain('](../diagrams/connection.svg)');
  });

  it('has only relative links and images, each to a file in the repository', () => {
    const targets = [...doc.matchAll(/\]\(([^)\s]+)\)/g)].map((match) => match[1] as string);
    expect(targets.length).toBeGreaterThan(20);
    for (const target of targets) {
      if (/^https?:\/\//.test(target) || target.startsWith('#')) continue;
      expect(target, target).toMatch(/^\.{0,2}\/?[\w.-]/);
      expect(existsSync(join(root, dirname(MACHINES_DOC), target.split('#')[0] as string)), target).toBe(
        true,
      );
    }
  });

  it('refuses a figure marker that names no drawing', () => {
    expect(() =>
      replaceFigures('<!-- figure:conection:start -->\n<!-- figure:conection:end -->', drawings),
    ).toThrow(/unknown figure "conection"/);
  });
});

describe('the staleness check', () => {
  it('finds nothing stale in the committed files', () => {
    expect(staleFiles(generateFiles(pages), drawingsOf(diagramSpecs, diagramViews), readFile)).toEqual([]);
  });

  it('finds stale exactly the files a change to the connection machine touches, when they are not regenerated', () => {
    // A new way from CLOSED.terminated back to OPEN: it crosses top-level states.
    const config = connectionMachine.config;
    const closed = config.states?.CLOSED as { states: Record<string, { on?: object }> };
    const changed = createMachine(
      {
        ...config,
        states: {
          ...config.states,
          CLOSED: {
            ...closed,
            states: {
              ...closed.states,
              terminated: {
                ...closed.states.terminated,
                on: { ...closed.states.terminated?.on, 'user.resume': { target: '#connection.OPEN' } },
              },
            },
          },
        },
      } as typeof config,
      connectionMachine.implementations,
    ) as unknown as AnyStateMachine;
    const specs: DiagramSpec[] = diagramSpecs.map((spec) =>
      spec.name === 'connection' ? { ...spec, machine: changed } : spec,
    );
    const views = specs.flatMap(viewsFor);
    const stale = staleFiles(generateFiles(pages, specs, views), drawingsOf(specs, views), readFile);
    expect(stale.sort()).toEqual(
      [
        'diagrams/README.md',
        'diagrams/connection.machine.json',
        ...['connection', 'connection-overview', 'connection-open', 'connection-closed'].flatMap((name) => [
          `diagrams/${name}.mmd`,
          `diagrams/${name}.svg`,
        ]),
        // README.md embeds the whole diagram while it still has its markers.
        ...(pages.rootReadme?.includes('<!-- diagram:connection:start -->') ? ['README.md'] : []),
      ].sort(),
    );
  });
});
