import type { Browser } from 'puppeteer';

// What a reader sees of an SVG on a page: GitHub and the npm registry show an image at its own width up to the
// width of the column, never wider. Each SVG carries `width="100%"` and `max-width: <its width>px`, so in a column
// of PAGE_WIDTH px it is drawn at min(PAGE_WIDTH, its width) and everything in it scales by that over its viewBox.

/** The page column the diagrams are read in. */
export const PAGE_WIDTH = 1000;

/** Below this many CSS pixels a label is read only by zooming in. */
export const MIN_LABEL_PX = 11;

export interface Measurement {
  /** The SVG's viewBox size, in its own units. */
  width: number;
  height: number;
  /** Its drawn size in a column of {@link PAGE_WIDTH} px. */
  renderedWidth: number;
  renderedHeight: number;
  /** The smallest font size of any non-empty text as drawn in that column, in CSS pixels, and that text. */
  smallestLabelPx: number;
  smallestLabel: string;
}

/**
 * Measures an SVG as drawn in a column {@link PAGE_WIDTH} px wide, in the browser given: the font size each text
 * is laid out with times the scale its element is drawn at (`getScreenCTM()`), so CSS rules, nested transforms
 * and the page's scaling all count as they do on screen.
 */
export async function measureSvg(browser: Browser, svg: string): Promise<Measurement> {
  const page = await browser.newPage();
  try {
    await page.setViewport({ width: PAGE_WIDTH + 200, height: 800 });
    const markup = svg.slice(svg.indexOf('<svg'));
    await page.setContent(
      `<!doctype html><html><body style="margin:0"><div id="column" style="width:${PAGE_WIDTH}px">${markup}</div></body></html>`,
    );
    return await page.evaluate(() => {
      const element = document.querySelector('#column > svg') as SVGSVGElement;
      const box = element.viewBox.baseVal;
      const rect = element.getBoundingClientRect();
      let smallestLabelPx = Number.POSITIVE_INFINITY;
      let smallestLabel = '';
      for (const text of Array.from(element.querySelectorAll('text'))) {
        const content = (text.textContent ?? '').trim();
        const matrix = text.getScreenCTM();
        if (content === '' || matrix === null) continue;
        const px = Number.parseFloat(getComputedStyle(text).fontSize) * Math.hypot(matrix.a, matrix.b);
        if (px < smallestLabelPx) {
          smallestLabelPx = px;
          smallestLabel = content;
        }
      }
      return {
        width: box.width,
        height: box.height,
        renderedWidth: rect.width,
        renderedHeight: rect.height,
        smallestLabelPx,
        smallestLabel,
      };
    });
  } finally {
    await page.close();
  }
}
