/**
 * `npm run bench`: how fast and how large a real server is. For each engine (SQLite, and PostgreSQL when one
 * answers at IMM_TEST_DATABASE_URL) it starts `imm-weboffice serve` as a user would, then `--concurrency`
 * clients of the official pop-core client call, for `--seconds` each:
 *   1. GenerateWebofficeToken (a new session per call),
 *   2. RefreshWebofficeToken (each client refreshing its own session's latest pair),
 * and prints calls per second, latency percentiles, errors, the server's resident memory (idle, peak) and the
 * database's size. Rate limits are off for the run (they would measure themselves). Figures only: nothing
 * here passes or fails, and no test asserts a timing.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Command } from 'commander';
import { makeDataDir, putDocument, startServer, type TestServer } from '../test/helpers/server.js';
import { popClient, type PopClient } from '../test/helpers/popClient.js';
import { createPostgresSchema, postgresQuery, postgresReachable, TEST_POSTGRES_URL } from '../test/helpers/postgres.js';

interface Options {
  seconds: number;
  concurrency: number;
  engine: 'sqlite' | 'postgres' | 'both';
}

interface PhaseResult {
  phase: string;
  calls: number;
  errors: Map<string, number>;
  latenciesMs: number[];
  seconds: number;
}

type Pair = { AccessToken: string; RefreshToken: string };

const PROJECT = 'bench';

const program = new Command('bench')
  .description('throughput, latency and memory of GenerateWebofficeToken and RefreshWebofficeToken on a real server')
  .option('--seconds <n>', 'length of each phase', (v) => positive(v, '--seconds'), 10)
  .option('--concurrency <n>', 'clients calling at once', (v) => positive(v, '--concurrency'), 16)
  .option('--engine <engine>', 'sqlite, postgres or both', 'both')
  .parse();
const options = program.opts<Options>();
if (!['sqlite', 'postgres', 'both'].includes(options.engine)) program.error(`--engine must be sqlite, postgres or both (got ${options.engine})`);

function positive(value: string, name: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a positive integer (got ${value})`);
  return n;
}

/** Resident memory of a process in MB, from /proc (Linux); undefined elsewhere. */
function residentMb(pid: number): number | undefined {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** `concurrency` loops of `call` until the deadline; each loop keeps its own state (its session). */
async function runPhase<S>(phase: string, seconds: number, states: S[], call: (state: S) => Promise<S>): Promise<PhaseResult> {
  const result: PhaseResult = { phase, calls: 0, errors: new Map(), latenciesMs: [], seconds };
  const deadline = Date.now() + seconds * 1000;
  const started = Date.now();
  await Promise.all(
    states.map(async (initial) => {
      let state = initial;
      while (Date.now() < deadline) {
        const t0 = performance.now();
        try {
          state = await call(state);
          result.latenciesMs.push(performance.now() - t0);
          result.calls++;
        } catch (err) {
          const code = (err as { code?: string }).code ?? (err as Error).message;
          result.errors.set(code, (result.errors.get(code) ?? 0) + 1);
        }
      }
    }),
  );
  result.seconds = (Date.now() - started) / 1000;
  result.latenciesMs.sort((a, b) => a - b);
  return result;
}

function printPhase(engine: string, r: PhaseResult): void {
  const ms = (p: number) => percentile(r.latenciesMs, p).toFixed(1).padStart(7);
  const errors = [...r.errors].map(([code, n]) => `${code}×${n}`).join(' ') || '0';
  console.log(
    `${engine.padEnd(10)} ${r.phase.padEnd(9)} ${(r.calls / r.seconds).toFixed(0).padStart(8)} ${ms(50)} ${ms(95)} ${ms(99)} ${ms(100)}   ${errors}`,
  );
}

async function databaseMb(engine: 'sqlite' | 'postgres', server: TestServer): Promise<number> {
  if (engine === 'postgres') {
    const [row] = await postgresQuery<{ bytes: string }>(
      server.env.IMM_DATABASE_URL,
      "select coalesce(sum(pg_total_relation_size(format('%I.%I', schemaname, tablename))), 0) as bytes from pg_tables where schemaname = current_schema()",
    );
    return Number(row.bytes) / 1024 / 1024;
  }
  const file = path.join(server.dataDir, 'imm-weboffice.db');
  return [file, `${file}-wal`].filter((f) => fs.existsSync(f)).reduce((sum, f) => sum + fs.statSync(f).size, 0) / 1024 / 1024;
}

async function benchEngine(engine: 'sqlite' | 'postgres'): Promise<void> {
  const schema = engine === 'postgres' ? await createPostgresSchema() : undefined;
  const server = await startServer({
    IMM_LOG_LEVEL: 'warn',
    IMM_RATE_LIMIT_PER_KEY: '0',
    IMM_RATE_LIMIT_PER_PROJECT: '0',
    IMM_DATA_DIR: makeDataDir('imm-bench-'),
    ...(schema ? { IMM_DATABASE_URL: schema.url } : {}),
  });
  const pid = server.process.pid!;
  let peakMb = 0;
  const sampler = setInterval(() => (peakMb = Math.max(peakMb, residentMb(pid) ?? 0)), 50);
  try {
    const client: PopClient = popClient(server, server.root);
    await client.call('CreateProject', { ProjectName: PROJECT });
    const sourceUri = await putDocument(server, server.root.AccountId, 'bench-docs', 'report.docx', Buffer.alloc(64 * 1024, 'x'));
    const generate = () => client.call<Pair>('GenerateWebofficeToken', { ProjectName: PROJECT, SourceURI: sourceUri, User: { Id: 'bench', Name: 'Bench' } });
    const clients = Array.from({ length: options.concurrency }, () => popClient(server, server.root));
    // Warm-up: connections, prepared paths, the object's version row.
    await Promise.all(clients.map(() => generate()));
    const idleMb = residentMb(pid);

    const generated = await runPhase('Generate', options.seconds, clients, async (c) => {
      await c.call('GenerateWebofficeToken', { ProjectName: PROJECT, SourceURI: sourceUri, User: { Id: 'bench', Name: 'Bench' } });
      return c;
    });
    printPhase(engine, generated);

    const sessions = await Promise.all(clients.map(async (c) => ({ client: c, pair: await generate() })));
    const refreshed = await runPhase('Refresh', options.seconds, sessions, async ({ client: c, pair }) => {
      const next = await c.call<Pair>('RefreshWebofficeToken', { ProjectName: PROJECT, AccessToken: pair.AccessToken, RefreshToken: pair.RefreshToken });
      return { client: c, pair: next };
    });
    printPhase(engine, refreshed);

    console.log(
      `${engine.padEnd(10)} memory: ${idleMb?.toFixed(0) ?? '?'} MB resident after warm-up, ${peakMb.toFixed(0)} MB peak; database ${(await databaseMb(engine, server)).toFixed(1)} MB after ${generated.calls + options.concurrency * 2} sessions and ${refreshed.calls} refreshes`,
    );
  } finally {
    clearInterval(sampler);
    await server.stop();
    await schema?.drop();
  }
}

console.log(`# imm-weboffice bench: ${options.concurrency} concurrent pop-core clients, ${options.seconds} s per phase, rate limits off, Node ${process.version}`);
console.log(`${'engine'.padEnd(10)} ${'phase'.padEnd(9)} ${'calls/s'.padStart(8)} ${'p50 ms'.padStart(7)} ${'p95 ms'.padStart(7)} ${'p99 ms'.padStart(7)} ${'max ms'.padStart(7)}   errors`);
if (options.engine !== 'postgres') await benchEngine('sqlite');
if (options.engine !== 'sqlite') {
  if (await postgresReachable()) await benchEngine('postgres');
  else console.log(`postgres   skipped: no server answers at ${TEST_POSTGRES_URL} (set IMM_TEST_DATABASE_URL)`);
}
