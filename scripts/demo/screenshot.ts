/**
 * `npm run demo:screenshot`: runs the demo, opens its watermarked PDF view in headless Chromium (Playwright),
 * waits for the first automatic refresh so the events show it, and saves docs/images/demo.png for the README.
 */
import path from 'node:path';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { startDemo } from './startDemo.js';

const output = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../docs/images/demo.png');
const demo = await startDemo({ servicePort: 0, integratorPort: 0, accessTokenTtlSeconds: 12 });
const browser = await chromium.launch({
  executablePath: process.env.IMM_CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
});
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 760 } });
  await page.goto(`${demo.integrator.url}/view/pdf`);
  // The first refresh comes at three quarters of the token's lifetime; the view is ready again after it.
  await page.waitForFunction(() => document.getElementById('events')!.innerText.includes('token refreshed'), null, { timeout: 60_000 });
  await page.waitForFunction(() => document.getElementById('office')!.dataset.state === 'ready');
  fs.mkdirSync(path.dirname(output), { recursive: true });
  await page.screenshot({ path: output });
  process.stdout.write(`wrote ${output}\n`);
} finally {
  await browser.close();
  await demo.stop();
}
