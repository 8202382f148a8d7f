import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { drawingsOf, generateFiles, MACHINES_DOC } from './diagrams/files.js';
import { MIN_LABEL_PX, measureSvg, PAGE_WIDTH } from './diagrams/measure.js';
import { diagramSpecs, REGENERATE } from './diagrams/render.js';
import { renderSvg, stampOf, svgStamp, withBrowser } from './diagrams/svg.js';
import { diagramViews } from './diagrams/views.js';

// Writes diagrams/*.mmd, *.machine.json, diagrams/README.md and the marked regions of README.md and
// docs/machines.md, then draws diagrams/*.svg from the .mmd files in a headless Chromium and measures each SVG it
// draws: one meant for pages whose labels would be too small at page width fails the run (a whole machine that
// is also cut into views is exempt: it is for Stately and the inspector). An SVG whose stamp already records its
// .mmd content and the renderer is left alone (Chromium is slow); `--force` draws every SVG anew.
// `--check` writes nothing, needs no browser and exits 1 when a file is stale.
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const check = process.argv.includes('--check');
const force = process.argv.includes('--force');
const read = (path: string): string | undefined =>
  existsSync(join(root, path)) ? readFileSync(join(root, path), 'utf8') : undefined;

function write(path: string, content: string): void {
  mkdirSync(dirname(join(root, path)), { recursive: true });
  writeFileSync(join(root, path), content);
  console.log(`wrote     ${path}`);
}

let stale = 0;
const files = generateFiles({ rootReadme: read('README.md'), machinesDoc: read(MACHINES_DOC) });
for (const file of files) {
  if (read(file.path) === file.content) {
    console.log(`unchanged ${file.path}`);
    continue;
  }
  stale++;
  if (check) console.error(`stale     ${file.path}`);
  else write(file.path, file.content);
}

const drawings = drawingsOf(diagramSpecs, diagramViews);
const toDraw = drawings.filter((drawing) => {
  const current = read(drawing.svgPath);
  if (!force && current !== undefined && stampOf(current) === svgStamp(drawing.mmdPath, drawing.mmd)) {
    console.log(`unchanged ${drawing.svgPath}`);
    return false;
  }
  stale++;
  if (check) console.error(`stale     ${drawing.svgPath}`);
  return true;
});
if (!check && toDraw.length > 0) {
  await withBrowser(async (browser) => {
    for (const drawing of toDraw) {
      const svg = await renderSvg(browser, drawing.mmdPath, drawing.mmd, drawing.name);
      write(drawing.svgPath, svg);
      const size = await measureSvg(browser, svg);
      const note = `${Math.round(size.width)}x${Math.round(size.height)}, smallest label ${size.smallestLabelPx.toFixed(1)} px at ${PAGE_WIDTH} px wide`;
      console.log(`          ${note}`);
      if (size.smallestLabelPx < MIN_LABEL_PX && drawing.pageWidth) {
        console.error(
          `illegible ${drawing.svgPath}: ${note} (under ${MIN_LABEL_PX} px); cut it into smaller views`,
        );
        process.exitCode = 1;
      }
    }
  });
}

if (check && stale > 0) {
  console.error(`${stale} generated file(s) are stale: run \`${REGENERATE}\``);
  process.exitCode = 1;
}
