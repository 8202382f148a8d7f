// Type-checks the package as users get it: `npm pack` of the built package, extracted into a temporary folder's
// node_modules, then compiled by consumer projects with the users' own tsconfig settings:
// - test/types/consumers/entries/: every entry point under moduleResolution node10, node16 (as ESM and as CommonJS)
//   and bundler, each with and without skipLibCheck; the mini-program entries and the vue and react bindings with
//   `lib: ["ES2020"]` and no global typings at all, the Node entries with `types: ["node"]`, the browser ones with
//   the DOM lib. What counts there is what tsc reports in the consumer's files and in this package's typings (other
//   packages' typings are not checked: they are not this package's to fix, and checking them is most of the time).
// - test/types/consumers/<template>/: projects that copy the tsconfig of Taro's, WeChat DevTools' and uni-app's
//   TypeScript templates and compile an app file that opens a connection with the vendor's global object. Every
//   file is checked, as `tsc --noEmit` does.
// Run after `npm run build`. Exits non-zero, naming the project and its settings, on any type error, on a cast in a
// consumer file, or when the package cannot be packed or a dependency is missing; the temporary folder is removed in
// every case. The projects are checked two at a time, each in one of two worker processes.
import { execFileSync, fork } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import ts from 'typescript';

const root = join(import.meta.dirname, '..');
const consumers = join(root, 'test', 'types', 'consumers');
const PACKAGE = 'socket-task-machine';

/** What the consumer projects install besides the package: linked from this repo's node_modules. */
const DEPENDENCIES = [
  'xstate',
  'ws',
  '@types/node',
  '@types/ws',
  'miniprogram-api-typings',
  '@dcloudio/types',
  '@tarojs/taro',
  'vue',
  'react',
  '@types/react',
];

interface Project {
  /** Printed with the result: which project, with which settings. */
  name: string;
  /** Folder in the temporary root. */
  dir: string;
  /** test/types/consumers/<from>/ is copied there. */
  from: string;
  /** A tsconfig written there, or none to use the copied one. */
  tsconfig?: object;
  /** Copies of a file under other names (node16 compiles each entry once as .mts and once as .cts). */
  copies?: Record<string, string[]>;
  /** Packages of DEPENDENCIES linked into the project's own node_modules (where its typeRoots look). */
  ownTypes?: string[];
  /** 'all': every file, as `tsc --noEmit`; 'package': the project's files and this package's typings. */
  check: 'all' | 'package';
  /** Packages whose own typings are known not to compile under the project's settings: their errors are counted, not failed. */
  tolerate?: string[];
}

type Resolution = 'node10' | 'node16' | 'bundler';
const MODULE: Record<Resolution, string> = { node10: 'commonjs', node16: 'node16', bundler: 'esnext' };

/** The lib and global typings each entry file is compiled with. */
const ENTRY_SETTINGS: Record<string, { lib: string[]; types: string[] }> = {
  'mini-programs': { lib: ['ES2020'], types: [] },
  node: { lib: ['ES2022'], types: ['node'] },
  dom: { lib: ['ES2022', 'DOM'], types: [] },
  // The bindings run in uni-app's and Taro's mini-program builds: no DOM either.
  bindings: { lib: ['ES2020'], types: [] },
};

function entryProjects(): Project[] {
  const projects: Project[] = [];
  for (const [entry, { lib, types }] of Object.entries(ENTRY_SETTINGS)) {
    for (const resolution of ['node10', 'node16', 'bundler'] as const) {
      for (const skipLibCheck of [false, true]) {
        const sources = resolution === 'node16' ? [`${entry}.mts`, `${entry}.cts`] : [`${entry}.ts`];
        projects.push({
          name: `entries/${entry}.ts, moduleResolution ${resolution}, skipLibCheck ${skipLibCheck}, lib ${lib.join('+')}, types [${types.join(', ')}]`,
          dir: `${entry}-${resolution}${skipLibCheck ? '-skipLibCheck' : ''}`,
          from: 'entries',
          copies: resolution === 'node16' ? { [`${entry}.ts`]: sources } : {},
          check: 'package',
          tsconfig: {
            compilerOptions: {
              target: 'ES2020',
              module: MODULE[resolution],
              moduleResolution: resolution,
              lib,
              types,
              strict: true,
              exactOptionalPropertyTypes: true,
              noUncheckedIndexedAccess: true,
              skipLibCheck,
              noEmit: true,
            },
            files: sources,
          },
        });
      }
    }
  }
  return projects;
}

