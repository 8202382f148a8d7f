// What the compatibility table in docs/conformance.md was computed from, reduced to one hash: every source file the
// generator runs (found by esbuild from its entries, so a new import is covered without a list to keep), and the
// installed versions of the implementations it runs and of fast-check, whose generators make the scenarios.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { CHROMIUM } from './browser.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const ENTRIES = ['scripts/conformance.ts', 'scripts/conformance/page.ts'];
/** The packages whose behaviour the table reports, and the scenario generator. */
export const VERSIONED_PACKAGES = ['ws', 'undici', 'websocket', '@tarojs/taro-h5', 'fast-check'] as const;

export interface FingerprintInputs {
  /** Path (from the repository root) to content, for every local source file the generator runs. */
  files: Record<string, string>;
  /** Package or program to version. */
  versions: Record<string, string>;
}

/** The local files reachable from the generator's entries, packages excluded. */
export async function sourceFiles(): Promise<string[]> {
  const result = await build({
    entryPoints: ENTRIES,
    absWorkingDir: ROOT,
    bundle: true,
    write: false,
    metafile: true,
    platform: 'node',
    format: 'esm',
    packages: 'external',
    outdir: 'out',
    logLevel: 'silent',
  });
  return Object.keys(result.metafile.inputs).sort();
}

export function chromiumVersion(): string {
  const run = spawnSync(CHROMIUM, ['--version'], { encoding: 'utf8', timeout: 30_000 });
  const version = run.status === 0 ? /\d+(\.\d+)+/.exec(run.stdout)?.[0] : undefined;
  return version ?? `(no Chromium at ${CHROMIUM})`;
}

export async function collectInputs(): Promise<FingerprintInputs> {
  const files: Record<string, string> = {};
  for (const file of await sourceFiles()) files[file] = readFileSync(`${ROOT}${file}`, 'utf8');
  const require = createRequire(`${ROOT}package.json`);
  const versions: Record<string, string> = {};
  for (const name of VERSIONED_PACKAGES) {
    versions[name] = (require(`${name}/package.json`) as { version: string }).version;
  }
  versions.chromium = chromiumVersion();
  versions.node = `${process.versions.node.split('.')[0]}.x`;
  return { files, versions };
}

/** One hash of the inputs, independent of the order they were collected in. */
export function fingerprintOf(inputs: FingerprintInputs): string {
  const hash = createHash('sha256');
  for (const [kind, record] of [
    ['file', inputs.files],
    ['version', inputs.versions],
  ] as const) {
    for (const key of Object.keys(record).sort()) {
      hash.update(`${kind}\0${key}\0${record[key]}\0`);
    }
  }
  return `sha256:${hash.digest('hex')}`;
}
