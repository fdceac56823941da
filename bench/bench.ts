/**
 * `npm run bench [-- --quick]`: how fast a real server is, against the ceiling of the machine and a peer.
 *
 * In one run, on the same machine: the ceiling (a bare node:http server answering the same JSON, bench/ceiling.ts),
 * then for each engine (SQLite; PostgreSQL when one answers at IMM_TEST_DATABASE_URL) and process count
 * (IMM_WORKERS 1 and 2) a real `imm-weboffice serve` with rate limits OFF, loaded by wrk (bench/wrk/replay.lua)
 * replaying pre-signed requests, each once: RefreshWebofficeToken with the classic RPC signature and with ACS3,
 * GenerateWebofficeToken, and the access-token check; then growth (refresh with 1 k / 100 k / 1 M live sessions
 * seeded as real rows, and the server's memory), the p99 at an open-loop offered load of half the measured
 * saturation (from a generator process of its own, and the same against the ceiling), and the peer
 * (oidc-provider refresh-token rotation, bench/peer.ts). Prints a table and writes bench/results/latest.json. Figures only: no test asserts a timing.
 */
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { makeDataDir, putDocument, startServer, type TestServer } from '../test/helpers/server.js';
import { popClient } from '../test/helpers/popClient.js';
import { acs3RawRequest, rpcRawRequest, type RawRequest } from '../test/helpers/signedHttp.js';
import { createPostgresSchema, postgresReachable, TEST_POSTGRES_URL } from '../test/helpers/postgres.js';
import { seedSessions, type SeededPair } from './seed.js';
import { writeRequestFiles } from './requests.js';
import { OPEN_LOOP_WARM_UP_SECONDS, runOpenLoop, runWrk, type LoadResult } from './loadGenerators.js';
import { runPeer } from './peer.js';
import { cpuSecondsOfTree, residentMbOfTree } from './processTree.js';
import { randomBytes } from 'node:crypto';
import { fileIdOf } from '../src/documents/checkDocument.js';
import { parseSourceUri } from '../src/tokens/webofficeOptions.js';

interface Options {
  quick: boolean;
  seconds?: number;
  engine: 'sqlite' | 'postgres' | 'both';
  connections: number;
  workers: string;
  growth: boolean;
  peer: boolean;
  profile?: string;
  results?: string;
  only?: string;
  nodeArgs?: string;
}

export interface ResultRow {
  workload: string;
  engine: string;
  workers: number;
  sessions: number;
  rps: number;
  p50_ms: number;
  p99_ms: number;
  p999_ms: number;
  errors: number;
  /** The server's resident memory after the workload (all its processes), MB. */
  rss_mb?: number;
  /** The server's CPU time (user + system, all its processes) per answered request, microseconds. */
  cpu_us_per_request?: number;
  note?: string;
}

const program = new Command('bench')
  .description('throughput and latency of a real server against the machine ceiling and a peer')
  .option('--quick', 'shorter phases, growth at 100 k sessions only (under 3 minutes)', false)
  .option('--seconds <n>', 'length of each wrk phase (default 10, quick 3)', (v) => Number(v))
  .option('--engine <engine>', 'sqlite, postgres or both', 'both')
  .option('--connections <n>', 'wrk connections', (v) => Number(v), 64)
  .option('--workers <list>', 'process counts to measure (IMM_WORKERS)', '1,2')
  .option('--no-growth', 'skip the growth runs')
  .option('--no-peer', 'skip oidc-provider')
  .option('--results <file>', 'where to write the results (default bench/results/latest.json)')
  .option('--only <workloads>', 'run only these workloads of each engine (comma-separated: refresh, acs3, generate, check, open-loop)')
  .option('--node-args <args>', 'more node options for each server (space-separated, e.g. "--trace-deopt")')
  .option('--profile <dir>', 'write a CPU profile of each server (node --cpu-prof) into this folder; summarize with node dist/bench/profileSummary.js FILE')
  .parse();
const options = program.opts<Options>();
const only = options.only ? new Set(options.only.split(',')) : undefined;
/** Whether a workload of each engine runs (`--only`). */
const runs = (workload: string) => !only || only.has(workload);
const seconds = options.seconds ?? (options.quick ? 3 : 10);
const workerCounts = options.workers.split(',').map(Number);
const connections = options.connections;
const WRK_THREADS = 1;
/**
 * Requests prepared per second of a phase: about twice the fastest rate measured here (refresh ≈ 2 700/s with two workers, Generate
 * ≈ 2 600/s; the access-token check cycles over its own). Every one is a seeded session, and seeding them is much
 * of a quick run's time; a phase that spends them all before its end says so.
 */
