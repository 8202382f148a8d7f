import type { AnyStateMachine, AnyStateNode, AnyTransitionDefinition } from 'xstate';
import { type DirectedGraphNode, toDirectedGraph } from 'xstate/graph';
import { connectionMachine } from '../../src/machines/connection.js';
import { globalSocketMachine } from '../../src/machines/globalSocket.js';
import { socketTaskMachine } from '../../src/machines/socketTask.js';
import { taskMachine } from '../../src/machines/task.js';
import { machineJson } from './machineJson.js';
import type { DiagramView } from './views.js';

/** One machine to draw, and where its diagram goes. */
export interface DiagramSpec {
  /** Short name: the `.mmd` file name and the README marker name (`<!-- diagram:<name>:start -->`). */
  name: string;
  title: string;
  /** Path of the machine's source file, relative to the repository root. */
  source: string;
  machine: AnyStateMachine;
}

export interface GeneratedFile {
  /** Relative to the repository root, with `/` separators. */
  path: string;
  content: string;
}

export const REGENERATE = 'npm run diagrams';

/** The machines `npm run diagrams` draws. */
export const diagramSpecs: readonly DiagramSpec[] = [
  {
    name: 'socket-task',
    title: 'socketTaskMachine: one platform SocketTask',
    source: 'src/machines/socketTask.ts',
    machine: socketTaskMachine,
  },
  {
    name: 'connection',
    title: 'connectionMachine: the connection manager',
    source: 'src/machines/connection.ts',
    machine: connectionMachine,
  },
  {
    name: 'task',
    title: 'taskMachine: the life of one platform socket under the manager',
    source: 'src/machines/task.ts',
    machine: taskMachine,
  },
  {
    name: 'global-socket',
    title: "globalSocketMachine: WeChat's one global socket, passed from connection to connection",
    source: 'src/machines/globalSocket.ts',
    machine: globalSocketMachine,
  },
];

// Mermaid ends a statement at `;`, drops `<...>` as HTML and uses `:` as the label separator, and it does not
// decode entity codes in state diagram labels: anything outside this set becomes `_`.
const LABEL_SAFE = /[^A-Za-z0-9 _.,/()[\]*!-]/g;

/**
 * The Mermaid id of a state node: its path joined with `_` (`CONNECTING_handshake`). The root has no id: its
 * children are the diagram's top-level states.
 */
export function mermaidId(node: AnyStateNode): string {
  return node.path.map((key: string) => key.replace(/[^A-Za-z0-9_]/g, '_')).join('_');
}

export function escapeLabel(text: string): string {
  return text.replace(LABEL_SAFE, '_');
}

function nameOf(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'function') {
    const typed = value as { type?: unknown; name?: string };
    if (typeof typed.type === 'string') return typed.type.replace(/^xstate\./, '');
    return typed.name || 'inline';
  }
  if (value !== null && typeof value === 'object' && 'type' in value && typeof value.type === 'string') {
    return value.type;
  }
  return 'inline';
}

/** A guard as written in the config: a name, or `not` / `and` / `or` of names. */
export function guardText(guard: unknown): string {
  if (typeof guard === 'function') {
    const combinator = guard as { check?: unknown; guards?: unknown[]; name?: string };
    if (typeof combinator.check === 'function' && Array.isArray(combinator.guards)) {
      const parts = combinator.guards.map(guardText);
      if (combinator.name === 'not') return `not ${parts[0] ?? ''}`;
      return `(${parts.join(` ${combinator.name ?? 'and'} `)})`;
    }
  }
  return nameOf(guard);
}

/** The trigger of a transition: its event, `after <delay name>` for a delayed one, `always` for an eventless one. */
export function triggerText(transition: AnyTransitionDefinition): string {
  const delay = (transition as { delay?: unknown }).delay;
  if (typeof delay === 'string') return `after ${delay}`;
  if (typeof delay === 'number') return `after ${delay}ms`;
  const event = String(transition.eventType);
  if (event === '') return 'always';
  const done = /^xstate\.done\.state\./.exec(event);
  if (done) return 'onDone';
  const actor = /^xstate\.(done|error)\.actor\.(.+)$/.exec(event);
  if (actor) return `${actor[1] === 'done' ? 'onDone' : 'onError'} (${actor[2]})`;
  return event;
}

