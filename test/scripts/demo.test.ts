/**
 * `npm run demo` (the build, then `node dist/scripts/demo/demo.js`; the build is what every test runs on):
 * the built demo prints where its integrator app is, that app serves the demo page on an origin of its own and
 * gets tokens from the service the demo started, for each sample document; SIGTERM to the demo alone stops
 * both, leaving no process and no data directory behind. Ports 0 through IMM_PORT and DEMO_PORT, as the README
 * says they are chosen.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { groupAlive } from '../helpers/processGroup.js';
import { makeDataDir } from '../helpers/server.js';
import { sleep } from '../helpers/serverData.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const DEMO = path.join(REPO, 'dist/scripts/demo/demo.js');
const VIEWS = ['pdf', 'docx', 'xlsx', 'txt', 'csv'];

test('the demo serves its integrator page, which gets a token from its service for every sample; SIGTERM leaves no process and no files', async () => {
  // Its own temporary folder (where the demo makes its data directory), to see that nothing is left in it.
  const tmp = makeDataDir('imm-demo-tmp-');
  const { IMM_DATABASE_URL: _ours, ...inherited } = process.env; // the demo's own SQLite, as for a user
  const env = { ...inherited, IMM_PORT: '0', DEMO_PORT: '0', TMPDIR: tmp };
  // Its own process group, so the group tells whether the service it started outlives it.
  const demo = spawn(process.execPath, [DEMO], { cwd: REPO, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const pgid = demo.pid!;
  let stdout = '';
  let stderr = '';
  demo.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  demo.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = once(demo, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  try {
    const ready = /the service is at (http:\/\/\S+); the integrator app \(another origin\) is at\n\n {4}(http:\/\/\S+)\/\n/;
    for (let waited = 0; !ready.test(stdout); waited += 100) {
      assert.ok(waited < 60_000 && demo.exitCode === null, `the demo did not get ready\nstdout:\n${stdout}\nstderr:\n${stderr}`);
      await sleep(100);
    }
    const [, serviceUrl, integratorUrl] = ready.exec(stdout)!;
    assert.notEqual(new URL(integratorUrl).origin, new URL(serviceUrl).origin, 'the integrator app is another origin');

    const page = await fetch(`${integratorUrl}/`);
    assert.equal(page.status, 200);
    const html = await page.text();
    assert.match(html, /<title>WebOffice demo<\/title>/);
    assert.ok(html.includes(new URL(serviceUrl).origin), 'the page names the service it opens documents of');
    for (const view of VIEWS) assert.ok(html.includes(`href="/view/${view}"`), `the page links the ${view} view`);

    assert.equal((await fetch(`${serviceUrl}/ready`)).status, 200, 'the service answers');
    // The integrator's backend calls GenerateWebofficeToken on that service: each sample document is there.
    for (const view of VIEWS) {
      const reply = await fetch(`${integratorUrl}/api/views/${view}/token`, { method: 'POST' });
      const body = (await reply.json()) as { WebofficeURL?: string; AccessToken?: string; message?: string };
      assert.equal(reply.status, 200, `${view}: ${body.message}`);
      assert.equal(new URL(body.WebofficeURL!).origin, new URL(serviceUrl).origin, `${view}: the WebOffice page is the service's`);
      assert.ok(body.AccessToken);
      assert.equal((await fetch(body.WebofficeURL!)).status, 200, `${view}: the service serves its WebOffice page`);
    }

    process.kill(demo.pid!, 'SIGTERM'); // the demo alone, as Ctrl-C's process or a process manager would
    const [code, signal] = await exited;
    assert.deepEqual({ code, signal }, { code: 0, signal: null }, `the demo stopped cleanly\nstderr:\n${stderr}`);
    for (let waited = 0; groupAlive(pgid) && waited < 15_000; waited += 100) await sleep(100);
    assert.ok(!groupAlive(pgid), `a process of the demo outlived it:\n${stderr}`);
    await assert.rejects(fetch(`${serviceUrl}/ready`), 'the service listens no more');
    await assert.rejects(fetch(`${integratorUrl}/`), 'the integrator app listens no more');
    assert.deepEqual(fs.readdirSync(tmp), [], 'the demo removed its data directory');
  } finally {
    if (groupAlive(pgid)) process.kill(-pgid, 'SIGKILL');
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});
