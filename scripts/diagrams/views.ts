import type { AnyStateMachine, AnyStateNode, AnyTransitionDefinition } from 'xstate';
import { type DirectedGraphNode, toDirectedGraph } from 'xstate/graph';
import {
  checkIds,
  type DiagramSpec,
  diagramSpecs,
  edgesOf,
  escapeLabel,
  guardText,
  mermaidId,
  renderStates,
  transitionLabel,
  triggerText,
  walk,
} from './render.js';

// The full diagram of the connection machine holds every state and every transition: right for Stately and the
// inspector, illegible at page width. These views cut it into pictures a page can show: the top-level states
// alone, then each top-level state (or, for a parallel one, each region) on its own, with the states it is
// entered from and leaves to drawn as small boxes outside it.

/** A page-width picture of part of a machine. */
export interface DiagramView {
  /** The `.mmd` and `.svg` file name, and the `<!-- figure:<name>:start -->` marker name in docs/machines.md. */
  name: string;
  title: string;
  spec: DiagramSpec;
  /** The Mermaid text, without the generated-file header. */
  diagram: string;
}

/** Whether `node` is `ancestor` or lies inside it. */
function within(node: AnyStateNode, ancestor: AnyStateNode): boolean {
  return ancestor.path.every((key: string, index: number) => node.path[index] === key);
}

function topLevelOf(node: AnyStateNode): AnyStateNode {
  let current = node;
  while (current.parent?.parent) current = current.parent;
  return current;
}

function graphNodeOf(machine: AnyStateMachine, state: AnyStateNode): DirectedGraphNode {
  let found: DirectedGraphNode | undefined;
  walk(toDirectedGraph(machine), (node) => {
    if (node.stateNode === state) found = node;
  });
  if (found === undefined) throw new Error(`diagrams: no state ${state.id} in machine ${machine.id}`);
  return found;
}

/** Every transition edge of the machine, with a transition of the root drawn from each top-level state. */
function machineEdges(
  machine: AnyStateMachine,
): { source: AnyStateNode; target: AnyStateNode; transition: AnyTransitionDefinition }[] {
  const topLevel = Object.values(machine.root.states) as AnyStateNode[];
  const edges: { source: AnyStateNode; target: AnyStateNode; transition: AnyTransitionDefinition }[] = [];
  walk(toDirectedGraph(machine), (node) => {
    for (const edge of edgesOf(node)) {
      const sources = edge.source === machine.root ? topLevel : [edge.source];
      for (const source of sources) {
        const target =
          edge.target === machine.root || edge.transition.target === undefined ? source : edge.target;
        edges.push({ source, target, transition: edge.transition });
      }
    }
  });
  return edges;
}

/**
 * What causes a transition, for a picture that leaves the guards to another: its trigger, and for an eventless
 * one its guard, since that is then the whole cause.
 */
export function causeLabel(transition: AnyTransitionDefinition): string {
  const trigger = triggerText(transition);
  if (trigger === 'always' && transition.guard !== undefined) {
    return escapeLabel(`always [${guardText(transition.guard)}]`);
  }
  return escapeLabel(trigger);
}

function addLabel(arrows: Map<string, string[]>, arrow: string, label: string): void {
  const labels = arrows.get(arrow) ?? [];
  if (!labels.includes(label)) labels.push(label);
  arrows.set(arrow, labels);
}

function arrowLines(arrows: Map<string, string[]>): string[] {
  return [...arrows].map(([arrow, labels]) => `  ${arrow} : ${labels.join('<br/>')}`);
}

/**
 * The top-level states alone: a transition from a state nested in one to a state nested in another becomes an
 * arrow between the two, labelled with what causes it; each cause once per arrow, in config order.
 */
export function renderOverview(machine: AnyStateMachine): string {
  checkIds(machine);
  const topLevel = Object.values(machine.root.states) as AnyStateNode[];
  const lines = ['stateDiagram-v2'];
  for (const state of topLevel) {
    if ((machine.root.initial?.target ?? []).includes(state)) lines.push(`  [*] --> ${mermaidId(state)}`);
    lines.push(`  ${mermaidId(state)}`);
    if (state.type === 'final') lines.push(`  ${mermaidId(state)} --> [*]`);
  }
  const arrows = new Map<string, string[]>();
  for (const edge of machineEdges(machine)) {
    const from = topLevelOf(edge.source);
    const to = topLevelOf(edge.target);
    if (from === to) continue;
    addLabel(arrows, `${mermaidId(from)} --> ${mermaidId(to)}`, causeLabel(edge.transition));
  }
  lines.push(...arrowLines(arrows));
  return `${lines.join('\n')}\n`;
}

