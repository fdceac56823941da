import { hash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import pg from 'pg';
import { Kysely, Migrator, PostgresAdapter, PostgresDialect, SqliteDialect, sql, type PostgresPool, type PostgresPoolClient } from 'kysely';
import type { Database } from './schema.js';
import { migrationProvider } from './migrations/index.js';
import { withStatementCache, type DirectSqlite } from './sqliteStatements.js';
import { groupCommit, transactionPerWrite, type WriteTransaction } from './groupCommit.js';
import { startBackgroundCheckpoints, type BackgroundCheckpoints } from './walCheckpoints.js';
import { CACHE_CHANNEL_PREFIX } from './migrations/2026-12-02-cache-generation.js';

export type Engine = 'sqlite' | 'postgres';

export interface DatabaseHandle {
  db: Kysely<Database>;
  engine: Engine;
  /** Where the data lives, for messages (never includes a password). */
  location: string;
  /** PostgreSQL's connection pool, for its metrics (total, idle, waiting); undefined on SQLite. */
  pool?: Pick<pg.Pool, 'totalCount' | 'idleCount' | 'waitingCount'>;
  /**
   * The counter that every change to AccessKeys, RAM, projects or buckets raises in its own transaction (triggers,
   * migration 2026-12-02): the per-process caches of those are good while it stays the same.
   */
  cacheGeneration(): Promise<number>;
  /** SQLite: the connection used directly, for the hot path's compiled statements (sqliteStatements.ts). */
  direct?: DirectSqlite;
  /** Runs a write in a transaction: on SQLite, with the writes that arrive together, committed once (groupCommit.ts). */
  writeTransaction: WriteTransaction;
  /**
   * PostgreSQL: calls `onChange` whenever a transaction that raised the counter commits (LISTEN/NOTIFY, on a
   * connection of its own outside the pool, opened again when lost); returns the function that stops listening.
   * Undefined on SQLite, where reading the counter costs a few microseconds and is done on every request.
   */
  listenForChanges?(onChange: () => void): () => Promise<void>;
  /**
   * SQLite: checkpoint the write-ahead log from a worker thread instead of inside requests (the server does);
   * past `restartBytes` of log (default WAL_RESTART_BYTES) commits are held for a moment so that it starts again.
   */
  checkpointInBackground?(restartBytes?: number): void;
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
    return {
      db,
      engine: 'postgres',
      location: redactUrl(url),
      pool,
      writeTransaction: transactionPerWrite(db),
      cacheGeneration: async () => Number((await pool.query<{ value: string }>('select value from cache_generation where id = 1')).rows[0]?.value ?? 0),
      listenForChanges: (onChange) => listenForChanges(url, onChange),
      close: () => db.destroy(),
    };
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
  // SQLite's default page cache is 2 MB: with a few hundred thousand live sessions the token indexes no
  // longer fit, and every refresh rereads and re-evicts pages. 32 MB per connection (the server stays near
  // 180 MB resident with a million sessions, docs/benchmark.md).
  sqlite.pragma('cache_size = -32768');
  // Each write of a group commit runs in a savepoint, and SQLite keeps the pages a savepoint may have to restore
  // in a statement journal that spills to a temporary file past 64 KiB: a file created, written a page at a time
  // (nine pwrites a refresh) and deleted for every commit, its creation waiting behind the checkpoint's fsync
  // (stalls of 10-100 ms). In memory it is a copy, bounded by one commit's pages (docs/benchmark.md).
  sqlite.pragma('temp_store = MEMORY');
  const connection = withStatementCache(sqlite);
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: connection.kysely }) });
  let generation: SQLite.Statement | undefined;
  let checkpoints: BackgroundCheckpoints | undefined;
  const commits = groupCommit(db, connection.direct, () => checkpoints?.afterCommit());
  return {
    db,
    engine: 'sqlite',
    location: path.resolve(file),
    direct: connection.direct,
    writeTransaction: commits.write,
    cacheGeneration: async () => {
      // Prepared on first use: the table exists only once the migrations ran.
      generation ??= sqlite.prepare('select value from cache_generation where id = 1').pluck();
      return Number(generation.get() ?? 0);
    },
    checkpointInBackground: (restartBytes) => {
      checkpoints ??= startBackgroundCheckpoints(sqlite, path.resolve(file), commits.hold, restartBytes);
    },
    close: async () => {
      await checkpoints?.stop();
      await db.destroy();
    },
  };
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
            return await client.query(preparedQuery(text, parameters));
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

