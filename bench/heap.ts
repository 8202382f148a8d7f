// Where each open connection's heap goes: heap snapshots before and after opening connections of one variant, each
// object that appeared attributed to its nearest owner on the shortest path from the GC roots (this library's
// classes, xstate's actors, ws and Node's socket), divided by the number of connections.
// Usage: node --expose-gc --import tsx bench/heap.ts <variant> <port>. Prints one line of JSON (bytes per connection).
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeHeapSnapshot } from 'node:v8';
import { VARIANT_NAMES, type VariantName } from './meta.js';
import { type BenchSocket, VARIANTS } from './variants.js';

const CONNECTIONS = 500;

export interface HeapBreakdown {
  /** Bytes per connection by owner. */
  owners: Record<string, number>;
  /** This library's and xstate's objects by constructor, bytes per connection, largest first. */
  objects: Array<{ owner: string; name: string; bytes: number }>;
}

const LIBRARY = 'this library';
const XSTATE = 'xstate (actors, snapshots, system)';
const SOCKET = 'ws and Node’s socket';
const SHARED = 'held from the roots (timers, weak maps, promises)';
const CODE = 'code and hidden classes';

/** The classes of src/: an object of one of them, and what only it holds, is the library's. */
function libraryClasses(): Set<string> {
  const src = fileURLToPath(new URL('../src', import.meta.url));
  const names = new Set<string>();
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.ts')) {
        for (const match of readFileSync(path, 'utf8').matchAll(/^(?:export )?class (\w+)/gm)) {
          names.add(match[1] as string);
        }
      }
    }
  };
  walk(src);
  return names;
}

const XSTATE_CLASSES = new Set(['Actor', 'Mailbox', 'StateMachine', 'StateNode']);
const SOCKET_CLASSES = new Set([
  'WebSocket',
  'Socket',
  'TCP',
  'TCPSocketWrap',
  'Receiver',
  'Sender',
  'HTTPParser',
]);

interface Snapshot {
  snapshot: {
    meta: { node_fields: string[]; edge_fields: string[]; node_types: [string[]]; edge_types: [string[]] };
  };
  nodes: number[];
  edges: number[];
  strings: string[];
}

function read(path: string): Snapshot {
  return JSON.parse(readFileSync(path, 'utf8')) as Snapshot;
}

export function breakdown(before: Snapshot, after: Snapshot, connections: number): HeapBreakdown {
  const library = libraryClasses();
  const nf = after.snapshot.meta.node_fields.length;
  const ef = after.snapshot.meta.edge_fields.length;
  const nodeTypes = after.snapshot.meta.node_types[0];
  const edgeTypes = after.snapshot.meta.edge_types[0];
  const count = after.nodes.length / nf;
  const old = new Set<number>();
  for (let i = 0; i < before.nodes.length; i += nf) old.add(before.nodes[i + 2] as number);
  const firstEdge = new Int32Array(count + 1);
  for (let i = 0, e = 0; i < count; i++) {
    firstEdge[i] = e;
    e += (after.nodes[i * nf + 4] as number) * ef;
  }
  firstEdge[count] = after.edges.length;
  // Breadth first from the root: each node's parent is on a shortest path from the GC roots.
  const parent = new Int32Array(count).fill(-1);
  parent[0] = 0;
  const queue = new Int32Array(count);
  let head = 0;
  let tail = 1;
  while (head < tail) {
    const node = queue[head++] as number;
    for (let e = firstEdge[node] as number; e < (firstEdge[node + 1] as number); e += ef) {
      if (edgeTypes[after.edges[e] as number] === 'weak') continue;
      const to = (after.edges[e + 2] as number) / nf;
      if (parent[to] === -1) {
        parent[to] = node;
        queue[tail++] = to;
      }
    }
  }
  const name = (i: number) => after.strings[after.nodes[i * nf + 1] as number] as string;
  const type = (i: number) => nodeTypes[after.nodes[i * nf] as number];
  const ownerOf = new Map<number, string>();
  const classify = (i: number): string | undefined => {
    if (type(i) !== 'object' && type(i) !== 'synthetic') return undefined;
    const n = name(i);
    if (library.has(n)) return LIBRARY;
    if (XSTATE_CLASSES.has(n)) return XSTATE;
    if (SOCKET_CLASSES.has(n) || n.startsWith('Node / TCP')) return SOCKET;
    return undefined;
  };
  const owner = (start: number): string => {
    const path: number[] = [];
    let i = start;
    let found: string | undefined;
    while (found === undefined) {
      const known = ownerOf.get(i) ?? classify(i);
      if (known !== undefined) found = known;
      else if (parent[i] === -1 || parent[i] === i) found = SHARED;
      else {
        path.push(i);
        i = parent[i] as number;
      }
    }
    for (const p of path) ownerOf.set(p, found);
    return found;
  };
  const owners: Record<string, number> = { [LIBRARY]: 0, [XSTATE]: 0, [SOCKET]: 0, [SHARED]: 0, [CODE]: 0 };
  const objects = new Map<string, { owner: string; name: string; bytes: number }>();
  for (let i = 0; i < count; i++) {
    if (old.has(after.nodes[i * nf + 2] as number)) continue;
    const size = after.nodes[i * nf + 3] as number;
    const t = type(i);
    const found = owner(i);
    // Code and hidden classes belong to no connection, even where one connection's object reaches them first.
    const who = found === SHARED && (t === 'code' || t === 'object shape') ? CODE : found;
    owners[who] = (owners[who] ?? 0) + size;
    if (who === LIBRARY || who === XSTATE) {
      const key = `${who}\0${type(i)}:${name(i).slice(0, 40)}`;
      const row = objects.get(key) ?? { owner: who, name: `${type(i)} ${name(i).slice(0, 40)}`, bytes: 0 };
      row.bytes += size;
      objects.set(key, row);
    }
  }
  for (const key of Object.keys(owners)) owners[key] = Math.round((owners[key] as number) / connections);
  return {
    owners,
    objects: [...objects.values()]
      .map((row) => ({ ...row, bytes: Math.round(row.bytes / connections) }))
      .filter((row) => row.bytes >= 40)
      .sort((a, b) => b.bytes - a.bytes),
  };
}

async function main(): Promise<void> {
  const [variantName, port] = process.argv.slice(2) as [VariantName, string];
  if (!VARIANT_NAMES.includes(variantName) || !port) throw new Error('usage: heap.ts <variant> <port>');
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with --expose-gc');
  const dir = mkdtempSync(join(tmpdir(), 'stm-heap-'));
  try {
    const variant = VARIANTS[variantName];
    // One connection opened and closed first: code and shapes made once are not counted against every connection.
    const open = () =>
      new Promise<BenchSocket>((resolve) => {
        const socket = variant(
          `ws://127.0.0.1:${port}/idle`,
          {
            onOpen: () => resolve(socket),
            onMessage: () => {},
            onClose: () => {},
          },
          false,
        );
      });
    (await open()).close();
    gc();
    gc();
    const before = writeHeapSnapshot(join(dir, 'before.heapsnapshot'));
    const sockets = await Promise.all(Array.from({ length: CONNECTIONS }, open));
    gc();
    gc();
    const after = writeHeapSnapshot(join(dir, 'after.heapsnapshot'));
    const result = breakdown(read(before), read(after), sockets.length);
    process.stdout.write(`${JSON.stringify(result)}\n`);
    for (const socket of sockets) socket.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  process.exit(0);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
