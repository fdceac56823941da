/**
 * Every fenced code block of README.md and docs/*.md is checked, so none can rot. Each block declares, right
 * above it, exactly one way to be checked, in an HTML comment the reader does not see: `<!-- check: KIND ARGS -->`.
 * A block without a declaration, or with an unknown kind, fails. The kinds:
 *
 * - `run-js [twice]`: written as the file it names in its first line (`// demo.mjs — …`, else block.mjs) into a
 *   workspace folder and run with node (`node --test` for a `*.test.mjs`: it must pass tests, none failing); it
 *   must exit 0 (`twice`: two runs in a row, where the docs promise it can be run again).
 * - `run-vitest`: written as the `*.test.mjs` it names into a workspace of its own and run with this checkout's
 *   vitest (`vitest run`, rooted there and given that one file, so it can collect nothing else): it must exit 0
 *   having run that file and passed its tests, none failing.
 * - `run-sh [twice]`: run with `bash -e -o pipefail` in the workspace (`twice`: then once more without `-e`, as
 *   pasted into a terminal again, and the last command must succeed). A block that starts servers in the
 *   background (`… &`) passes when each of them prints its ready line and answers `GET /ready`; if there are
 *   several, a project one of them makes is seen by the others (they share the database); then they are stopped.
 * - `run-html`: the page snippet in a real Chromium, on an origin of its own, given a `token` from
 *   GenerateWebofficeToken and a `/my-backend/refresh` that calls RefreshWebofficeToken; the SDK's mount must
 *   reach `data-state="ready"` with no page error.
 * - `json`: the block parses as JSON; a policy document (with `Statement`) also with src/ram/policyDocument.ts.
 * - `output PRODUCER`: a sample of output, matched against what PRODUCER prints: `imm-weboffice serve` (the
 *   ready line of the test server, test/helpers/server.ts) or `npm run bench` (a short run of dist/bench/bench.js;
 *   the figures differ, so numbers are compared as numbers only).
 * - `covered-by PATH…`: a shell block another file runs (long-running or installing commands): every PATH exists,
 *   and every command of the block is written in one of them — or, for `npm run X`, one of them imports the
 *   code that package.json's script X runs (its folder under scripts/).
 * - `covered-by block NAME`: a block that cannot run here is covered by the block that names itself NAME,
 *   which must exist and be run (`run-js`).
 * - `paths`: a file listing: the path(s) at the start of each line exist in the repository.
 *
 * The workspace: a temporary folder with `node_modules/` resolving this checkout's dependencies (a symlink per
 * package), `node_modules/imm-weboffice` (a symlink to the checkout, so the package imports by its name, through
 * package.json's `exports`) with its `npx imm-weboffice` bin, `examples/` of the checkout, and `data/`, the data
 * directory of the one server the blocks share (started once, on a free port). Replacements in a block's text,
 * all narrow and literal: `127.0.0.1:8080` → the server's endpoint; in a shell block `IMM_PORT=8081` (any
 * `IMM_PORT=NNNN`) → a free port, `postgres://postgres@127.0.0.1:5432/test` → a schema of its own
 * (test/helpers/postgres.ts), `/srv/imm-oss` → a folder of the workspace. A shell block that runs `npm start`
 * runs in a workspace that also links the checkout's package.json, scripts/, src/ and dist/ (`npm start`
 * there starts this checkout's build).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parsePolicyDocument } from '../../src/ram/policyDocument.js';
import { codeBlocks, docFiles, shellCommands, type CodeBlock } from './markdownBlocks.js';
import { startServer, putDocument, type TestServer } from '../helpers/server.js';
import { createPostgresSchema, postgresReachable } from '../helpers/postgres.js';
import { popClient } from '../helpers/popClient.js';
import { sleep } from '../helpers/serverData.js';
import { CHROMIUM_PATH, launchBrowser } from '../browser/helpers/browser.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const KINDS = new Set(['run-js', 'run-sh', 'run-vitest', 'run-html', 'json', 'output', 'covered-by', 'paths']);
const OUTPUT_PRODUCERS = new Set(['imm-weboffice serve', 'npm run bench']);

const found = docFiles(REPO).map((file) => ({ file, ...codeBlocks(REPO, file) }));
const BLOCKS = found.flatMap((f) => f.blocks);
const where = (b: CodeBlock) => `${b.file}:${b.line}`;

/** Why a block's declaration is not a valid one, or undefined when it is. */
function declarationProblem(block: CodeBlock): string | undefined {
  const [kind, ...args] = block.check ?? [];
  if (!kind) return 'no <!-- check: … --> right above it';
  if (!KINDS.has(kind)) return `unknown check kind "${kind}" (known: ${[...KINDS].join(', ')})`;
  if ((kind === 'run-js' || kind === 'run-sh') && !(args.length === 0 || (args.length === 1 && args[0] === 'twice'))) return `${kind} takes only "twice"`;
  if (kind === 'output' && !OUTPUT_PRODUCERS.has(args.join(' '))) return `output needs its producer, one of: ${[...OUTPUT_PRODUCERS].join(', ')}`;
  if (kind === 'covered-by' && args.length === 0) return 'covered-by needs the file(s), or "block NAME", that cover it';
  if (['run-vitest', 'run-html', 'json', 'paths'].includes(kind) && args.length > 0) return `${kind} takes no arguments`;
  return undefined;
}

