// Runs examples/wechat-pages as WeChat would: the global `wx` is the WeChat fake over real sockets to a local
// server, `Page()` and navigation are a page stack that calls the lifecycle hooks in the platform's order.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Connection } from '../../src/index.js';
import {
  countListeners,
  createFakePageStack,
  type FakePage,
  type FakePageStack,
  routedWebSocket,
} from '../fixtures/exampleApps.js';
import type { FakeSocketTaskPlatform } from '../fixtures/platforms/socketTaskPlatform.js';
import { createFakeWx } from '../fixtures/platforms/wechat.js';
import { type ServerConnection, startWsServer, type TestWsServer } from '../fixtures/wsServer.js';
import { until } from '../helpers.js';

const EXAMPLE = join(import.meta.dirname, '..', '..', 'examples', 'wechat-pages');
// Variables, not literals: the example compiles with WeChat's typings (its own tsconfig), not the tests'.
const SOCKET_MODULE = join(EXAMPLE, 'socket.ts');
const APP_MODULE = join(EXAMPLE, 'app.ts');
// The pages app.json lists, the first one opened at launch, as the platform does.
const { pages: PAGES } = JSON.parse(readFileSync(join(EXAMPLE, 'app.json'), 'utf8')) as { pages: string[] };
const ROUTES = Object.fromEntries(PAGES.map((route) => [route, () => import(join(EXAMPLE, `${route}.ts`))]));

let server: TestWsServer;
let wx: FakeSocketTaskPlatform;
let pages: FakePageStack;
let conn: Connection | undefined;
let apps: object[];
const globals = globalThis as Record<string, unknown>;

beforeEach(async () => {
  server = await startWsServer();
  wx = createFakeWx({ WebSocket: routedWebSocket(server.url) });
  pages = createFakePageStack(ROUTES);
  apps = [];
  globals.wx = { ...wx, navigateTo: pages.navigateTo, navigateBack: pages.navigateBack };
  globals.App = (definition: object) => {
    apps.push(definition);
  };
  globals.Page = pages.Page;
  globals.getCurrentPages = pages.getCurrentPages;
  // Each test is a fresh launch of the app: its modules, and so its one connection, made anew.
  vi.resetModules();
});

afterEach(async () => {
  await conn?.close().catch(() => {});
  conn = undefined;
  delete globals.wx;
  delete globals.App;
  delete globals.Page;
  delete globals.getCurrentPages;
  await server.stop();
});

/** The app's connection, from the example's socket module (the one instance its pages share). */
async function appConnection(): Promise<Connection> {
  const module = (await import(SOCKET_MODULE)) as { conn: Connection };
  conn = module.conn;
  return conn;
}

/** Launches the app: app.ts first, then the first page of app.json. */
async function launch(): Promise<FakePage> {
  await import(APP_MODULE);
  expect(apps).toHaveLength(1);
  await appConnection(); // so that afterEach closes it
  pages.navigateTo({ url: `/${PAGES[0]}` });
  await pages.settled();
  return pages.top();
}

function push(connection: ServerConnection, message: object): void {
  connection.socket.send(JSON.stringify(message));
}

async function received(connection: ServerConnection, index: number): Promise<unknown> {
  return JSON.parse((await connection.message(index)).data.toString());
}

/** A tap on an element with `data-room`, as the platform passes it to the handler. */
const tapRoom = (room: string) => ({
  type: 'tap',
  currentTarget: { dataset: { room } },
  target: { dataset: {} },
});

/** The status values a page rendered, each change once. */
function statuses(page: FakePage): unknown[] {
  const shown = page.renders.map((data) => data.status);
  return shown.filter((status, i) => status !== shown[i - 1]);
}

function call(page: FakePage, method: string, ...args: unknown[]): void {
  const fn = page[method];
  if (typeof fn !== 'function') throw new Error(`the page has no method ${method}`);
  fn.apply(page, args);
}

