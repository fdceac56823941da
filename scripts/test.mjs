#!/usr/bin/env node
// `npm test`: the whole suite on SQLite, then the server suites again on PostgreSQL when a server answers at
// IMM_TEST_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test). Without one, the PostgreSQL pass
// is skipped and says so — unless IMM_REQUIRE_POSTGRES=1 (CI), which makes that a failure.
// The browser suites (dist/test/browser/: the JS SDK and the page in a real headless Chromium) run in each
// pass when Chromium is at /usr/bin/chromium (or IMM_CHROMIUM_PATH); without it they are skipped with a loud
// message — unless IMM_REQUIRE_BROWSER=1 (CI), which makes that a failure. The LibreOffice suites (real
// conversions to PDF) likewise need `soffice` on PATH (or IMM_SOFFICE): skipped loudly without it, unless
// IMM_REQUIRE_LIBREOFFICE=1 (CI). At the end, how long each pass took
// and one line counting them all: `total: N passed, N failed, N skipped` (the form CI reads).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
// Built by `pretest`: the same reachability check and URL the suites use.
import { postgresReachable, TEST_POSTGRES_URL as url } from '../dist/test/helpers/postgres.js';

const runner = ['--test', '--test-concurrency=2'];
const passes = [];
const BROWSER_TESTS = 'dist/test/browser';
const chromium = process.env.IMM_CHROMIUM_PATH ?? '/usr/bin/chromium';

function run(label, args, env = {}) {
  console.log(`\n# ${label}`);
  // Besides the usual report on stdout (spec on a terminal, TAP otherwise, as node chooses), a TAP copy to
  // count from: its closing `# pass N` … lines.
  const tapFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'imm-npm-test-')), 'report.tap');
  const reporters = [`--test-reporter=${process.stdout.isTTY ? 'spec' : 'tap'}`, '--test-reporter-destination=stdout', '--test-reporter=tap', `--test-reporter-destination=${tapFile}`];
  const startedAt = Date.now();
  const result = spawnSync(process.execPath, [...runner, ...reporters, ...args], { stdio: 'inherit', env: { ...process.env, ...env } });
  passes.push({ label: label.split(/[ :(]/)[0], seconds: (Date.now() - startedAt) / 1000, counts: tapCounts(tapFile) });
  fs.rmSync(path.dirname(tapFile), { recursive: true, force: true });
  return result.status === 0;
}

/** The last (top-level) `# pass N`, `# fail N`, … of a TAP report; a missing report counts nothing. */
function tapCounts(file) {
  const text = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
  const count = (name) => Number([...text.matchAll(new RegExp(`^# ${name} (\\d+)$`, 'gm'))].at(-1)?.[1] ?? 0);
  return { passed: count('pass'), failed: count('fail') + count('cancelled'), skipped: count('skipped') + count('todo') };
}

function minutes(seconds) {
  const whole = Math.round(seconds);
  return whole < 60 ? `${whole} s` : `${Math.floor(whole / 60)} min ${whole % 60} s`;
}

function loud(line) {
  const bar = '!'.repeat(100);
  console.error(`\n${bar}\n!!! ${line}\n${bar}\n`);
}

let browserOk = true;
const browserAvailable = fs.existsSync(chromium);
if (!browserAvailable) {
  if (process.env.IMM_REQUIRE_BROWSER === '1') {
    loud(`BROWSER TESTS REQUIRED (IMM_REQUIRE_BROWSER=1) but there is no Chromium at ${chromium}`);
    browserOk = false;
  } else {
    loud(`BROWSER TESTS SKIPPED: no Chromium at ${chromium} — the JS SDK and the page are NOT tested (apt-get install chromium)`);
  }
}

