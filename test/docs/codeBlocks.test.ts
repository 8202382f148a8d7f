// Every TypeScript block of README.md, README.zh-CN.md and docs/ compiles against the built package, with the
// typings of the platform it is written for (test/docs/codeBlocks.ts). A block that is deliberately a fragment says
// so with `<!-- check: skip (why) -->` right above it; there may be only a few.
import { beforeAll, describe, expect, it } from 'vitest';
import { type CheckResult, checkCodeBlocks, checkOf } from './codeBlocks.js';
import { codeBlocks, documentationPages } from './markdown.js';

/** Fragments allowed across all pages: raise it only for a block that cannot be made whole. */
const MAX_SKIPPED = 3;

const pages = documentationPages();
let result: CheckResult;

beforeAll(() => {
  result = checkCodeBlocks(pages);
}, 180_000);

describe('the TypeScript blocks of the documentation', () => {
  it.each(pages)('%s: every block compiles against the built package', (page) => {
    const errors = result.diagnostics.filter((d) => d.file === page).map((d) => `${d.where} ${d.message}`);
    expect(errors).toEqual([]);
  });

  it('checks the blocks of every page, the README quick starts included', () => {
    expect(result.diagnostics.filter((d) => d.file === '(checker)')).toEqual([]);
    expect(result.checked.filter(({ block }) => block.file === 'README.md').length).toBeGreaterThanOrEqual(5);
    const environments = new Set(result.checked.map(({ environment }) => environment));
    for (const environment of ['node', 'browser', 'wechat', 'uni-app', 'taro'] as const) {
      expect([...environments]).toContain(environment);
    }
  });

  it(`skips at most ${MAX_SKIPPED} blocks, each marked as a fragment with a reason`, () => {
    const skipped = result.skipped.map(({ block, reason }) => `${block.file}:${block.line} (${reason})`);
    expect(skipped.length, skipped.join('\n')).toBeLessThanOrEqual(MAX_SKIPPED);
  });

  it('reads the platform of a block from its adapter import, its globals, or its check comment', () => {
    const block = (code: string, check?: string) => ({ file: 'x.md', line: 1, lang: 'ts', code, check });
    expect(checkOf(block("import { uniAdapter } from 'socket-task-machine/adapters/uni-app';"))).toEqual({
      environment: 'uni-app',
    });
    expect(checkOf(block("recordSocketTask(wx.connectSocket({ url: 'wss://a' }));"))).toEqual({
      environment: 'wechat',
    });
    expect(checkOf(block("import { createConnection } from 'socket-task-machine';"))).toEqual({
      environment: 'node',
    });
    expect(checkOf(block("import './socket';\n\nApp({});"))).toEqual({ environment: 'wechat' });
    expect(checkOf(block('export default defineAppConfig({ pages: [] });'))).toEqual({ environment: 'taro' });
    expect(checkOf(block('x;', 'alipay'))).toEqual({ environment: 'alipay' });
    expect(checkOf(block('x;', 'skip (a fragment)'))).toEqual({ skip: 'a fragment' });
    expect(checkOf(block('x;', 'wechta'))).toEqual({
      problem: expect.stringMatching(/^unknown check "wechta"/),
    });
    const both =
      "import { qqAdapter } from 'socket-task-machine/adapters/qq';\n" +
      "import { douyinAdapter } from 'socket-task-machine/adapters/douyin';\n";
    expect(checkOf(block(`${both}douyinAdapter({ tt });`))).toEqual({ environment: 'douyin' });
    expect(checkOf(block(`${both}console.log(qqAdapter, douyinAdapter);`))).toEqual({ environment: 'node' });
    expect(checkOf(block(`${both}qqAdapter({ qq }), douyinAdapter({ tt });`))).toEqual({
      problem: expect.stringMatching(/^it uses the globals of douyin, qq: put <!-- check: <platform> -->/),
    });
    expect(checkOf(block(both, 'douyin'))).toEqual({ environment: 'douyin' });
  });

  it('finds the blocks a page holds, with the line of their fence and the check comment above them', () => {
    const page =
      '# t\n\n<!-- check: skip (why) -->\n\n```ts\nconst a = 1;\n```\n\n- item\n\n  ```typescript\n  let b;\n  ```\n';
    expect(codeBlocks('t.md', page)).toEqual([
      { file: 't.md', line: 5, lang: 'ts', code: 'const a = 1;\n', check: 'skip (why)' },
      { file: 't.md', line: 11, lang: 'typescript', code: 'let b;\n', check: undefined },
    ]);
  });
});
