// The inspector page, bundled by scripts/inspect/server.ts: highlights the active states in the inlined
// diagrams/connection.svg, logs transitions and events, shows the queue and retry figures, and sends the buttons'
// commands back to the server.
import type { StateValue } from 'xstate';
import type { InspectorCommand, InspectorMessage } from './server.js';

/** What the page exposes as `window.inspector`, for tests and the console. */
export interface InspectorView {
  /** Every top-level state the page has shown, in order, without consecutive repeats. */
  readonly states: string[];
  /** The active state ids of every snapshot shown, e.g. `'OPEN OPEN.queue OPEN.queue.flowing …'`. */
  readonly snapshots: string[];
  /** Whether the page's WebSocket to the inspector is open. */
  readonly connected: boolean;
}

declare global {
  interface Window {
    inspector: InspectorView;
  }
}

/** The machine's active state ids, parents first: `{ OPEN: { queue: 'flowing' } }` → `OPEN`, `OPEN.queue`, … */
export function activeStateIds(value: StateValue, prefix = ''): string[] {
  if (typeof value === 'string') return [`${prefix}${value}`];
  return Object.entries(value).flatMap(([key, inner]) =>
    inner === undefined
      ? [`${prefix}${key}`]
      : [`${prefix}${key}`, ...activeStateIds(inner, `${prefix}${key}.`)],
  );
}

// Mermaid names each state's node `connection-state-<path joined by _>-<n>` (clusters also carry data-id); the
// pseudo-states' `_start` / `_end` nodes never match an active id.
const NODE_ID = /^connection-state-(.+)-\d+$/;

function stateNodes(svg: Element): Map<string, Element[]> {
  const nodes = new Map<string, Element[]>();
  for (const element of Array.from(
    svg.querySelectorAll('g.node[id^="connection-state-"], g.statediagram-cluster'),
  )) {
    const path = element.getAttribute('data-id') ?? NODE_ID.exec(element.id)?.[1];
    if (!path) continue;
    const id = path.replaceAll('_', '.');
    element.setAttribute('data-state-id', id);
    nodes.set(id, [...(nodes.get(id) ?? []), element]);
  }
  return nodes;
}

function required<T extends Element>(selector: string): T {
  const element = document.querySelector<T>(selector);
  if (!element) throw new Error(`inspector page: ${selector} is missing`);
  return element;
}

const view = { states: [] as string[], snapshots: [] as string[], connected: false };
window.inspector = view;

const svg = required<SVGSVGElement>('#diagram svg');
const nodes = stateNodes(svg);
const status = required<HTMLElement>('#status');
const logList = required<HTMLOListElement>('#log');
const MAX_LOG = 300;
let generation = 0;
let nextRetryAt: number | null = null;

function log(text: string, kind: 'transition' | 'event' | 'server'): void {
  const item = document.createElement('li');
  item.className = kind;
  item.textContent = `${new Date().toISOString().slice(11, 23)} ${text}`;
  logList.prepend(item);
  while (logList.childElementCount > MAX_LOG) logList.lastElementChild?.remove();
}

function showFigures(figures: {
  queue: { messages: number; bytes: number };
  retries: number;
  nextRetryAt: number | null;
}): void {
  required('#queue-messages').textContent = String(figures.queue.messages);
  required('#queue-bytes').textContent = String(figures.queue.bytes);
  required('#retries').textContent = String(figures.retries);
  nextRetryAt = figures.nextRetryAt;
  showNextRetry();
}

function showNextRetry(): void {
  required('#next-retry').textContent =
    nextRetryAt === null ? '–' : `in ${Math.max(0, nextRetryAt - Date.now())} ms`;
}

function highlight(ids: string[]): void {
  const active = new Set(ids);
  for (const [id, elements] of nodes) {
    for (const element of elements) element.classList.toggle('active', active.has(id));
  }
}

function show(message: Extract<InspectorMessage, { kind: 'snapshot' }>): void {
  if (message.generation !== generation) {
    generation = message.generation;
    log(`connection #${generation}`, 'server');
  }
  const ids = activeStateIds(message.value);
  const leaves = ids.filter((id) => !ids.some((other) => other.startsWith(`${id}.`)));
  highlight(ids);
  status.dataset.state = message.state;
  status.dataset.states = ids.join(' ');
  status.textContent = `${message.state} (${leaves.join(', ')})`;
  if (view.states.at(-1) !== message.state) view.states.push(message.state);
  view.snapshots.push(ids.join(' '));
  log(`${message.event} → ${leaves.join(', ')}`, 'transition');
  showFigures(message);
}

const socket = new WebSocket(`ws://${location.host}/events`);
socket.addEventListener('open', () => {
  view.connected = true;
});
socket.addEventListener('close', () => {
  view.connected = false;
  status.textContent = 'the inspector has stopped';
});
socket.addEventListener('message', ({ data }) => {
  const message = JSON.parse(String(data)) as InspectorMessage;
  switch (message.kind) {
    case 'snapshot':
      show(message);
      break;
    case 'event':
      log(`event ${message.event}`, 'event');
      break;
    case 'figures':
      if (message.generation === generation) showFigures(message);
      break;
    case 'log':
      log(message.text, 'server');
      break;
  }
});
setInterval(showNextRetry, 100);

const COMMANDS: InspectorCommand['command'][] = [
  'drop',
  'restart',
  'offline',
  'online',
  'send',
  'close',
  'reconnect',
];
for (const command of COMMANDS) {
  required(`#${command}`).addEventListener('click', () => {
    if (socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify({ command }));
  });
}