const REQUESTS_PER_SECOND = 5000;
const perPhase = Math.ceil(seconds * REQUESTS_PER_SECOND);
/**
 * Each measured phase follows a warm-up of the same workload on requests of its own: V8 compiles the hot
 * path during the first thousands of requests (a profile of a cold server showed its optimizing compiler at
 * 15–24 % of the CPU, fading after about 5 000 refreshes), and the figures are of the server as it runs, not as
 * it starts.
 */
const WARM_UP_SECONDS = Math.min(seconds, options.quick ? 1 : 5);
const perWarmUp = Math.ceil(WARM_UP_SECONDS * REQUESTS_PER_SECOND);
/** The first phase on a new server warms up three times as long: it also warms what every workload shares (HTTP, signatures, the store). */
const FIRST_WARM_UP = 3;
const PROJECT = 'bench';
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'imm-bench-'));
const results: ResultRow[] = [];

function row(workload: string, engine: string, workersCount: number, sessions: number, r: LoadResult, extra: Partial<ResultRow> = {}): ResultRow {
  const cpu = r.serverCpuSeconds !== undefined && r.requests > 0 ? { cpu_us_per_request: Math.round((r.serverCpuSeconds / r.requests) * 1e6) } : {};
  const result: ResultRow = { workload, engine, workers: workersCount, sessions, rps: Math.round(r.rps), p50_ms: round(r.p50_ms), p99_ms: round(r.p99_ms), p999_ms: round(r.p999_ms), errors: r.errors, ...cpu, ...extra };
  results.push(result);
  const mem = result.rss_mb !== undefined ? `${result.rss_mb.toFixed(0)} MB` : '';
  console.log(
    `${workload.padEnd(22)} ${engine.padEnd(9)} ${String(workersCount).padStart(2)} ${String(sessions).padStart(8)} ${String(result.rps).padStart(8)} ${result.p50_ms.toFixed(2).padStart(8)} ${result.p99_ms.toFixed(2).padStart(8)} ${result.p999_ms.toFixed(2).padStart(8)} ${String(result.errors).padStart(6)} ${mem.padStart(7)} ${String(result.cpu_us_per_request ?? '').padStart(6)} ${result.note ?? ''}`,
  );
  return result;
}

const round = (n: number) => Math.round(n * 100) / 100;
const thousandths = (n: number) => Number(n.toFixed(3));

async function wrkPhase(url: string, name: string, requests: RawRequest[], serverPid: number, cycle = false, warmUp?: RawRequest[], warmUpSeconds = WARM_UP_SECONDS): Promise<LoadResult> {
  if (warmUp) await wrkRun(url, `${name}-warm-up`, warmUp, warmUpSeconds, cycle);
  const cpuBefore = cpuSecondsOfTree(serverPid);
  const result = await wrkRun(url, name, requests, seconds, cycle);
  // A thread whose requests run out stops at once, and the answers then still on their way go uncounted.
  if (!cycle && result.requests >= requests.length - connections) console.log(`# ${name}: ALL ${requests.length} prepared requests were spent before the phase ended (raise REQUESTS_PER_SECOND)`);
  return { ...result, serverCpuSeconds: cpuSecondsOfTree(serverPid) - cpuBefore };
}