test('every code block of the README and docs/ declares exactly one known way to be checked', () => {
  const problems = BLOCKS.flatMap((b) => {
    const problem = declarationProblem(b);
    return problem ? [`${where(b)} (\`\`\`${b.lang}): ${problem}`] : [];
  });
  for (const { file, orphans } of found) for (const line of orphans) problems.push(`${file}:${line}: a check declaration above no code block`);
  assert.deepEqual(problems, []);
  assert.ok(BLOCKS.length > 0);
});

// ---- the workspace and its server ------------------------------------------------------------------------

async function freePort(): Promise<number> {
  const server = net.createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as net.AddressInfo;
  server.close();
  await once(server, 'close');
  return port;
}

/** A folder as a reader's: the checkout's dependencies, the package by its name, `examples/`; see the top. */
const workspaces: string[] = [];
function makeWorkspace(withCheckout = false): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'imm-doc-blocks-'));
  workspaces.push(dir);
  const modules = path.join(dir, 'node_modules');
  fs.mkdirSync(path.join(modules, '.bin'), { recursive: true });
  for (const entry of fs.readdirSync(path.join(REPO, 'node_modules'))) {
    if (entry !== '.bin') fs.symlinkSync(path.join(REPO, 'node_modules', entry), path.join(modules, entry));
  }
  fs.symlinkSync(REPO, path.join(modules, 'imm-weboffice'));
  // What npm's install makes of package.json's `bin` (dist/src/cli.js is not executable in a checkout).
  const bin = path.join(modules, '.bin', 'imm-weboffice');
  fs.writeFileSync(bin, `#!/bin/sh\nexec node ${JSON.stringify(path.join(REPO, 'dist/src/cli.js'))} "$@"\n`, { mode: 0o755 });
  const linked = withCheckout ? ['examples', 'package.json', 'scripts', 'src', 'dist'] : ['examples'];
  for (const entry of linked) fs.symlinkSync(path.join(REPO, entry), path.join(dir, entry));
  return dir;
}

const workspace = makeWorkspace();
let shared: TestServer | undefined;
/** The one server the blocks share, its data directory the workspace's `data/`; started on first use. */
async function sharedServer(): Promise<TestServer> {
  shared ??= await startServer({ IMM_DATA_DIR: path.join(workspace, 'data') });
  return shared;
}

/** The environment a block runs with: ours, the server's database (on PostgreSQL runs), never npm's registry. */
function blockEnv(server: TestServer | undefined, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const database = server?.env.IMM_DATABASE_URL ? { IMM_DATABASE_URL: server.env.IMM_DATABASE_URL } : {};
  // Without NODE_TEST_CONTEXT: a `node --test` block reports as on a reader's terminal, not to our runner.
  const { NODE_TEST_CONTEXT: _ours, ...env } = process.env;
  return { ...env, ...database, npm_config_offline: 'true', npm_config_update_notifier: 'false', ...extra };
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs to its end; with `timeoutMs`, SIGTERMed after that long (then `code` is null). */
function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv, timeoutMs?: number): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], ...(timeoutMs ? { timeout: timeoutMs } : {}) });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

function assertExit0(result: Run, what: string): void {
  assert.equal(result.code, 0, `${what} exited ${result.code}\nstdout:\n${result.stdout}\nstderr:\n${result.stderr}`);
}

// ---- the checks ------------------------------------------------------------------------------------------

