// The offline inspector (`npm run inspect`) in headless Chromium: the page's highlight follows the real connection
// to the embedded demo server through open, drop, reconnect, offline, online and close, and its screenshots show it.
import { mkdir, writeFile } from 'node:fs/promises';
import { inflateSync } from 'node:zlib';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Inspector } from '../../scripts/inspect/server.js';
import { startInspector } from '../../scripts/inspect/server.js';
import { launchChromium } from './chromium.js';

const WAIT = { timeout: 10_000 };
const SHOTS = new URL('../../test-results/', import.meta.url);

let inspector: Inspector;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];

beforeAll(async () => {
  const launching = launchChromium();
  inspector = await startInspector({ port: 0 });
  browser = await launching;
  page = await browser.newPage({ viewport: { width: 1400, height: 1400 } });
  page.setDefaultTimeout(10_000);
  page.on('pageerror', (error) => pageErrors.push(error.message));
  await page.goto(inspector.url);
  await page.waitForFunction(() => window.inspector?.connected === true, undefined, WAIT);
}, 90_000);

afterAll(async () => {
  await page?.close();
  await browser?.close();
  await inspector?.stop();
});

/** Waits until the page shows `id` as active: in `data-states`, and on its highlighted SVG node. */
function untilActive(id: string): Promise<unknown> {
  return page.waitForFunction(
    (state) =>
      (document.querySelector<HTMLElement>('#status')?.dataset.states ?? '').split(' ').includes(state) &&
      document.querySelector(`#connection [data-state-id="${state}"].active`) !== null,
    id,
    WAIT,
  );
}

const activeIds = () =>
  page.evaluate(() =>
    Array.from(document.querySelectorAll('#connection .active'), (node) =>
      node.getAttribute('data-state-id'),
    ),
  );

/** The highlighted node of top-level state `id`, relative to the SVG element, in CSS pixels. */
const boxOf = (id: string) =>
  page.evaluate((state) => {
    const svg = document.querySelector('#diagram svg');
    const node = document.querySelector(`#connection [data-state-id="${state}"].active`);
    if (!svg || !node) return null;
    const outer = svg.getBoundingClientRect();
    const box = node.getBoundingClientRect();
    return { x: box.x - outer.x, y: box.y - outer.y, width: box.width, height: box.height };
  }, id);

/** Whether `expected` occurs in `actual` in this order, other entries allowed in between. */
function inOrder(actual: string[], expected: string[]): boolean {
  let next = 0;
  for (const entry of actual) if (entry === expected[next]) next++;
  return next === expected.length;
}

interface Png {
  width: number;
  height: number;
  /** RGB(A) rows, unfiltered. */
  pixel(x: number, y: number): [number, number, number];
}

/** Just enough PNG for Chromium's screenshots: 8-bit RGB or RGBA, not interlaced. */
function decodePng(buffer: Buffer): Png {
  expect(buffer.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  const width = buffer.readUInt32BE(16);
  const height = buffer.readUInt32BE(20);
  const [depth, colorType, , , interlace] = buffer.subarray(24, 29);
  expect({ depth, interlace }).toEqual({ depth: 8, interlace: 0 });
  expect([2, 6]).toContain(colorType);
  const channels = colorType === 6 ? 4 : 3;
  const chunks: Buffer[] = [];
  for (let offset = 8; offset < buffer.length; ) {
    const length = buffer.readUInt32BE(offset);
    if (buffer.toString('latin1', offset + 4, offset + 8) === 'IDAT') {
      chunks.push(buffer.subarray(offset + 8, offset + 8 + length));
    }
    offset += length + 12;
  }
  const raw = inflateSync(Buffer.concat(chunks));
  const stride = width * channels;
  const pixels = Buffer.alloc(stride * height);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    for (let i = 0; i < stride; i++) {
      const value = raw[y * (stride + 1) + 1 + i] ?? 0;
      const left = i >= channels ? (pixels[y * stride + i - channels] ?? 0) : 0;
      const up = y > 0 ? (pixels[(y - 1) * stride + i] ?? 0) : 0;
      const upLeft = y > 0 && i >= channels ? (pixels[(y - 1) * stride + i - channels] ?? 0) : 0;
      let predicted = 0;
      if (filter === 1) predicted = left;
      else if (filter === 2) predicted = up;
      else if (filter === 3) predicted = (left + up) >> 1;
      else if (filter === 4) {
        const p = left + up - upLeft;
        const [pa, pb, pc] = [Math.abs(p - left), Math.abs(p - up), Math.abs(p - upLeft)];
        predicted = pa <= pb && pa <= pc ? left : pb <= pc ? up : upLeft;
      }
      pixels[y * stride + i] = (value + predicted) & 0xff;
    }
  }
  return {
    width,
    height,
    pixel: (x, y) => {
      const at = y * stride + x * channels;
      return [pixels[at] ?? 0, pixels[at + 1] ?? 0, pixels[at + 2] ?? 0];
    },
  };
}

