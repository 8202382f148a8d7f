import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';
import { CHROMIUM_ARGS } from '../../scripts/chromium.js';

const CHROMIUM = '/usr/bin/chromium';

/** Debian's headless Chromium through playwright-core; never `npx playwright install`, which cannot download here. */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `The browser tests need Debian's Chromium at ${CHROMIUM}; install it with ` +
        '`apt-get update && apt-get install -y chromium` (.ci/run does this in CI). Do not use `npx playwright install`.',
    );
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [...CHROMIUM_ARGS],
    // Generous: the launch competes with the rest of the suite for this machine's two cores.
    timeout: 60_000,
  });
}