const TEMPLATES: Project[] = [
  {
    name: 'taro/: Taro 4 default template (moduleResolution node, no skipLibCheck)',
    dir: 'taro',
    from: 'taro',
    ownTypes: ['@types/node'],
    check: 'all',
    // Taro's own typings do not compile without skipLibCheck, which its React template leaves off (platform plugins,
    // React and Vue types missing, and errors of their own): every Taro project has these.
    tolerate: ['@tarojs/'],
  },
  {
    name: 'wechat/: WeChat DevTools TypeScript template (lib ES2020, types miniprogram-api-typings, no skipLibCheck)',
    dir: 'wechat',
    from: 'wechat',
    check: 'all',
  },
  {
    name: 'uni-app/: uni-app Vue 3 vite-ts template (moduleResolution bundler, lib esnext+dom, types @dcloudio/types)',
    dir: 'uni-app',
    from: 'uni-app',
    check: 'all',
  },
];

/** Consumer files compile as users write them: no `as` (but `as const`), no `<T>x`, no `!`, no @ts-expect-error. */
function castsIn(folder: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(folder, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile() || !/\.[cm]?tsx?$/.test(entry.name)) continue;
    const path = join(entry.parentPath, entry.name);
    const text = readFileSync(path, 'utf8');
    const source = ts.createSourceFile(path, text, ts.ScriptTarget.Latest, true);
    const at = (node: ts.Node) =>
      `${relative(root, path)}:${source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1}`;
    const visit = (node: ts.Node): void => {
      if (ts.isAsExpression(node) && node.type.getText(source) !== 'const') {
        found.push(`${at(node)}: ${node.getText(source)}`);
      } else if (ts.isTypeAssertionExpression(node) || ts.isNonNullExpression(node)) {
        found.push(`${at(node)}: ${node.getText(source)}`);
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
    text.split('\n').forEach((line, index) => {
      if (/@ts-(ignore|nocheck)/.test(line))
        found.push(`${relative(root, path)}:${index + 1}: ${line.trim()}`);
    });
  }
  return found;
}

function link(nodeModules: string, name: string): void {
  const target = join(root, 'node_modules', name);
  if (!existsSync(target)) throw new Error(`${name} is not in node_modules: run npm ci`);
  mkdirSync(dirname(join(nodeModules, name)), { recursive: true });
  symlinkSync(target, join(nodeModules, name), 'dir');
}

/** Packs the built package as npm publishes it and installs the tarball, and the dependencies, into temp/node_modules. */
function install(temp: string): void {
  if (!existsSync(join(root, 'dist', 'index.d.ts')))
    throw new Error('dist/ is missing: run `npm run build` first');
  // No lifecycle scripts: what is checked is what `npm run build` made, packed as npm packs it.
  const packed: unknown = JSON.parse(
    execFileSync('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', temp], {
      cwd: root,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    }),
  );
  const filename = Array.isArray(packed) ? packed[0]?.filename : undefined;
  if (typeof filename !== 'string') throw new Error('npm pack produced no tarball');
  const installed = join(temp, 'node_modules', PACKAGE);
  mkdirSync(installed, { recursive: true });
  execFileSync('tar', ['-xzf', join(temp, filename), '-C', installed, '--strip-components=1']);
  for (const name of DEPENDENCIES) link(join(temp, 'node_modules'), name);
}

function prepare(temp: string, project: Project): void {
  const dir = join(temp, project.dir);
  cpSync(join(consumers, project.from), dir, { recursive: true });
  for (const [from, copies] of Object.entries(project.copies ?? {})) {
    for (const copy of copies) cpSync(join(dir, from), join(dir, copy));
    rmSync(join(dir, from));
  }
  if (project.tsconfig) writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify(project.tsconfig, null, 2));
  for (const name of project.ownTypes ?? []) link(join(dir, 'node_modules'), name);
}

interface Result {
  /** Errors that fail the project, formatted as tsc prints them. */
  errors: string[];
  /** Tolerated errors per package. */
  tolerated: Record<string, number>;
  seconds: number;
}