/**
 * `event [guard]`; a transition without a target also names its actions (`user.send / acceptSend`), since they
 * are all it does and two such self-loops would otherwise read the same.
 */
export function transitionLabel(transition: AnyTransitionDefinition): string {
  let label = triggerText(transition);
  if (transition.guard !== undefined) label += ` [${guardText(transition.guard)}]`;
  if (transition.target === undefined && transition.actions.length > 0) {
    label += ` / ${transition.actions.map(nameOf).join(', ')}`;
  }
  return escapeLabel(label);
}

export interface Edge {
  source: AnyStateNode;
  target: AnyStateNode;
  transition: AnyTransitionDefinition;
}

export function edgesOf(node: DirectedGraphNode): Edge[] {
  const edges: Edge[] = node.edges.map((edge) => ({
    source: edge.source,
    target: edge.target,
    transition: edge.transition,
  }));
  // xstate/graph leaves eventless (`always`) transitions out of its edges.
  for (const transition of (node.stateNode.always ?? []) as AnyTransitionDefinition[]) {
    for (const target of transition.target ?? [node.stateNode]) {
      edges.push({ source: node.stateNode, target, transition });
    }
  }
  return edges;
}

export function walk(node: DirectedGraphNode, visit: (node: DirectedGraphNode) => void): void {
  visit(node);
  for (const child of node.children) walk(child, visit);
}

/** Every state node of the machine below the root, in config order. */
export function statesOf(machine: AnyStateMachine): AnyStateNode[] {
  const states: AnyStateNode[] = [];
  walk(toDirectedGraph(machine), (node) => {
    if (node.stateNode !== machine.root) states.push(node.stateNode);
  });
  return states;
}

export function checkIds(machine: AnyStateMachine): void {
  const seen = new Map<string, string>();
  for (const state of statesOf(machine)) {
    const id = mermaidId(state);
    const other = seen.get(id);
    if (other !== undefined) {
      throw new Error(
        `diagrams: states ${other} and ${state.id} both map to the Mermaid id ${id}; rename one`,
      );
    }
    seen.set(id, state.id);
  }
}

export function renderStates(node: DirectedGraphNode, indent: string, lines: string[]): void {
  const state = node.stateNode;
  const children = node.children.filter((child) => child.stateNode.type !== 'history');
  const initial = state.type === 'compound' ? (state.initial?.target ?? []) : [];
  children.forEach((child, index) => {
    const childState = child.stateNode;
    const id = mermaidId(childState);
    if (state.type === 'parallel' && index > 0) lines.push(`${indent}--`);
    if (id !== childState.key) lines.push(`${indent}state "${escapeLabel(childState.key)}" as ${id}`);
    if (childState.description) lines.push(`${indent}${id} : ${escapeLabel(childState.description)}`);
    if (initial.includes(childState)) lines.push(`${indent}[*] --> ${id}`);
    const grandchildren = child.children.filter((c) => c.stateNode.type !== 'history');
    if (grandchildren.length > 0) {
      lines.push(`${indent}state ${id} {`);
      renderStates(child, `${indent}  `, lines);
      lines.push(`${indent}}`);
    } else if (id === childState.key) {
      lines.push(`${indent}${id}`);
    }
    if (childState.type === 'final') lines.push(`${indent}${id} --> [*]`);
  });
}

