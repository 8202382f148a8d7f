// docs/api.md and docs/errors.md against the code: the exports of every entry point in package.json (read from the
// built typings with TypeScript's checker), every option of createConnection and of its nested policies, every
// member of Connection, every error code, and the adapters' profiles.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { beforeAll, describe, expect, it } from 'vitest';
import type { PlatformProfile } from '../../src/adapters/types.js';
import { ERROR_CODES } from '../../src/errors.js';
import { OPTION_NAMES } from '../../src/options/connectionOptions.js';
import { codeBlocks, ROOT, readPage, section, tableRows } from './markdown.js';

const api = readPage('docs/api.md');
const errors = readPage('docs/errors.md');

interface Entry {
  subpath: string;
  types: string;
}

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  exports: Record<string, string | { import: { types: string } }>;
};
const entries: Entry[] = Object.entries(pkg.exports).flatMap(([key, value]) =>
  typeof value === 'string' ? [] : [{ subpath: key, types: join(ROOT, value.import.types) }],
);

let program: ts.Program;
let checker: ts.TypeChecker;
/** The names each entry point exports, values and types, as a user's TypeScript sees them. */
const exportsOf = (entry: Entry) => {
  const file = program.getSourceFile(entry.types);
  if (!file) throw new Error(`${entry.types} is not in the program`);
  const symbol = checker.getSymbolAtLocation(file);
  return symbol ? checker.getExportsOfModule(symbol).map((s) => s.name) : [];
};
/** The property names of an interface that an entry point exports (the root entry unless named). */
const propertiesOf = (name: string, subpath = '.') => {
  const entry = entries.find((candidate) => candidate.subpath === subpath) as Entry;
  const file = program.getSourceFile(entry.types) as ts.SourceFile;
  const symbol = checker
    .getExportsOfModule(checker.getSymbolAtLocation(file) as ts.Symbol)
    .find((s) => s.name === name);
  if (!symbol) throw new Error(`${subpath} exports no ${name}`);
  const resolved = symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
  return checker
    .getDeclaredTypeOfSymbol(resolved)
    .getProperties()
    .map((property) => property.name);
};

beforeAll(() => {
  if (!existsSync(join(ROOT, 'dist', 'index.d.ts')))
    throw new Error('dist/ is missing: run `npx tsup` first');
  program = ts.createProgram(
    entries.map((entry) => entry.types),
    {
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      noEmit: true,
      skipLibCheck: true,
      types: [],
    },
  );
  checker = program.getTypeChecker();
});

/** `| \`name\` | type | default | meaning |` rows of the table under `heading`, by option name. */
function optionRows(heading: string): Map<string, string[]> {
  const rows = tableRows(section(api, heading));
  return new Map(rows.map((cells) => [/^`([\w.]+)`/.exec(cells[0] ?? '')?.[1] ?? '', cells]));
}

