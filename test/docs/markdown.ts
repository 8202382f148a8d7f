// Reads the documentation the way the checks need it: fenced code blocks with their line and the check comment
// before them, headings with the anchors GitHub gives them, relative links, and sections by heading.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

export const ROOT = join(import.meta.dirname, '..', '..');

/** One fenced block: `line` is the 1-based line of its opening fence. */
export interface CodeBlock {
  file: string;
  line: number;
  lang: string;
  code: string;
  /** The `<!-- check: ... -->` comment above the fence (other comments and blank lines between allowed), without the prefix. */
  check: string | undefined;
}

export interface Heading {
  /** 1-based line of the heading. */
  line: number;
  level: number;
  text: string;
  anchor: string;
}

/**
 * Every page the checks cover: README.md, README.zh-CN.md, CONTRIBUTING.md and docs/**\/*.md, as paths relative to
 * the root.
 */
export function documentationPages(): string[] {
  const pages = ['README.md', 'README.zh-CN.md', 'CONTRIBUTING.md'].filter((file) =>
    existsSync(join(ROOT, file)),
  );
  const walk = (dir: string): string[] =>
    readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((entry) =>
      entry.isDirectory()
        ? walk(join(dir, entry.name))
        : entry.name.endsWith('.md')
          ? [join(dir, entry.name)]
          : [],
    );
  return [...pages, ...(existsSync(join(ROOT, 'docs')) ? walk('docs').sort() : [])];
}

export function readPage(file: string): string {
  return readFileSync(join(ROOT, file), 'utf8');
}

const FENCE = /^(\s*)(`{3,}|~{3,})\s*([\w+-]*)/;

/** The fenced code blocks of a page, in order; indented fences (inside list items) count too. */
export function codeBlocks(file: string, text = readPage(file)): CodeBlock[] {
  const lines = text.split('\n');
  const blocks: CodeBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE.exec(lines[i] as string);
    if (!open) continue;
    const [, indent = '', fence = '', lang = ''] = open;
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length; j++) {
      const current = lines[j] as string;
      if (current.trimStart().startsWith(fence) && current.trim().replace(/[`~]/g, '') === '') break;
      body.push(current.startsWith(indent) ? current.slice(indent.length) : current.trimStart());
    }
    // The check comment may sit among other comments right above the fence (a page may mark its blocks too).
    let check: string | undefined;
    for (let k = i - 1; k >= 0; k--) {
      const above = (lines[k] as string).trim();
      if (above === '') continue;
      if (!/^<!--.*-->$/.test(above)) break;
      check ??= /^<!--\s*check:\s*(.*?)\s*-->$/.exec(above)?.[1];
    }
    blocks.push({ file, line: i + 1, lang: lang.toLowerCase(), code: `${body.join('\n')}\n`, check });
    i = j;
  }
  return blocks;
}

/** The page without its fenced blocks (their lines blanked, so line numbers stay). */
function prose(text: string): string[] {
  const lines = text.split('\n');
  let fence: string | undefined;
  return lines.map((line) => {
    const open = FENCE.exec(line);
    if (fence === undefined && open) {
      fence = open[2];
      return '';
    }
    if (fence !== undefined) {
      if (line.trimStart().startsWith(fence) && line.trim().replace(/[`~]/g, '') === '') fence = undefined;
      return '';
    }
    return line;
  });
}

/** GitHub's anchor for a heading: lower case, punctuation dropped (not `-` or `_`), spaces to `-`. */
export function slug(text: string): string {
  return text
    .trim()
    .toLowerCase()
    .replace(/<[^>]*>/g, '')
    .replace(/[^\p{L}\p{N}\p{M} _-]/gu, '')
    .replace(/ /g, '-');
}

/** Headings with their anchors; a repeated anchor gets `-1`, `-2`, … as on GitHub. */
export function headings(text: string): Heading[] {
  const seen = new Map<string, number>();
  const result: Heading[] = [];
  for (const [index, line] of prose(text).entries()) {
    const match = /^(#{1,6})\s+(.*?)\s*#*\s*$/.exec(line);
    if (!match) continue;
    const [, hashes = '', heading = ''] = match;
    const base = slug(heading);
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    result.push({
      line: index + 1,
      level: hashes.length,
      text: heading,
      anchor: count === 0 ? base : `${base}-${count}`,
    });
  }
  return result;
}

/** Explicit anchors (`<a id="...">`, `<a name="...">`) a page may also link to. */
export function htmlAnchors(text: string): string[] {
  return [...text.matchAll(/<a\s+(?:id|name)="([^"]+)"/g)].map((match) => match[1] as string);
}

export interface Link {
  line: number;
  target: string;
}

/** Every markdown link and image of the page's prose (not of its code blocks), with its line. */
export function links(text: string): Link[] {
  const result: Link[] = [];
  prose(text).forEach((line, index) => {
    // Inline code can hold brackets that are not links.
    const bare = line.replace(/`[^`]*`/g, '``');
    for (const match of bare.matchAll(/!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
      result.push({ line: index + 1, target: match[1] as string });
    }
    for (const match of bare.matchAll(/^\s*\[[^\]]+\]:\s*(\S+)/g)) {
      result.push({ line: index + 1, target: match[1] as string });
    }
  });
  return result;
}

/**
 * The text of a section: from its heading (matched exactly, e.g. `## Options`) to the next heading of the same
 * level or above.
 */
export function section(text: string, heading: string): string {
  const start = text.indexOf(`\n${heading}\n`);
  if (start < 0) throw new Error(`no "${heading}" section`);
  const level = heading.indexOf(' ');
  const after = text.slice(start + heading.length + 2);
  const next = after.search(new RegExp(`\\n#{1,${level}} `));
  return heading + (next < 0 ? after : after.slice(0, next));
}

/** The rows of the markdown tables in `text`, each split into trimmed cells (the header and separator dropped). */
export function tableRows(text: string): string[][] {
  const rows: string[][] = [];
  let header = true;
  for (const line of text.split('\n')) {
    if (!line.startsWith('|')) {
      header = true;
      continue;
    }
    // `\|` inside a cell is an escaped bar, not a separator.
    const trimmed = line.trimEnd();
    const cells = trimmed
      .slice(1, trimmed.endsWith('|') ? -1 : undefined)
      .split(/(?<!\\)\|/)
      .map((cell) => cell.replace(/\\\|/g, '|').trim());
    if (header) {
      header = false;
      continue;
    }
    if (cells.every((cell) => /^:?-+:?$/.test(cell))) continue;
    rows.push(cells);
  }
  return rows;
}

export const relativeToRoot = (path: string) => relative(ROOT, path);