/** The `stateDiagram-v2` of a machine, without the generated-file header. */
export function renderStateDiagram(machine: AnyStateMachine): string {
  checkIds(machine);
  const graph = toDirectedGraph(machine);
  const lines = ['stateDiagram-v2'];
  if (machine.root.type === 'parallel') {
    // Mermaid accepts `--` between regions only inside a composite state: a parallel root becomes one, named
    // after the machine.
    lines.push(`  state ${machine.id} {`);
    renderStates(graph, '    ', lines);
    lines.push('  }');
  } else {
    renderStates(graph, '  ', lines);
  }
  // Transitions come after every state is declared, so Mermaid never creates a state in the wrong composite
  // from its first mention in a transition.
  // Mermaid draws one arrow per pair of states, so transitions between the same pair share one arrow with one
  // line per transition, in config order.
  const arrows = new Map<string, string[]>();
  const topLevel = graph.children.map((child) => child.stateNode);
  walk(graph, (node) => {
    for (const edge of edgesOf(node)) {
      const label = transitionLabel(edge.transition);
      // The root is no box in Mermaid; a root-level transition applies in every top-level state, so it is drawn
      // from each of them.
      const sources = edge.source === machine.root ? topLevel : [edge.source];
      for (const source of sources) {
        const target = edge.target === machine.root ? source : edge.target;
        const arrow = `${mermaidId(source)} --> ${mermaidId(target)}`;
        const labels = arrows.get(arrow) ?? [];
        if (!labels.includes(label)) labels.push(label);
        arrows.set(arrow, labels);
      }
    }
  });
  for (const [arrow, labels] of arrows) lines.push(`  ${arrow} : ${labels.join('<br/>')}`);
  return `${lines.join('\n')}\n`;
}

export function generatedBy(source: string): string {
  return `Generated from ${source} by \`${REGENERATE}\`; do not edit`;
}

function mmdHeader(spec: DiagramSpec): string {
  return `%% ${generatedBy(spec.source)}.\n`;
}

export function markdownHeader(source: string): string {
  return `<!-- ${generatedBy(source)}. -->\n`;
}

/** Where a machine's Mermaid source goes, relative to the repository root. */
export function mmdPath(spec: DiagramSpec): string {
  return `diagrams/${spec.name}.mmd`;
}

/** Where a machine's SVG goes; it is drawn from the `.mmd` file (scripts/diagrams/svg.ts), not listed here. */
export function svgPath(spec: DiagramSpec): string {
  return `diagrams/${spec.name}.svg`;
}

function mermaidBlock(diagram: string): string {
  return `\`\`\`mermaid\n${diagram}\`\`\`\n`;
}

export function renderDiagramsReadme(
  specs: readonly DiagramSpec[],
  views: readonly DiagramView[] = [],
): string {
  const names = specs.map((spec) => spec.source);
  const sources =
    names.length > 1 ? `${names.slice(0, -1).join(', ')} and ${names.at(-1)}` : (names[0] ?? '');
  const parts = [
    markdownHeader(sources),
    '# State diagrams\n',
    'Every diagram is drawn from its machine itself: `xstate/graph` walks each machine into Mermaid text',
    '(`.mmd`), and Mermaid draws that as an SVG (`@mermaid-js/mermaid-cli` in a headless Chromium, ELK layout).',
    `\`${REGENERATE}\` rewrites them all; a test fails when a file here no longer matches its machine, or when`,
    "an SVG's first line does not record the SHA-256 of its `.mmd` file's current content and the renderer.\n",
    'Beside each diagram, `<name>.machine.json` is the definition `machine.toJSON()` gives. To open a machine in',
    'Stately Studio ("Import from code") or the Stately VS Code extension, open its source file: each is one',
    '`setup({...}).createMachine({...})` literal with every guard, action, delay and actor named, which',
    "Stately's extractor reads whole (`test/stately.test.ts` runs it).\n",
    'How to read the diagrams:\n',
    '- The top-level states of the socket-task and connection machines are the four readyStates: `CONNECTING`',
    '  (0), `OPEN` (1), `CLOSING` (2), `CLOSED` (3). Those of the task machine are the stages of one platform',
    '  socket under the manager: `resolving` its url and header, `live` while a socket exists, `gone`.',
    '  The boxes inside one, below its title bar, are its sub-states. An arrow leaving a box applies in every',
    '  sub-state of it.',
    '- Dashed boxes side by side inside a state are parallel regions (`OPEN` of the connection machine: `queue`,',
    '  `heartbeat` and `stability`): the state is in one sub-state of each region at once.',
    '- A filled dot points at the state entered first; a ringed dot follows a final state.',
    '- Each arrow is labelled `event [guard]`: the event that triggers it and, in brackets, the named guard that',
    '  must hold. `user.*` events are user commands, `platform.*` events come from the platform task. When',
    '  several transitions share an event, the first one in the machine config whose guard holds is taken.',
    '- `always` marks an eventless transition, taken as soon as its guard holds; `onDone` and `onError (actor)`',
    '  follow a final sub-state and an invoked actor.',
    "- `after closeTimeout` is a delayed transition: `closeTimeout` is the name of the delay in the machine's",
    '  `delays`, whose duration is configured, not drawn.',
    '- An arrow back to the same state, labelled `event / action`, changes no state and only runs the named',
    '  actions, e.g. `user.send / acceptSend`. Transitions between the same two states share one arrow, one',
    '  line each.\n',
  ];
  if (views.length > 0) {
    parts.push('## Page-width views\n');
    parts.push(
      'A whole machine in one picture is for Stately and the inspector: at page width its labels are too small to',
      'read. These views cut it up, each legible 1,000 px wide (`test/diagrams/legibility.test.ts` measures them),',
      'and [`docs/machines.md`](../docs/machines.md) shows them with what each state means. In a view, a grey',
      'dashed box is a state outside the one drawn: the state an arrow leaves to, or the state an arrow comes from',
      "(labelled with its event only: the guards are in that state's own view).\n",
    );
    for (const view of views)
      parts.push(`- [${view.title}](./${view.name}.svg) ([\`${view.name}.mmd\`](./${view.name}.mmd))`);
    parts.push('');
  }
  for (const spec of specs) {
    parts.push(`## ${spec.title}\n`);
    parts.push(
      `From [\`${spec.source}\`](../${spec.source}). Mermaid source: [\`${spec.name}.mmd\`](./${spec.name}.mmd);` +
        ` definition: [\`${spec.name}.machine.json\`](./${spec.name}.machine.json).\n`,
    );
    parts.push(`![${spec.name} machine](./${spec.name}.svg)\n`);
    parts.push('<details><summary>The same diagram as Mermaid text</summary>\n');
    parts.push(mermaidBlock(renderStateDiagram(spec.machine)));
    parts.push('</details>\n');
  }
  return parts.join('\n');
}

