/**
 * The package as others get it: `npm pack` of a clean checkout (no dist/: packing builds it), then
 * `npm install <tarball>` in an empty folder (dependencies come from the npm registry: one install per run;
 * better-sqlite3's prebuilt binary from a local mirror, see prebuiltMirror).
 * There, without TypeScript, `import { startImmWeboffice } from 'imm-weboffice'` starts the service for an
 * official client's Generate/Refresh round trip, its types check, and `npx imm-weboffice` serves.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createClient, type Credentials } from './helpers/clients.js';
import { createPostgresSchema, enginesToRun } from './helpers/postgres.js';
import { makeDataDir } from './helpers/server.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const { version } = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { version: string };
const execFileAsync = promisify(execFile);

const ENGINES = await enginesToRun();

/** npm as a user runs it: without the npm_* variables of the `npm test` that runs this file. */
const userEnv = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.toLowerCase().startsWith('npm_')));

async function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): Promise<{ stdout: string; stderr: string }> {
  return execFileAsync(command, args, { cwd, env: { ...userEnv, ...env }, maxBuffer: 64 * 1024 * 1024 });
}

/**
 * better-sqlite3's install (prebuild-install) downloads a prebuilt binary from GitHub, which this machine cannot
 * reach, and then compiles SQLite instead (minutes of CI). The same download, answered from here: a mirror
 * (prebuild-install's `npm_config_better_sqlite3_binary_host`) serving the binary the checkout's own install
 * built, for exactly that version and Node ABI. Any other request is a 404, after which the install compiles.
 */
