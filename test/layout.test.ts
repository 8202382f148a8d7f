import { readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join, normalize, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

// The layout issue 14 asks for: one file per name, machines at the bottom with the adapters beside them, the
// connection above both, and no import cycle anywhere in src/; tests mirror src/.

const root = join(import.meta.dirname, '..');
const src = join(root, 'src');

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? files(join(dir, entry.name))
      : entry.name.endsWith('.ts')
        ? [join(dir, entry.name)]
        : [],
  );
}

const modules = files(src).map((file) => relative(src, file).replace(/\\/g, '/'));

/** The src/ modules a module imports, types included, by path relative to src/. */
function importsOf(module: string): string[] {
  const text = readFileSync(join(src, module), 'utf8');
  const specifiers = [...text.matchAll(/(?:^|\n)\s*(?:import|export)[^'";]*?from\s+'(\.[^']+)'/g)].map(
    (match) => match[1] as string,
  );
  return specifiers.map((specifier) =>
    normalize(join(dirname(module), specifier))
      .replace(/\\/g, '/')
      .replace(/\.js$/, '.ts'),
  );
}

describe('src/ layout', () => {
  it('reads the imports of a module, types and re-exports included (the checks below are not vacuous)', () => {
    expect(importsOf('connection/createConnection.ts')).toEqual(
      expect.arrayContaining(['machines/task.ts', 'connection/effects.ts', 'adapters/types.ts']),
    );
    expect(importsOf('index.ts')).toContain('connection/createConnection.ts');
  });

  it('has no two files with the same name in different folders (index.ts aside)', () => {
    const byName = new Map<string, string[]>();
    for (const module of modules) {
      const name = basename(module);
      if (name === 'index.ts') continue;
      byName.set(name, [...(byName.get(name) ?? []), module]);
    }
    expect([...byName.values()].filter((paths) => paths.length > 1)).toEqual([]);
  });

  it('keeps the machines at the bottom: they import no adapter, connection, policy runtime or conformance code', () => {
    const allowed = new Set([
      'adapters/types.ts',
      'reconnect/backoff.ts',
      'validate.ts',
      'errors.ts',
      'readyState.ts',
    ]);
    for (const module of modules.filter((m) => m.startsWith('machines/'))) {
      const outside = importsOf(module).filter(
        (target) => !target.startsWith('machines/') && !allowed.has(target),
      );
      expect(outside, module).toEqual([]);
    }
  });

  it('keeps the adapters beside the machines: they import no connection code, and of the machines only the one of a platform socket they share', () => {
    // wechatLegacy's single global socket, which connections take in turn, is a machine of its own: the adapter
    // carries out what globalSocketMachine decides. Nothing else of the machines is an adapter's business.
    for (const module of modules.filter((m) => m.startsWith('adapters/'))) {
      const above = importsOf(module).filter(
        (t) => (t.startsWith('machines/') && t !== 'machines/globalSocket.ts') || t.startsWith('connection/'),
      );
      expect(above, module).toEqual([]);
    }
    expect(importsOf('adapters/wechatLegacy.ts')).toContain('machines/globalSocket.ts');
  });

  it('has no import cycle', () => {
    const graph = new Map(
      modules.map((module) => [module, importsOf(module).filter((t) => modules.includes(t))]),
    );
    const cycles: string[] = [];
    const state = new Map<string, 'visiting' | 'done'>();
    const visit = (module: string, path: string[]) => {
      if (state.get(module) === 'done') return;
      if (state.get(module) === 'visiting') {
        cycles.push([...path.slice(path.indexOf(module)), module].join(' → '));
        return;
      }
      state.set(module, 'visiting');
      for (const next of graph.get(module) ?? []) visit(next, [...path, module]);
      state.set(module, 'done');
    };
    for (const module of modules) visit(module, []);
    expect(cycles).toEqual([]);
  });
});

describe('one folder per policy', () => {
  // Issue 14: a policy's options, defaults, validation and runtime in one folder. src/options/ keeps what is general
  // (the option list, resolveOptions, the readers every resolver shares) and calls each policy's resolver.
  const resolvers: [folder: string, resolver: string][] = [
    ['reconnect', 'reconnectPolicy'],
    ['heartbeat', 'heartbeatPolicy'],
    ['queue', 'queuePolicy'],
    ['limits', 'connectionLimitPolicy'],
    ['lifecycle', 'lifecycleSource'],
  ];
  const defines = (module: string, name: string) =>
    new RegExp(`\\bfunction ${name}\\(`).test(readFileSync(join(src, module), 'utf8'));
  const general = modules.filter((m) => m.startsWith('options/'));
  const isPolicy = (module: string) => resolvers.some(([folder]) => module.startsWith(`${folder}/`));

  it.each(resolvers)(
    "keeps src/%s/ holding its option's resolver, %s, which src/options/ calls",
    (folder, resolver) => {
      const holders = modules.filter((m) => defines(m, resolver));
      expect(holders).toHaveLength(1);
      const holder = holders[0] as string;
      expect(holder.startsWith(`${folder}/`), holder).toBe(true);
      expect(general.some((m) => importsOf(m).includes(holder))).toBe(true);
    },
  );

  it('leaves no policy validation in src/options/: no resolver of a policy, no message about a policy option', () => {
    expect(general.length).toBeGreaterThan(0);
    for (const module of general) {
      for (const [, resolver] of resolvers)
        expect(defines(module, resolver), `${module}: ${resolver}`).toBe(false);
      expect(readFileSync(join(src, module), 'utf8'), module).not.toMatch(
        /createConnection\(\): (reconnect|heartbeat|queue|highWaterMark|lifecycle|connectionLimit)\b/,
      );
    }
  });

  it('lets the policies share only the readers of src/options/, which import no policy', () => {
    const shared = new Set(
      modules.filter(isPolicy).flatMap((m) => importsOf(m).filter((t) => t.startsWith('options/'))),
    );
    expect([...shared]).toEqual(['options/optionReaders.ts']);
    expect(importsOf('options/optionReaders.ts').filter(isPolicy)).toEqual([]);
  });
});

describe('test/ layout', () => {
  it('keeps the tests of a module in a src/ folder in the matching test/ folder, not at the top of test/', () => {
    const folders = new Set(modules.flatMap((m) => (m.includes('/') ? [m.split('/')[0] as string] : [])));
    const nested = new Set(modules.filter((m) => m.includes('/')).map((m) => basename(m, '.ts')));
    const misplaced = readdirSync(join(root, 'test'))
      .filter((name) => name.endsWith('.test.ts'))
      .filter((name) => {
        const subject = name.split('.')[0] as string;
        return folders.has(subject) || (nested.has(subject) && subject !== 'index');
      });
    expect(misplaced).toEqual([]);
  });
});