async function wrkRun(url: string, name: string, requests: RawRequest[], runSeconds: number, cycle: boolean): Promise<LoadResult> {
  const dir = path.join(work, name);
  writeRequestFiles(dir, requests, new URL(url).host, WRK_THREADS);
  try {
    return await runWrk(url, dir, { seconds: runSeconds, connections, threads: WRK_THREADS, cycle });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** A bare node:http server answering every request with the same body (bench/ceiling.ts), as a process of its own. */
async function startCeiling(): Promise<{ url: string; pid: number; stop: () => void }> {
  const child = spawn(process.execPath, [path.resolve(path.dirname(fileURLToPath(import.meta.url)), 'ceiling.js')], { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((resolve) => child.stdout.setEncoding('utf8').on('data', (chunk: string) => resolve(/listening on (\S+)/.exec(chunk)![1])));
  return { url, pid: child.pid!, stop: () => child.kill('SIGTERM') };
}

const CEILING_CREDENTIALS = { AccessKeyId: 'LTAIbench', AccessKeySecret: 'bench' };

/** The same kind of request as a refresh (a signed form of the same size), for the ceiling. */
const ceilingRequests = (count: number) => Array.from({ length: count }, () => refreshRequest(CEILING_CREDENTIALS, { AccessToken: '0'.repeat(32), RefreshToken: '1'.repeat(32) }));

/** The machine's ceiling: bare node:http answering the same body, loaded by the same generator. */
async function ceiling(): Promise<ResultRow> {
  const server = await startCeiling();
  try {
    const requests = ceilingRequests(2000);
    const r = await wrkPhase(server.url, 'ceiling', requests, server.pid, true, requests);
    return row('ceiling node:http', '-', 1, 0, r, { note: `wrk itself used ${(r.generatorCores ?? 0).toFixed(2)} cores` });
  } finally {
    server.stop();
  }
}

/** The open loop's floor: the same generator at the same rate against the bare server (its latency is the machine's and the generator's). */
async function ceilingOpenLoop(rate: number, seconds: number): Promise<LoadResult> {
  const server = await startCeiling();
  try {
    return await runOpenLoop(server.url, ceilingRequests(Math.ceil(rate * (OPEN_LOOP_WARM_UP_SECONDS + seconds))), rate, seconds);
  } finally {
    server.stop();
  }
}

function refreshRequest(credentials: { AccessKeyId: string; AccessKeySecret: string }, pair: SeededPair): RawRequest {
  return rpcRawRequest(credentials, { ProjectName: PROJECT, AccessToken: pair.AccessToken, RefreshToken: pair.RefreshToken }, { action: 'RefreshWebofficeToken' });
}

function refreshAcs3Request(server: TestServer, pair: SeededPair): RawRequest {
  const query = { ProjectName: PROJECT, AccessToken: pair.AccessToken, RefreshToken: pair.RefreshToken };
  return acs3RawRequest(server, server.root, query, { action: 'RefreshWebofficeToken' });
}

interface Running {
  server: TestServer;
  engine: 'sqlite' | 'postgres';
  sourceUri: string;
  drop?: () => Promise<void>;
}

async function start(engine: 'sqlite' | 'postgres', workersCount: number): Promise<Running> {
  const schema = engine === 'postgres' ? await createPostgresSchema() : undefined;
  const server = await startServer({
    IMM_LOG_LEVEL: 'warn',
    IMM_RATE_LIMIT_PER_KEY: '0',
    IMM_RATE_LIMIT_PER_PROJECT: '0',
    IMM_WORKERS: String(workersCount),
    IMM_DB_POOL_SIZE: '10',
    IMM_DATA_DIR: makeDataDir('imm-bench-'),
    ...(schema ? { IMM_DATABASE_URL: schema.url } : {}),
  }, [...(options.profile ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(options.profile)}`] : []), ...(options.nodeArgs?.split(' ').filter(Boolean) ?? [])]);
  const client = popClient(server, server.root);
  await client.call('CreateProject', { ProjectName: PROJECT });
  const sourceUri = await putDocument(server, server.root.AccountId, 'bench-docs', 'report.docx', Buffer.alloc(64 * 1024, 'x'));
  // One real session: the template the seeded ones are cloned from.
  await client.call('GenerateWebofficeToken', { ProjectName: PROJECT, SourceURI: sourceUri, User: { Id: 'bench', Name: 'Bench' } });
  return { server, engine, sourceUri, drop: schema?.drop };
}

async function stop(running: Running): Promise<void> {
  await running.server.stop();
  await running.drop?.();
  fs.rmSync(running.server.dataDir, { recursive: true, force: true });
}

const seedTarget = (running: Running) => ({ databaseUrl: running.server.env.IMM_DATABASE_URL, dataDir: running.server.dataDir });

/** Sessions opened at once before the access-token check. */
const OPENING_AT_ONCE = 16;

/** Every workload on one engine and process count. Returns the refresh (classic) row. */
async function benchEngine(engine: 'sqlite' | 'postgres', workersCount: number): Promise<ResultRow | undefined> {
  const running = await start(engine, workersCount);
  const { server } = running;
  let refreshRow: ResultRow | undefined;
  try {
    const warmUpCount = (FIRST_WARM_UP + 1) * perWarmUp;
    const seeded = await seedSessions(seedTarget(running), 3 * perPhase + warmUpCount, 3 * perPhase + warmUpCount);
    const warmUpPairs = seeded.slice(0, warmUpCount);
    const pairs = seeded.slice(warmUpCount);
    const sessions = seeded.length + 1;
    const rss = () => residentMbOfTree(server.process.pid!);
    if (runs('refresh')) refreshRow = row('refresh (RPC)', engine, workersCount, sessions, await wrkPhase(server.url, 'refresh', pairs.slice(0, perPhase).map((p) => refreshRequest(server.root, p)), server.process.pid!, false, warmUpPairs.slice(0, FIRST_WARM_UP * perWarmUp).map((p) => refreshRequest(server.root, p)), FIRST_WARM_UP * WARM_UP_SECONDS), { rss_mb: rss() });
    if (runs('acs3')) row('refresh (ACS3)', engine, workersCount, sessions, await wrkPhase(server.url, 'refresh-acs3', pairs.slice(perPhase, 2 * perPhase).map((p) => refreshAcs3Request(server, p)), server.process.pid!, false, warmUpPairs.slice(FIRST_WARM_UP * perWarmUp).map((p) => refreshAcs3Request(server, p))), { rss_mb: rss() });
    if (runs('generate')) {
      const generate = (count: number) => Array.from({ length: count }, () =>
        rpcRawRequest(server.root, { ProjectName: PROJECT, SourceURI: running.sourceUri, User: JSON.stringify({ Id: 'bench', Name: 'Bench' }) }, { action: 'GenerateWebofficeToken' }),
      );
      row('generate', engine, workersCount, sessions, await wrkPhase(server.url, 'generate', generate(perPhase), server.process.pid!, false, generate(perWarmUp)), { rss_mb: rss() });
    }
    if (runs('check')) {
      // The access-token check the page makes on every call of the document API (read-only: replayed in a cycle
      // over 2000 live tokens, each opened first so that its holder is registered).
      const file = fileIdOf(parseSourceUri(running.sourceUri));
      const checks: RawRequest[] = pairs.slice(2 * perPhase, 2 * perPhase + 2000).map((p) => ({
        method: 'GET',
        path: `/office/api/v1/files/${file}`,
        headers: { authorization: `Bearer ${p.AccessToken}`, 'x-weboffice-holder': randomBytes(16).toString('hex') },
      }));
      // Opened OPENING_AT_ONCE at a time (one by one, this took seconds of every run).
      for (let i = 0; i < checks.length; i += OPENING_AT_ONCE) {
        await Promise.all(
          checks.slice(i, i + OPENING_AT_ONCE).map(async ({ headers }) => {
            const opened = await fetch(`${server.url}/office/api/v1/files/${file}/open`, { method: 'POST', headers });
            if (opened.status !== 200) throw new Error(`opening a seeded session for the check: ${opened.status} ${await opened.text()}`);
          }),
        );
      }
      row('access-token check', engine, workersCount, sessions, await wrkPhase(server.url, 'check', checks, server.process.pid!, true, checks), { rss_mb: rss() });
    }
    if (runs('open-loop') && engine === 'sqlite' && workersCount === 1 && refreshRow && refreshRow.rps > 0) {
      // Open loop at half the saturation just measured, on fresh pairs.
      const rate = Math.round(refreshRow.rps / 2);
      const fresh = pairs.slice(2 * perPhase + 2000).map((p) => refreshRequest(server.root, p));
      const openSeconds = Math.min(seconds, fresh.length / rate - OPEN_LOOP_WARM_UP_SECONDS);
      if (openSeconds <= 0) console.log(`# open loop skipped: ${fresh.length} fresh pairs are not enough for its warm-up at ${rate}/s`);
      else {
        row('refresh open-loop ½sat', engine, workersCount, sessions, await runOpenLoop(server.url, fresh, rate, openSeconds), { note: `offered ${rate}/s` });
        row('ceiling open-loop', '-', 1, 0, await ceilingOpenLoop(rate, openSeconds), { note: `offered ${rate}/s: the generator's and machine's own latency` });
      }
    }
  } finally {
    await stop(running);
  }
  return refreshRow;
}

/** Refresh throughput and memory as the live sessions grow (real rows, with their indexes). */
async function growth(engine: 'sqlite' | 'postgres', sizes: number[]): Promise<void> {
  for (const size of sizes) {
    const running = await start(engine, 1);
    try {
      const warmUpCount = FIRST_WARM_UP * perWarmUp;
      const seeded = await seedSessions(seedTarget(running), Math.max(size, perPhase + warmUpCount), perPhase + warmUpCount);
      const sessions = Math.max(size, perPhase + warmUpCount) + 1;
      const requests = seeded.map((p) => refreshRequest(running.server.root, p));
      const r = await wrkPhase(running.server.url, 'growth', requests.slice(warmUpCount), running.server.process.pid!, false, requests.slice(0, warmUpCount), FIRST_WARM_UP * WARM_UP_SECONDS);
      row('refresh growth', engine, 1, sessions, r, { rss_mb: residentMbOfTree(running.server.process.pid!) });
    } finally {
      await stop(running);
    }
  }
}

/** `wrk -v` prints its version and exits with 1. */
function wrkVersionLine(): string {
  try {
    return execFileSync('wrk', ['-v'], { encoding: 'utf8' }).split('\n')[0];
  } catch (err) {
    return String((err as { stdout?: string }).stdout ?? 'wrk').split('\n')[0];
  }
}

const machine = { cores: os.cpus().length, node: process.version, cpu: os.cpus()[0]?.model ?? '?' };
console.log(`# imm-weboffice bench ${new Date().toISOString()}: ${machine.cores} cores (${machine.cpu}), Node ${machine.node}; wrk ${WRK_THREADS} thread, ${connections} connections, ${seconds} s per phase; RATE LIMITS OFF`);
console.log(`${'workload'.padEnd(22)} ${'engine'.padEnd(9)} ${'w'.padStart(2)} ${'sessions'.padStart(8)} ${'req/s'.padStart(8)} ${'p50 ms'.padStart(8)} ${'p99 ms'.padStart(8)} ${'p99.9 ms'.padStart(8)} ${'errors'.padStart(6)} ${'rss'.padStart(7)} ${'cpu µs'.padStart(6)}`);

const ceilingRow = await ceiling();
const engines: ('sqlite' | 'postgres')[] = [];
if (options.engine !== 'postgres') engines.push('sqlite');
if (options.engine !== 'sqlite') {
  if (await postgresReachable()) engines.push('postgres');
  else console.log(`postgres skipped: no server answers at ${TEST_POSTGRES_URL} (set IMM_TEST_DATABASE_URL)`);
}
const refreshRows = new Map<string, ResultRow>();
for (const engine of engines) {
  for (const w of workerCounts) {
    const r = await benchEngine(engine, w);
    if (r) refreshRows.set(`${engine}/${w}`, r);
  }
}
if (options.growth && engines.includes('sqlite')) await growth('sqlite', options.quick ? [100_000] : [1000, 100_000, 1_000_000]);
let peerRow: ResultRow | undefined;
if (options.peer) {
  const peer = await runPeer({ seconds, connections, threads: WRK_THREADS, work });
  const minted = `${peer.sessions} refresh tokens minted by its code flow in ${peer.mintSeconds.toFixed(1)} s${peer.ranOut ? '; ALL SPENT before the phase ended' : ''}`;
  peerRow = row('peer oidc-provider', 'memory', 1, peer.sessions, peer.result, { note: `oidc-provider 9 refresh, rotation, HS256 ID token, client_secret_basic; ${minted}` });
}

const sqliteRefresh = refreshRows.get('sqlite/1');
const ratios = {
  refresh_vs_node_http: sqliteRefresh ? thousandths(sqliteRefresh.rps / ceilingRow.rps) : null,
  refresh_vs_oidc_provider: sqliteRefresh && peerRow ? round(sqliteRefresh.rps / peerRow.rps) : null,
  postgres_refresh_vs_node_http: refreshRows.get('postgres/1') ? thousandths(refreshRows.get('postgres/1')!.rps / ceilingRow.rps) : null,
};
console.log(`\nratios (1 process each): ${JSON.stringify(ratios)}`);
const resultsFile = options.results ? path.resolve(options.results) : path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bench/results/latest.json');
fs.mkdirSync(path.dirname(resultsFile), { recursive: true });
const wrkVersion = wrkVersionLine();
fs.writeFileSync(
  resultsFile,
  `${JSON.stringify({ date: new Date().toISOString(), machine, generator: `${wrkVersion.trim()} (${WRK_THREADS} thread, ${connections} connections)`, rateLimits: 'off', quick: options.quick, seconds, results, ratios }, null, 2)}\n`,
);
fs.rmSync(work, { recursive: true, force: true });
console.log(`written: ${path.relative(process.cwd(), resultsFile) || resultsFile}`);
