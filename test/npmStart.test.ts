/**
 * `npm start`, exactly as the README starts the service (and as a process manager would run it): it starts the
 * existing build without compiling, its stdout is npm's banner plus the service's own lines, and SIGTERM to the
 * `npm start` process alone stops the server with it — no node process is left, re-parented to PID 1, for a
 * process manager to leak. On SQLite and on PostgreSQL. Also the guard against a build older than the sources.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createPostgresSchema, enginesToRun } from './helpers/postgres.js';
import { makeDataDir } from './helpers/server.js';
import { groupAlive } from './helpers/processGroup.js';
import { sleep } from './helpers/serverData.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BUILT_CLI = path.join(REPO, 'dist/src/cli.js');
const execFileAsync = promisify(execFile);

const ENGINES = await enginesToRun();

describe('npm start', () => {
  test('the README gives `npm start` as the start command', () => {
    assert.match(fs.readFileSync(path.join(REPO, 'README.md'), 'utf8'), /^npm start$/m);
  });

  for (const engine of ENGINES) {
    test(`on ${engine}: starts the build without compiling, prints npm's banner and the service's lines, and SIGTERM to npm leaves no process`, async () => {
      const schema = engine === 'postgres' ? await createPostgresSchema() : undefined;
      const builtAt = fs.statSync(BUILT_CLI).mtimeMs;
      const env = { ...process.env, IMM_PORT: '0', IMM_DATA_DIR: makeDataDir('imm-npm-start-'), IMM_LOG_LEVEL: 'info', ...(schema ? { IMM_DATABASE_URL: schema.url } : {}) };
      // Its own process group, as under a process manager: then the group tells whether anything it started lives on.
      const npm = spawn('npm', ['start'], { cwd: REPO, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
      const pgid = npm.pid!;
      let stdout = '';
      let stderr = '';
      npm.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
      npm.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
      const exited = once(npm, 'exit');
      try {
        for (let waited = 0; !/imm-weboffice listening on http:\/\/\S+\n/.test(stdout); waited += 100) {
          assert.ok(waited < 60_000 && npm.exitCode === null, `npm start did not get ready\nstdout:\n${stdout}\nstderr:\n${stderr}`);
          await sleep(100);
        }
        const url = /imm-weboffice listening on (http:\/\/\S+)\n/.exec(stdout)![1];
        assert.equal((await fetch(`${url}/health`)).status, 200);

        process.kill(npm.pid!, 'SIGTERM'); // npm alone, as a process manager stopping what it started
        await exited;
        for (let waited = 0; groupAlive(pgid) && waited < 15_000; waited += 100) await sleep(100);
        assert.ok(!groupAlive(pgid), `a process of npm start outlived it:\n${stderr}`);
        assert.match(stderr, /"event":"server.stopped"/, 'the server stopped cleanly on the forwarded SIGTERM');
        await assert.rejects(fetch(`${url}/health`), 'nothing listens any more');

        const serviceLines = stdout.split('\n').filter((line) => line !== '' && !line.startsWith('> '));
        assert.equal(serviceLines.length, 2, `stdout beyond npm's "> …" banner:\n${stdout}`);
        assert.match(serviceLines[0], /^root account \d{16}: AccessKeyId LTAI\w+; its secret is in \S+root-credentials\.json$/);
        assert.match(serviceLines[1], /^imm-weboffice listening on http:\/\/127\.0\.0\.1:\d+$/);
        assert.equal(fs.statSync(BUILT_CLI).mtimeMs, builtAt, 'npm start compiled nothing');
      } finally {
        if (groupAlive(pgid)) process.kill(-pgid, 'SIGKILL');
        await schema?.drop();
      }
    });
  }
});

describe('the stale-build guard of npm start (scripts/checkBuild.mjs)', () => {
  /** A checkout reduced to what the guard looks at: the script, one source file and, if built, the CLI. */
  function checkout(built: 'none' | 'older' | 'newer'): string {
    const root = makeDataDir('imm-checkout-');
    fs.mkdirSync(path.join(root, 'scripts'));
    fs.copyFileSync(path.join(REPO, 'scripts/checkBuild.mjs'), path.join(root, 'scripts/checkBuild.mjs'));
    fs.mkdirSync(path.join(root, 'src/api'), { recursive: true });
    fs.writeFileSync(path.join(root, 'src/api/changed.ts'), 'export {};\n');
    fs.utimesSync(path.join(root, 'src/api/changed.ts'), new Date('2026-01-02'), new Date('2026-01-02'));
    if (built !== 'none') {
      fs.mkdirSync(path.join(root, 'dist/src'), { recursive: true });
      fs.writeFileSync(path.join(root, 'dist/src/cli.js'), '');
      const at = new Date(built === 'older' ? '2026-01-01' : '2026-01-03');
      fs.utimesSync(path.join(root, 'dist/src/cli.js'), at, at);
    }
    return root;
  }

  async function guard(root: string): Promise<{ code: number; stderr: string }> {
    try {
      await execFileAsync(process.execPath, [path.join(root, 'scripts/checkBuild.mjs')]);
      return { code: 0, stderr: '' };
    } catch (err) {
      const e = err as { code: number; stderr: string };
      return { code: e.code, stderr: e.stderr };
    }
  }

  test('a build newer than every source passes', async () => {
    assert.deepEqual(await guard(checkout('newer')), { code: 0, stderr: '' });
  });

  test('a build older than a source (a changed checkout) is refused, naming the file and `npm run build`', async () => {
    const { code, stderr } = await guard(checkout('older'));
    assert.equal(code, 1);
    assert.match(stderr, /the build is older than src\/api\/changed\.ts: run `npm run build`/);
  });

  test('no build at all is refused with the same advice', async () => {
    const { code, stderr } = await guard(checkout('none'));
    assert.equal(code, 1);
    assert.match(stderr, /not built yet .*run `npm run build`/);
  });
});
