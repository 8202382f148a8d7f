// Compiles each test/types/<platform>/ project on its own: the vendors' global typings (wx, uni, my, tt, ...)
// must not meet in one program, where their declarations could collide or mask each other.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const root = join(import.meta.dirname, '..', 'test', 'types');
const projects = existsSync(root)
  ? readdirSync(root, { withFileTypes: true })
      .filter((entry) => entry.isDirectory() && existsSync(join(root, entry.name, 'tsconfig.json')))
      .map((entry) => join(root, entry.name, 'tsconfig.json'))
  : [];
let failed = 0;
for (const project of projects) {
  const result = spawnSync(process.execPath, [tsc, '-p', project, '--noEmit'], {
    stdio: 'inherit',
  });
  if (result.status !== 0) failed++;
}
console.log(`platform type tests: ${projects.length - failed} of ${projects.length} projects compile`);
process.exit(failed === 0 ? 0 : 1);
