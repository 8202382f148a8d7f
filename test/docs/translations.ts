// The Chinese documentation stays in step with the English (test/docs/translations.test.ts): which pages need both
// languages, and the checks, each taking a root directory so the test can run them on a broken copy of the pages.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, posix } from 'node:path';
import { type CodeBlock, codeBlocks, headings, links } from './markdown.js';

/** The pages users read, which must exist in both languages. */
export const USER_FACING = [
  'README.md',
  'docs/api.md',
  'docs/errors.md',
  'docs/platforms.md',
  'docs/recipes.md',
  'docs/bindings.md',
];

const CHINESE_DIR = 'docs/zh-CN';

/** The Chinese page of an English one: README.zh-CN.md beside README.md, docs/zh-CN/x.md for docs/x.md. */
export function chineseOf(english: string): string {
  if (english === 'README.md') return 'README.zh-CN.md';
  return posix.join(CHINESE_DIR, posix.relative('docs', english));
}

export function englishOf(chinese: string): string {
  if (chinese === 'README.zh-CN.md') return 'README.md';
  return posix.join('docs', posix.relative(CHINESE_DIR, chinese));
}

function chinesePages(root: string): string[] {
  const walk = (dir: string): string[] =>
    existsSync(join(root, dir))
      ? readdirSync(join(root, dir), { withFileTypes: true }).flatMap((entry) =>
          entry.isDirectory()
            ? walk(posix.join(dir, entry.name))
            : entry.name.endsWith('.md')
              ? [posix.join(dir, entry.name)]
              : [],
        )
      : [];
  const readme = existsSync(join(root, 'README.zh-CN.md')) ? ['README.zh-CN.md'] : [];
  return [...readme, ...walk(CHINESE_DIR).sort()];
}

/** The pairs both of whose pages exist. */
export function translationPairs(root: string): Array<{ english: string; chinese: string }> {
  return chinesePages(root)
    .map((chinese) => ({ english: englishOf(chinese), chinese }))
    .filter(({ english }) => existsSync(join(root, english)));
}

/** A page in one language without the other. */
export function missingPages(root: string): string[] {
  const missing: string[] = [];
  for (const english of USER_FACING) {
    const chinese = chineseOf(english);
    if (!existsSync(join(root, english))) missing.push(`${english}: the user-facing page is missing`);
    else if (!existsSync(join(root, chinese))) missing.push(`${english}: no Chinese page ${chinese}`);
  }
  for (const chinese of chinesePages(root)) {
    const english = englishOf(chinese);
    if (!existsSync(join(root, english))) missing.push(`${chinese}: no English page ${english}`);
  }
  return missing;
}

const read = (root: string, file: string) => readFileSync(join(root, file), 'utf8');

/** The fence's info string as written (`ts`, `tsx`, `sh`, ...), not only the language the reader keeps. */
function infoString(text: string, block: CodeBlock): string {
  const fence = (text.split('\n')[block.line - 1] ?? '').trim();
  return fence.replace(/^(`{3,}|~{3,})/, '').trim();
}

/** The first line where two texts differ, 1-based, with both lines. */
function firstDifference(a: string, b: string): { line: number; a: string; b: string } {
  const left = a.split('\n');
  const right = b.split('\n');
  let i = 0;
  while (i < left.length && left[i] === right[i]) i++;
  return { line: i + 1, a: left[i] ?? '(end of block)', b: right[i] ?? '(end of block)' };
}

/**
 * Where the code blocks of a Chinese page leave those of its English page: the first difference only (a block
 * changed, missing or extra, another info string or check comment), as `file:line` of both pages.
 */
export function codeBlockDifference(root: string, english: string, chinese: string): string | undefined {
  const englishText = read(root, english);
  const chineseText = read(root, chinese);
  const ours = codeBlocks(english, englishText);
  const theirs = codeBlocks(chinese, chineseText);
  for (let i = 0; i < Math.max(ours.length, theirs.length); i++) {
    const en = ours[i];
    const zh = theirs[i];
    const n = `block ${i + 1}`;
    if (!zh) return `${chinese}: ${n} is missing; it is ${english}:${en?.line}`;
    if (!en)
      return `${chinese}:${zh.line}: ${n} has no counterpart in ${english}, which has ${ours.length} blocks`;
    const where = `${chinese}:${zh.line} (${n}) and ${english}:${en.line}`;
    const [enInfo, zhInfo] = [infoString(englishText, en), infoString(chineseText, zh)];
    if (enInfo !== zhInfo) return `${where}: info string "${zhInfo}" is "${enInfo}" in English`;
    if (en.check !== zh.check)
      return `${where}: check comment "${zh.check ?? ''}" is "${en.check ?? ''}" in English`;
    if (en.code !== zh.code) {
      const { line, a, b } = firstDifference(zh.code, en.code);
      return `${chinese}:${zh.line + line} and ${english}:${en.line + line} (${n}, its line ${line}) differ: ${JSON.stringify(a)} is ${JSON.stringify(b)} in English`;
    }
  }
  return undefined;
}

/** The 1-based lines of a page that belong to a fenced block, fences included. */
function blockLines(page: string, text: string): Set<number> {
  const lines = new Set<number>();
  for (const block of codeBlocks(page, text)) {
    const length = block.code.split('\n').length;
    for (let line = block.line; line <= block.line + length; line++) lines.add(line);
  }
  return lines;
}

interface TableRow {
  line: number;
  /** The code spans of the row's first cell: the option, member, code or type the row is about. */
  key: string[];
}

/** The body rows of each markdown table of a page (header and separator left out), in order. */
function tables(page: string, text: string): TableRow[][] {
  const inBlock = blockLines(page, text);
  const result: TableRow[][] = [];
  let current: TableRow[] | undefined;
  let row = 0;
  text.split('\n').forEach((line, index) => {
    if (!line.startsWith('|') || inBlock.has(index + 1)) {
      current = undefined;
      return;
    }
    if (!current) {
      current = [];
      result.push(current);
      row = 0;
    }
    // The header and the separator.
    if (row++ < 2) return;
    const first = line.slice(1).split(/(?<!\\)\|/)[0] ?? '';
    current.push({
      line: index + 1,
      key: [...first.matchAll(/`([^`]+)`/g)].map((match) => match[1] as string),
    });
  });
  return result;
}

