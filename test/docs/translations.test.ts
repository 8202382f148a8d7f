// The Chinese documentation stays in step with the English: every user-facing page has both languages, every
// Chinese page has an English original, the two hold the same code blocks in the same order (byte for byte, same
// info string and check comment), the same heading levels and the same table rows (each about the same option,
// member or code), and each links to the other before its first section. The checks (test/docs/translations.ts)
// take a root directory, so they run on a broken copy here too.
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CodeBlock, codeBlocks, ROOT } from './markdown.js';
import {
  codeBlockDifference,
  crossLinkProblems,
  headingDifference,
  missingPages,
  tableDifference,
  translationPairs,
  translationProblems,
  USER_FACING,
} from './translations.js';

const read = (root: string, file: string) => readFileSync(join(root, file), 'utf8');

const pairs = translationPairs(ROOT);

describe('the Chinese documentation', () => {
  it('has a Chinese page for each user-facing page, and an English page for each Chinese one', () => {
    expect(missingPages(ROOT)).toEqual([]);
    expect(pairs.map(({ english }) => english)).toEqual(expect.arrayContaining(USER_FACING));
  });

  it.each(pairs)(
    '$chinese holds the code blocks of $english, byte for byte and in order',
    ({ english, chinese }) => {
      expect(codeBlocks(chinese, read(ROOT, chinese)).length).toBeGreaterThan(0);
      expect(codeBlockDifference(ROOT, english, chinese)).toBeUndefined();
    },
  );

  it.each(pairs)('$chinese has the heading levels of $english, in order', ({ english, chinese }) => {
    expect(headingDifference(ROOT, english, chinese)).toBeUndefined();
  });

  it.each(pairs)('$chinese has the tables of $english, row by row', ({ english, chinese }) => {
    expect(tableDifference(ROOT, english, chinese)).toBeUndefined();
  });

  it.each(pairs)('$chinese and $english link to each other at their top', ({ english, chinese }) => {
    expect(crossLinkProblems(ROOT, english, chinese)).toEqual([]);
  });
});

