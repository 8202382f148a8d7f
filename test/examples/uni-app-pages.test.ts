// @vitest-environment happy-dom
// Runs examples/uni-app-pages as a uni-app (Vue 3) app built for WeChat: the global `uni` is the uni-app fake over
// real sockets to a local server, its pages are mounted by a Vue app that keeps the page stack.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type App, type Component, createApp, defineComponent, h, shallowRef } from 'vue';
import type { Connection } from '../../src/index.js';
import {
  countListeners,
  createRouteStack,
  expectDropShownOnEveryPage,
  expectRetryNowWhileWaiting,
  homeOnceOpen,
  type RouteStack,
  routedWebSocket,
  texts,
} from '../fixtures/exampleApps.js';
import { createFakeUni, type FakeUni } from '../fixtures/platforms/uni.js';
import { type ServerConnection, startWsServer, type TestWsServer } from '../fixtures/wsServer.js';
import { until } from '../helpers.js';

const EXAMPLE = join(import.meta.dirname, '..', '..', 'examples', 'uni-app-pages');
// Variables, not literals: the example compiles with uni's typings (its own tsconfig), not the tests'.
const SOCKET_MODULE = join(EXAMPLE, 'socket.ts');
// The pages pages.json lists, the first one opened at launch, as uni-app does.
const { pages: PAGES } = JSON.parse(readFileSync(join(EXAMPLE, 'pages.json'), 'utf8')) as {
  pages: Array<{ path: string }>;
};
const ROUTES = Object.fromEntries(
  PAGES.map(({ path }) => [path, () => import(join(EXAMPLE, `${path}.ts`)) as Promise<{ default: unknown }>]),
);

let server: TestWsServer;
let uni: FakeUni;
let stack: RouteStack;
let app: App | undefined;
let root: HTMLElement;
let socket: Connection;
const globals = globalThis as Record<string, unknown>;

beforeEach(async () => {
  server = await startWsServer();
  uni = createFakeUni({ WebSocket: routedWebSocket(server.url), runtime: 'mp-weixin' });
  stack = createRouteStack(ROUTES);
  globals.uni = { ...uni, navigateTo: stack.navigateTo, navigateBack: stack.navigateBack };
  vi.resetModules();
  socket = ((await import(SOCKET_MODULE)) as { socket: Connection }).socket;
});

afterEach(async () => {
  app?.unmount();
  app = undefined;
  root?.remove();
  await socket.close().catch(() => {});
  delete globals.uni;
  await server.stop();
});

/** Launches the app: a Vue app that renders every page of the stack, each in a section named by its route. */
async function launch(): Promise<void> {
  const version = shallowRef(0);
  stack.subscribe(() => version.value++);
  const Shell = defineComponent({
    setup: () => () => {
      void version.value;
      return stack.pages.map((page) =>
        h('section', { key: page.key, 'data-route': page.route }, [h(page.component as Component)]),
      );
    },
  });
  root = document.createElement('div');
  document.body.append(root);
  app = createApp(Shell);
  app.mount(root);
  stack.navigateTo({ url: `/${PAGES[0]?.path}` });
  await stack.settled();
}

/** The section of the page at `route` (the top one, if it is open twice). */
function page(route: string): HTMLElement {
  const sections = root.querySelectorAll<HTMLElement>(`section[data-route="${route}"]`);
  const section = sections[sections.length - 1];
  if (!section) throw new Error(`${route} is not open`);
  return section;
}

function click(element: Element, selector: string): void {
  const target = element.querySelector<HTMLElement>(selector);
  if (!target) throw new Error(`nothing matches ${selector}`);
  target.click();
}

function push(connection: ServerConnection, message: object): void {
  connection.socket.send(JSON.stringify(message));
}

describe('examples/uni-app-pages: one socket, many pages (Vue 3)', () => {
  it('shares one socket between the pages, and each open page shows the messages meant for it', async () => {
    await launch();
    const index = page('pages/index/index');
    await until(() => texts(index, '.status')[0] === 'open', 'the home page to show open');
    const first = await server.connection(0);
    push(first, { type: 'news', title: 'one' });
    await until(() => texts(index, '.news').length === 1, 'the news on the home page');

    click(index, '.open-chat');
    await stack.settled();
    const chat = page('pages/chat/chat');
    expect(texts(chat, '.status')).toEqual(['open']);
    push(first, { type: 'chat', from: 'ann', text: 'hi' });
    push(first, { type: 'news', title: 'two' });
    await until(() => texts(index, '.news').length === 2, 'the news on the home page under the chat');
    expect(texts(chat, '.line')).toEqual(['ann: hi']);
    expect(texts(index, '.news')).toEqual(['one', 'two']);

    click(chat, '.wave');
    expect(JSON.parse((await first.message(0)).data.toString())).toEqual({ type: 'say', text: '👋' });
    expect(uni.tasks).toHaveLength(1);
    expect(server.connections).toHaveLength(1);
  });

  it('leaves an unloaded page no listener and no message, and keeps the socket open for the others', async () => {
    const listeners = countListeners(socket);
    await launch();
    const onHome = listeners.total();
    expect(onHome).toBeGreaterThan(0);
    const index = page('pages/index/index');
    await until(() => texts(index, '.status')[0] === 'open', 'open');
    click(index, '.open-chat');
    await stack.settled();
    const chat = page('pages/chat/chat');
    expect(listeners.total()).toBeGreaterThan(onHome);

    click(chat, '.back');
    await stack.settled();
    expect(chat.isConnected).toBe(false);
    expect(listeners.total()).toBe(onHome);

    const first = await server.connection(0);
    push(first, { type: 'chat', from: 'ann', text: 'after unload' });
    push(first, { type: 'news', title: 'still here' });
    await until(() => texts(index, '.news').includes('still here'), 'the news after the unload');
    expect(texts(chat, '.line')).toEqual([]);
    expect(socket.status).toBe('open');
    expect(uni.tasks).toHaveLength(1);
    expect(first.close).toBeUndefined();
  });

  it('shows a server drop as waiting then open on every open page', async () => {
    const index = await homeOnceOpen(launch, page);
    click(index, '.open-chat');
    await stack.settled();
    const chat = page('pages/chat/chat');
    await expectDropShownOnEveryPage([index, chat], server);
  });
  it('offers Retry now while a retry waits, and it starts the attempt at once, not counted as a retry', async () => {
    const index = await homeOnceOpen(launch, page);
    await expectRetryNowWhileWaiting(index, socket, server);
  });
});