async function checkRunJs(block: CodeBlock, twice: boolean): Promise<void> {
  const server = await sharedServer();
  const name = block.name ?? 'block.mjs';
  fs.writeFileSync(path.join(workspace, name), block.text.replaceAll('127.0.0.1:8080', server.endpoint));
  const asTest = /\.test\.m?js$/.test(name);
  const args = asTest ? ['--test', '--test-reporter=tap', name] : [name];
  for (const round of twice ? ['first', 'second'] : ['only']) {
    const result = await run(process.execPath, args, workspace, blockEnv(server));
    assertExit0(result, `${where(block)} (${name}, ${round} run)`);
    if (asTest) {
      assert.match(result.stdout, /^# pass [1-9]/m, `${name} ran tests`);
      assert.match(result.stdout, /^# fail 0$/m);
    }
  }
}

const VITEST_CLI = path.join(REPO, 'node_modules/vitest/vitest.mjs');

async function checkRunVitest(block: CodeBlock): Promise<void> {
  const name = block.name ?? '';
  assert.match(name, /^[\w.-]+\.test\.mjs$/, `${where(block)}: a vitest block names its file, \`// NAME.test.mjs — …\`, in its first line`);
  // A workspace of its own: vitest rooted where nothing but this file (and node_modules, which vitest skips) is.
  const dir = makeWorkspace();
  fs.writeFileSync(path.join(dir, name), block.text);
  const result = await run(process.execPath, [VITEST_CLI, 'run', '--root', dir, name], dir, blockEnv(undefined, { NO_COLOR: '1' }), 120_000);
  assertExit0(result, `${where(block)} (${name} under vitest)`);
  assert.match(result.stdout, /^ *Test Files +1 passed \(1\)$/m, `vitest ran ${name} and only it:\n${result.stdout}`);
  const tests = /^ *Tests +(\d+) passed \((\d+)\)$/m.exec(result.stdout);
  assert.ok(tests && Number(tests[1]) >= 1 && tests[1] === tests[2], `every test of ${name} passed, at least one:\n${result.stdout}`);
}

/** The replacements of a shell block's text, all narrow (see the top); resolves to the new text. */
async function localizeShell(text: string, cwd: string): Promise<{ text: string; drop?: () => Promise<void> }> {
  let out = text.replaceAll('/srv/imm-oss', path.join(cwd, 'imm-oss'));
  for (const [assignment] of out.matchAll(/\bIMM_PORT=\d+\b/g)) out = out.replace(assignment, `IMM_PORT=${await freePort()}`);
  if (!out.includes('postgres://postgres@127.0.0.1:5432/test')) return { text: out };
  const schema = await createPostgresSchema();
  return { text: out.replaceAll('postgres://postgres@127.0.0.1:5432/test', `'${schema.url}'`), drop: schema.drop };
}

/** A block whose commands end in `&`: wait for their servers, check them, stop them (its own process group). */
async function checkBackgroundServers(block: CodeBlock, script: string, cwd: string, env: NodeJS.ProcessEnv): Promise<void> {
  const expected = shellCommands(block.text).filter((c) => c.endsWith('&')).length;
  const bash = spawn('bash', ['-e', '-o', 'pipefail', '-c', script], { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  bash.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
  bash.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  const ready = () => [...stdout.matchAll(/imm-weboffice listening on (https?:\/\/\S+)\n/g)].map((m) => m[1]);
  try {
    for (let waited = 0; ready().length < expected; waited += 100) {
      assert.ok(waited < 60_000, `${where(block)}: ${ready().length} of ${expected} servers got ready\nstdout:\n${stdout}\nstderr:\n${stderr}`);
      await sleep(100);
    }
    const urls = ready().map((u) => u.replace('//0.0.0.0:', '//127.0.0.1:'));
    for (const url of urls) assert.equal((await fetch(`${url}/ready`)).status, 200, `${url}/ready`);
    const key = /IMM_ROOT_ACCESS_KEY_ID=(\S+)/.exec(block.text);
    const secret = /IMM_ROOT_ACCESS_KEY_SECRET=(\S+)/.exec(block.text);
    if (urls.length > 1 && key && secret) {
      const credentials = { AccessKeyId: key[1], AccessKeySecret: secret[1] };
      await popClient({ url: urls[0] }, credentials).call('CreateProject', { ProjectName: 'docs-nodes' });
      for (const url of urls.slice(1)) {
        const got = await popClient({ url }, credentials).call('GetProject', { ProjectName: 'docs-nodes' });
        assert.equal(got.Project.ProjectName, 'docs-nodes', 'the nodes share one database');
      }
    }
  } finally {
    try {
      process.kill(-bash.pid!, 'SIGTERM');
    } catch {
      // the group is gone already
    }
    for (let waited = 0; waited < 15_000; waited += 100) {
      try {
        process.kill(-bash.pid!, 0);
      } catch {
        break;
      }
      await sleep(100);
    }
  }
}

async function checkRunSh(block: CodeBlock, twice: boolean): Promise<void> {
  const server = await sharedServer();
  const startsNpm = /\bnpm start\b/.test(block.text);
  const cwd = startsNpm ? makeWorkspace(true) : workspace;
  const { text, drop } = await localizeShell(block.text, cwd);
  try {
    if (text.includes('postgres://') && !(await postgresReachable())) {
      if (process.env.IMM_REQUIRE_POSTGRES === '1') assert.fail(`${where(block)} needs PostgreSQL`);
      return;
    }
    if (shellCommands(block.text).some((c) => c.endsWith('&'))) return await checkBackgroundServers(block, text, cwd, blockEnv(server));
    assertExit0(await run('bash', ['-e', '-o', 'pipefail', '-c', text], cwd, blockEnv(server)), `${where(block)} (first run)`);
    if (twice) assertExit0(await run('bash', ['-c', text], cwd, blockEnv(server)), `${where(block)} (second run)`);
  } finally {
    await drop?.();
  }
}

async function checkRunHtml(block: CodeBlock): Promise<void> {
  if (!fs.existsSync(CHROMIUM_PATH)) {
    if (process.env.IMM_REQUIRE_BROWSER === '1') assert.fail(`${where(block)} needs Chromium at ${CHROMIUM_PATH}`);
    return;
  }
  assert.ok(fs.existsSync(path.join(REPO, 'dist/browser/sdk')), 'the browser build (the SDK the snippet loads) exists: run `npm run build`');
  const server = await sharedServer();
  const client = popClient(server, server.root);
  await client.call('CreateProject', { ProjectName: 'docs-html' });
  const source = await putDocument(server, server.root.AccountId, 'docs-html', 'page.txt', 'a document opened by the docs');
  let pair = await client.call('GenerateWebofficeToken', { ProjectName: 'docs-html', SourceURI: source });
  const page = `<!doctype html><html><body><script>var token = ${JSON.stringify(pair)};</script>\n${block.text.replaceAll('127.0.0.1:8080', server.endpoint)}</body></html>`;
  const backend = http.createServer((req, res) => {
    if (req.method === 'POST' && req.url === '/my-backend/refresh') {
      client
        .call('RefreshWebofficeToken', { ProjectName: 'docs-html', AccessToken: pair.AccessToken, RefreshToken: pair.RefreshToken })
        .then((next) => {
          pair = next;
          res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(next));
        }, (err: Error) => res.writeHead(500).end(err.message));
    } else res.writeHead(200, { 'content-type': 'text/html' }).end(page);
  });
  backend.listen(0, '127.0.0.1');
  await once(backend, 'listening');
  const browser = await launchBrowser();
  try {
    const tab = await browser.newPage();
    const errors: string[] = [];
    tab.on('pageerror', (err) => errors.push(err.message));
    tab.on('console', (message) => message.type() === 'error' && errors.push(message.text()));
    await tab.goto(`http://127.0.0.1:${(backend.address() as net.AddressInfo).port}/`);
    const state = () => tab.evaluate(() => document.getElementById('office')?.dataset.state);
    await tab.waitForFunction(() => document.getElementById('office')?.dataset.state === 'ready', undefined, { timeout: 30_000, polling: 100 }).catch(async (err: Error) => {
      assert.fail(`${err.message}: the mount is ${await state()}; errors: ${errors.join('; ')}`);
    });
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
    backend.close();
  }
}

function checkJson(block: CodeBlock): void {
  const parsed = JSON.parse(block.text) as { Statement?: unknown };
  if (parsed.Statement !== undefined) parsePolicyDocument(block.text, 'identity');
}

/** Lines as shapes: every number a placeholder, runs of spaces one space. */
const shape = (line: string) => line.replace(/\d+(\.\d+)?/g, 'N').replace(/\s+/g, ' ').trim();

async function checkOutput(block: CodeBlock, producer: string): Promise<void> {
  const sample = block.text.split('\n').filter((l) => l.trim() !== '');
  if (producer === 'imm-weboffice serve') {
    const server = await sharedServer();
    const printed = server.stdout().split('\n');
    for (const line of sample) assert.ok(printed.includes(line.replaceAll('127.0.0.1:8080', server.endpoint)), `"${line}" is not what the server printed:\n${server.stdout()}`);
    return;
  }
  // npm run bench: a short run (one second per phase, SQLite, one worker, no growth or peer); every kind of line
  // the sample shows for that configuration must be printed in the same shape (the workload and engine columns
  // compared as they are, the figures as numbers).
  const result = await run(process.execPath, [path.join(REPO, 'dist/bench/bench.js'), '--seconds', '1', '--engine', 'sqlite', '--workers', '1', '--no-growth', '--no-peer', '--connections', '8', '--results', path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'imm-bench-')), 'results.json')], REPO, process.env);
  assertExit0(result, 'bench');
  const printed = new Set(result.stdout.split('\n').map(shape));
  const inThisRun = (line: string) => / sqlite +1 /.test(line) && !/growth/.test(line);
  const checked = sample.filter((l) => l.startsWith('workload') || l.startsWith('ceiling') || inThisRun(l));
  assert.ok(checked.length >= 5, 'the sample shows the header, the ceiling and the SQLite rows');
  for (const line of checked) {
    assert.ok(printed.has(shape(line)), `"${line}" is not the shape of a line bench prints:\n${result.stdout}`);
  }
}

