// Headless Chromium for the table's browser rows: one page, served from 127.0.0.1, that makes tasks over the
// browser's own WebSocket when the kit (in Node) connects. The kit's server runs in Node on another port; a
// WebSocket may cross origins.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium, type Page } from 'playwright-core';
import type { Trace } from '../../src/conformance/trace.js';
import { bundleBrowserScript } from '../bundle.js';
import { CHROMIUM_ARGS } from '../chromium.js';
import type { OpenedImplementation } from './implementations.js';
import type { TaskKind } from './page.js';
import { fromWire, taskInPage, type WireStep } from './wire.js';

export const CHROMIUM = '/usr/bin/chromium';

export interface ChromiumPage {
  /** Tasks of `kind` in the page; the row's `close` closes those still open. */
  open(kind: TaskKind): Promise<OpenedImplementation>;
  /** The browser's version, e.g. `HeadlessChrome/156.0.8078.114`. */
  version(): string;
  close(): Promise<void>;
}

const HTML = '<!doctype html><meta charset="utf-8"><title>conformance</title><script src="/kit.js"></script>';

export async function openChromiumPage(): Promise<ChromiumPage> {
  const script = await bundleBrowserScript(fileURLToPath(new URL('./page.ts', import.meta.url)));
  const http: Server = createServer((request, response) => {
    if (request.url === '/')
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(HTML);
    else if (request.url === '/kit.js') {
      response.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8' }).end(script);
    } else response.writeHead(404).end();
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const stopHttp = () => {
    http.closeAllConnections();
    return new Promise<void>((resolve) => http.close(() => resolve()));
  };
  let browser: Browser | undefined;
  try {
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: [...CHROMIUM_ARGS],
      timeout: 60_000,
    });
    const page: Page = await browser.newPage();
    const traces = new Map<number, Trace>();
    await page.exposeFunction('stmKitTrace', (id: number, step: WireStep) =>
      traces.get(id)?.push(fromWire(step)),
    );
    await page.goto(`http://127.0.0.1:${(http.address() as AddressInfo).port}/`);
    let next = 0;
    const opened = browser;
    return {
      version: () => opened.version(),
      async open(kind) {
        return {
          profile: { closeWhileConnecting: 'aborts' },
          connect: async ({ url, protocols }) => {
            const id = next++;
            const trace: Trace = [];
            traces.set(id, trace);
            await page.evaluate(([i, k, u, p]) => window.stmKit.create(i, k, u, p), [
              id,
              kind,
              url,
              protocols,
            ] as const);
            const task = taskInPage(
              (data) => {
                page.evaluate(([i, d]) => window.stmKit.send(i, d), [id, data] as const).catch(() => {});
              },
              (code, reason) => {
                page
                  .evaluate(([i, c, r]) => window.stmKit.close(i, c, r), [id, code, reason] as const)
                  .catch(() => {});
              },
            );
            return { task, trace };
          },
          close: async () => {
            await page.evaluate(() => window.stmKit.dispose());
            traces.clear();
          },
        };
      },
      async close() {
        await opened.close();
        await stopHttp();
      },
    };
  } catch (error) {
    await browser?.close();
    await stopHttp();
    throw error;
  }
}