// The suites check for soffice themselves (test/helpers/libreOffice.ts); this says it where it is seen.
const sofficeOnPath = (process.env.PATH ?? '').split(path.delimiter).some((dir) => dir && ['soffice', 'libreoffice'].some((name) => fs.existsSync(path.join(dir, name))));
const configuredSoffice = process.env.IMM_SOFFICE;
const libreOfficeAvailable = sofficeOnPath || (configuredSoffice !== undefined && configuredSoffice !== 'none' && fs.existsSync(configuredSoffice));
let libreOfficeOk = true;
if (!libreOfficeAvailable) {
  if (process.env.IMM_REQUIRE_LIBREOFFICE === '1') {
    loud('LIBREOFFICE TESTS REQUIRED (IMM_REQUIRE_LIBREOFFICE=1) but there is no soffice on PATH');
    libreOfficeOk = false;
  } else {
    loud('LIBREOFFICE TESTS SKIPPED: no soffice on PATH — conversions to PDF are NOT tested (apt-get install libreoffice-core-nogui libreoffice-writer-nogui libreoffice-calc-nogui libreoffice-impress-nogui)');
  }
}

// Every test file but the browser suites, which run after the rest (one browser per file, heavier).
const allButBrowser = fs
  .readdirSync('dist/test', { recursive: true })
  .map((file) => path.join('dist/test', file))
  .filter((file) => file.endsWith('.test.js') && !file.startsWith(BROWSER_TESTS + path.sep));
const browserSuites = browserAvailable ? [`${BROWSER_TESTS}/`] : [];

const sqliteOk = run('SQLite (the embedded default): every test', allButBrowser);
const sqliteBrowserOk = browserSuites.length === 0 || run('Browser suites on SQLite (headless Chromium)', browserSuites, { IMM_REQUIRE_BROWSER: '1' });

let postgresOk = true;
if (await postgresReachable()) {
  // Store and reliability tests already run on both engines in the first pass (they choose their engine
  // themselves); these start real servers, which IMM_TEST_ENGINE now puts on PostgreSQL.
  postgresOk = run(`PostgreSQL at ${url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@')}: every server suite`, [
    'dist/test/api/',
    'dist/test/access/',
    'dist/test/operations/',
    'dist/test/weboffice/',
    'dist/test/cli.test.js',
    'dist/test/sweeper.test.js',
    ...browserSuites,
  ], { IMM_TEST_ENGINE: 'postgres', IMM_REQUIRE_POSTGRES: '1', IMM_REQUIRE_BROWSER: browserSuites.length ? '1' : '0' });
} else if (process.env.IMM_REQUIRE_POSTGRES === '1') {
  console.error(`# PostgreSQL required (IMM_REQUIRE_POSTGRES=1) but no server answers at ${url}`);
  postgresOk = false;
} else {
  console.log(`# PostgreSQL tests skipped: no server answers at ${url} (set IMM_TEST_DATABASE_URL, or start PostgreSQL)`);
}

// Said again at the end, where it is seen.
if (!browserAvailable) loud(`BROWSER TESTS ${browserOk ? 'SKIPPED' : 'REQUIRED BUT NOT RUN'}: no Chromium at ${chromium}`);
if (!libreOfficeAvailable) loud(`LIBREOFFICE TESTS ${libreOfficeOk ? 'SKIPPED' : 'REQUIRED BUT NOT RUN'}: no soffice on PATH`);
const total = passes.reduce((sum, p) => ({ passed: sum.passed + p.counts.passed, failed: sum.failed + p.counts.failed, skipped: sum.skipped + p.counts.skipped }), { passed: 0, failed: 0, skipped: 0 });
console.log(`\n# ${passes.map((p) => `${p.label} pass ${minutes(p.seconds)}`).join(', ')}; npm test took ${minutes(passes.reduce((sum, p) => sum + p.seconds, 0))}`);
console.log(`total: ${total.passed} passed, ${total.failed} failed, ${total.skipped} skipped`);
process.exit(sqliteOk && sqliteBrowserOk && browserOk && libreOfficeOk && postgresOk ? 0 : 1);
