// Type-checks the TypeScript blocks of the documentation against the built package, as a user's project would
// compile them: each block is a module of its own, imports resolve through package.json's exports (the files are
// written inside the package, which resolves its own name), and each block gets the global typings of the platform
// it is written for. One program per platform, as the vendors' global typings must not meet (see
// scripts/typecheck-platforms.ts).
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import ts from 'typescript';
import { type CodeBlock, codeBlocks, documentationPages, headings, ROOT, readPage } from './markdown.js';

export const ENVIRONMENTS = [
  'node',
  'browser',
  'wechat',
  'qq',
  'baidu',
  'alipay',
  'douyin',
  'uni-app',
  'taro',
] as const;
export type Environment = (typeof ENVIRONMENTS)[number];

const MINI_PROGRAM_LIB = ['lib.es2020.d.ts'];
/** What a mini-program runtime gives every script besides ECMAScript: timers and console. */
const RUNTIME_GLOBALS = `
declare function setTimeout(handler: () => void, timeout?: number): number;
declare function clearTimeout(id: number | undefined): void;
declare function setInterval(handler: () => void, timeout?: number): number;
declare function clearInterval(id: number | undefined): void;
declare const console: { log(...data: unknown[]): void; warn(...data: unknown[]): void; error(...data: unknown[]): void };
`;

interface EnvironmentSettings {
  lib: string[];
  types: string[];
  /** Declarations of the platform's globals where the vendor publishes no typings this project installs. */
  globals?: string;
}

const SETTINGS: Record<Environment, EnvironmentSettings> = {
  node: { lib: ['lib.es2022.d.ts'], types: ['node'] },
  browser: { lib: ['lib.es2022.d.ts', 'lib.dom.d.ts', 'lib.dom.iterable.d.ts'], types: [] },
  wechat: { lib: MINI_PROGRAM_LIB, types: ['miniprogram-api-typings'] },
  // QQ and Baidu: the global as the adapter takes it, which is how their documentation describes it.
  qq: {
    lib: MINI_PROGRAM_LIB,
    types: [],
    globals: `${RUNTIME_GLOBALS}declare const qq: import('socket-task-machine/adapters/qq').QqAdapterOptions['qq'];\n`,
  },
  baidu: {
    lib: MINI_PROGRAM_LIB,
    types: [],
    globals: `${RUNTIME_GLOBALS}declare const swan: import('socket-task-machine/adapters/baidu').BaiduAdapterOptions['swan'];\n`,
  },
  alipay: { lib: MINI_PROGRAM_LIB, types: ['@mini-types/my'], globals: RUNTIME_GLOBALS },
  douyin: { lib: MINI_PROGRAM_LIB, types: ['@douyin-microapp/typings'], globals: RUNTIME_GLOBALS },
  'uni-app': { lib: MINI_PROGRAM_LIB, types: ['@dcloudio/types'], globals: RUNTIME_GLOBALS },
  // Taro's typings are written against the DOM (its H5 build), as test/types/taro compiles them.
  taro: { lib: ['lib.es2022.d.ts', 'lib.dom.d.ts'], types: ['@tarojs/taro'] },
};

/** The languages checked; a block in another language (sh, vue, text, mermaid) is not TypeScript. */
export const CHECKED_LANGUAGES = new Set(['ts', 'typescript', 'tsx']);

export type Check = { skip: string } | { environment: Environment } | { problem: string };

const BY_IMPORT: Record<string, Environment> = {
  node: 'node',
  web: 'browser',
  wechat: 'wechat',
  qq: 'qq',
  baidu: 'baidu',
  alipay: 'alipay',
  douyin: 'douyin',
  'uni-app': 'uni-app',
  taro: 'taro',
};

/**
 * How a block is checked: `<!-- check: skip (why) -->` skips it, `<!-- check: <environment> -->` names its
 * platform; otherwise the platform comes from the adapter it imports, or the platform global it uses. A block that
 * imports the adapters of several platforms must name the one it compiles for.
 */