describe('examples/wechat-pages: one socket, many pages', () => {
  it('shares one socket between the pages, and each loaded page shows the messages meant for it', async () => {
    const index = await launch();
    await until(() => index.data.status === 'open', 'the home page to show open');
    const first = await server.connection(0);
    push(first, { type: 'news', title: 'one' });
    await until(() => (index.data.news as string[]).length === 1, 'the news on the home page');

    call(index, 'openRoom', tapRoom('tech'));
    await pages.settled();
    const room = pages.top();
    expect(room.route).toBe('pages/room/room');
    expect(room.data.room).toBe('tech');
    expect(await received(first, 0)).toEqual({ type: 'join', room: 'tech' });

    push(first, { type: 'chat', room: 'other', text: 'not for this page' });
    push(first, { type: 'chat', room: 'tech', text: 'hi' });
    push(first, { type: 'news', title: 'two' });
    await until(() => (index.data.news as string[]).length === 2, 'the news on the hidden home page');
    expect(room.data.lines).toEqual(['hi']);
    expect(index.data.news).toEqual(['one', 'two']);

    call(room, 'wave');
    expect(await received(first, 1)).toEqual({ type: 'say', room: 'tech', text: '👋' });
    expect(wx.sockets).toHaveLength(1);
    expect(server.connections).toHaveLength(1);
    expect(index.lifecycle).toEqual(['onLoad', 'onShow', 'onReady', 'onHide']);
    expect(room.lifecycle).toEqual(['onLoad', 'onShow', 'onReady']);
  });

  it('leaves an unloaded page no listener and no message, and keeps the socket open for the others', async () => {
    const listeners = countListeners(await appConnection());
    const index = await launch();
    const onHome = listeners.total();
    expect(onHome).toBeGreaterThan(0);
    await until(() => index.data.status === 'open', 'open');
    call(index, 'openRoom', tapRoom('tech'));
    await pages.settled();
    const room = pages.top();
    expect(listeners.total()).toBeGreaterThan(onHome);
    const first = await server.connection(0);
    await received(first, 0);

    pages.navigateBack();
    await pages.settled();
    expect(room.lifecycle.at(-1)).toBe('onUnload');
    expect(index.lifecycle.at(-1)).toBe('onShow');
    expect(listeners.total()).toBe(onHome);
    expect(await received(first, 1)).toEqual({ type: 'leave', room: 'tech' });

    const rendersBefore = room.renders.length;
    push(first, { type: 'chat', room: 'tech', text: 'after unload' });
    push(first, { type: 'news', title: 'still here' });
    await until(() => (index.data.news as string[]).includes('still here'), 'the news after the unload');
    expect(room.renders).toHaveLength(rendersBefore);
    expect(room.data.lines).toEqual([]);
    expect(index.data.status).toBe('open');
    expect(wx.sockets).toHaveLength(1);
    expect(first.close).toBeUndefined();
  });

  it('shows a server drop as waiting then open on every page, and joins the room again on the new socket', async () => {
    const index = await launch();
    await until(() => index.data.status === 'open', 'open');
    call(index, 'openRoom', tapRoom('tech'));
    await pages.settled();
    const room = pages.top();
    const first = await server.connection(0);
    await received(first, 0);

    first.socket.terminate();
    const second = await server.connection(1, 5000);
    expect(await received(second, 0)).toEqual({ type: 'join', room: 'tech' });
    await until(
      () => index.data.status === 'open' && room.data.status === 'open',
      'open again on both pages',
    );
    for (const page of [index, room]) {
      const shown = statuses(page);
      expect(shown.slice(shown.lastIndexOf('waiting'))).toEqual(['waiting', 'connecting', 'open']);
    }
    expect(statuses(room)[0]).toBe('open');
    push(second, { type: 'chat', room: 'tech', text: 'back' });
    await until(() => (room.data.lines as string[]).includes('back'), 'a message on the new socket');
    expect(wx.sockets).toHaveLength(2);
    expect(server.connections).toHaveLength(2);
  });
  it('offers Retry now while a retry waits, and it starts the attempt at once, not counted as a retry', async () => {
    const index = await launch();
    await until(() => index.data.status === 'open', 'open');
    const connection = await appConnection();
    // A tap on the button the template shows while status is 'waiting': an event of its own, right after the page
    // rendered it, before any timer can run.
    const pressed = new Promise<unknown>((resolve) => {
      const off = connection.onStatusChange(() => {
        if (index.data.status !== 'waiting') return;
        off();
        queueMicrotask(() => {
          call(index, 'retryNow');
          resolve({ status: connection.status, retries: connection.retries });
        });
      });
    });
    (await server.connection(0)).socket.terminate();
    expect(await pressed).toEqual({ status: 'connecting', retries: 0 });
    await server.connection(1);
    await until(() => index.data.status === 'open', 'open on the new socket');
    expect(statuses(index).slice(-3)).toEqual(['waiting', 'connecting', 'open']);
  });
});