const markerPattern = /(<!-- diagram:([a-z0-9-]+):start -->)[\s\S]*?(<!-- diagram:\2:end -->)/g;

/**
 * Replaces what lies between each `<!-- diagram:<name>:start -->` and `<!-- diagram:<name>:end -->` pair with
 * that diagram as a mermaid block. Markers naming no known diagram are an error, so a typo cannot leave a
 * region silently unmanaged.
 */
export function replaceMarkedRegions(markdown: string, specs: readonly DiagramSpec[]): string {
  return markdown.replace(markerPattern, (_match, start: string, name: string, end: string) => {
    const spec = specs.find((candidate) => candidate.name === name);
    if (spec === undefined) {
      const known = specs.map((candidate) => candidate.name).join(', ');
      throw new Error(`diagrams: README marker names unknown diagram "${name}"; known: ${known}`);
    }
    return `${start}\n${markdownHeader(spec.source)}\n${mermaidBlock(renderStateDiagram(spec.machine))}${end}`;
  });
}

export function hasMarkedRegion(markdown: string): boolean {
  return new RegExp(markerPattern.source).test(markdown);
}

/**
 * Every generated file, from the machines alone; `rootReadme` is the current README.md, or undefined when there
 * is none. README.md is listed only when it has marked regions.
 */
export function generateDiagramFiles(
  specs: readonly DiagramSpec[],
  rootReadme?: string,
  views: readonly DiagramView[] = [],
): GeneratedFile[] {
  const files: GeneratedFile[] = specs.flatMap((spec) => [
    { path: mmdPath(spec), content: mmdHeader(spec) + renderStateDiagram(spec.machine) },
    {
      path: `diagrams/${spec.name}.machine.json`,
      content: machineJson(
        spec.machine,
        `${generatedBy(spec.source)}. machine.toJSON(), with functions replaced by their names.`,
      ),
    },
  ]);
  files.push({ path: 'diagrams/README.md', content: renderDiagramsReadme(specs, views) });
  if (rootReadme !== undefined && hasMarkedRegion(rootReadme)) {
    files.push({ path: 'README.md', content: replaceMarkedRegions(rootReadme, specs) });
  }
  return files;
}