export function checkOf(block: CodeBlock): Check {
  if (block.check !== undefined) {
    const skip = /^skip\s*\((.+)\)$/.exec(block.check);
    if (skip) return { skip: skip[1] as string };
    if ((ENVIRONMENTS as readonly string[]).includes(block.check)) {
      return { environment: block.check as Environment };
    }
    return {
      problem: `unknown check "${block.check}": use skip (why), or one of ${ENVIRONMENTS.join(', ')}`,
    };
  }
  const code = block.code;
  const imported = [
    ...new Set(
      [...code.matchAll(/socket-task-machine\/adapters\/([\w-]+)/g)].flatMap((match) => {
        const environment = BY_IMPORT[match[1] as string];
        return environment ? [environment] : [];
      }),
    ),
  ];
  // A global the block declares itself (a platform with no published typings) needs no platform's typings.
  const used = PLATFORM_GLOBALS.filter(
    ([pattern, , name]) =>
      pattern.test(code) && !new RegExp(`\\bdeclare (?:const|let|var) ${name}\\b`).test(code),
  ).map(([, environment]) => environment);
  if (imported.length === 1) return { environment: imported[0] as Environment };
  if (imported.length > 1) {
    const platforms = [...new Set(used.filter((environment) => imported.includes(environment)))];
    if (platforms.length === 1) return { environment: platforms[0] as Environment };
    // Adapters imported for their exports alone (profiles, minimums) need no platform's typings.
    if (used.length === 0) return { environment: 'node' };
    return {
      problem: `it uses the globals of ${[...new Set(used)].join(', ')}: put <!-- check: <platform> --> above it to name the typings it compiles with`,
    };
  }
  if (/@tarojs\/taro/.test(code)) return { environment: 'taro' };
  return { environment: used[0] ?? 'node' };
}

