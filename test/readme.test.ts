import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { MINIMUM } from '../src/adapters/minimums.js';
import { ERROR_CODES } from '../src/errors.js';
import { OPTION_NAMES } from '../src/options.js';
import { within } from './helpers.js';

const readme = readFileSync(join(import.meta.dirname, '..', 'README.md'), 'utf8');
const section = (heading: string) => {
  const start = readme.indexOf(`\n${heading}\n`);
  expect(start, `README has no "${heading}" section`).toBeGreaterThan(0);
  // Up to the next heading of the same level or above.
  const level = heading.indexOf(' ');
  const after = readme.slice(start + heading.length + 2);
  const next = after.search(new RegExp(`\\n#{1,${level}} `));
  return heading + (next < 0 ? after : after.slice(0, next));
};
const tableRows = (text: string) => [...text.matchAll(/^\| `([^`(]+)/gm)].map((m) => m[1]?.trim());

describe('the README', () => {
  it('documents every option of createConnection in its options table, with a default', () => {
    const rows = section('### `createConnection(options): Connection`')
      .split('\n')
      .filter((line) => line.startsWith('| `'));
    const documented = rows.map((row) => /^\| `(\w+)`/.exec(row)?.[1]);
    expect([...documented].sort()).toEqual([...OPTION_NAMES].sort());
    for (const row of rows) expect(row.split(' | ')[2]?.trim(), row).not.toBe('');
  });

  it('lists every error code with its cause and fix', () => {
    expect([...tableRows(section('## Errors'))].sort()).toEqual([...ERROR_CODES].sort());
  });

  it('documents every member of Connection', () => {
    const members = tableRows(section('### `Connection`')).map((name) => name?.replace(/\W.*$/, ''));
    for (const member of ['state', 'readyState', 'actor', 'send', 'close', 'queue', 'ready', 'clearQueue']) {
      expect(members).toContain(member);
    }
    for (const member of [
      'status',
      'reconnect',
      'whenReady',
      'url',
      'protocol',
      'bufferedAmount',
      'closed',
      'retries',
      'nextRetryAt',
    ]) {
      expect(members).toContain(member);
    }
    for (const member of [
      'onOpen',
      'onMessage',
      'onError',
      'onClose',
      'onGiveUp',
      'onStateChange',
      'onStatusChange',
      'onReady',
      'onDrain',
      'onSendError',
    ]) {
      expect(members).toContain(member);
    }
    for (const member of ['retries', 'nextRetryAt', 'closed']) expect(members).toContain(member);
  });

  it('gives every mini-program adapter the oldest version its factory names, and the engines it was tested in', () => {
    const rows = section('## Where it runs')
      .split('\n')
      .filter((line) => line.startsWith('| '));
    const factories: Record<keyof typeof MINIMUM, string> = {
      wechat: 'wechatAdapter',
      wechatLegacy: 'wechatLegacyAdapter',
      qq: 'qqAdapter',
      baidu: 'baiduAdapter',
      alipay: 'alipayAdapter',
      douyin: 'douyinAdapter',
      uniApp: 'uniAdapter',
      taro: 'taroAdapter',
    };
    for (const [key, minimum] of Object.entries(MINIMUM)) {
      const factory = factories[key as keyof typeof MINIMUM];
      const row = rows.find((line) => line.includes(`\`${factory}(`));
      expect(row, `README's "Where it runs" has no row for ${factory}`).toBeDefined();
      const [, , oldest, engines] = (row as string).split(' | ');
      expect(oldest, factory).toContain(minimum.version ?? 'multiple: true');
      expect(engines, factory).toMatch(/baseline.*iOS ≤ 15.*no `Proxy`/);
    }
  });

  it('starts with the two commands a newcomer runs', () => {
    expect(readme.split('\n').slice(2, 5).join('\n')).toMatch(/npm install && npm start[\s\S]*\nnpm test/);
  });

  it('runs the Node quick start as written against a local echo server: it opens, echoes, and closes with 1000', async () => {
    const block = /### Node\n[\s\S]*?```ts\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(block).toContain("createConnection({ url: 'ws://127.0.0.1:8080'");
    const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise((resolve) => server.once('listening', resolve));
    server.on('connection', (socket) =>
      socket.on('message', (data, binary) => socket.send(data, { binary })),
    );
    const { port } = server.address() as { port: number };
    // Inside the package, so that 'socket-task-machine' resolves to its own built exports, as for a user.
    const dir = mkdtempSync(join(import.meta.dirname, '..', 'dist', '.quickstart-'));
    const file = join(dir, 'quickstart.mjs');
    writeFileSync(file, (block as string).replace('ws://127.0.0.1:8080', `ws://127.0.0.1:${port}`));
    try {
      const child = spawn(process.execPath, [file], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.on('data', (chunk) => {
        out += chunk;
      });
      child.stderr.on('data', (chunk) => {
        out += chunk;
      });
      const code = await within(
        new Promise<number | null>((resolve) => child.once('exit', resolve)),
        'the quick start to exit',
        10_000,
      );
      expect(out).toBe('hello\nclosed 1000 bye\n');
      expect(code).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
      for (const client of server.clients) client.terminate();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
