import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'puppeteer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { drawingsOf } from '../../scripts/diagrams/files.js';
import { type Measurement, MIN_LABEL_PX, measureSvg, PAGE_WIDTH } from '../../scripts/diagrams/measure.js';
import { diagramSpecs } from '../../scripts/diagrams/render.js';
import { CHROMIUM_PATH } from '../../scripts/diagrams/svg.js';
import { diagramViews } from '../../scripts/diagrams/views.js';

// Each committed SVG is drawn in Chromium in a column PAGE_WIDTH px wide, as GitHub and the npm registry show an
// image, and every label's font size is measured as drawn there.
const root = join(import.meta.dirname, '..', '..');
const drawings = drawingsOf(diagramSpecs, diagramViews);
const hasChromium = existsSync(CHROMIUM_PATH);

let browser: Browser;
beforeAll(async () => {
  if (!hasChromium) return;
  const { default: puppeteer } = await import('puppeteer');
  const { CHROMIUM_ARGS } = await import('../../scripts/chromium.js');
  browser = await puppeteer.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [...CHROMIUM_ARGS],
  });
}, 60_000);
afterAll(async () => {
  await browser?.close();
});

const describeWithChromium = describe.skipIf(!hasChromium);

describeWithChromium('every diagram meant for a page', () => {
  const pageWidth = drawings.filter((drawing) => drawing.pageWidth);

  it('includes the overview, a view of each top-level state, and the task and socket-task machines whole', () => {
    expect(pageWidth.map((drawing) => drawing.name)).toEqual(
      expect.arrayContaining([
        'connection-overview',
        'connection-connecting',
        'connection-open',
        'connection-closing',
        'connection-closed',
        'task',
        'socket-task',
      ]),
    );
    // The whole connection machine is for Stately and the inspector only.
    expect(pageWidth.map((drawing) => drawing.name)).not.toContain('connection');
  });

  it.each(pageWidth.map((drawing) => [drawing.svgPath] as const))(
    `%s has no label under ${MIN_LABEL_PX} px when drawn ${PAGE_WIDTH} px wide`,
    async (path) => {
      const size = await measureSvg(browser, readFileSync(join(root, path), 'utf8'));
      const found = `${Math.round(size.width)}x${Math.round(size.height)} drawn ${Math.round(size.renderedWidth)} px wide, "${size.smallestLabel}" at ${size.smallestLabelPx.toFixed(1)} px`;
      expect(size.smallestLabelPx, `${path}: ${found}; cut it into smaller views`).toBeGreaterThanOrEqual(
        MIN_LABEL_PX,
      );
      expect(size.renderedWidth).toBeLessThanOrEqual(PAGE_WIDTH);
    },
    30_000,
  );
});

describeWithChromium('the whole connection diagram', () => {
  it(`is illegible ${PAGE_WIDTH} px wide: the reason it is cut into views`, async () => {
    const size = await measureSvg(browser, readFileSync(join(root, 'diagrams/connection.svg'), 'utf8'));
    expect(size.smallestLabelPx).toBeLessThan(MIN_LABEL_PX);
  });
});

describeWithChromium('measureSvg', () => {
  const svg = (width: number, fontSize: number): string =>
    `<!-- stamp -->\n<svg xmlns="http://www.w3.org/2000/svg" width="100%" style="max-width: ${width}px;" viewBox="0 0 ${width} 100">` +
    `<g transform="translate(10, 50)"><text style="font-size:${fontSize}px">label</text><text> </text></g></svg>\n`;

  it('scales a label by the column width over the SVG width when the SVG is wider than the column', async () => {
    const size: Measurement = await measureSvg(browser, svg(3000, 16));
    expect(size.renderedWidth).toBeCloseTo(PAGE_WIDTH, 0);
    expect(size.smallestLabelPx).toBeCloseTo((16 * PAGE_WIDTH) / 3000, 1);
    expect(size.smallestLabelPx).toBeLessThan(MIN_LABEL_PX);
    expect(size.smallestLabel).toBe('label');
  });

  it('keeps an SVG narrower than the column at its own size', async () => {
    const size = await measureSvg(browser, svg(400, 12));
    expect(size.renderedWidth).toBeCloseTo(400, 0);
    expect(size.smallestLabelPx).toBeCloseTo(12, 1);
  });
});
