// Every relative link of README.md, README.zh-CN.md, CONTRIBUTING.md and docs/ reaches a file of the repository,
// and every #anchor a heading (or an explicit <a id>) of the page it names, as GitHub renders them. The README's
// links also reach files the package ships, so they resolve on the registry's page too.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { documentationPages, headings, htmlAnchors, links, ROOT, readPage } from './markdown.js';

const pages = documentationPages();
const anchorsOf = (file: string) => {
  const text = readPage(file);
  return new Set([...headings(text).map((heading) => heading.anchor), ...htmlAnchors(text)]);
};

/** Every link that leaves no trace outside the repository: not a URL, not mailto. */
function relativeLinks(page: string) {
  return links(readPage(page)).filter(({ target }) => !/^[a-z][a-z0-9+.-]*:/i.test(target));
}

describe('the links of the documentation', () => {
  it.each(pages)('%s: every relative link reaches a file, and every anchor a heading', (page) => {
    const broken: string[] = [];
    for (const { line, target } of relativeLinks(page)) {
      const [path = '', anchor] = target.split('#');
      const file = path === '' ? page : normalize(join(dirname(page), decodeURI(path)));
      const where = `${page}:${line}: ${target}`;
      if (file.startsWith('..') || !existsSync(join(ROOT, file))) {
        broken.push(`${where}: no file ${file}`);
        continue;
      }
      if (anchor === undefined) continue;
      if (!file.endsWith('.md') || statSync(join(ROOT, file)).isDirectory()) {
        broken.push(`${where}: an anchor into ${file}, which has no headings`);
      } else if (!anchorsOf(file).has(decodeURIComponent(anchor))) {
        broken.push(`${where}: ${file} has no heading #${anchor}`);
      }
    }
    expect(broken).toEqual([]);
  });

  it("links from the README only to files the package ships, so they resolve on the registry's page", () => {
    const { files } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { files: string[] };
    const ships = (file: string) =>
      ['README.md', 'package.json', 'LICENSE'].includes(file) ||
      files.some((entry) => file === entry || file.startsWith(`${entry}/`));
    const outside = relativeLinks('README.md')
      .map(({ target }) => normalize(target.split('#')[0] || 'README.md'))
      .filter((file) => !ships(file));
    expect(outside).toEqual([]);
  });

  it('reads links and anchors as GitHub does', () => {
    const text =
      '# A `b` (c)\n\n## Close before open\n\n## Close before open\n\n```md\n[not](a-link.md)\n```\n\n' +
      'See [x](docs/api.md#options "t") and `[not](code.md)`, ![img](diagrams/a.svg).\n\n[ref]: CONTRIBUTING.md\n';
    expect(headings(text).map((heading) => [heading.line, heading.anchor])).toEqual([
      [1, 'a-b-c'],
      [3, 'close-before-open'],
      [5, 'close-before-open-1'],
    ]);
    expect(links(text)).toEqual([
      { line: 11, target: 'docs/api.md#options' },
      { line: 11, target: 'diagrams/a.svg' },
      { line: 13, target: 'CONTRIBUTING.md' },
    ]);
    expect(relative(ROOT, join(ROOT, 'docs', '..', 'README.md'))).toBe('README.md');
  });
});
