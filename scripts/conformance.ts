// npm run conformance: runs the conformance kit against every implementation of scripts/conformance/
// implementations.ts and writes the compatibility table into docs/conformance.md (between its markers).
// Each property gets its own first counterexample: once a search finds some, it goes on from the same seed with
// those properties set aside, so that one early bug does not hide the others.
// Options, for trying rows out (neither writes the doc): --only <substring> runs the matching rows only, --runs <n>
// sets their runs per seed.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { searchSocketTask } from '../src/conformance/checkSocketTask.js';
import { CONFORMANCE_PROPERTIES, type ConformanceProperty } from '../src/conformance/trace.js';
import { type ChromiumPage, openChromiumPage } from './conformance/browser.js';
import { collectInputs, fingerprintOf } from './conformance/fingerprint.js';
import { type Implementation, implementations, type RunContext } from './conformance/implementations.js';
import { type Cell, type RowResult, renderTable, replaceTable } from './conformance/table.js';

const DOC = fileURLToPath(new URL('../docs/conformance.md', import.meta.url));
/** Searches per seed: the first, then one more for each round of newly broken properties. */
const ROUNDS = 6;
/** Bounds one search, its shrinking included, so a row whose every run waits out its bounds still ends. */
const SEARCH_MS = 60_000;

/**
 * Exceptions a Node implementation threw outside any call (from its own event handlers), for the row's notes. A
 * page's exceptions stay in the page; the Node rows run one at a time, so these belong to the row running.
 */
let uncaught: string[] = [];

async function runRow(implementation: Implementation, context: RunContext): Promise<RowResult> {
  const started = performance.now();
  const notes: string[] = [];
  if (!implementation.name.startsWith('Chromium')) uncaught = notes;
  const opened = await implementation.open(context);
  const cells = {} as Record<ConformanceProperty, Cell>;
  // Runs every property was checked over, in the searches that ran to their end.
  let checkedRuns = 0;
  let complete = true;
  try {
    const waitBound = implementation.name.startsWith('Chromium') ? 2000 : 1000;
    for (const seed of implementation.seeds) {
      const ignore: ConformanceProperty[] = [];
      let finished = false;
      for (let round = 0; round < ROUNDS && !finished; round++) {
        const outcome = await searchSocketTask(
          {
            connect: opened.connect,
            profile: opened.profile,
            numRuns: implementation.numRuns,
            seed,
            waitBound,
          },
          { ignore, timeLimit: SEARCH_MS },
        );
        if (outcome.result.ok) {
          finished = true;
          checkedRuns += outcome.runs;
          if (outcome.interrupted) complete = false;
          break;
        }
        for (const v of outcome.result.violations) {
          if (!ignore.includes(v.property)) ignore.push(v.property);
          if (cells[v.property]?.status === 'fail') continue;
          cells[v.property] = {
            status: 'fail',
            finding: {
              property: v.property,
              seed: v.seed,
              path: v.path,
              message: v.message,
              source: v.source,
              scenario: v.scenario,
              replay: v.replay,
            },
          };
        }
        console.log(
          `[conformance]   ${implementation.name} seed ${seed} round ${round + 1}: ${outcome.result.violations.map((v) => v.property).join(', ')}`,
        );
      }
      if (!finished) complete = false;
    }
  } finally {
    await opened.close();
  }
  for (const property of CONFORMANCE_PROPERTIES) {
    cells[property] ??= complete
      ? { status: 'pass', runs: checkedRuns }
      : { status: 'not reached', runs: checkedRuns };
  }
  return {
    name: implementation.name,
    what: implementation.what,
    profile: opened.profile,
    numRuns: implementation.numRuns,
    seeds: implementation.seeds,
    seconds: (performance.now() - started) / 1000,
    cells,
    notes:
      notes.length === 0
        ? []
        : [`threw outside any call, from its own event handlers: ${[...new Set(notes)].join('; ')}`],
  };
}

async function main(): Promise<void> {
  const onlyAt = process.argv.indexOf('--only');
  const only = onlyAt >= 0 ? process.argv[onlyAt + 1] : undefined;
  const runsAt = process.argv.indexOf('--runs');
  const runs = runsAt >= 0 ? Number(process.argv[runsAt + 1]) : undefined;
  const trial = only !== undefined || runs !== undefined;
  const rows = implementations
    .filter((i) => only === undefined || i.name.includes(only))
    .map((i) => (runs === undefined ? i : { ...i, numRuns: runs }));
  let page: Promise<ChromiumPage> | undefined;
  const context: RunContext = { chromium: () => (page ??= openChromiumPage()) };
  const results = new Map<Implementation, RowResult>();
  // An implementation's own handler may throw where no call can catch it (the websocket package does): noted in its
  // row, and the run goes on.
  const note = (error: unknown) => {
    uncaught.push(
      error instanceof Error ? `${error.name}: ${error.message.replace(/\.$/, '')}` : String(error),
    );
  };
  process.on('uncaughtException', note);
  process.on('unhandledRejection', note);
  // Two lanes: the browser rows mostly wait on the page, so they run beside the Node rows, each lane one row at a
  // time (every search has its own server and port).
  const lane = async (members: Implementation[]) => {
    for (const row of members) {
      console.log(`[conformance] ${row.name}: ${row.numRuns} runs × ${row.seeds.length} seeds`);
      const result = await runRow(row, context);
      const broken = CONFORMANCE_PROPERTIES.filter((p) => result.cells[p].status === 'fail');
      console.log(
        `[conformance] ${row.name}: ${broken.length === 0 ? 'passes' : `breaks ${broken.join(', ')}`} (${result.seconds.toFixed(1)} s)`,
      );
      results.set(row, result);
    }
  };
  const inPage = (row: Implementation) => row.name.startsWith('Chromium');
  try {
    await Promise.all([lane(rows.filter(inPage)), lane(rows.filter((row) => !inPage(row)))]);
  } finally {
    if (page) await (await page).close();
  }
  if (trial) {
    console.log(JSON.stringify([...results.values()], null, 2));
    return;
  }
  const inputs = await collectInputs();
  const block = renderTable(
    rows.map((row) => results.get(row) as RowResult),
    {
      fingerprint: fingerprintOf(inputs),
      properties: CONFORMANCE_PROPERTIES,
      versions: inputs.versions,
    },
  );
  writeFileSync(DOC, replaceTable(readFileSync(DOC, 'utf8'), block));
  console.log(`[conformance] wrote ${DOC}`);
}

main().then(
  // Whatever an implementation left behind (a socket a library keeps, a timer), the table is written: end here.
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
