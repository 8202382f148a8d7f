// min+gzip size of each ESM entry point in dist/ (run `npm run build` first), bundled with esbuild with and
// without xstate external, gzipped with zlib at its default level. Prints one line of JSON.
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = join(root, 'dist');
// Never part of the library's own weight: the optional peers (the app's own vue or react for the bindings) and
// Node's built-ins (the conformance kit's server).
const peers = ['ws', 'fast-check', 'vitest', '@fast-check/vitest', 'vue', 'react', 'node:*'];

function entries(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return entries(path);
    // tsup's shared chunks are not entry points; each entry bundles the chunks it imports.
    return name.endsWith('.js') && !name.startsWith('chunk-') ? [path] : [];
  });
}

async function size(contents: string, xstateExternal: boolean): Promise<{ min: number; gzip: number }> {
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

interface Row {
  entry: string;
  withoutXstate: { min: number; gzip: number };
  withXstate: { min: number; gzip: number };
}

async function row(entry: string, contents: string): Promise<Row> {
  return { entry, withoutXstate: await size(contents, true), withXstate: await size(contents, false) };
}

const rows: Row[] = [];
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
process.stdout.write(`${JSON.stringify(rows)}\n`);