/** The prefix of the Mermaid id of a box that stands for a state outside the one drawn. */
export const OUTSIDE_PREFIX = 'outside_';

/** How much of a state {@link renderFocus} draws. */
export interface FocusOptions {
  /**
   * How many levels of states inside the focus are drawn (1: its children only); an arrow from or to a state
   * deeper down is drawn from or to its ancestor at that level, and one between two states inside the same such
   * ancestor is left to that state's own picture. Unlimited by default.
   */
  depth?: number;
  /**
   * Whether the transitions of the focus' ancestors are drawn, from the focus, and the arrows into the focus that
   * target an ancestor (entering a parallel state enters each region). Drawn for a top-level state, whose only
   * ancestor is the root; a region of a parallel state leaves them to the picture of that state.
   */
  ancestors?: boolean;
}

/** A copy of a graph node's tree cut `depth` levels below it. */
function pruned(node: DirectedGraphNode, depth: number): DirectedGraphNode {
  return { ...node, children: depth <= 0 ? [] : node.children.map((child) => pruned(child, depth - 1)) };
}

/**
 * One state (`focus`) with what is inside it, and the arrows into and out of it. A state outside is a small box:
 * the state an arrow leaves to, named by its path (`CLOSING.failed`); the state an arrow comes from, cut to the
 * sibling of the focus' branch it lies in (`CLOSED`) and labelled with what causes it only, since that state has
 * its own picture with the guards.
 */
export function renderFocus(
  machine: AnyStateMachine,
  focus: AnyStateNode,
  options: FocusOptions = {},
): string {
  checkIds(machine);
  const depth = options.depth ?? Number.POSITIVE_INFINITY;
  const ancestors = options.ancestors ?? true;
  const lines = ['stateDiagram-v2'];
  const focusId = mermaidId(focus);
  if (focus.parent === machine.root && (machine.root.initial?.target ?? []).includes(focus)) {
    lines.push(`  [*] --> ${focusId}`);
  }
  const label = focus.path.join('.');
  if (label !== focusId) lines.push(`  state "${escapeLabel(label)}" as ${focusId}`);
  const graphNode = pruned(graphNodeOf(machine, focus), depth);
  if (graphNode.children.some((child) => child.stateNode.type !== 'history')) {
    lines.push(`  state ${focusId} {`);
    renderStates(graphNode, '    ', lines);
    lines.push('  }');
  } else if (label === focusId) {
    lines.push(`  ${focusId}`);
  }
  if (focus.type === 'final') lines.push(`  ${focusId} --> [*]`);

  const outside = new Map<string, string>();
  const outsideBox = (state: AnyStateNode): string => {
    const id = `${OUTSIDE_PREFIX}${mermaidId(state)}`;
    outside.set(id, state.path.join('.'));
    return id;
  };
  // The sibling of the focus' branch that `state` lies in: below the deepest state both lie in.
  const branchOf = (state: AnyStateNode): AnyStateNode => {
    let current = state;
    while (current.parent && !within(focus, current.parent)) current = current.parent;
    return current;
  };
  // A state inside the focus as drawn: itself, or its ancestor at the depth drawn.
  const drawnInside = (state: AnyStateNode): AnyStateNode => {
    let current = state;
    while (current.path.length - focus.path.length > depth && current.parent) current = current.parent;
    return current;
  };
  const isAncestor = (state: AnyStateNode): boolean => state !== focus && within(focus, state);

  const arrows = new Map<string, string[]>();
  for (const edge of machineEdges(machine)) {
    if (!ancestors && (isAncestor(edge.source) || isAncestor(edge.target))) continue;
    const sourceInside = within(edge.source, focus) || isAncestor(edge.source);
    const targetInside = within(edge.target, focus) || isAncestor(edge.target);
    if (!sourceInside && !targetInside) continue;
    const from = isAncestor(edge.source) ? focus : sourceInside ? drawnInside(edge.source) : undefined;
    const to = isAncestor(edge.target) ? focus : targetInside ? drawnInside(edge.target) : undefined;
    // Both ends inside one state drawn without its inside: that state's own picture has the arrow.
    if (from !== undefined && from === to && from !== focus && (from !== edge.source || from !== edge.target))
      continue;
    const source = from !== undefined ? mermaidId(from) : outsideBox(branchOf(edge.source));
    const target = to !== undefined ? mermaidId(to) : outsideBox(edge.target);
    addLabel(
      arrows,
      `${source} --> ${target}`,
      sourceInside ? transitionLabel(edge.transition) : causeLabel(edge.transition),
    );
  }
  // Declared before any arrow names them, so Mermaid puts none inside the focus' box.
  const boxes = [...outside].sort(([a], [b]) => a.localeCompare(b));
  for (const [id, path] of boxes) lines.push(`  state "${escapeLabel(path)}" as ${id}`);
  lines.push(...arrowLines(arrows));
  if (boxes.length > 0) {
    lines.push(`  classDef outside ${OUTSIDE_STYLE}`);
    lines.push(`  class ${boxes.map(([id]) => id).join(', ')} outside`);
  }
  return `${lines.join('\n')}\n`;
}

