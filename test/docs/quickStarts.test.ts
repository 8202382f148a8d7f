// The README's quick starts, run as written against a ws server on 127.0.0.1, each in a child process where
// 'socket-task-machine' resolves through package.json's exports to the built package, as it does for a user.
// Node: the snippet's own url, with the port of the test server. Browser: Node with ws's WebSocket as the global
// `WebSocket`. WeChat, uni-app (mp-weixin build) and Taro (weapp build, Taro's real processApis over the WeChat
// fake): the project's fakes as the platform global (test/docs/quickStartHost.ts); their `wss://example.com` reaches
// the local server. The server echoes; on /ws (the path of those snippets) it then closes with 1000 "bye".
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWsServer, type TestWsServer } from '../fixtures/wsServer.js';
import { within } from '../helpers.js';
import { codeBlocks, ROOT, readPage, section } from './markdown.js';

const readme = readPage('README.md');
const tsx = createRequire(import.meta.url).resolve('tsx');

let server: TestWsServer;
let dir: string;

beforeAll(async () => {
  if (!existsSync(join(ROOT, 'dist', 'index.js'))) throw new Error('dist/ is missing: run `npx tsup` first');
  server = await startWsServer({
    onConnection: ({ socket, request }) => {
      socket.on('message', (data, isBinary) => {
        socket.send(data, { binary: isBinary });
        if (request.url === '/ws') socket.close(1000, 'bye');
      });
    },
  });
  // Inside the package, so that 'socket-task-machine' resolves to its own built exports, as for a user.
  dir = mkdtempSync(join(ROOT, 'dist', '.quickstart-'));
});

afterAll(async () => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  await server?.stop();
});

/** The one ts block under the README heading. */
function quickStart(heading: string): string {
  const blocks = codeBlocks('README.md', section(readme, heading)).filter((block) => block.lang === 'ts');
  expect(blocks, heading).toHaveLength(1);
  return (blocks[0] as { code: string }).code;
}

/**
 * Compiles the snippet to one ES module that imports the package by name; `@tarojs/taro`, which cannot load in
 * Node, is the `Taro` global the host installs, as Taro's build makes it the platform's.
 */
async function compile(name: string, code: string): Promise<string> {
  const source = join(dir, `${name}.ts`);
  const out = join(dir, `${name}.mjs`);
  writeFileSync(source, code);
  await build({
    entryPoints: [source],
    outfile: out,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node18',
    logLevel: 'silent',
    external: ['socket-task-machine', 'socket-task-machine/*', 'ws'],
    plugins: [
      {
        name: 'taro-global',
        setup(plugin) {
          plugin.onResolve({ filter: /^@tarojs\/taro$/ }, () => ({ path: 'taro', namespace: 'taro-global' }));
          plugin.onLoad({ filter: /.*/, namespace: 'taro-global' }, () => ({
            contents: 'export default globalThis.Taro;',
          }));
        },
      },
    ],
  });
  return out;
}

async function run(args: string[]): Promise<{ out: string; code: number | null }> {
  const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (chunk) => {
    out += chunk;
  });
  child.stderr.on('data', (chunk) => {
    out += chunk;
  });
  try {
    const code = await within(
      new Promise<number | null>((resolve) => child.once('exit', resolve)),
      `the quick start to exit; it printed: ${JSON.stringify(out)}`,
      15_000,
    );
    return { out, code };
  } finally {
    child.kill();
  }
}

describe("the README's quick starts", () => {
  it('runs the Node quick start as written against a local echo server: it opens, echoes, and closes with 1000', async () => {
    const code = quickStart('### Node');
    expect(code).toContain("createConnection({ url: 'ws://127.0.0.1:8080'");
    const file = await compile('node', code.replace('ws://127.0.0.1:8080', server.url));
    expect(await run([file])).toEqual({ out: 'hello\nclosed 1000 bye\n', code: 0 });
  });

  it.each([
    ['browser', '### Browser'],
    ['wechat', '### WeChat mini-program'],
    ['uni-app', '### uni-app'],
    ['taro', '### Taro'],
  ])(
    'runs the %s quick start as written: it sends hello, logs the echo, then the close',
    async (platform, heading) => {
      const code = quickStart(heading);
      expect(code).toContain("url: 'wss://example.com/ws'");
      const file = await compile(platform, code);
      const before = server.connections.length;
      const result = await run([
        '--import',
        tsx,
        join(ROOT, 'test', 'docs', 'quickStartHost.ts'),
        platform,
        file,
        server.url,
      ]);
      expect(result).toEqual({ out: 'hello\nclosed 1000 bye\n', code: 0 });
      expect(server.connections.length - before).toBe(1);
      expect(server.connections.at(-1)?.messages.map((m) => m.data.toString())).toEqual(['hello']);
    },
  );
});