/** A platform's global in use: `wx.connectSocket(...)`, `{ wx }`; the first that matches decides. */
const PLATFORM_GLOBALS: [RegExp, Environment, string][] = [
  [/\bwx\.|\{ wx \}|\b(?:App|Page|Component)\(\{/, 'wechat', 'wx'],
  [/\buni\.|\{ uni \}/, 'uni-app', 'uni'],
  [/\bTaro\.|\{ Taro \}|\bdefine(?:App|Page)Config\(/, 'taro', 'Taro'],
  [/\bmy\.|\{ my \}/, 'alipay', 'my'],
  [/\btt\.|\{ tt \}/, 'douyin', 'tt'],
  [/\bswan\.|\{ swan \}/, 'baidu', 'swan'],
  [/\bqq\.|\{ qq \}/, 'qq', 'qq'],
  [/\b(?:document|window|localStorage)\.|from 'react'|from 'vue'/, 'browser', 'window'],
];

export interface BlockDiagnostic {
  /** `docs/api.md:123:5` */
  where: string;
  file: string;
  message: string;
}

export interface CheckResult {
  checked: { block: CodeBlock; environment: Environment }[];
  skipped: { block: CodeBlock; reason: string }[];
  diagnostics: BlockDiagnostic[];
}

/** A block's first line `// path/to/file.ts: ...` names the file it is (other blocks import it by that path). */
function fileNameOf(block: CodeBlock): string {
  const named = /^\/\/ ((?:[\w.-]+\/)*[\w.-]+\.tsx?)\b/.exec(block.code)?.[1];
  if (named) return named;
  return `block-${block.line}.${block.lang === 'tsx' ? 'tsx' : 'ts'}`;
}

/**
 * A compiler host whose parsed files (the libs, xstate's and the package's typings) are shared by the programs of
 * every environment: parsing them once is most of the time saved.
 */
function sharedHost(
  options: ts.CompilerOptions,
  parsed: Map<string, ts.SourceFile | undefined>,
): ts.CompilerHost {
  const host = ts.createCompilerHost(options);
  const read = host.getSourceFile.bind(host);
  host.getSourceFile = (fileName, languageVersion, ...rest) => {
    const key = `${fileName}\0${JSON.stringify(languageVersion)}`;
    if (!parsed.has(key)) parsed.set(key, read(fileName, languageVersion, ...rest));
    return parsed.get(key);
  };
  return host;
}

/** Writes every checked block of every page under dist/, compiles them, and maps the errors back to the pages. */
export function checkCodeBlocks(pages = documentationPages()): CheckResult {
  if (!existsSync(join(ROOT, 'dist', 'index.d.ts')))
    throw new Error('dist/ is missing: run `npx tsup` first');
  const result: CheckResult = { checked: [], skipped: [], diagnostics: [] };
  // Inside the package, so that 'socket-task-machine' resolves through its own exports, as for a user.
  const dir = mkdtempSync(join(ROOT, 'dist', '.codeblocks-'));
  try {
    const byFile = new Map<string, CodeBlock>();
    const roots = new Map<Environment, string[]>();
    const parsed = new Map<string, ts.SourceFile | undefined>();
    for (const page of pages) {
      const text = readPage(page);
      const sections = headings(text);
      for (const block of codeBlocks(page, text)) {
        if (!CHECKED_LANGUAGES.has(block.lang)) continue;
        const check = checkOf(block);
        if ('skip' in check) {
          result.skipped.push({ block, reason: check.skip });
          continue;
        }
        if ('problem' in check) {
          result.diagnostics.push({ where: `${page}:${block.line}`, file: page, message: check.problem });
          continue;
        }
        // One folder per section of a page: the blocks of one recipe may import each other by the file names they
        // give themselves, and the next recipe's socket.ts is another file.
        const heading = sections.filter((candidate) => candidate.line < block.line).at(-1)?.anchor ?? 'top';
        const file = join(dir, page.replace(/[^\w]/g, '_'), heading, fileNameOf(block));
        if (byFile.has(file))
          throw new Error(`${page}:${block.line}: a second block names itself ${relative(dir, file)}`);
        mkdirSync(dirname(file), { recursive: true });
        writeFileSync(file, block.code);
        byFile.set(file, block);
        roots.set(check.environment, [...(roots.get(check.environment) ?? []), file]);
        result.checked.push({ block, environment: check.environment });
      }
    }
    for (const [environment, files] of roots) {
      const settings = SETTINGS[environment];
      const rootNames = [...files];
      if (settings.globals) {
        const globals = join(dir, `globals-${environment}.d.ts`);
        writeFileSync(globals, settings.globals);
        rootNames.push(globals);
      }
      const options: ts.CompilerOptions = {
        target: ts.ScriptTarget.ES2022,
        module: ts.ModuleKind.ESNext,
        moduleResolution: ts.ModuleResolutionKind.Bundler,
        moduleDetection: ts.ModuleDetectionKind.Force,
        jsx: ts.JsxEmit.ReactJSX,
        strict: true,
        noEmit: true,
        skipLibCheck: true,
        esModuleInterop: true,
        allowSyntheticDefaultImports: true,
        lib: settings.lib,
        types: settings.types,
      };
      const program = ts.createProgram({ rootNames, options, host: sharedHost(options, parsed) });
      for (const diagnostic of ts.getPreEmitDiagnostics(program)) {
        const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n');
        // A block is checked in its own program: one that another block imports is reported there only.
        const own = diagnostic.file !== undefined && files.includes(diagnostic.file.fileName);
        if (diagnostic.file && byFile.has(diagnostic.file.fileName) && !own) continue;
        const block = own ? byFile.get((diagnostic.file as ts.SourceFile).fileName) : undefined;
        if (diagnostic.file && block && diagnostic.start !== undefined) {
          const { line, character } = diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start);
          result.diagnostics.push({
            where: `${block.file}:${block.line + 1 + line}:${character + 1}`,
            file: block.file,
            message: `TS${diagnostic.code} (${environment}): ${message}`,
          });
        } else if (!diagnostic.file?.fileName.includes('node_modules')) {
          // A setting or a typing of the check itself: reported against no page.
          result.diagnostics.push({
            where: diagnostic.file ? relative(ROOT, diagnostic.file.fileName) : '(program)',
            file: '(checker)',
            message: `TS${diagnostic.code} (${environment}): ${message}`,
          });
        }
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return result;
}