/** The source folder of the code an npm script runs (`node dist/scripts/demo/demo.js` → scripts/demo/). */
function scriptFolder(script: string): string | undefined {
  const scripts = (JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
  const module = /\bnode dist\/(\S+)\.js/.exec(scripts[script] ?? '')?.[1];
  return module ? `${path.posix.dirname(module)}/` : undefined;
}

function checkCoveredBy(block: CodeBlock, args: string[]): void {
  if (args[0] === 'block') {
    const covering = BLOCKS.find((b) => b.name === args[1]);
    assert.ok(covering, `no block names itself ${args[1]}`);
    assert.equal(covering.check?.[0], 'run-js', `${args[1]} (${where(covering)}) is run`);
    return;
  }
  const texts = args.map((file) => {
    assert.ok(fs.existsSync(path.join(REPO, file)), `${file} exists`);
    return fs.readFileSync(path.join(REPO, file), 'utf8');
  });
  for (const command of shellCommands(block.text)) {
    const folder = /^npm run (\S+)$/.exec(command) ? scriptFolder(command.split(' ')[2]) : undefined;
    const covered = texts.some((t) => t.includes(command) || (folder !== undefined && new RegExp(`from '[./]*/${folder}`).test(t)));
    assert.ok(covered, `\`${command}\` is run by none of ${args.join(', ')}`);
  }
}

function checkPaths(block: CodeBlock): void {
  const missing = block.text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .flatMap((l) => l.split(/ {2,}/)[0].split(/,\s*/))
    .filter((p) => !fs.existsSync(path.join(REPO, p)));
  assert.deepEqual(missing, []);
}

describe('every code block runs, parses, or is covered by a named test', () => {
  after(async () => {
    await shared?.stop();
    for (const dir of workspaces) fs.rmSync(dir, { recursive: true, force: true });
  });
  before(() => assert.ok(fs.existsSync(path.join(REPO, 'dist/src/cli.js')), 'built'));

  for (const block of BLOCKS) {
    const [kind, ...args] = block.check ?? [];
    test(`${where(block)} (\`\`\`${block.lang}${block.name ? ` ${block.name}` : ''}): ${block.check?.join(' ') ?? 'undeclared'}`, async () => {
      assert.equal(declarationProblem(block), undefined);
      if (kind === 'run-js') await checkRunJs(block, args[0] === 'twice');
      else if (kind === 'run-sh') await checkRunSh(block, args[0] === 'twice');
      else if (kind === 'run-vitest') await checkRunVitest(block);
      else if (kind === 'run-html') await checkRunHtml(block);
      else if (kind === 'json') checkJson(block);
      else if (kind === 'output') await checkOutput(block, args.join(' '));
      else if (kind === 'covered-by') checkCoveredBy(block, args);
      else if (kind === 'paths') checkPaths(block);
    });
  }
});