async function prebuiltMirror(work: string): Promise<{ host: string; close: () => void }> {
  const addon = path.join(REPO, 'node_modules/better-sqlite3');
  const { version: addonVersion } = JSON.parse(fs.readFileSync(path.join(addon, 'package.json'), 'utf8')) as { version: string };
  const tarball = path.join(work, 'better-sqlite3-prebuilt.tar.gz');
  await run('tar', ['-czf', tarball, '-C', addon, 'build/Release/better_sqlite3.node'], REPO);
  const wanted = `/v${addonVersion}/better-sqlite3-v${addonVersion}-node-v${process.versions.modules}-${process.platform}`;
  const server = http.createServer((request, response) => {
    if (request.method === 'GET' && request.url?.startsWith(wanted) && request.url.endsWith(`-${process.arch}.tar.gz`)) {
      response.writeHead(200, { 'content-type': 'application/gzip' });
      fs.createReadStream(tarball).pipe(response);
    } else {
      response.writeHead(404).end();
    }
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { host: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => server.close() };
}

/** A program of the installed package's user: starts an instance, prints how to reach it, stops when stdin ends. */
const CONSUMER = `
import { startImmWeboffice } from 'imm-weboffice';
const imm = await startImmWeboffice(JSON.parse(process.argv[2]));
const document = await imm.putDocument('oss://consumer-docs/report.docx', 'report body');
const { url, endpoint, accountId, accessKeyId, accessKeySecret, region, dataDir } = imm;
process.stdout.write(JSON.stringify({ url, endpoint, accountId, accessKeyId, accessKeySecret, region, dataDir, document }) + '\\n');
process.stdin.resume().on('end', async () => {
  await imm.stop();
  process.stdout.write('stopped\\n');
});
`;

/** Typed use of the package; `tsc --noEmit` must accept it, and refuse the marked mistakes. */
const TYPED_CONSUMER = `
import { startImmWeboffice, type ImmWeboffice, type PutDocumentResult } from 'imm-weboffice';
const imm: ImmWeboffice = await startImmWeboffice({ port: 0, accessTokenTtl: 60, databaseUrl: undefined });
const endpoint: string = imm.endpoint;
const put: PutDocumentResult = await imm.putDocument('oss://b/a.docx', new Uint8Array([1]));
const version: number = put.version;
// @ts-expect-error: not a setting
await startImmWeboffice({ portNumber: 1 });
// @ts-expect-error: stop() takes nothing and returns a promise
const nothing: string = await imm.stop();
export { endpoint, version, nothing };
`;

describe('npm pack, then npm install <tarball> in an empty folder', () => {
  let work: string;
  let app: string;

  before(async () => {
    work = makeDataDir('imm-package-');
    const checkout = path.join(work, 'checkout');
    // A clean checkout: the files git knows (committed or new), no dist/; the same dependencies.
    const { stdout: files } = await run('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], REPO);
    for (const file of files.split('\0').filter((f) => f !== '' && fs.existsSync(path.join(REPO, f)))) {
      fs.mkdirSync(path.dirname(path.join(checkout, file)), { recursive: true });
      fs.copyFileSync(path.join(REPO, file), path.join(checkout, file));
    }
    fs.symlinkSync(path.join(REPO, 'node_modules'), path.join(checkout, 'node_modules'));
    const { stdout } = await run('npm', ['pack', '--pack-destination', work], checkout);
    const tarball = path.join(work, stdout.trim().split('\n').at(-1)!);
    assert.ok(fs.existsSync(tarball), `npm pack made ${tarball}\n${stdout}`);

    app = path.join(work, 'app');
    fs.mkdirSync(app);
    fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
    const mirror = await prebuiltMirror(work);
    try {
      await run('npm', ['install', '--no-audit', '--no-fund', tarball], app, { npm_config_better_sqlite3_binary_host: mirror.host });
    } finally {
      mirror.close();
    }
  });

  test('the package holds the built JavaScript and its types, not the tests or sources; no TypeScript is installed', () => {
    const installed = path.join(app, 'node_modules/imm-weboffice');
    for (const file of ['dist/src/index.js', 'dist/src/index.d.ts', 'dist/src/startImmWeboffice.d.ts', 'dist/src/cli.js', 'package.json', 'README.md']) {
      assert.ok(fs.existsSync(path.join(installed, file)), `${file} is in the package`);
    }
    for (const absent of ['dist/test', 'dist/bench', 'src', 'test', 'scripts']) assert.ok(!fs.existsSync(path.join(installed, absent)), `${absent} is not in the package`);
    assert.ok(!fs.existsSync(path.join(app, 'node_modules/typescript')), 'TypeScript is not needed at run time');
  });

  test('its types check a typed use and refuse a wrong one (tsc --noEmit)', async () => {
    fs.writeFileSync(path.join(app, 'typed.ts'), TYPED_CONSUMER);
    fs.writeFileSync(
      path.join(app, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true, typeRoots: [path.join(REPO, 'node_modules/@types')], types: ['node'] },
        files: ['typed.ts'],
      }),
    );
    const tsc = path.join(REPO, 'node_modules/typescript/bin/tsc');
    await run(process.execPath, [tsc, '-p', 'tsconfig.json'], app); // rejects, with tsc's messages, on any error
  });

  for (const engine of ENGINES) {
    test(`on ${engine}: startImmWeboffice from the package serves an official client's Generate and Refresh; stop() removes its data`, async () => {
      const schema = engine === 'postgres' ? await createPostgresSchema() : undefined;
      fs.writeFileSync(path.join(app, 'consumer.mjs'), CONSUMER);
      const child = spawn(process.execPath, ['consumer.mjs', JSON.stringify(schema ? { databaseUrl: schema.url } : {})], { cwd: app, env: userEnv, stdio: ['pipe', 'pipe', 'pipe'] });
      try {
        const lines = readLines(child);
        const started = JSON.parse(await lines.next()) as { url: string; endpoint: string; accountId: string; accessKeyId: string; accessKeySecret: string; region: string; dataDir: string; document: { sourceUri: string; version: number } };
        assert.equal(started.document.version, 1);
        const credentials: Credentials = { AccessKeyId: started.accessKeyId, AccessKeySecret: started.accessKeySecret };
        const client = createClient('openapi-client ACS3-HMAC-SHA256 query', started, credentials);
        await client.call('CreateProject', { ProjectName: 'from_package' });
        const token = await client.call('GenerateWebofficeToken', { ProjectName: 'from_package', SourceURI: started.document.sourceUri });
        assert.match(token.AccessToken, /^[0-9a-f]{32}$/);
        const refreshed = await client.call('RefreshWebofficeToken', { ProjectName: 'from_package', AccessToken: token.AccessToken, RefreshToken: token.RefreshToken });
        assert.match(refreshed.RefreshToken, /^[0-9a-f]{32}$/);
        assert.notEqual(refreshed.RefreshToken, token.RefreshToken);

        child.stdin!.end();
        assert.equal(await lines.next(), 'stopped');
        const [code] = await once(child, 'exit');
        assert.equal(code, 0);
        assert.ok(!fs.existsSync(started.dataDir), 'the temporary data directory is gone');
      } finally {
        child.kill();
        await schema?.drop();
      }
    });

    test(`on ${engine}: npx imm-weboffice serve starts from the package, answers pop-core, and stops on SIGTERM`, async () => {
      const schema = engine === 'postgres' ? await createPostgresSchema() : undefined;
      const dataDir = makeDataDir('imm-npx-');
      const env = { ...userEnv, IMM_PORT: '0', IMM_DATA_DIR: dataDir, ...(schema ? { IMM_DATABASE_URL: schema.url } : {}) };
      // npx's own shell does not hand over to node: signal the whole group, as one would stop npx.
      const server = spawn('npx', ['--no-install', 'imm-weboffice', 'serve'], { cwd: app, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
      try {
        const lines = readLines(server);
        let line = '';
        while (!line.startsWith('imm-weboffice listening on ')) line = await lines.next();
        const url = line.slice('imm-weboffice listening on '.length);
        const root = JSON.parse(fs.readFileSync(path.join(dataDir, 'root-credentials.json'), 'utf8')) as Credentials;
        const listed = await createClient('pop-core POST', { endpoint: new URL(url).host }, root).call('ListProjects');
        assert.deepEqual(listed.Projects, []);
        process.kill(-server.pid!, 'SIGTERM');
        await once(server, 'exit');
      } finally {
        try {
          process.kill(-server.pid!, 'SIGKILL');
        } catch {
          // already gone
        }
        await schema?.drop();
      }
    });
  }

  // The install is large (node_modules with a compiled better-sqlite3): not left behind like small test data.
  after(() => fs.rmSync(work, { recursive: true, force: true }));

  test('npx imm-weboffice --version prints the packed version', async () => {
    const { stdout } = await run('npx', ['--no-install', 'imm-weboffice', '--version'], app);
    assert.equal(stdout, `${version}\n`);
  });
});

/** The child's stdout line by line; `next()` waits for the next line (failing when the child ends first). */
function readLines(child: ChildProcess): { next(): Promise<string> } {
  let buffered = '';
  let stderr = '';
  const waiting: (() => void)[] = [];
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    buffered += chunk;
    waiting.splice(0).forEach((wake) => wake());
  });
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  child.once('exit', () => waiting.splice(0).forEach((wake) => wake()));
  return {
    async next() {
      for (;;) {
        const end = buffered.indexOf('\n');
        if (end >= 0) {
          const line = buffered.slice(0, end);
          buffered = buffered.slice(end + 1);
          return line;
        }
        if (child.exitCode !== null || child.signalCode !== null) throw new Error(`the process ended before printing a line\nstderr:\n${stderr}`);
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([
          new Promise<void>((wake) => waiting.push(wake)),
          new Promise<never>((_, fail) => (timer = setTimeout(() => fail(new Error(`no line within 60 s\nstderr:\n${stderr}`)), 60_000))),
        ]).finally(() => clearTimeout(timer));
      }
    },
  };
}
