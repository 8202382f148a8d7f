// Prints the size of each entry point (scripts/size.ts) as one line of JSON, for the benchmark's size table.
import { measureSizes } from '../scripts/size.js';

process.stdout.write(`${JSON.stringify(await measureSizes())}\n`);
