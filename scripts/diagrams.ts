import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { diagramSpecs, generateDiagramFiles, mmdPath, REGENERATE, svgPath } from './diagrams/render.js';
import { renderSvg, stampOf, svgStamp, withBrowser } from './diagrams/svg.js';

// Writes diagrams/*.mmd, *.machine.json, diagrams/README.md and the marked regions of README.md,
// then draws diagrams/*.svg from the .mmd files in a headless Chromium. An SVG whose stamp already records its
// .mmd content and the renderer is left alone (Chromium is slow); `--force` draws every SVG anew.
// `--check` writes nothing, needs no browser and exits 1 when a file is stale.
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const check = process.argv.includes('--check');
const force = process.argv.includes('--force');
const readmePath = join(root, 'README.md');
const rootReadme = existsSync(readmePath) ? readFileSync(readmePath, 'utf8') : undefined;
const read = (path: string): string | undefined =>
  existsSync(join(root, path)) ? readFileSync(join(root, path), 'utf8') : undefined;

function write(path: string, content: string): void {
  mkdirSync(dirname(join(root, path)), { recursive: true });
  writeFileSync(join(root, path), content);
  console.log(`wrote     ${path}`);
}

let stale = 0;
const files = generateDiagramFiles(diagramSpecs, rootReadme);
for (const file of files) {
  if (read(file.path) === file.content) {
    console.log(`unchanged ${file.path}`);
    continue;
  }
  stale++;
  if (check) console.error(`stale     ${file.path}`);
  else write(file.path, file.content);
}

const svgs = diagramSpecs.map((spec) => {
  const mmd = files.find((file) => file.path === mmdPath(spec))?.content ?? '';
  return { path: svgPath(spec), mmdPath: mmdPath(spec), mmd, id: spec.name };
});
const toDraw = svgs.filter((svg) => {
  const current = read(svg.path);
  if (!force && current !== undefined && stampOf(current) === svgStamp(svg.mmdPath, svg.mmd)) {
    console.log(`unchanged ${svg.path}`);
    return false;
  }
  stale++;
  if (check) console.error(`stale     ${svg.path}`);
  return true;
});
if (!check && toDraw.length > 0) {
  await withBrowser(async (browser) => {
    for (const svg of toDraw) write(svg.path, await renderSvg(browser, svg.mmdPath, svg.mmd, svg.id));
  });
}

if (check && stale > 0) {
  console.error(`${stale} generated file(s) are stale: run \`${REGENERATE}\``);
  process.exitCode = 1;
}
