import { describe, expect, it } from 'vitest';
import { MINIMUM } from '../src/adapters/minimums.js';
import { codeBlocks, readPage, section, tableRows } from './docs/markdown.js';
import { ADAPTER_FACTORIES } from './fixtures/adapterFactories.js';

const readme = readPage('README.md');

describe('the README', () => {
  it('starts with the two commands a newcomer runs', () => {
    expect(readme.split('\n').slice(2, 5).join('\n')).toMatch(/npm install && npm start[\s\S]*\nnpm test/);
  });

  it('links to the Chinese README right after the two commands', () => {
    const afterCommands = readme.split('\n').slice(5, 10).join('\n');
    expect(afterCommands).toContain('[中文](README.zh-CN.md)');
  });

  it('is short: at most 300 lines, with a table of contents', () => {
    expect(readme.split('\n').length).toBeLessThanOrEqual(300);
    expect(readme).toMatch(/\n- \[Quick start\]\(#quick-start\)/);
  });

  it('gives a first connection for Node, the browser, WeChat, uni-app and Taro, each with its imports', () => {
    const imports = {
      '### Node': "from 'socket-task-machine/adapters/node'",
      '### Browser': "from 'socket-task-machine/adapters/web'",
      '### WeChat mini-program': "from 'socket-task-machine/adapters/wechat'",
      '### uni-app': "from 'socket-task-machine/adapters/uni-app'",
      '### Taro': "from 'socket-task-machine/adapters/taro'",
    };
    for (const [heading, adapter] of Object.entries(imports)) {
      const [block] = codeBlocks('README.md', section(readme, heading)).filter((b) => b.lang === 'ts');
      expect(block?.code, heading).toContain("import { createConnection } from 'socket-task-machine';");
      expect(block?.code, heading).toContain(adapter);
    }
  });

  it('names @types/ws for Node TypeScript projects', () => {
    expect(section(readme, '## Install')).toContain('@types/ws');
  });

  it('gives every mini-program adapter the oldest version its factory names, and the engines it was tested in', () => {
    const rows = tableRows(section(readme, '## Where it runs'));
    for (const [key, minimum] of Object.entries(MINIMUM)) {
      const factory = ADAPTER_FACTORIES[key as keyof typeof MINIMUM];
      const row = rows.find((cells) => cells[1]?.includes(`\`${factory}(`));
      expect(row, `README's "Where it runs" has no row for ${factory}`).toBeDefined();
      const [, , oldest, engines] = row as string[];
      expect(oldest, factory).toContain(minimum.version ?? 'multiple: true');
      expect(engines, factory).toMatch(/baseline.*iOS ≤ 15.*no `Proxy`/);
    }
  });

  it('cites no document that does not ship with the repository', () => {
    expect(readme).not.toMatch(/PLATFORMS\.md|ARCHITECTURE\.md|PEERS\.md|STYLE\.md|[Ss]eeds? 00\d/);
  });
});
