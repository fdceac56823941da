/**
 * A real headless Chromium for the browser suites (playwright-core driving Debian's /usr/bin/chromium). Where
 * it is missing the suites are skipped with a loud message — unless IMM_REQUIRE_BROWSER=1 (CI), where that is
 * a failure.
 */
import fs from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM_PATH = process.env.IMM_CHROMIUM_PATH ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

/** Options for a browser suite's `describe`: `skip` with the reason where there is no Chromium. */
export function browserSuite(): { skip?: string } {
  if (fs.existsSync(CHROMIUM_PATH)) return {};
  const why = `BROWSER TESTS SKIPPED: no Chromium at ${CHROMIUM_PATH} (apt-get install chromium)`;
  if (process.env.IMM_REQUIRE_BROWSER === '1') throw new Error(`${why}, but IMM_REQUIRE_BROWSER=1 requires them`);
  console.error(`\n${'!'.repeat(100)}\n!!! ${why}\n${'!'.repeat(100)}\n`);
  return { skip: why };
}

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, timeout: 60_000 });
}