describe('docs/api.md', () => {
  it('names every export of every entry point in package.json', () => {
    expect(entries.length).toBeGreaterThanOrEqual(16);
    const missing: string[] = [];
    for (const entry of entries) {
      const names = exportsOf(entry);
      expect(names.length, entry.subpath).toBeGreaterThan(0);
      for (const name of names) if (!api.includes(`\`${name}`)) missing.push(`${entry.subpath}: ${name}`);
      const specifier =
        entry.subpath === '.' ? 'socket-task-machine' : `socket-task-machine/${entry.subpath.slice(2)}`;
      expect(api, `docs/api.md does not name the entry point ${specifier}`).toContain(`\`${specifier}\``);
    }
    expect(missing).toEqual([]);
  });

  it('documents every option of createConnection in its options table, with a default', () => {
    const rows = optionRows('### Options');
    expect([...rows.keys()].sort()).toEqual([...OPTION_NAMES].sort());
    expect([...rows.keys()].sort()).toEqual(propertiesOf('ConnectionOptions').sort());
    for (const [name, cells] of rows) expect(cells[2], name).toMatch(/\S/);
  });

  it.each([
    ['reconnect', 'ReconnectOptions'],
    ['heartbeat', 'HeartbeatOptions'],
    ['queue', 'QueueOptions'],
  ])('documents every %s option, with a default', (option, type) => {
    const rows = optionRows(`### \`${option}\` options`);
    const documented = [...rows.keys()].map((name) => name.replace(`${option}.`, ''));
    expect(documented.sort()).toEqual(propertiesOf(type).sort());
    for (const [name, cells] of rows) {
      expect(name.startsWith(`${option}.`), name).toBe(true);
      expect(cells[2], name).toMatch(/\S/);
    }
  });

  it('documents every option of the adapter factories besides the platform object, with a default', () => {
    const rows = tableRows(section(api, '## Adapters')).filter((cells) =>
      /^`\w+Adapter\(\{/.test(cells[0] ?? ''),
    );
    const documented = rows.flatMap((cells) => {
      const [, factory = '', options = ''] = /^`(\w+)\(\{ ([\w, ]+) \}\)`/.exec(cells[0] ?? '') ?? [];
      expect(cells[2], factory).toMatch(/\S/);
      return options.split(', ').map((option) => `${factory}.${option}`);
    });
    const platformObjects = new Set(['wx', 'qq', 'swan', 'my', 'tt', 'uni', 'Taro']);
    const factories: [string, string, string][] = [
      ['./adapters/node', 'NodeAdapterOptions', 'nodeAdapter'],
      ['./adapters/web', 'WebAdapterOptions', 'webAdapter'],
      ['./adapters/wechat', 'WechatAdapterOptions', 'wechatAdapter'],
      ['./adapters/wechat', 'WechatLegacyAdapterOptions', 'wechatLegacyAdapter'],
      ['./adapters/qq', 'QqAdapterOptions', 'qqAdapter'],
      ['./adapters/baidu', 'BaiduAdapterOptions', 'baiduAdapter'],
      ['./adapters/alipay', 'AlipayAdapterOptions', 'alipayAdapter'],
      ['./adapters/douyin', 'DouyinAdapterOptions', 'douyinAdapter'],
      ['./adapters/uni-app', 'UniAdapterOptions', 'uniAdapter'],
      ['./adapters/taro', 'TaroAdapterOptions', 'taroAdapter'],
    ];
    const options = factories.flatMap(([subpath, type, factory]) =>
      propertiesOf(type, subpath).map((option) => `${factory}.${option}`),
    );
    const expected = options.filter((option) => !platformObjects.has(option.split('.')[1] as string));
    expect(
      documented.filter((option) => !platformObjects.has(option.split('.')[1] as string)).sort(),
    ).toEqual(expected.sort());
  });

  it('documents every option of checkSocketTask, with a default', () => {
    const rows = tableRows(section(api, '## `socket-task-machine/conformance`')).filter(
      (cells) => cells.length === 4 && /^`\w+`$/.test(cells[0] ?? ''),
    );
    expect(rows.map((cells) => (cells[0] as string).replace(/`/g, '')).sort()).toEqual(
      propertiesOf('CheckSocketTaskOptions', './conformance').sort(),
    );
    for (const cells of rows) expect(cells[2], cells[0]).toMatch(/\S/);
  });

  it('documents every member of Connection', () => {
    const members = tableRows(section(api, '### Members')).map(
      (cells) => /^`(\w+)/.exec(cells[0] ?? '')?.[1] ?? '',
    );
    expect([...members].sort()).toEqual(propertiesOf('Connection').sort());
  });

  it.each([
    ['SocketAdapter', 'What an adapter is'],
    ['PlatformProfile', 'What a platform does'],
    ['SocketTaskLike', 'What `connect` returns'],
  ])('documents every member of %s for the writers of adapters', (type, intro) => {
    const text = section(api, '### Writing your own adapter');
    const table = text.slice(text.indexOf(intro));
    const rows = tableRows(table.slice(0, table.indexOf('\n\n', table.indexOf('|'))));
    const documented = rows.flatMap((cells) => [...(cells[0] ?? '').matchAll(/`(\w+)/g)].map((m) => m[1]));
    expect(documented.sort()).toEqual(propertiesOf(type).sort());
  });

  it('gives each adapter the profile its module exports', async () => {
    const rows = tableRows(section(api, '## Adapters')).filter((cells) =>
      cells[1]?.startsWith('`/adapters/'),
    );
    expect(rows.length).toBe(11);
    for (const [
      platform = '',
      subpath = '',
      factory = '',
      closeWhileConnecting = '',
      max = '',
      secure = '',
      ,
      headers = '',
    ] of rows) {
      const adapterFile = subpath.replace(/`/g, '').replace('/adapters/', '');
      const module = (await import(`../../src/adapters/${adapterFile}.ts`)) as Record<string, unknown>;
      const factoryName = /`(\w+)\(/.exec(factory)?.[1] ?? '';
      const profileName =
        platform === 'Taro H5' ? 'taroH5Profile' : factoryName.replace('Adapter', 'Profile');
      const profile = module[profileName] as PlatformProfile;
      expect(profile, `${platform}: ${profileName}`).toBeDefined();
      expect(closeWhileConnecting, platform).toContain(profile.closeWhileConnecting);
      expect(max, platform).toBe(
        profile.maxConcurrent === Number.POSITIVE_INFINITY ? '∞' : String(profile.maxConcurrent),
      );
      expect(secure, platform).toBe(profile.requiresSecureUrl ? 'yes' : 'no');
      expect(headers, platform).toBe(profile.headers ? 'yes' : 'no');
    }
  });

  it('cites no document that does not ship with the repository', () => {
    expect(api).not.toMatch(/PLATFORMS\.md|ARCHITECTURE\.md|PEERS\.md|STYLE\.md|[Ss]eeds? 00\d/);
  });
});

describe('docs/errors.md', () => {
  it('lists every error code in its table', () => {
    const listed = tableRows(errors).map((cells) => /`(ERR_\w+)`/.exec(cells[0] ?? '')?.[1]);
    expect(listed).toEqual([...ERROR_CODES]);
  });

  it('gives every error code a section with its cause and its fix', () => {
    for (const code of ERROR_CODES) {
      const text = section(errors, `### \`${code}\``);
      expect(text, code).toMatch(/\n\*\*Cause\.\*\* \S/);
      expect(text, code).toMatch(/\n\*\*Fix\.\*\* \S/);
    }
    const sections = [...errors.matchAll(/^### `(\w+)`$/gm)].map((match) => match[1]);
    expect(sections).toEqual([...ERROR_CODES]);
  });

  it('shows the error class in use', () => {
    expect(
      codeBlocks('docs/errors.md', errors).some((block) => block.code.includes('instanceof SocketTaskError')),
    ).toBe(true);
  });
});
