import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { diagramSpecs, generateDiagramFiles, REGENERATE } from './diagrams/render.js';

// Writes diagrams/*.mmd, diagrams/README.md and the marked regions of README.md.
// `--check` writes nothing and exits 1 when a file is stale.
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const check = process.argv.includes('--check');
const readmePath = join(root, 'README.md');
const rootReadme = existsSync(readmePath) ? readFileSync(readmePath, 'utf8') : undefined;

let stale = 0;
for (const file of generateDiagramFiles(diagramSpecs, rootReadme)) {
  const path = join(root, file.path);
  const current = existsSync(path) ? readFileSync(path, 'utf8') : undefined;
  if (current === file.content) {
    console.log(`unchanged ${file.path}`);
    continue;
  }
  stale++;
  if (check) {
    console.error(`stale     ${file.path}`);
    continue;
  }
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, file.content);
  console.log(`wrote     ${file.path}`);
}
if (check && stale > 0) {
  console.error(`${stale} generated file(s) are stale: run \`${REGENERATE}\``);
  process.exitCode = 1;
}