/** Compiles one project as tsc would (noEmit) and sorts its errors into failing and tolerated. */
function check(temp: string, project: Project): Result {
  const started = performance.now();
  const configPath = join(temp, project.dir, 'tsconfig.json');
  const configErrors: ts.Diagnostic[] = [];
  const parsed = ts.getParsedCommandLineOfConfigFile(
    configPath,
    {},
    { ...ts.sys, onUnRecoverableConfigFileDiagnostic: (diagnostic) => configErrors.push(diagnostic) },
  );
  const diagnostics: ts.Diagnostic[] = [...configErrors];
  if (parsed) {
    const program = ts.createProgram({
      rootNames: parsed.fileNames,
      options: parsed.options,
      projectReferences: parsed.projectReferences ?? [],
      configFileParsingDiagnostics: parsed.errors,
    });
    diagnostics.push(
      ...program.getConfigFileParsingDiagnostics(),
      ...program.getOptionsDiagnostics(),
      ...program.getGlobalDiagnostics(),
    );
    const installed = `${join(temp, 'node_modules', PACKAGE)}/`;
    for (const file of program.getSourceFiles()) {
      const mine = !file.fileName.includes('/node_modules/') || file.fileName.startsWith(installed);
      if (project.check === 'package' && !mine) continue;
      diagnostics.push(...program.getSyntacticDiagnostics(file), ...program.getSemanticDiagnostics(file));
    }
  }
  const errors: string[] = [];
  const tolerated: Record<string, number> = {};
  const host: ts.FormatDiagnosticsHost = {
    getCurrentDirectory: () => temp,
    getCanonicalFileName: (name) => name,
    getNewLine: () => '\n',
  };
  for (const diagnostic of diagnostics) {
    if (diagnostic.category !== ts.DiagnosticCategory.Error) continue;
    const inPackage = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(diagnostic.file?.fileName ?? '')?.[1];
    if (inPackage && inPackage !== PACKAGE && project.tolerate?.some((name) => inPackage.startsWith(name))) {
      tolerated[inPackage] = (tolerated[inPackage] ?? 0) + 1;
    } else {
      errors.push(ts.formatDiagnostics([diagnostic], host).trimEnd());
    }
  }
  return { errors, tolerated, seconds: (performance.now() - started) / 1000 };
}

/** Worker: checks the projects the parent sends, one at a time, and sends each result back. */
function work(temp: string): void {
  process.on('message', (project: Project) => {
    const result = check(temp, project);
    // The parent may be gone (interrupted): then there is no one to tell.
    if (process.connected) process.send?.(result, undefined, {}, () => {});
  });
}

async function main(): Promise<number> {
  const started = performance.now();
  const casts = castsIn(consumers);
  if (casts.length > 0) {
    console.error(
      `consumer type tests: test/types/consumers must compile with no cast:\n  ${casts.join('\n  ')}`,
    );
    return 1;
  }
  const temp = mkdtempSync(join(tmpdir(), `${PACKAGE}-consumers-`));
  const workers: ReturnType<typeof fork>[] = [];
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      rmSync(temp, { recursive: true, force: true });
      process.exit(1);
    });
  }
  try {
    install(temp);
    const projects = [...TEMPLATES, ...entryProjects()];
    for (const project of projects) prepare(temp, project);
    const failed: string[] = [];
    const queue = [...projects];
    const run = (): Promise<void> =>
      new Promise((resolve, reject) => {
        const worker = fork(import.meta.filename, ['--worker', temp], { stdio: 'inherit' });
        workers.push(worker);
        let current: Project | undefined;
        const next = () => {
          current = queue.shift();
          if (current) worker.send(current);
          else worker.disconnect();
        };
        worker.on('message', (result: Result) => {
          if (!current) return;
          const tolerated = Object.entries(result.tolerated);
          const note = tolerated.length
            ? `; tolerated: ${tolerated.map(([name, count]) => `${count} in ${name}`).join(', ')}`
            : '';
          if (result.errors.length > 0) {
            failed.push(current.name);
            console.error(`✗ ${current.name}\n${result.errors.join('\n')}\n`);
          } else {
            console.log(`✓ ${current.name} (${result.seconds.toFixed(1)} s${note})`);
          }
          next();
        });
        worker.on('error', reject);
        worker.on('exit', (code) => {
          if (code === 0 && !current) resolve();
          else reject(new Error(`the checking process exited with ${code} while checking ${current?.name}`));
        });
        next();
      });
    await Promise.all(Array.from({ length: Math.min(2, availableParallelism()) }, run));
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    if (failed.length > 0) console.error(`failed:\n  ${failed.join('\n  ')}`);
    console.log(
      `consumer type tests: ${projects.length - failed.length} of ${projects.length} projects compile against the packed package (${seconds} s)`,
    );
    return failed.length === 0 ? 0 : 1;
  } finally {
    for (const worker of workers) if (worker.exitCode === null) worker.kill();
    rmSync(temp, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--worker' && process.argv[3]) {
  work(process.argv[3]);
} else {
  main().then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(`consumer type tests: ${error instanceof Error ? error.message : String(error)}`);
      process.exit(1);
    },
  );
}
