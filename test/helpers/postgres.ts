/**
 * PostgreSQL for tests: the server at IMM_TEST_DATABASE_URL (default the local one), one fresh schema per data
 * directory so that tests stay apart while several servers of one test share a database, as several nodes do.
 * With IMM_TEST_ENGINE=postgres every test server (and CLI call) runs on PostgreSQL instead of SQLite.
 */
import pg from 'pg';
import { randomBytes } from 'node:crypto';

export const TEST_POSTGRES_URL = process.env.IMM_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const TEST_ENGINE: 'sqlite' | 'postgres' = process.env.IMM_TEST_ENGINE === 'postgres' ? 'postgres' : 'sqlite';

// As in the service: BIGINT columns hold millisecond times, well inside 2^53.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value));

export async function postgresReachable(): Promise<boolean> {
  const client = new pg.Client({ connectionString: TEST_POSTGRES_URL, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

/**
 * For a suite that picks its engines itself (whatever IMM_TEST_ENGINE says): SQLite, and PostgreSQL when a
 * server answers; with IMM_REQUIRE_POSTGRES=1 (CI) a missing server is an error, not a skip.
 */
export async function enginesToRun(): Promise<readonly ('sqlite' | 'postgres')[]> {
  if (await postgresReachable()) return ['sqlite', 'postgres'];
  if (process.env.IMM_REQUIRE_POSTGRES === '1') throw new Error(`PostgreSQL required but no server at ${TEST_POSTGRES_URL}`);
  return ['sqlite'];
}

async function adminQuery(text: string): Promise<void> {
  const admin = new pg.Client({ connectionString: TEST_POSTGRES_URL });
  await admin.connect();
  try {
    await admin.query(text);
  } finally {
    await admin.end();
  }
}

/** A fresh schema; its URL makes every connection use it. */
export async function createPostgresSchema(): Promise<{ url: string; drop(): Promise<void> }> {
  const schema = `imm_test_${randomBytes(6).toString('hex')}`;
  await adminQuery(`create schema ${schema}`);
  const url = new URL(TEST_POSTGRES_URL);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return { url: url.toString(), drop: () => adminQuery(`drop schema if exists ${schema} cascade`) };
}

const schemasByDataDir = new Map<string, Promise<{ url: string; drop(): Promise<void> }>>();
let cleanupRegistered = false;

/** The database URL of a data directory when tests run on PostgreSQL: one schema per directory, made once. */
export function postgresUrlFor(dataDir: string): Promise<string> {
  let schema = schemasByDataDir.get(dataDir);
  if (!schema) {
    schema = createPostgresSchema();
    schemasByDataDir.set(dataDir, schema);
  }
  if (!cleanupRegistered) {
    cleanupRegistered = true;
    // Drop the schemas when the test file is done (beforeExit may run async work; guard against re-entry).
    let dropping = false;
    process.on('beforeExit', () => {
      if (dropping) return;
      dropping = true;
      void Promise.allSettled([...schemasByDataDir.values()].map(async (s) => (await s).drop()));
    });
  }
  return schema.then((s) => s.url);
}

/** Runs one statement (`?` placeholders) on a PostgreSQL URL and returns its rows. */
export async function postgresQuery<T>(url: string, text: string, params: unknown[] = []): Promise<T[]> {
  let index = 0;
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(text.replace(/\?/g, () => `$${++index}`), params)).rows as T[];
  } finally {
    await client.end();
  }
}
