// What a native WeChat project gets from "构建 npm": the packed package installed, its `miniprogram` folder copied
// into miniprogram_npm/, a page that requires the library and its WeChat adapter by package name, run in the
// emulated engine against a real ws server on 127.0.0.1.
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative } from 'node:path';
import { parse } from 'acorn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket as WsWebSocket } from 'ws';
import { MINIPROGRAM_ADAPTERS } from '../../tsup.config.js';
import { createFakeWx } from '../fixtures/platforms/wechat.js';
import { buildNpm, installPacked, type MiniProgramProject } from '../fixtures/runtime/buildNpm.js';
import { createMembrane } from '../fixtures/runtime/membrane.js';
import { createMiniProgramRuntime, RUNTIME_PROFILES } from '../fixtures/runtime/miniProgramRuntime.js';
import { shippedMiniProgramDir } from '../fixtures/runtime/shipped.js';
import { echo, startWsServer, type TestWsServer } from '../fixtures/wsServer.js';

const PAGE = `
const { createConnection } = require('socket-task-machine');
const { wechatAdapter } = require('socket-task-machine/adapters/wechat');

Page({
  data: { replies: [], closed: null },
  onLoad(query) {
    const conn = createConnection({ url: query.url, adapter: wechatAdapter({ wx }), allowInsecure: true });
    conn.onOpen(() => conn.send('hello from the page'));
    conn.onMessage(({ data }) => {
      this.setData({ replies: this.data.replies.concat([data]) });
      conn.close({ code: 1000, reason: 'bye' });
    });
    conn.closed.then((event) => this.setData({ closed: event }));
  },
});
`;

interface PageInstance {
  data: { replies: string[]; closed: { code: number; reason: string } | null };
  onLoad(query: { url: string }): void;
}

function jsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? jsFiles(join(dir, entry.name))
      : entry.name.endsWith('.js')
        ? [join(dir, entry.name)]
        : [],
  );
}

describe('WeChat "构建 npm" of the packed package', () => {
  let project: MiniProgramProject;
  let built: string;
  let server: TestWsServer;

  beforeAll(async () => {
    shippedMiniProgramDir();
    project = installPacked();
    built = buildNpm(project)['socket-task-machine'] as string;
    project.write('pages/index/index.js', PAGE);
    server = await startWsServer({ onConnection: echo });
  }, 60_000);

  afterAll(async () => {
    await server?.stop();
    project?.remove();
  });

  it('copies the miniprogram folder: one bundle and a file per mini-program adapter subpath', () => {
    expect(
      jsFiles(built)
        .map((file) => relative(built, file))
        .sort(),
    ).toEqual([
      'adapters/alipay.js',
      'adapters/baidu.js',
      'adapters/douyin.js',
      'adapters/qq.js',
      'adapters/taro.js',
      'adapters/uni-app.js',
      'adapters/wechat.js',
      'index.js',
    ]);
  });

  it('ships no syntax newer than ES2015 in any mini-program file', () => {
    for (const file of jsFiles(built)) {
      expect(
        () => parse(readFileSync(file, 'utf8'), { ecmaVersion: 2015, sourceType: 'script' }),
        relative(built, file),
      ).not.toThrow();
    }
    // The check can fail: the syntax the bundle had to lower is refused at ES2015.
    for (const newer of ['a?.b', 'a ?? b', '({ ...a })', 'async function f() {}', 'function f(...[a]) {}']) {
      expect(() => parse(newer, { ecmaVersion: 2015, sourceType: 'script' }), newer).toThrow();
    }
  });

  it('exports from each subpath file whatever the same subpath of dist/ exports', () => {
    const runtime = createMiniProgramRuntime('baseline', project.root);
    const fromDist = createRequire(import.meta.url);
    for (const name of MINIPROGRAM_ADAPTERS) {
      const shipped = Object.keys(runtime.require(`miniprogram_npm/socket-task-machine/adapters/${name}.js`));
      for (const entry of ['index', `adapters/${name}`]) {
        const expected = Object.keys(fromDist(`../../dist/${entry}.cjs`));
        expect(shipped, `${name}: dist/${entry}.cjs`).toEqual(expect.arrayContaining(expected));
      }
    }
  });

  it('needs nothing outside miniprogram_npm: no exports map, no other package, no Node built-in', () => {
    const text = readFileSync(join(built, 'index.js'), 'utf8');
    const required = [...text.matchAll(/\brequire\(\s*["']([^"']+)["']\s*\)/g)].map((match) => match[1]);
    expect(required).toEqual([]);
  });

  for (const profile of RUNTIME_PROFILES) {
    it(`runs a page that requires the library and its WeChat adapter and talks to a server (${profile} engine)`, async () => {
      const pages: PageInstance[] = [];
      let settled!: () => void;
      const done = new Promise<void>((resolve) => {
        settled = resolve;
      });
      // The page's `this`: data and setData as the mini-program framework gives them.
      const Page = (options: Omit<PageInstance, 'data'> & { data: PageInstance['data'] }) => {
        const page = {
          ...options,
          data: { ...options.data },
          setData(patch: Partial<PageInstance['data']>) {
            Object.assign(page.data, patch);
            if (page.data.closed) settled();
          },
        };
        pages.push(page);
      };
      const runtime = createMiniProgramRuntime(profile, project.root);
      const bridge = createMembrane(runtime.evaluate('({ ArrayBuffer, Uint8Array })'));
      Object.assign(runtime.context, { wx: bridge.inward(createFakeWx({ WebSocket: WsWebSocket })), Page });
      const serverConnections = server.connections.length;

      runtime.require('pages/index/index.js');
      const [page] = pages;
      if (!page) throw new Error('the page script did not call Page()');
      page.onLoad({ url: server.url });

      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        done,
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error('the page never saw its connection closed')), 5000);
        }),
      ]).finally(() => clearTimeout(timer));
      expect(page.data.replies).toEqual(['hello from the page']);
      expect(page.data.closed).toEqual({ code: 1000, reason: 'bye' });
      const peer = await server.connection(serverConnections);
      expect(peer.messages.map((m) => m.data.toString())).toEqual(['hello from the page']);
      await server.waitForNoClients();
      expect(runtime.pendingTimers()).toBe(0);
    });
  }
});
