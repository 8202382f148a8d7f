// The one way this project starts Debian's Chromium headless: the diagram renderer (puppeteer) and the browser
// tests (playwright-core) both use these flags.
export const CHROMIUM_ARGS: readonly string[] = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
