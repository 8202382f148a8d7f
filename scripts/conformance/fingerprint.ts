// What the compatibility table in docs/conformance.md was computed from, reduced to one hash: the code the generator
// runs, bundled by esbuild from its entries (so every local module it reaches is covered without a list to keep, and
// a change to comments or formatting alone leaves the table fresh), and the installed versions of the implementations
// it runs, of fast-check, whose generators make the scenarios, and of esbuild, which makes the bundle.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { CHROMIUM } from './browser.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const ENTRIES = ['scripts/conformance.ts', 'scripts/conformance/page.ts'];
/** The packages whose behaviour the table reports, the scenario generator, and the bundler of the code hashed. */
export const VERSIONED_PACKAGES = [
  'ws',
  'undici',
  'websocket',
  '@tarojs/taro-h5',
  'fast-check',
  'esbuild',
] as const;

export interface FingerprintInputs {
  /** Each entry's bundle (local modules only, whitespace and comments dropped), by output path. */
  code: Record<string, string>;
  /** Package or program to version. */
  versions: Record<string, string>;
}

/** `entries` (relative to `root`) and every local module they reach, as code without comments or formatting. */
export async function bundledCode(
  entries: readonly string[],
  root = ROOT,
): Promise<{ code: Record<string, string>; files: string[] }> {
  const result = await build({
    entryPoints: [...entries],
    absWorkingDir: root,
    bundle: true,
    write: false,
    metafile: true,
    platform: 'node',
    format: 'esm',
    packages: 'external',
    minifyWhitespace: true,
    legalComments: 'none',
    outdir: 'out',
    logLevel: 'silent',
  });
  const code: Record<string, string> = {};
  for (const output of result.outputFiles)
    code[output.path.slice(output.path.lastIndexOf('/out/'))] = output.text;
  return { code, files: Object.keys(result.metafile.inputs).sort() };
}

/** The local files the generator runs. */
export async function sourceFiles(): Promise<string[]> {
  return (await bundledCode(ENTRIES)).files;
}

export function chromiumVersion(): string {
  const run = spawnSync(CHROMIUM, ['--version'], { encoding: 'utf8', timeout: 30_000 });
  const version = run.status === 0 ? /\d+(\.\d+)+/.exec(run.stdout)?.[0] : undefined;
  return version ?? `(no Chromium at ${CHROMIUM})`;
}

export async function collectInputs(): Promise<FingerprintInputs> {
  const { code } = await bundledCode(ENTRIES);
  const require = createRequire(`${ROOT}package.json`);
  const versions: Record<string, string> = {};
  for (const name of VERSIONED_PACKAGES) {
    versions[name] = (require(`${name}/package.json`) as { version: string }).version;
  }
  versions.chromium = chromiumVersion();
  versions.node = `${process.versions.node.split('.')[0]}.x`;
  return { code, versions };
}

/** One hash of the inputs, independent of the order they were collected in. */
export function fingerprintOf(inputs: FingerprintInputs): string {
  const hash = createHash('sha256');
  for (const [kind, record] of [
    ['code', inputs.code],
    ['version', inputs.versions],
  ] as const) {
    for (const key of Object.keys(record).sort()) {
      hash.update(`${kind}\0${key}\0${record[key]}\0`);
    }
  }
  return `sha256:${hash.digest('hex')}`;
}
