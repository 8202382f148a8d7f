// Puppeteer (used by @mermaid-js/mermaid-cli for `npm run diagrams`) must not download a browser on install:
// the SVGs are rendered with the system Chromium (see scripts/diagrams/svg.ts).
// https://pptr.dev/guides/configuration
/** @type {import('puppeteer').Configuration} */
module.exports = {
  skipDownload: true,
};
