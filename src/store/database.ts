import fs from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import pg from 'pg';
import { Kysely, Migrator, PostgresAdapter, PostgresDialect, SqliteDialect, sql, type PostgresPool, type PostgresPoolClient } from 'kysely';
import type { Database } from './schema.js';
import { migrationProvider } from './migrations/index.js';

export type Engine = 'sqlite' | 'postgres';

export interface DatabaseHandle {
  db: Kysely<Database>;
  engine: Engine;
  /** Where the data lives, for messages (never includes a password). */
  location: string;
  /** PostgreSQL's connection pool, for its metrics (total, idle, waiting); undefined on SQLite. */
  pool?: Pick<pg.Pool, 'totalCount' | 'idleCount' | 'waitingCount'>;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  /** `postgres://…`; unset = the SQLite file in the data directory. */
  databaseUrl?: string;
  dataDir: string;
  poolSize?: number;
  statementTimeoutMs?: number;
}

export const SQLITE_FILE_NAME = 'imm-weboffice.db';

// PostgreSQL returns BIGINT as text; every bigint we store is a millisecond time, well inside 2^53.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value));

export function openDatabase(options: DatabaseOptions): DatabaseHandle {
  const url = options.databaseUrl;
  if (url && /^postgres(ql)?:\/\//.test(url)) {
    const statementTimeoutMs = options.statementTimeoutMs ?? 5000;
    const pool = new pg.Pool({
      connectionString: url,
      max: options.poolSize ?? 10,
      statement_timeout: statementTimeoutMs,
      // Fail fast when the database is unreachable: the request becomes a 503 and the pool reconnects later.
      connectionTimeoutMillis: statementTimeoutMs,
      // A silent network partition (packets vanish, nothing is closed) would leave a query waiting forever:
      // the statement timeout runs on the server, which never hears of it. This limit runs here.
      query_timeout: statementTimeoutMs + PARTITION_MARGIN_MS,
      // The other side of a partition: a transaction whose node went silent would keep its row locks (a
      // session's token, say) from every other node until the server noticed the dead connection. PostgreSQL
      // ends it instead, rolling it back, once it has been idle that long.
      idle_in_transaction_session_timeout: 2 * statementTimeoutMs,
      keepAlive: true,
      keepAliveInitialDelayMillis: 10_000,
    });
    // An idle connection that the server drops (restart, failover) must not crash the process: the pool
    // replaces it, and requests in the meantime fail fast with 503.
    pool.on('error', () => {});
    // The same for a connection lost while checked out (mid-query or mid-transaction): pg-pool listens only
    // on idle clients, and an 'error' event without a listener would kill the process. The query in flight
    // still fails (→ 503), and the pool discards the broken client when it is released.
    pool.on('connect', (client) => client.on('error', () => {}));
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: discardingUnansweredClients(pool) }) });
    return { db, engine: 'postgres', location: redactUrl(url), pool, close: () => db.destroy() };
  }
  if (url && !/^(sqlite|file):/.test(url)) {
    throw new Error(`IMM_DATABASE_URL must start with postgres:// or sqlite: (got ${redactUrl(url)})`);
  }
  const file = url ? url.replace(/^(sqlite|file):(\/\/)?/, '') : path.join(options.dataDir, SQLITE_FILE_NAME);
  // The database holds sealed secrets and token hashes: keep its folder private.
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true, mode: 0o700 });
  const isNew = !fs.existsSync(file);
  const sqlite = new SQLite(file);
  // Sealed secrets and token hashes: readable by the service's user only (the WAL files inherit the mode).
  if (isNew) fs.chmodSync(file, 0o600);
  // WAL lets readers run beside the one writer; the busy timeout makes a second process (another server, or
  // the CLI) wait for the write lock instead of failing at once.
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('busy_timeout = 10000');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('synchronous = NORMAL');
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) });
  return { db, engine: 'sqlite', location: path.resolve(file), close: () => db.destroy() };
}

/** How much longer than the statement timeout a query may go without any answer before it is given up. */
const PARTITION_MARGIN_MS = 1000;
const QUERY_READ_TIMEOUT = 'Query read timeout'; // pg's message when `query_timeout` fires

