// The web adapter in a real browser: Debian's headless Chromium, driven by playwright-core, talking to the test
// ws server on 127.0.0.1 through the browser's own WebSocket. The page and its sockets share one origin.
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from './chromium.js';
import type { PageEvent } from './page.js';
import { type BrowserTestServer, bundlePage, SERVER_CLOSE, startBrowserTestServer } from './server.js';

let server: BrowserTestServer;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];

beforeAll(async () => {
  const launching = launchChromium();
  server = await startBrowserTestServer(await bundlePage());
  browser = await launching;
  page = await browser.newPage();
  page.setDefaultTimeout(5000);
  page.on('pageerror', (error) => pageErrors.push(error.message));
  await page.goto(server.pageUrl);
  expect(await page.evaluate(() => typeof window.stm?.connect)).toBe('function');
}, 90_000);

afterEach(async () => {
  await page?.evaluate(() => window.stm.closeAll());
  // A listener or the library throwing inside the page would otherwise go unnoticed.
  expect(pageErrors.splice(0)).toEqual([]);
});

afterAll(async () => {
  await page?.close();
  await browser?.close();
  await server?.stop();
});

const ofType = <T extends PageEvent['type']>(events: PageEvent[], type: T) =>
  events.filter((event): event is Extract<PageEvent, { type: T }> => event.type === type);

/** Opens a connection in the page to `path` on the test server; resolves with its probe index once OPEN. */
function openInPage(path = '/echo'): Promise<number> {
  return page.evaluate(async (url) => {
    const id = window.stm.connect(url);
    await window.stm.probes[id]?.until('open');
    return id;
  }, `${server.url}${path}`);
}

