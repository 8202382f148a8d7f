// min+gzip size of each ESM entry point in dist/ (run `npm run build` first), bundled with esbuild with and without
// xstate external, gzipped with zlib at its default level. Used by the size budget (test/size.test.ts, against
// size-budget.json) and by the benchmark's size table (bench/size.ts).
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

export const root = fileURLToPath(new URL('..', import.meta.url));
const dist = join(root, 'dist');
// Never part of the library's own weight: the optional peers (the app's own vue or react for the bindings) and
// Node's built-ins (the conformance kit's server).
const peers = ['ws', 'fast-check', 'vitest', '@fast-check/vitest', 'vue', 'react', 'node:*'];

export interface Size {
  min: number;
  gzip: number;
}

export interface SizeRow {
  entry: string;
  withoutXstate: Size;
  withXstate: Size;
}

function entries(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return entries(path);
    // tsup's shared chunks are not entry points; each entry bundles the chunks it imports.
    return name.endsWith('.js') && !name.startsWith('chunk-') ? [path] : [];
  });
}

async function size(contents: string, xstateExternal: boolean): Promise<Size> {
  const result = await build({
    stdin: { contents, resolveDir: dist, loader: 'js' },
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'node',
    write: false,
    logLevel: 'silent',
    external: xstateExternal ? [...peers, 'xstate'] : peers,
  });
  const code = result.outputFiles[0]?.contents ?? new Uint8Array();
  return { min: code.byteLength, gzip: gzipSync(code).byteLength };
}

async function row(entry: string, contents: string): Promise<SizeRow> {
  return { entry, withoutXstate: await size(contents, true), withXstate: await size(contents, false) };
}

/** Every entry point of dist/, then the core with each of the node, web and wechat adapters. */
export async function measureSizes(): Promise<SizeRow[]> {
  const rows: SizeRow[] = [];
  for (const path of entries(dist).sort()) {
    const specifier = `./${relative(dist, path)}`;
    rows.push(await row(specifier, `export * from '${specifier}';`));
  }
  for (const adapter of ['node', 'web', 'wechat']) {
    rows.push(
      await row(
        `core + ${adapter} adapter (./index.js + ./adapters/${adapter}.js)`,
        `export * from './index.js';\nexport * from './adapters/${adapter}.js';`,
      ),
    );
  }
  return rows;
}

/** size-budget.json: the most each entry may weigh, min+gzip without xstate. */
export interface Budget {
  entries: Record<string, number>;
}

/** Tolerated shrinkage below a budget before it must be lowered: a budget far above the size allows silent growth. */
export const SLACK = 0.9;

export function overBudget(rows: SizeRow[], budget: Budget): string[] {
  const problems: string[] = [];
  for (const row of rows) {
    const allowed = budget.entries[row.entry];
    const size = row.withoutXstate.gzip;
    if (allowed === undefined) problems.push(`${row.entry} has no budget in size-budget.json (${size} B)`);
    else if (size > allowed) problems.push(`${row.entry} is ${size} B, over its budget of ${allowed} B`);
    else if (size < allowed * SLACK) {
      problems.push(`${row.entry} is ${size} B, far below its budget of ${allowed} B: lower the budget`);
    }
  }
  for (const entry of Object.keys(budget.entries)) {
    if (!rows.some((row) => row.entry === entry))
      problems.push(`size-budget.json names ${entry}, which is not built`);
  }
  return problems;
}
