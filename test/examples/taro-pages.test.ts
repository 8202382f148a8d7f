// @vitest-environment happy-dom
// Runs examples/taro-pages as a Taro (React) app built for WeChat: `@tarojs/taro` is the Taro fake over real sockets
// to a local server, `@tarojs/components` renders plain elements, and a React root keeps the page stack.
import { join } from 'node:path';
import { type ComponentType, createElement as h, type ReactNode, useSyncExternalStore } from 'react';
import { createRoot, type Root } from 'react-dom/client';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
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
import { createFakeTaro, type FakeTaro } from '../fixtures/platforms/taro.js';
import { type ServerConnection, startWsServer, type TestWsServer } from '../fixtures/wsServer.js';
import { until } from '../helpers.js';

// What `import Taro from '@tarojs/taro'` gives the example: the fake of the running test.
const platform = vi.hoisted(() => ({ Taro: undefined as unknown }));
vi.mock('@tarojs/taro', () => ({
  get default() {
    return platform.Taro;
  },
}));
// Taro's components render as the platform's own elements; plain ones stand in for them.
vi.mock('@tarojs/components', async () => {
  const { createElement } = await import('react');
  const element =
    (tag: string) =>
    ({ children, ...props }: { children?: ReactNode }) =>
      createElement(tag, props, children);
  return { View: element('div'), Text: element('span'), Button: element('button') };
});

const EXAMPLE = join(import.meta.dirname, '..', '..', 'examples', 'taro-pages', 'src');
// Variables, not literals: the example compiles with its own tsconfig (Taro's typings, JSX), not the tests'.
const SOCKET_MODULE = join(EXAMPLE, 'socket.ts');
const APP_CONFIG = join(EXAMPLE, 'app.config.ts');

/** The pages app.config.ts lists (Taro's build defines defineAppConfig), the first one opened at launch. */
async function appPages(): Promise<string[]> {
  (globalThis as Record<string, unknown>).defineAppConfig = (config: unknown) => config;
  try {
    return ((await import(APP_CONFIG)) as { default: { pages: string[] } }).default.pages;
  } finally {
    delete (globalThis as Record<string, unknown>).defineAppConfig;
  }
}

let server: TestWsServer;
let taro: FakeTaro;
let stack: RouteStack;
let pages: string[];
let root: Root | undefined;
let element: HTMLElement;
let socket: Connection;

beforeEach(async () => {
  server = await startWsServer();
  taro = createFakeTaro({ WebSocket: routedWebSocket(server.url), runtime: 'weapp' });
  pages = await appPages();
  stack = createRouteStack(
    Object.fromEntries(
      pages.map((route) => [
        route,
        () => import(join(EXAMPLE, `${route}.tsx`)) as Promise<{ default: unknown }>,
      ]),
    ),
  );
  platform.Taro = { ...taro, navigateTo: stack.navigateTo, navigateBack: stack.navigateBack };
  vi.resetModules();
  socket = ((await import(SOCKET_MODULE)) as { socket: Connection }).socket;
});

afterEach(async () => {
  root?.unmount();
  root = undefined;
  element?.remove();
  await socket.close().catch(() => {});
  platform.Taro = undefined;
  await server.stop();
});

/** Renders every page of the stack, each in a section named by its route. */
function Shell() {
  const pages = useSyncExternalStore(stack.subscribe, () => stack.pages);
  return pages.map((page) =>
    h('section', { key: page.key, 'data-route': page.route }, h(page.component as ComponentType)),
  );
}

/** Launches the app on its first page. */
async function launch(): Promise<void> {
  element = document.createElement('div');
  document.body.append(element);
  root = createRoot(element);
  root.render(h(Shell));
  stack.navigateTo({ url: `/${pages[0]}` });
  await stack.settled();
  await until(() => shown().length === 1, 'the first page to render');
}

/** The routes of the pages rendered, bottom first. */
const shown = () => Array.from(element.querySelectorAll('section'), (section) => section.dataset.route);

/** The section of the page at `route`. */
function page(route: string): HTMLElement {
  const section = element.querySelector<HTMLElement>(`section[data-route="${route}"]`);
  if (!section) throw new Error(`${route} is not open`);
  return section;
}

/** Clicks `selector` in `within`, and waits until the pages rendered are `routes`. */
async function navigate(within: Element, selector: string, routes: string[]): Promise<void> {
  const target = within.querySelector<HTMLElement>(selector);
  if (!target) throw new Error(`nothing matches ${selector}`);
  target.click();
  await stack.settled();
  // React commits the new stack in a task of its own.
  await until(() => shown().join() === routes.join(), `the pages ${routes.join(', ')} to render`);
}

function push(connection: ServerConnection, message: object): void {
  connection.socket.send(JSON.stringify(message));
}

describe('examples/taro-pages: one socket, many pages (React)', () => {
  it('shares one socket between the pages, and each open page shows the messages meant for it', async () => {
    await launch();
    const index = page('pages/index/index');
    await until(() => texts(index, '.status')[0] === 'open', 'the home page to show open');
    const first = await server.connection(0);
    push(first, { type: 'news', title: 'one' });
    await until(() => texts(index, '.news').length === 1, 'the news on the home page');

    await navigate(index, '.open-chat', ['pages/index/index', 'pages/chat/index']);
    const chat = page('pages/chat/index');
    expect(texts(chat, '.status')).toEqual(['open']);
    push(first, { type: 'chat', from: 'ann', text: 'hi' });
    push(first, { type: 'news', title: 'two' });
    await until(() => texts(index, '.news').length === 2, 'the news on the home page under the chat');
    await until(() => texts(chat, '.line').length === 1, 'the chat line');
    expect(texts(chat, '.line')).toEqual(['ann: hi']);
    expect(texts(index, '.news')).toEqual(['one', 'two']);

    chat.querySelector<HTMLElement>('.wave')?.click();
    expect(JSON.parse((await first.message(0)).data.toString())).toEqual({ type: 'say', text: '👋' });
    expect(taro.tasks).toHaveLength(1);
    expect(server.connections).toHaveLength(1);
  });

  it('leaves an unloaded page no listener and no message, and keeps the socket open for the others', async () => {
    const listeners = countListeners(socket);
    const index = await homeOnceOpen(launch, page);
    const onHome = listeners.total();
    expect(onHome).toBeGreaterThan(0);
    await navigate(index, '.open-chat', ['pages/index/index', 'pages/chat/index']);
    const chat = page('pages/chat/index');
    await until(() => listeners.total() > onHome, 'the chat page to subscribe');

    await navigate(chat, '.back', ['pages/index/index']);
    expect(chat.isConnected).toBe(false);
    expect(listeners.total()).toBe(onHome);

    const first = await server.connection(0);
    push(first, { type: 'chat', from: 'ann', text: 'after unload' });
    push(first, { type: 'news', title: 'still here' });
    await until(() => texts(index, '.news').includes('still here'), 'the news after the unload');
    expect(texts(chat, '.line')).toEqual([]);
    expect(socket.status).toBe('open');
    expect(taro.tasks).toHaveLength(1);
    expect(first.close).toBeUndefined();
  });

  it('shows a server drop as waiting then open on every open page', async () => {
    const index = await homeOnceOpen(launch, page);
    await navigate(index, '.open-chat', ['pages/index/index', 'pages/chat/index']);
    const chat = page('pages/chat/index');
    await expectDropShownOnEveryPage([index, chat], server);
  });
  it('offers Retry now while a retry waits, and it starts the attempt at once, not counted as a retry', async () => {
    const index = await homeOnceOpen(launch, page);
    await expectRetryNowWhileWaiting(index, socket, server);
  });
});
