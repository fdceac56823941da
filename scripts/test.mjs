#!/usr/bin/env node
// `npm test`: the whole suite on SQLite, then the server suites again on PostgreSQL when a server answers at
// IMM_TEST_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test). Without one, the PostgreSQL pass
// is skipped and says so — unless IMM_REQUIRE_POSTGRES=1 (CI), which makes that a failure.
import { spawnSync } from 'node:child_process';
// Built by `pretest` (tsc): the same reachability check and URL the suites use.
import { postgresReachable, TEST_POSTGRES_URL as url } from '../dist/test/helpers/postgres.js';

const runner = ['--test', '--test-concurrency=2'];

function run(label, args, env = {}) {
  console.log(`\n# ${label}`);
  const result = spawnSync(process.execPath, [...runner, ...args], { stdio: 'inherit', env: { ...process.env, ...env } });
  return result.status === 0;
}

const sqliteOk = run('SQLite (the embedded default): every test', ['dist/test/']);

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
  ], { IMM_TEST_ENGINE: 'postgres', IMM_REQUIRE_POSTGRES: '1' });
} else if (process.env.IMM_REQUIRE_POSTGRES === '1') {
  console.error(`# PostgreSQL required (IMM_REQUIRE_POSTGRES=1) but no server answers at ${url}`);
  postgresOk = false;
} else {
  console.log(`# PostgreSQL tests skipped: no server answers at ${url} (set IMM_TEST_DATABASE_URL, or start PostgreSQL)`);
}

process.exit(sqliteOk && postgresOk ? 0 : 1);