/**
 * No connection to the database could be had: refused, reset, timed out, or PostgreSQL turning it away for
 * any reason at all (closed to connections, over a connection limit, dropped, starting up, a bad password…).
 * Decided by where it happened, not by the code: whatever stops a connection is the database being out of
 * reach (503), never a bug in a request. `cause` is the driver's error.
 */
export class DatabaseUnreachable extends Error {
  /** The driver's code: a SQLSTATE (3D000, 55000, 53300, 28P01…) or a system one (ECONNREFUSED…), if any. */
  readonly code?: string;

  constructor(cause: unknown) {
    const code = (cause as { code?: unknown } | undefined)?.code;
    super(`no connection to the database${typeof code === 'string' ? ` (${code})` : ''}`, { cause });
    this.name = 'DatabaseUnreachable';
    if (typeof code === 'string') this.code = code;
  }
}

/**
 * The pool as Kysely sees it, except that a failure to get a connection is a `DatabaseUnreachable`, and a
 * connection whose query went unanswered past `query_timeout` is closed on release rather than reused: its
 * query may still be queued on the server side of a partition, and anything sent after it would wait behind
 * it. Once timed out, a connection refuses further queries at once (the rollback that follows, say), so a
 * request fails after one timeout, not two.
 */
function discardingUnansweredClients(pool: pg.Pool): PostgresPool {
  return {
    async connect() {
      const client = await pool.connect().catch((err: unknown) => Promise.reject(new DatabaseUnreachable(err)));
      let unanswered: Error | undefined;
      return {
        query: (async (text: string, parameters: readonly unknown[]) => {
          if (unanswered) throw unanswered;
          try {
            return await client.query(text, [...parameters]);
          } catch (err) {
            if ((err as Error).message === QUERY_READ_TIMEOUT) unanswered = err as Error;
            throw err;
          }
        }) as unknown as PostgresPoolClient['query'], // the cursor form is never used
        release: (destroy?: boolean) => client.release(destroy || unanswered !== undefined),
      };
    },
    end: () => pool.end(),
  };
}

/** A query given up by `query_timeout`: the database did not answer at all (a partition, most likely). */
export const isUnansweredQuery = (error: Error) => error.message === QUERY_READ_TIMEOUT;

const SERIALIZATION_FAILURES = new Set(['40001', '40P01']); // serialization failure, deadlock detected

/**
 * Runs a transaction again when PostgreSQL aborted it for a serialization failure or a deadlock (both are
 * safe to retry: nothing was committed). Up to `attempts` tries, with a short jittered pause between them.
 */
export async function retryOnConflict<T>(work: () => Promise<T>, attempts = 3): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (attempt >= attempts || !code || !SERIALIZATION_FAILURES.has(code)) throw err;
      await new Promise((resolve) => setTimeout(resolve, 5 + Math.random() * 20 * attempt));
    }
  }
}

/** Applies every pending migration; safe when several nodes start at once (Kysely takes a lock). */
export async function migrateToLatest(db: Kysely<Database>): Promise<void> {
  // On PostgreSQL the migration bookkeeping goes in the schema in use (search_path), not always `public`,
  // so databases in different schemas of one server stay apart.
  const schema = await currentPostgresSchema(db);
  const migrator = new Migrator({ db, provider: migrationProvider, ...(schema ? { migrationTableSchema: schema } : {}) });
  for (let attempt = 1; ; attempt++) {
    const { error, results } = await migrator.migrateToLatest();
    const failed = results?.find((r) => r.status === 'Error');
    if (!error && !failed) return;
    // Kysely's migrator looks for its own tables across every schema of the database: another schema dropped
    // at that moment (another application's, or a test's) fails the lookup with 3F000 before anything is
    // applied. Look again.
    if (schema && attempt < 5 && (error as { code?: string } | undefined)?.code === '3F000') {
      await new Promise((resolve) => setTimeout(resolve, 20 * attempt));
      continue;
    }
    throw new Error(`database migration ${failed?.migrationName ?? ''} failed: ${String(error)}`);
  }
}

async function currentPostgresSchema(db: Kysely<Database>): Promise<string | undefined> {
  if (!(db.getExecutor().adapter instanceof PostgresAdapter)) return undefined;
  const { rows } = await sql<{ schema: string }>`select current_schema() as schema`.execute(db);
  return rows[0]?.schema;
}

function redactUrl(url: string): string {
  return url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');
}