describe('the translation check, on a copy of the pages', () => {
  let copy: string;
  const edit = (file: string, change: (text: string) => string) => {
    const text = read(copy, file);
    const changed = change(text);
    expect(changed).not.toBe(text);
    writeFileSync(join(copy, file), changed);
  };
  const fresh = () => {
    rmSync(copy, { recursive: true, force: true });
    for (const page of ['README.md', 'README.zh-CN.md'])
      if (existsSync(join(ROOT, page))) cpSync(join(ROOT, page), join(copy, page));
    cpSync(join(ROOT, 'docs'), join(copy, 'docs'), { recursive: true });
  };

  beforeAll(() => {
    copy = mkdtempSync(join(tmpdir(), 'translations-'));
  });
  afterAll(() => rmSync(copy, { recursive: true, force: true }));

  it('finds nothing wrong in an unchanged copy', () => {
    fresh();
    expect(translationProblems(copy)).toEqual(translationProblems(ROOT));
  });

  it('fails when a user-facing page has no Chinese version, or a Chinese page no English one', () => {
    fresh();
    rmSync(join(copy, 'docs/zh-CN/errors.md'));
    cpSync(join(copy, 'docs/zh-CN/api.md'), join(copy, 'docs/zh-CN/extra.md'));
    rmSync(join(copy, 'README.md'));
    expect(missingPages(copy)).toEqual(
      expect.arrayContaining([
        'README.md: the user-facing page is missing',
        'docs/errors.md: no Chinese page docs/zh-CN/errors.md',
        'README.zh-CN.md: no English page README.md',
        'docs/zh-CN/extra.md: no English page docs/extra.md',
      ]),
    );
  });

  it('names the file and line of the first changed line of a code block', () => {
    fresh();
    const { line, code } = codeBlocks('docs/zh-CN/api.md', read(copy, 'docs/zh-CN/api.md'))[2] as CodeBlock;
    const second = code.split('\n')[1] as string;
    edit('docs/zh-CN/api.md', (text) => {
      const lines = text.split('\n');
      const at = lines.indexOf(second, line);
      lines[at] = `${second} `;
      return lines.join('\n');
    });
    const englishLine = (codeBlocks('docs/api.md', read(copy, 'docs/api.md'))[2] as CodeBlock).line;
    expect(codeBlockDifference(copy, 'docs/api.md', 'docs/zh-CN/api.md')).toBe(
      `docs/zh-CN/api.md:${line + 2} and docs/api.md:${englishLine + 2} (block 3, its line 2) differ: ` +
        `${JSON.stringify(`${second} `)} is ${JSON.stringify(second)} in English`,
    );
  });

  it('fails on a block missing, an extra block, another info string, or another check comment', () => {
    fresh();
    edit('docs/zh-CN/errors.md', (text) => text.replace(/```ts\n[\s\S]*?\n```\n/, ''));
    expect(codeBlockDifference(copy, 'docs/errors.md', 'docs/zh-CN/errors.md')).toMatch(
      /^docs\/zh-CN\/errors\.md: block 1 is missing; it is docs\/errors\.md:\d+$/,
    );
    fresh();
    edit('docs/zh-CN/errors.md', (text) => `${text}\n\`\`\`sh\nnpm test\n\`\`\`\n`);
    expect(codeBlockDifference(copy, 'docs/errors.md', 'docs/zh-CN/errors.md')).toMatch(
      /^docs\/zh-CN\/errors\.md:\d+: block 2 has no counterpart in docs\/errors\.md, which has 1 blocks$/,
    );
    fresh();
    edit('docs/zh-CN/errors.md', (text) => text.replace('```ts\n', '```typescript\n'));
    expect(codeBlockDifference(copy, 'docs/errors.md', 'docs/zh-CN/errors.md')).toMatch(
      /block 1\) and docs\/errors\.md:\d+: info string "typescript" is "ts" in English$/,
    );
    fresh();
    edit('docs/zh-CN/errors.md', (text) => text.replace('```ts\n', '<!-- check: node -->\n\n```ts\n'));
    expect(codeBlockDifference(copy, 'docs/errors.md', 'docs/zh-CN/errors.md')).toMatch(
      /check comment "node" is "" in English$/,
    );
  });

  it('fails when the heading levels part ways', () => {
    fresh();
    edit('docs/zh-CN/errors.md', (text) => text.replace('### `ERR_INVALID_URL`', '## `ERR_INVALID_URL`'));
    expect(headingDifference(copy, 'docs/errors.md', 'docs/zh-CN/errors.md')).toBe(
      'docs/zh-CN/errors.md: heading 4 is "## `ERR_INVALID_URL`" where docs/errors.md has "### `ERR_INVALID_URL`"',
    );
  });

  it('fails when a table row is missing or is about something else, naming both lines', () => {
    const lineOf = (file: string, prefix: string) =>
      read(copy, file)
        .split('\n')
        .findIndex((line) => line.startsWith(prefix)) + 1;
    fresh();
    const [english, chinese] = ['docs/api.md', 'docs/zh-CN/api.md'].map((file) =>
      lineOf(file, '| `startClosed` |'),
    );
    edit('docs/zh-CN/api.md', (text) => text.replace(/^\| `startClosed` \|.*\n/m, ''));
    expect(tableDifference(copy, 'docs/api.md', 'docs/zh-CN/api.md')).toMatch(
      new RegExp(
        `^docs/zh-CN/api\\.md:${chinese} \\(table \\d+, row \\d+\\) is about \\["inspect"\\]; ` +
          `docs/api\\.md:${english} about \\["startClosed"\\]$`,
      ),
    );
    fresh();
    const last = lineOf('docs/errors.md', '| [`ERR_PLATFORM`]');
    edit('docs/zh-CN/errors.md', (text) => text.replace(/^\| \[`ERR_PLATFORM`\].*\n/m, ''));
    expect(tableDifference(copy, 'docs/errors.md', 'docs/zh-CN/errors.md')).toBe(
      `docs/zh-CN/errors.md: table 1, row 19 is missing; it is docs/errors.md:${last}`,
    );
  });

  it('fails when a page no longer links to its other language at the top', () => {
    fresh();
    edit('docs/zh-CN/errors.md', (text) => text.replace('[English](../errors.md)', 'English'));
    edit('docs/errors.md', (text) => text.replace('[中文](zh-CN/errors.md)', '中文'));
    expect(crossLinkProblems(copy, 'docs/errors.md', 'docs/zh-CN/errors.md')).toEqual([
      'docs/errors.md: no link to docs/zh-CN/errors.md before its first section',
      'docs/zh-CN/errors.md: no link to docs/errors.md before its first section',
    ]);
    // A link further down does not count.
    edit('docs/zh-CN/errors.md', (text) => `${text}\n[English](../errors.md)\n`);
    expect(crossLinkProblems(copy, 'docs/errors.md', 'docs/zh-CN/errors.md')).toHaveLength(2);
  });
});
