// Nothing in the repository may cite a document that is not in it: the background documents the project was
// started from, and the vendor pages by their number, do not ship. Facts from them live in docs/platforms.md, and
// a citation of that page must name one of its headings.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, posix } from 'node:path';
import { describe, expect, it } from 'vitest';
import { headings, htmlAnchors, ROOT, readPage } from './markdown.js';

/** Every tracked file, as git lists it: what a clone of the repository holds. */
function trackedFiles(): string[] {
  const listed = spawnSync('git', ['ls-files', '-z'], { cwd: ROOT, encoding: 'utf8' });
  if (listed.status !== 0) throw new Error(`git ls-files failed: ${listed.stderr}`);
  return listed.stdout.split('\0').filter((file) => file !== '');
}

// Built from parts, so that this file does not cite what it forbids.
const BACKGROUND = ['PLATFORMS', 'ARCHITECTURE', 'PEERS', 'STYLE'];
const OUTSIDE: Array<[string, RegExp]> = [
  ['a background document', new RegExp(`\\b(?:${BACKGROUND.join('|')})(?:\\.md\\b|\\s*§)`)],
  ['a numbered seed', /\bseeds? 0\d\d\b/i],
  ['the seeds folder', /\bseeds\//],
  ['the shared folder', new RegExp(['', 'work', 'shared'].join('/'))],
];

/** Text files only: a NUL byte in the first 8 kB marks a binary file, as for git. */
function readText(file: string): string | undefined {
  const buffer = readFileSync(join(ROOT, file));
  return buffer.subarray(0, 8192).includes(0) ? undefined : buffer.toString('utf8');
}

const files = trackedFiles()
  .map((file) => ({ file, text: readText(file) }))
  .filter((entry): entry is { file: string; text: string } => entry.text !== undefined);

/** Where the text cites a document outside the repository: `file:line: kind: the line`. */
function outsideCitations(file: string, text: string): string[] {
  const found: string[] = [];
  text.split('\n').forEach((line, index) => {
    for (const [kind, pattern] of OUTSIDE) {
      if (pattern.test(line)) found.push(`${file}:${index + 1}: ${kind}: ${line.trim()}`);
    }
  });
  return found;
}

interface Citation {
  where: string;
  anchor: string;
}

const PLATFORMS_PAGE = 'docs/platforms.md';

/**
 * Every citation of the page that resolves to docs/platforms.md: repo-root paths in code (`docs/platforms.md#…`),
 * paths relative to the citing page in markdown (`platforms.md#…`, `../docs/platforms.md#…`), and the page's own
 * `(#…)` links.
 */
function platformCitations(file: string, text: string): Citation[] {
  const found: Citation[] = [];
  text.split('\n').forEach((line, index) => {
    const where = `${file}:${index + 1}`;
    for (const match of line.matchAll(/((?:[\w.-]+\/)*)platforms\.md#([\p{L}\p{N}_-]+)/gu)) {
      const [, prefix = '', anchor = ''] = match;
      const target =
        prefix.startsWith('docs/') || !file.endsWith('.md')
          ? posix.normalize(`${prefix}platforms.md`)
          : posix.normalize(posix.join(dirname(file), `${prefix}platforms.md`));
      if (target === PLATFORMS_PAGE) found.push({ where, anchor });
    }
    if (file === PLATFORMS_PAGE) {
      for (const match of line.matchAll(/\]\(#([^)\s]+)\)/g))
        found.push({ where, anchor: match[1] as string });
    }
  });
  return found;
}

describe('citations', () => {
  it('finds the tracked files to read', () => {
    expect(files.map(({ file }) => file)).toEqual(expect.arrayContaining(['README.md', 'src/index.ts']));
  });

  it('recognizes each kind of outside citation (the check below is not vacuous)', () => {
    const SEED = ['Seed', 'seeds'] as const;
    const samples = [
      `see ${BACKGROUND[0]}.md §2`,
      `(${BACKGROUND[1]}.md)`,
      `${BACKGROUND[2]}.md complaint 11`,
      `${BACKGROUND[0]} §5`,
      `${SEED[0]} 003: closeSocket before open`,
      `(${SEED[1]} 003/004)`,
      `${SEED[1].slice(0, -1)} 000/003`,
      `shared/${SEED[1]}/004_x.txt`,
      `${['', 'work', 'shared'].join('/')}/x`,
    ];
    for (const sample of samples) expect(outsideCitations('sample', sample), sample).toHaveLength(1);
    expect(outsideCitations('sample', 'the seeds allow 1000; docs/platforms.md#the-seeds; seed=42')).toEqual(
      [],
    );
  });

  it('no tracked file cites a document that is not in the repository', () => {
    expect(files.flatMap(({ file, text }) => outsideCitations(file, text))).toEqual([]);
  });

  it('every anchor of docs/platforms.md cited anywhere is a heading of that page', () => {
    const page = readPage(PLATFORMS_PAGE);
    const anchors = new Set([...headings(page).map(({ anchor }) => anchor), ...htmlAnchors(page)]);
    const citations = files.flatMap(({ file, text }) => platformCitations(file, text));
    // The code cites the page in dozens of places; finding none would mean the pattern broke.
    expect(citations.filter(({ where }) => where.startsWith('src/')).length).toBeGreaterThan(10);
    expect(citations.filter(({ anchor }) => !anchors.has(anchor))).toEqual([]);
  });

  it('resolves a citation by its path: the code cites from the root, a page relative to itself', () => {
    // Spelled in parts, so that these samples are not citations of this file.
    const P = 'platforms.md';
    expect(platformCitations('src/a.ts', `// docs/${P}#x: y`)).toEqual([
      { where: 'src/a.ts:1', anchor: 'x' },
    ]);
    expect(platformCitations('README.md', `[a](docs/${P}#x).`)).toEqual([
      { where: 'README.md:1', anchor: 'x' },
    ]);
    expect(platformCitations('docs/api.md', `[a](${P}#x)`)).toEqual([
      { where: 'docs/api.md:1', anchor: 'x' },
    ]);
    // The Chinese page has headings of its own.
    expect(platformCitations('docs/zh-CN/api.md', `[a](${P}#x)`)).toEqual([]);
  });
});
