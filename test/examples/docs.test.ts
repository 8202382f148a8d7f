// docs/recipes.md shows the files of examples/ as they are, and every example compiles against the built package
// with its own platform's settings (each folder's tsconfig.json: the vendors' global typings must not meet).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
const EXAMPLES = join(ROOT, 'examples');
const RECIPES = join(ROOT, 'docs', 'recipes.md');

/** Every file under `dir`, as paths relative to the repository root. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(ROOT, join(entry.parentPath, entry.name)))
    .sort();
}

const SOURCE = /\.(ts|tsx)$/;
/** What the page shows: every file of an example but its tsconfig.json, which only the check below reads. */
const SHOWN = (file: string) => !file.endsWith('tsconfig.json');

interface CodeBlock {
  /** The `<!-- path -->` line right above the fence, if any. */
  file: string | undefined;
  lang: string;
  code: string;
  line: number;
}

/** The fenced code blocks of a Markdown text, each with the file its marker names. */
function codeBlocks(page: string): CodeBlock[] {
  const markdown = readFileSync(join(ROOT, page), 'utf8');
  const lines = markdown.split('\n');
  const blocks: CodeBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\S*)\s*$/.exec(lines[i] ?? '');
    if (!open) continue;
    const end = lines.indexOf('```', i + 1);
    if (end === -1) throw new Error(`${page}:${i + 1}: a code block is not closed`);
    const marker = /^<!-- (examples\/\S+) -->$/.exec(lines[i - 1] ?? '');
    blocks.push({
      file: marker?.[1],
      lang: open[1] ?? '',
      code: lines.slice(i + 1, end).join('\n'),
      line: i + 1,
    });
    i = end;
  }
  return blocks;
}

/** Pages that show example files (docs/recipes.md and its translations): each marked block is checked. */
const PAGES = filesUnder(join(ROOT, 'docs')).filter(
  (file) => file.endsWith('.md') && readFileSync(join(ROOT, file), 'utf8').includes('<!-- examples/'),
);

describe('docs pages that show examples', () => {
  it.each(PAGES)('%s shows each example file exactly as it is in examples/', (page) => {
    const shown = codeBlocks(page).filter((block) => block.file !== undefined);
    expect(shown.length).toBeGreaterThan(0);
    const differing = shown.filter((block) => {
      const path = join(ROOT, block.file as string);
      return !existsSync(path) || block.code !== readFileSync(path, 'utf8').replace(/\n$/, '');
    });
    expect(
      differing.map((block) => `${page}:${block.line} differs from ${block.file}`),
      'copy each file into its block again',
    ).toEqual([]);
  });
});

describe('docs/recipes.md', () => {
  const blocks = codeBlocks(relative(ROOT, RECIPES));

  it('shows every file of the examples, and no code that is not one', () => {
    const sources = filesUnder(EXAMPLES).filter(SHOWN);
    const shown = blocks.flatMap((block) => (block.file === undefined ? [] : [block.file]));
    expect([...shown].sort()).toEqual(sources);
    const unnamed = blocks.filter(
      (block) => block.file === undefined && /^(ts|tsx|js|jsx|vue|json)$/.test(block.lang),
    );
    expect(
      unnamed.map((block) => `docs/recipes.md:${block.line}`),
      'code blocks not taken from examples/',
    ).toEqual([]);
  });
});

describe('examples/', () => {
  const projects = filesUnder(EXAMPLES).filter((file) => file.endsWith('tsconfig.json'));

  it('gives every example source file a tsconfig.json that compiles it', () => {
    const compiled = new Set<string>();
    for (const project of projects) {
      const config = ts.getParsedCommandLineOfConfigFile(join(ROOT, project), {}, parseHost);
      for (const file of config?.fileNames ?? []) compiled.add(relative(ROOT, file));
    }
    const sources = filesUnder(EXAMPLES).filter((file) => SOURCE.test(file));
    expect(sources.filter((file) => !compiled.has(file))).toEqual([]);
  });

  it.each(projects)('%s compiles against the built package', (project) => {
    expect(existsSync(join(ROOT, 'dist', 'index.d.ts')), 'dist/ is missing: run `npm run build` first').toBe(
      true,
    );
    const config = ts.getParsedCommandLineOfConfigFile(join(ROOT, project), {}, parseHost);
    if (!config) throw new Error(`${project} cannot be read`);
    const program = ts.createProgram({
      rootNames: config.fileNames,
      options: config.options,
      host: sharingHost(config.options),
    });
    const diagnostics = [...config.errors, ...ts.getPreEmitDiagnostics(program)];
    const report = ts.formatDiagnostics(diagnostics, {
      getCanonicalFileName: (file) => file,
      getCurrentDirectory: () => dirname(join(ROOT, project)),
      getNewLine: () => '\n',
    });
    expect(report).toBe('');
  });
});

// The projects read the same typings (TypeScript's libs, vue, react, the package's own): parsed once, not per project.
const shared = new Map<string, ts.SourceFile | undefined>();
function sharingHost(options: ts.CompilerOptions): ts.CompilerHost {
  const host = ts.createCompilerHost(options);
  const read = host.getSourceFile.bind(host);
  host.getSourceFile = (fileName, languageVersion, onError, shouldCreate) => {
    if (fileName.startsWith(EXAMPLES)) return read(fileName, languageVersion, onError, shouldCreate);
    const settings = typeof languageVersion === 'object' ? languageVersion : { languageVersion };
    const key = `${fileName}\0${settings.languageVersion}\0${settings.impliedNodeFormat ?? ''}`;
    if (!shared.has(key)) shared.set(key, read(fileName, languageVersion, onError, shouldCreate));
    return shared.get(key);
  };
  return host;
}

const parseHost: ts.ParseConfigFileHost = {
  ...ts.sys,
  onUnRecoverableConfigFileDiagnostic: (diagnostic) => {
    throw new Error(ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n'));
  },
};
