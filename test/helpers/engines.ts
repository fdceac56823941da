/**
 * Both database engines for store tests: a SQLite file in a temp dir, and — when a server is reachable at
 * IMM_TEST_DATABASE_URL (default the local one) — PostgreSQL, in a schema of its own that is dropped after.
 */
import pg from 'pg';
import { randomBytes } from 'node:crypto';
import { makeDataDir } from './server.js';
import { migrateToLatest, openDatabase, type DatabaseHandle } from '../../src/store/database.js';

export const TEST_POSTGRES_URL = process.env.IMM_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

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

/** A fresh PostgreSQL schema; its URL makes every connection use it. */
export async function createPostgresSchema(): Promise<{ url: string; drop(): Promise<void> }> {
  const schema = `imm_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: TEST_POSTGRES_URL });
  await admin.connect();
  await admin.query(`create schema ${schema}`);
  await admin.end();
  const url = new URL(TEST_POSTGRES_URL);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return {
    url: url.toString(),
    drop: async () => {
      const client = new pg.Client({ connectionString: TEST_POSTGRES_URL });
      await client.connect();
      await client.query(`drop schema ${schema} cascade`);
      await client.end();
    },
  };
}

export interface EngineUnderTest {
  name: 'sqlite' | 'postgres';
  open(): Promise<DatabaseHandle & { dispose(): Promise<void> }>;
}

/** The engines to run a suite on; PostgreSQL is skipped, and says so, when no server answers. */
export async function enginesUnderTest(): Promise<{ engines: EngineUnderTest[]; skipped?: string }> {
  const sqlite: EngineUnderTest = {
    name: 'sqlite',
    open: async () => {
      const handle = openDatabase({ dataDir: makeDataDir() });
      await migrateToLatest(handle.db);
      return { ...handle, dispose: () => handle.close() };
    },
  };
  if (!(await postgresReachable())) {
    const skipped = `PostgreSQL tests skipped: no server at ${TEST_POSTGRES_URL} (set IMM_TEST_DATABASE_URL)`;
    if (process.env.IMM_REQUIRE_POSTGRES === '1') throw new Error(skipped);
    return { engines: [sqlite], skipped };
  }
  const postgres: EngineUnderTest = {
    name: 'postgres',
    open: async () => {
      const schema = await createPostgresSchema();
      const handle = openDatabase({ databaseUrl: schema.url, dataDir: makeDataDir() });
      await migrateToLatest(handle.db);
      return {
        ...handle,
        dispose: async () => {
          await handle.close();
          await schema.drop();
        },
      };
    },
  };
  return { engines: [sqlite, postgres] };
}