describe('webAdapter in headless Chromium', () => {
  it('opens: CONNECTING → OPEN, with onOpen fired exactly once', async () => {
    const before = server.connections.length;
    const result = await page.evaluate(async (url) => {
      const id = window.stm.connect(url);
      const probe = window.stm.probes[id];
      if (!probe) throw new Error('no probe');
      const initial = probe.conn.state;
      await probe.until('open');
      // An echo round trip: a second open, had there been one, would have been reported by now.
      await probe.conn.send('ping');
      await probe.until('text');
      return { initial, state: probe.conn.state, readyState: probe.conn.readyState, events: probe.events };
    }, `${server.url}/echo`);

    expect(result.initial).toBe('CONNECTING');
    expect(result.state).toBe('OPEN');
    expect(result.readyState).toBe(1);
    expect(result.events).toEqual([
      { type: 'state', state: 'OPEN', previous: 'CONNECTING' },
      { type: 'open' },
      { type: 'text', data: 'ping' },
    ]);
    expect(server.connections.length).toBe(before + 1);
  });

  it('sends text from the page to the server and from the server to the page', async () => {
    const before = server.connections.length;
    const id = await openInPage();
    await page.evaluate((index) => window.stm.probes[index]?.conn.send('héllo from the page ✓'), id);

    const connection = await server.connection(before);
    const received = await connection.message(0);
    expect(received.isBinary).toBe(false);
    expect(received.data.toString('utf8')).toBe('héllo from the page ✓');

    connection.socket.send('hello from the server');
    const events = await page.evaluate((index) => window.stm.probes[index]?.until('text', 2), id);
    expect(ofType(events ?? [], 'text')).toEqual([
      { type: 'text', data: 'héllo from the page ✓' },
      { type: 'text', data: 'hello from the server' },
    ]);
  });

  it('sends a Uint8Array view and an ArrayBuffer as binary, and receives binary as ArrayBuffers of the same bytes', async () => {
    const before = server.connections.length;
    const id = await openInPage();
    await page.evaluate(async (index) => {
      const conn = window.stm.probes[index]?.conn;
      if (!conn) throw new Error('no probe');
      // A view into the middle of a larger buffer: only the view's bytes may go on the wire.
      const backing = new Uint8Array([9, 9, 0, 1, 127, 128, 255, 9]);
      await conn.send(backing.subarray(2, 7));
      await conn.send(new Uint8Array([255, 0, 42]).buffer);
    }, id);

    const connection = await server.connection(before);
    const first = await connection.message(0);
    const second = await connection.message(1);
    expect(first.isBinary).toBe(true);
    expect([...first.data]).toEqual([0, 1, 127, 128, 255]);
    expect(second.isBinary).toBe(true);
    expect([...second.data]).toEqual([255, 0, 42]);

    const events = await page.evaluate((index) => window.stm.probes[index]?.until('binary', 2), id);
    expect(ofType(events ?? [], 'binary')).toEqual([
      { type: 'binary', kind: '[object ArrayBuffer]', bytes: [0, 1, 127, 128, 255] },
      { type: 'binary', kind: '[object ArrayBuffer]', bytes: [255, 0, 42] },
    ]);
  });

  it('delivers a client close with code 4001 and a reason to the server, and the page sees exactly one close', async () => {
    const before = server.connections.length;
    const id = await openInPage();
    const closeEvent = await page.evaluate(
      (index) => window.stm.probes[index]?.conn.close({ code: 4001, reason: 'client done' }),
      id,
    );
    expect(closeEvent).toEqual({ code: 4001, reason: 'client done' });

    const connection = await server.connection(before);
    expect(await connection.closed).toEqual({ code: 4001, reason: 'client done' });
    await server.waitForNoClients();
    const events = await page.evaluate((index) => window.stm.probes[index]?.events, id);
    expect(ofType(events ?? [], 'close')).toEqual([{ type: 'close', code: 4001, reason: 'client done' }]);
    expect(ofType(events ?? [], 'error')).toEqual([]);
  });

  it('closes with 1000 when close() is given no code', async () => {
    const before = server.connections.length;
    const id = await openInPage();
    const closeEvent = await page.evaluate((index) => window.stm.probes[index]?.conn.close(), id);
    expect(closeEvent?.code).toBe(1000);

    const connection = await server.connection(before);
    expect(await connection.closed).toEqual({ code: 1000, reason: '' });
  });

  it('closes before open without onOpen, with exactly one onClose, and leaves the server with no client', async () => {
    const result = await page.evaluate(async (url) => {
      const id = window.stm.connect(url);
      const probe = window.stm.probes[id];
      if (!probe) throw new Error('no probe');
      const closing = probe.conn.close();
      const closeEvent = await closing;
      return { id, closeEvent, state: probe.conn.state };
    }, `${server.url}/echo`);
    expect(result.state).toBe('CLOSED');

    // Whatever reached the server before the abort must be gone too.
    await server.upgradesSettled();
    await server.waitForNoClients();
    const events = await page.evaluate((index) => window.stm.probes[index]?.events ?? [], result.id);
    expect(ofType(events, 'open')).toEqual([]);
    expect(ofType(events, 'close')).toEqual([{ type: 'close', ...result.closeEvent }]);
  });

  it(`reports a server-initiated close with ${SERVER_CLOSE.code} and '${SERVER_CLOSE.reason}' exactly`, async () => {
    const result = await page.evaluate(async (url) => {
      const id = window.stm.connect(url);
      const probe = window.stm.probes[id];
      if (!probe) throw new Error('no probe');
      const closed = await probe.conn.closed;
      return { closed, events: probe.events };
    }, `${server.url}${SERVER_CLOSE.path}`);

    expect(result.closed).toEqual({ code: SERVER_CLOSE.code, reason: SERVER_CLOSE.reason });
    expect(result.events.filter((event) => event.type !== 'state')).toEqual([
      { type: 'open' },
      { type: 'close', code: SERVER_CLOSE.code, reason: SERVER_CLOSE.reason },
    ]);
    await server.waitForNoClients();
  });

  it('refuses an invalid close code with ERR_INVALID_CLOSE_CODE where the browser itself would throw, and stays open', async () => {
    const before = server.connections.length;
    const id = await openInPage();
    const result = await page.evaluate(
      async ({ index, url }) => {
        const conn = window.stm.probes[index]?.conn;
        if (!conn) throw new Error('no probe');
        // The browser's own WebSocket throws on the same code: the library must refuse it before that.
        const native = new WebSocket(url);
        let nativeError = '';
        try {
          native.close(1001);
        } catch (error) {
          nativeError = (error as Error).name;
        }
        native.close();
        let refused: { name: string; code: string; message: string } | undefined;
        try {
          await conn.close({ code: 1001 });
        } catch (error) {
          const e = error as InstanceType<typeof window.stm.SocketTaskError>;
          refused = { name: e.name, code: e.code, message: e.message };
        }
        const stateAfter = conn.state;
        await conn.send('still open');
        return { nativeError, refused, stateAfter };
      },
      { index: id, url: `${server.url}/echo` },
    );

    expect(result.nativeError).toBe('InvalidAccessError');
    expect(result.refused).toEqual({
      name: 'SocketTaskError',
      code: 'ERR_INVALID_CLOSE_CODE',
      message: expect.stringMatching(/^close\(\): code 1001 is reserved/),
    });
    expect(result.stateAfter).toBe('OPEN');
    const connection = await server.connection(before);
    expect((await connection.message(0)).data.toString()).toBe('still open');
    expect(connection.close).toBeUndefined();
  });
});