/** How a state outside the one drawn looks: grey and dashed, so the eye stays on the focus. */
export const OUTSIDE_STYLE = 'fill:#f4f4f4,stroke:#999,stroke-dasharray:4 3,color:#555';

function kebab(text: string): string {
  return text
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .replace(/[^A-Za-z0-9]+/g, '-')
    .toLowerCase();
}

/**
 * The views of one machine: its top-level states alone, then one per top-level state that has states inside it.
 * A parallel one is drawn with its regions as plain boxes, then each region on its own: its regions side by side,
 * each with its states, are too wide for a page.
 */
export function viewsOf(spec: DiagramSpec): DiagramView[] {
  const { machine } = spec;
  const views: DiagramView[] = [
    {
      name: `${spec.name}-overview`,
      title: `${spec.machine.id}Machine: the top-level states`,
      spec,
      diagram: renderOverview(machine),
    },
  ];
  for (const state of Object.values(machine.root.states) as AnyStateNode[]) {
    const children = Object.values(state.states) as AnyStateNode[];
    if (children.length === 0) continue;
    const view = (focus: AnyStateNode, options?: FocusOptions): DiagramView => ({
      name: `${spec.name}-${focus.path.map(kebab).join('-')}`,
      title: `${spec.machine.id}Machine: ${focus.path.join('.')}`,
      spec,
      diagram: renderFocus(machine, focus, options),
    });
    if (state.type !== 'parallel') {
      views.push(view(state));
      continue;
    }
    views.push(view(state, { depth: 1 }));
    for (const region of children) views.push(view(region, { ancestors: false }));
  }
  return views;
}

/**
 * The views of the global socket machine: the socket passed from holder to holder (its holder's regions as plain
 * boxes), then the holder's phase, its successor, and the ghost of a holder given up.
 */
function globalSocketViews(spec: DiagramSpec): DiagramView[] {
  const { machine } = spec;
  const at = (path: string[]): AnyStateNode => {
    let node: AnyStateNode = machine.root;
    for (const key of path) node = (node.states as Record<string, AnyStateNode>)[key] as AnyStateNode;
    return node;
  };
  const view = (path: string[], options?: FocusOptions): DiagramView => ({
    name: `${spec.name}-${path.map(kebab).join('-')}`,
    title: `${machine.id}Machine: ${path.join('.')}`,
    spec,
    diagram: renderFocus(machine, at(path), options),
  });
  return [
    view(['socket'], { depth: 2 }),
    view(['socket', 'held', 'phase'], { ancestors: false }),
    view(['socket', 'held', 'successor'], { ancestors: false }),
    view(['ghost']),
  ];
}

/**
 * The machines cut into views. The connection and global socket machines are too big for one page-width picture;
 * the others are drawn whole (their full diagrams stay legible at page width: test/diagrams/legibility.test.ts
 * measures them).
 */
export function viewsFor(spec: DiagramSpec): DiagramView[] {
  if (spec.name === 'connection') return viewsOf(spec);
  if (spec.name === 'global-socket') return globalSocketViews(spec);
  return [];
}

export const diagramViews: readonly DiagramView[] = diagramSpecs.flatMap(viewsFor);