/** Pixels of the highlight's fill (#ffb300) inside `box` of the screenshot. */
function highlightPixels(png: Png, box: { x: number; y: number; width: number; height: number }): number {
  let count = 0;
  const [x0, y0] = [Math.max(0, Math.floor(box.x)), Math.max(0, Math.floor(box.y))];
  const [x1, y1] = [
    Math.min(png.width, Math.ceil(box.x + box.width)),
    Math.min(png.height, Math.ceil(box.y + box.height)),
  ];
  for (let y = y0; y < y1; y++) {
    for (let x = x0; x < x1; x++) {
      const [r, g, b] = png.pixel(x, y);
      if (Math.abs(r - 0xff) < 12 && Math.abs(g - 0xb3) < 12 && b < 24) count++;
    }
  }
  return count;
}

const screenshots: Record<'open' | 'closed', { png: Buffer; box: Awaited<ReturnType<typeof boxOf>> }> = {
  open: { png: Buffer.alloc(0), box: null },
  closed: { png: Buffer.alloc(0), box: null },
};

async function screenshot(name: 'open' | 'closed', top: string): Promise<void> {
  const png = await page.locator('#diagram svg').screenshot();
  await mkdir(SHOTS, { recursive: true });
  await writeFile(new URL(`inspector-${name}.png`, SHOTS), png);
  screenshots[name] = { png, box: await boxOf(top) };
}

describe('the offline inspector page in headless Chromium', () => {
  it('highlights OPEN and its active sub-states once the real connection is open', async () => {
    await untilActive('OPEN.queue.flowing');
    expect(await page.locator('#status').getAttribute('data-state')).toBe('OPEN');
    const active = await activeIds();
    expect(active).toContain('OPEN');
    expect(active).toContain('OPEN.queue.flowing');
    expect(active.every((id) => id?.startsWith('OPEN'))).toBe(true);
    expect(await page.evaluate(() => window.inspector.states.at(-1))).toBe('OPEN');
    await screenshot('open', 'OPEN');
  });

  it('follows a drop: OPEN → CLOSED (waiting) → CONNECTING → OPEN', async () => {
    const from = await page.evaluate(() => window.inspector.snapshots.length);
    const before = await page.evaluate(() => window.inspector.states.length);
    await page.click('#drop');
    await page.waitForFunction(
      (start) => {
        const states = window.inspector.states.slice(start);
        return states.includes('CONNECTING') && states.at(-1) === 'OPEN';
      },
      before,
      WAIT,
    );
    await untilActive('OPEN');
    const states = await page.evaluate((start) => window.inspector.states.slice(start - 1), before);
    expect(inOrder(states, ['OPEN', 'CLOSED', 'CONNECTING', 'OPEN'])).toBe(true);
    const snapshots = await page.evaluate((start) => window.inspector.snapshots.slice(start), from);
    expect(snapshots.some((ids) => ids.split(' ').includes('CLOSED.waiting'))).toBe(true);
    expect(Number(await page.locator('#retries').textContent())).toBeGreaterThanOrEqual(1);
  });

  it('stays in CLOSED.suspended after a drop while offline, and comes back to OPEN once online', async () => {
    await page.click('#offline');
    await page.click('#drop');
    await untilActive('CLOSED.suspended');
    expect(await page.locator('#status').getAttribute('data-state')).toBe('CLOSED');
    expect(await activeIds()).toEqual(expect.arrayContaining(['CLOSED', 'CLOSED.suspended']));
    expect(await activeIds()).not.toContain('OPEN');

    await page.click('#online');
    await untilActive('OPEN.heartbeat');
    expect(await page.locator('#status').getAttribute('data-state')).toBe('OPEN');
  });

  it('highlights CLOSED.terminated after close, and nothing of OPEN', async () => {
    await page.click('#close');
    // The life ends, then is over once its socket is gone.
    await untilActive('CLOSED.terminated.over');
    expect(await page.locator('#status').getAttribute('data-state')).toBe('CLOSED');
    expect((await activeIds()).sort()).toEqual(['CLOSED', 'CLOSED.terminated', 'CLOSED.terminated.over']);
    await screenshot('closed', 'CLOSED');
  });

  it('saves screenshots whose highlight moved from OPEN to CLOSED', () => {
    const { open, closed } = screenshots;
    const [openPng, closedPng] = [decodePng(open.png), decodePng(closed.png)];
    expect(openPng.width).toBeGreaterThan(100);
    expect(openPng.height).toBeGreaterThan(100);
    expect({ width: closedPng.width, height: closedPng.height }).toEqual({
      width: openPng.width,
      height: openPng.height,
    });
    expect(open.png.equals(closed.png)).toBe(false);

    // The highlighted top-level node moved, in the live DOM...
    if (!open.box || !closed.box) throw new Error('no highlighted top-level node measured');
    expect(closed.box).not.toEqual(open.box);
    // ...and in the pictures: the highlight's colour sits in OPEN's box in the first and in CLOSED's in the second.
    expect(highlightPixels(openPng, open.box)).toBeGreaterThan(200);
    expect(highlightPixels(closedPng, open.box)).toBe(0);
    expect(highlightPixels(closedPng, closed.box)).toBeGreaterThan(200);
    expect(highlightPixels(openPng, closed.box)).toBe(0);
  });

  it('reconnects with a new connection after the close', async () => {
    await page.click('#reconnect');
    await untilActive('OPEN.queue.flowing');
    expect(await page.locator('#status').getAttribute('data-state')).toBe('OPEN');
    expect(pageErrors).toEqual([]);
  });
});
