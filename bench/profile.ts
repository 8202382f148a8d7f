// Where the time of opening 1,000 connections goes: a CPU profile of the client process (the server runs in its
// own process, on the other core), each sample's self time attributed to the code it was in: this library, xstate,
// ws, Node's own JavaScript, the garbage collector, or the engine idle waiting for the network.
// Usage: node --expose-gc --import tsx bench/profile.ts <variant> <port>. Prints one line of JSON.
import { Session } from 'node:inspector/promises';
import { fileURLToPath } from 'node:url';
import { VARIANT_NAMES, type VariantName } from './meta.js';
import { type BenchSocket, VARIANTS } from './variants.js';

const CONNECTIONS = 1_000;
const ROUNDS = 3;

export const PROFILE_OWNERS = [
  'this library',
  'xstate',
  'ws',
  'Node (JavaScript)',
  'Node (native), engine',
  'garbage collector',
  'idle (waiting for the network)',
] as const;
export type ProfileOwner = (typeof PROFILE_OWNERS)[number];

export interface TimeProfile {
  /** ms per round of 1,000 opens, by owner. */
  owners: Record<ProfileOwner, number>;
  /** The functions with the most self time per round, ms, largest first. */
  functions: Array<{ owner: ProfileOwner; name: string; ms: number }>;
}

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

// The benchmark runs the built package (dist/), as a user does; src/ too, for a run from the sources.
const src = fileURLToPath(new URL('../src/', import.meta.url));
const dist = fileURLToPath(new URL('../dist/', import.meta.url));

function ownerOf({ functionName, url }: CallFrame): ProfileOwner {
  if (functionName === '(garbage collector)') return 'garbage collector';
  if (functionName === '(idle)') return 'idle (waiting for the network)';
  const path = url.startsWith('file://') ? fileURLToPath(url) : url;
  if (path.startsWith(src) || path.startsWith(dist)) return 'this library';
  if (path.includes('/node_modules/xstate/')) return 'xstate';
  if (path.includes('/node_modules/ws/')) return 'ws';
  if (path.startsWith('node:')) return 'Node (JavaScript)';
  // (program), (root), native functions and builtins without a script: the engine and Node's C++.
  return 'Node (native), engine';
}

export function attribute(profile: Profile, rounds: number): TimeProfile {
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const owners = Object.fromEntries(PROFILE_OWNERS.map((owner) => [owner, 0])) as Record<
    ProfileOwner,
    number
  >;
  const functions = new Map<string, { owner: ProfileOwner; name: string; ms: number }>();
  // timeDeltas[i] is the time before sample i; the time a sample stands for is the one up to the next sample.
  for (let i = 0; i < profile.samples.length; i++) {
    const node = nodes.get(profile.samples[i] as number);
    if (!node) continue;
    const ms = (profile.timeDeltas[i + 1] ?? 0) / 1000;
    const owner = ownerOf(node.callFrame);
    owners[owner] += ms;
    const { functionName, url, lineNumber } = node.callFrame;
    const file = url.startsWith('file://') ? fileURLToPath(url) : url;
    const where = file.startsWith(src)
      ? `src/${file.slice(src.length)}`
      : file.startsWith(dist)
        ? `dist/${file.slice(dist.length)}`
        : file.replace(/^.*\/node_modules\//, '').replace(/\/dist\/.*\//, '/…/');
    const name = `${functionName || '(anonymous)'}${where ? ` (${where}:${lineNumber + 1})` : ''}`;
    const row = functions.get(name) ?? { owner, name, ms: 0 };
    row.ms += ms;
    functions.set(name, row);
  }
  for (const owner of PROFILE_OWNERS) owners[owner] /= rounds;
  return {
    owners,
    functions: [...functions.values()]
      .filter((row) => row.owner !== 'idle (waiting for the network)')
      .map((row) => ({ ...row, ms: row.ms / rounds }))
      .sort((a, b) => b.ms - a.ms)
      .slice(0, 12),
  };
}

async function main(): Promise<void> {
  const [variantName, port] = process.argv.slice(2) as [VariantName, string];
  if (!VARIANT_NAMES.includes(variantName) || !port) throw new Error('usage: profile.ts <variant> <port>');
  const variant = VARIANTS[variantName];
  const open = () =>
    new Promise<BenchSocket>((resolve) => {
      const socket = variant(
        `ws://127.0.0.1:${port}/idle`,
        { onOpen: () => resolve(socket), onMessage: () => {}, onClose: () => {} },
        false,
      );
    });
  const closeAll = (sockets: BenchSocket[]) => {
    for (const socket of sockets) socket.close();
  };
  // A warm-up round: the profile is of code already optimized, as in the benchmark's repetitions after the first.
  closeAll(await Promise.all(Array.from({ length: CONNECTIONS }, open)));
  await new Promise((resolve) => setTimeout(resolve, 500));
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 100 });
  await session.post('Profiler.start');
  for (let round = 0; round < ROUNDS; round++) {
    const sockets = await Promise.all(Array.from({ length: CONNECTIONS }, open));
    await session.post('Profiler.stop').then(
      // Paused while the sockets close, so that only the opens are profiled.
      async ({ profile }) => {
        profiles.push(profile as unknown as Profile);
        closeAll(sockets);
        await new Promise((resolve) => setTimeout(resolve, 500));
        if (round < ROUNDS - 1) await session.post('Profiler.start');
      },
    );
  }
  session.disconnect();
  const merged: Profile = { nodes: [], samples: [], timeDeltas: [] };
  // Node ids are per profile: offset each profile's ids so that the rounds can be added up.
  let offset = 0;
  for (const profile of profiles) {
    merged.nodes.push(...profile.nodes.map((node) => ({ ...node, id: node.id + offset })));
    merged.samples.push(...profile.samples.map((id) => id + offset));
    merged.timeDeltas.push(...profile.timeDeltas, 0);
    merged.samples.push(-1);
    offset += Math.max(...profile.nodes.map((node) => node.id)) + 1;
  }
  process.stdout.write(`${JSON.stringify(attribute(merged, ROUNDS))}\n`);
  process.exit(0);
}

const profiles: Profile[] = [];

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
