/**
 * Both database engines for store tests: a SQLite file in a temp dir, and — when a server is reachable at
 * IMM_TEST_DATABASE_URL (default the local one) — PostgreSQL, in a schema of its own that is dropped after.
 */
import { createPostgresSchema, postgresReachable, TEST_POSTGRES_URL } from './postgres.js';
import { makeDataDir } from './server.js';
import { migrateToLatest, openDatabase, type DatabaseHandle } from '../../src/store/database.js';

export { TEST_POSTGRES_URL, postgresReachable, createPostgresSchema } from './postgres.js';

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