const PREPARABLE = /^\s*(select|insert|update|delete|with)\b/i;

/**
 * A data statement goes as a named prepared statement (its name the hash of its text): PostgreSQL parses and
 * plans it once per connection instead of on every call (Kysely's driver sends every query unnamed). Other
 * statements (DDL of the migrations, transaction control) go as they are.
 */
function preparedQuery(text: string, parameters: readonly unknown[]): pg.QueryConfig {
  if (!PREPARABLE.test(text)) return { text, values: [...parameters] };
  return { name: `imm_${hash('sha1', text, 'base64url')}`, text, values: [...parameters] };
}

/** LISTEN on the cache channel of the schema in use, on a client of its own; reconnects while not stopped. */
function listenForChanges(url: string, onChange: () => void): () => Promise<void> {
  let stopped = false;
  let client: pg.Client | undefined;
  let retry: NodeJS.Timeout | undefined;
  const connect = async () => {
    const listener = new pg.Client({ connectionString: url, keepAlive: true });
    client = listener;
    const reconnect = () => {
      if (stopped || client !== listener) return;
      client = undefined;
      void listener.end().catch(() => {});
      // Anything may have changed while nobody listened.
      onChange();
      retry = setTimeout(() => void connect(), 1000);
    };
    listener.on('error', reconnect);
    listener.on('end', reconnect);
    listener.on('notification', () => onChange());
    try {
      await listener.connect();
      const { rows } = await listener.query<{ schema: string }>('select current_schema() as schema');
      await listener.query(`listen ${pg.escapeIdentifier(CACHE_CHANNEL_PREFIX + rows[0].schema)}`);
      if (stopped) await listener.end();
    } catch {
      reconnect();
    }
  };
  void connect();
  return async () => {
    stopped = true;
    clearTimeout(retry);
    await client?.end().catch(() => {});
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
    // at that moment (another application's, or a test's) fails the lookup before anything is applied — with
    // 3F000 from `has_schema_privilege` on the schema, or 42P01 / 42703 from `pg_get_serial_sequence` on one of
    // its tables or their columns (named in the message, not ours). Look again; a migration's own failure
    // (`failed` names it) is never retried.
    if (schema && !failed && attempt < 5 && LOOKUP_RACES.has((error as { code?: string } | undefined)?.code ?? '')) {
      await new Promise((resolve) => setTimeout(resolve, 20 * attempt));
      continue;
    }
    throw new Error(`database migration ${failed?.migrationName ?? ''} failed: ${String(error)}`);
  }
}

/**
 * PostgreSQL's codes for an object dropped while the migrator's catalog query ran: invalid_schema_name,
 * undefined_table, undefined_column (a table of a schema dropped with CASCADE: its column is gone by the time
 * `pg_get_serial_sequence` looks it up — seen in CI).
 */
const LOOKUP_RACES = new Set(['3F000', '42P01', '42703']);

/** The schema in use on PostgreSQL (search_path's first), undefined on SQLite. */
export async function currentPostgresSchema(db: Kysely<Database>): Promise<string | undefined> {
  if (!(db.getExecutor().adapter instanceof PostgresAdapter)) return undefined;
  const { rows } = await sql<{ schema: string }>`select current_schema() as schema`.execute(db);
  return rows[0]?.schema;
}

function redactUrl(url: string): string {
  return url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');
}