/**
 * Where the two pages' tables part ways: another number of tables or of rows, or a row about something else (the
 * code spans of its first cell, `url` or `ERR_CLOSED`, differ), so an option, member or error code added in
 * English cannot be missing in Chinese.
 */
export function tableDifference(root: string, english: string, chinese: string): string | undefined {
  const ours = tables(english, read(root, english));
  const theirs = tables(chinese, read(root, chinese));
  for (let t = 0; t < Math.max(ours.length, theirs.length); t++) {
    const en = ours[t];
    const zh = theirs[t];
    if (!zh) return `${chinese}: table ${t + 1} is missing; it is ${english}:${(en?.[0]?.line ?? 2) - 2}`;
    if (!en) return `${chinese}:${(zh[0]?.line ?? 2) - 2}: table ${t + 1} has no counterpart in ${english}`;
    for (let r = 0; r < Math.max(en.length, zh.length); r++) {
      const ourRow = en[r];
      const theirRow = zh[r];
      const n = `table ${t + 1}, row ${r + 1}`;
      if (!theirRow) return `${chinese}: ${n} is missing; it is ${english}:${ourRow?.line}`;
      if (!ourRow) return `${chinese}:${theirRow.line}: ${n} has no counterpart in ${english}`;
      if (ourRow.key.join(' ') !== theirRow.key.join(' '))
        return `${chinese}:${theirRow.line} (${n}) is about ${JSON.stringify(theirRow.key)}; ${english}:${ourRow.line} about ${JSON.stringify(ourRow.key)}`;
    }
  }
  return undefined;
}

/** Where the two pages' headings stop having the same levels in the same order. */
export function headingDifference(root: string, english: string, chinese: string): string | undefined {
  const ours = headings(read(root, english));
  const theirs = headings(read(root, chinese));
  for (let i = 0; i < Math.max(ours.length, theirs.length); i++) {
    const en = ours[i];
    const zh = theirs[i];
    if (en?.level === zh?.level) continue;
    const show = (h: typeof en) => (h ? `${'#'.repeat(h.level)} ${h.text}` : '(no heading)');
    return `${chinese}: heading ${i + 1} is "${show(zh)}" where ${english} has "${show(en)}"`;
  }
  return undefined;
}

/** The pages a page links to before its first heading below the title, as paths from the root. */
export function topLinks(root: string, page: string): string[] {
  const text = read(root, page);
  const lines = text.split('\n');
  const inBlock = blockLines(page, text);
  const firstSection =
    lines.findIndex((line, index) => /^#{2,6}\s/.test(line) && !inBlock.has(index + 1)) + 1;
  return links(text)
    .filter(
      ({ line, target }) =>
        (firstSection === 0 || line < firstSection) && !/^[a-z][a-z0-9+.-]*:/i.test(target),
    )
    .map(({ target }) =>
      normalize(join(dirname(page), decodeURI(target.split('#')[0] || page))).replace(/\\/g, '/'),
    );
}

/** Whether each page of a pair links to the other at its top. */
export function crossLinkProblems(root: string, english: string, chinese: string): string[] {
  const problems: string[] = [];
  if (!topLinks(root, english).includes(chinese))
    problems.push(`${english}: no link to ${chinese} before its first section`);
  if (!topLinks(root, chinese).includes(english))
    problems.push(`${chinese}: no link to ${english} before its first section`);
  return problems;
}

/** Every problem of the translations under `root`. */
export function translationProblems(root: string): string[] {
  return [
    ...missingPages(root),
    ...translationPairs(root).flatMap(({ english, chinese }) => [
      ...[
        codeBlockDifference(root, english, chinese),
        headingDifference(root, english, chinese),
        tableDifference(root, english, chinese),
      ].filter((problem): problem is string => problem !== undefined),
      ...crossLinkProblems(root, english, chinese),
    ]),
  ];
}
