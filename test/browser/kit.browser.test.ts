// The conformance kit against the web adapter inside headless Chromium: the kit's server and scenarios run in
// Node, the task runs in the page on the browser's own WebSocket, and its trace is recorded in the page, where
// every call really happens, and streamed back.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromWire, taskInPage, type WireStep } from '../../scripts/conformance/wire.js';
import { webProfile } from '../../src/adapters/web.js';
import { checkSocketTask, formatReport, type Trace } from '../../src/conformance/index.js';
import { propertySeed } from '../helpers.js';
import { launchChromium } from './chromium.js';
import { type BrowserTestServer, bundlePage, startBrowserTestServer } from './server.js';

const numRuns = Number(process.env.FC_RUNS_KIT ?? 100);
const seed = propertySeed('conformance.browser', `numRuns=${numRuns}`);

let server: BrowserTestServer;
let browser: Browser;
let page: Page;
const traces = new Map<number, Trace>();

beforeAll(async () => {
  const launching = launchChromium();
  server = await startBrowserTestServer(await bundlePage());
  browser = await launching;
  page = await browser.newPage();
  await page.exposeFunction('stmTrace', (id: number, step: WireStep) => traces.get(id)?.push(fromWire(step)));
  await page.goto(server.pageUrl);
}, 90_000);

afterAll(async () => {
  await page?.close();
  await browser?.close();
  await server?.stop();
});

describe('checkSocketTask against the web adapter in headless Chromium', () => {
  it('finds no violation: the browser WebSocket behind the web adapter conforms to the model', async () => {
    let next = 0;
    const connect = async ({ url, protocols }: { url: string; protocols?: string[] }) => {
      const id = next++;
      const trace: Trace = [];
      traces.set(id, trace);
      await page.evaluate(([i, u, p]) => window.stm.remote.create(i, u, p), [id, url, protocols] as const);
      const task = taskInPage(
        (data) => {
          page.evaluate(([i, d]) => window.stm.remote.send(i, d), [id, data] as const).catch(() => {});
        },
        (code, reason) => {
          page
            .evaluate(([i, c, r]) => window.stm.remote.close(i, c, r), [id, code, reason] as const)
            .catch(() => {});
        },
      );
      return { task, trace };
    };
    const started = performance.now();
    const result = await checkSocketTask({ connect, profile: webProfile, numRuns, seed, waitBound: 2000 });
    const seconds = (performance.now() - started) / 1000;
    console.log(
      `[conformance] web adapter in Chromium: ${numRuns} runs in ${seconds.toFixed(1)} s (${Math.round(numRuns / seconds)} runs/s)`,
    );
    if (!result.ok && process.env.KIT_DEBUG) console.log(JSON.stringify(result.violations[0]?.trace));
    expect(result.ok, formatReport(result)).toBe(true);
  }, 300_000);
});
