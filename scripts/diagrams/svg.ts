import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Browser } from 'puppeteer';
import { CHROMIUM_ARGS } from '../chromium.js';
import { REGENERATE } from './render.js';

// The SVGs are drawn by Mermaid itself, in a headless Chromium driven by @mermaid-js/mermaid-cli:
// https://github.com/mermaid-js/mermaid-cli#use-the-nodejs-api
// Puppeteer downloads no browser (.puppeteerrc.cjs); the system Chromium is used instead.

/** Debian's and Ubuntu's Chromium; `PUPPETEER_EXECUTABLE_PATH` overrides it. */
export const CHROMIUM_PATH = process.env.PUPPETEER_EXECUTABLE_PATH ?? '/usr/bin/chromium';

const require = createRequire(import.meta.url);
const cliRoot = join(dirname(require.resolve('@mermaid-js/mermaid-cli')), '..');
const versionOf = (packageJson: string): string =>
  (JSON.parse(readFileSync(packageJson, 'utf8')) as { version: string }).version;

/**
 * What drew the SVGs, recorded in each: the same `.mmd` drawn by another version may differ, so an upgrade
 * makes every SVG stale.
 */
export const RENDERER = `@mermaid-js/mermaid-cli ${versionOf(join(cliRoot, 'package.json'))}, mermaid ${versionOf(
  createRequire(join(cliRoot, 'package.json')).resolve('mermaid/package.json'),
)}, elk layout`;

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/**
 * The first line of a generated SVG: what it was drawn from, the SHA-256 of that `.mmd` file's exact content and
 * the renderer. The staleness check compares this line only, so tests need no browser.
 */
export function svgStamp(mmdPath: string, mmd: string): string {
  return `<!-- Generated from ${mmdPath} by \`${REGENERATE}\`; do not edit. source-sha256: ${sha256(mmd)} renderer: ${RENDERER} -->`;
}

/** The first line of an SVG file, where {@link svgStamp} puts the stamp. */
export function stampOf(svg: string): string {
  return svg.slice(0, svg.indexOf('\n') >>> 0);
}

/** Mermaid's config for every SVG; `seed` keeps the ids of one diagram apart from another's. */
export function mermaidConfig(seed: string) {
  return {
    theme: 'default',
    layout: 'elk',
    // Mermaid otherwise numbers its ids from a random start, and every render would differ.
    deterministicIds: true,
    deterministicIDSeed: seed,
    // Labels as SVG text rather than HTML in <foreignObject>: viewers that are no browser show them too.
    htmlLabels: false,
    flowchart: { htmlLabels: false },
    state: { nodeSpacing: 40, rankSpacing: 50 },
  } as const;
}

// deterministicIds does not reach the id Mermaid 11 makes for the last region of a parallel state (its
// `generateId()`: `id-` + Math.random() in base 36 + `-` + a counter); the counter alone keeps it unique.
const RANDOM_ID = /\bid-[0-9a-z]{4,12}-(\d+)\b/g;

/** Runs `use` with a headless system Chromium, closed afterwards. */
export async function withBrowser<T>(use: (browser: Browser) => Promise<T>): Promise<T> {
  const { default: puppeteer } = await import('puppeteer');
  const browser = await puppeteer.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [...CHROMIUM_ARGS],
  });
  try {
    return await use(browser);
  } finally {
    await browser.close();
  }
}

/**
 * Draws a Mermaid diagram as an SVG file's content: the stamp line, then the SVG. `id` is the SVG element's id
 * and the seed of the ids inside it.
 */
export async function renderSvg(browser: Browser, mmdPath: string, mmd: string, id: string): Promise<string> {
  const { renderMermaid } = await import('@mermaid-js/mermaid-cli');
  const { data } = await renderMermaid(browser, mmd, 'svg', {
    backgroundColor: 'white',
    mermaidConfig: mermaidConfig(id),
    svgId: id,
  });
  const svg = new TextDecoder().decode(data).replace(RANDOM_ID, 'id-region-$1');
  return `${svgStamp(mmdPath, mmd)}\n${svg}\n`;
}
