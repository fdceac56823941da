/**
 * One installation — a database and a shared document folder — for nodes started in this process with
 * `openServices`, as `imm-weboffice serve` would: every node opens its own connections (its own SQLite handle,
 * or its own PostgreSQL pool on the installation's schema), so two of them are two nodes as far as the
 * database can tell. On both engines (PostgreSQL skipped, and said so, when no server answers).
 */
import { createPostgresSchema, postgresReachable, TEST_POSTGRES_URL } from './postgres.js';
import { makeDataDir } from './server.js';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { openServices, type Services } from '../../src/services.js';

export interface Installation {
  engine: 'sqlite' | 'postgres';
  /** The settings every node shares (data and document folders, database, master key). */
  env: Record<string, string>;
  /** Starts one more node on the installation, with `extra` settings of its own. */
  node(extra?: Record<string, string>): Promise<Services>;
  /** Closes every node still open and drops the PostgreSQL schema. */
  dispose(): Promise<void>;
}

async function installation(engine: 'sqlite' | 'postgres'): Promise<Installation> {
  const dataDir = makeDataDir();
  const schema = engine === 'postgres' ? await createPostgresSchema() : undefined;
  const env: Record<string, string> = {
    IMM_DATA_DIR: dataDir,
    IMM_MASTER_KEY: '11'.repeat(32),
    ...(schema ? { IMM_DATABASE_URL: schema.url } : {}),
  };
  const open = new Set<Services>();
  return {
    engine,
    env,
    async node(extra = {}) {
      const services = await openServices(loadConfig({ ...env, ...extra }), createLogger(process.env.IMM_TEST_LOG_LEVEL ?? 'silent'));
      open.add(services);
      const close = services.database.close;
      services.database.close = async () => {
        open.delete(services);
        await services.converter.close();
        await close();
      };
      return services;
    },
    async dispose() {
      await Promise.all([...open].map((services) => services.database.close()));
      await schema?.drop();
    },
  };
}

/** The engines to run a suite on: SQLite always, PostgreSQL when a server answers (required with IMM_REQUIRE_POSTGRES=1). */
export async function installationsUnderTest(): Promise<{ engines: ('sqlite' | 'postgres')[]; open: typeof installation; skipped?: string }> {
  if (await postgresReachable()) return { engines: ['sqlite', 'postgres'], open: installation };
  const skipped = `PostgreSQL tests skipped: no server at ${TEST_POSTGRES_URL} (set IMM_TEST_DATABASE_URL)`;
  if (process.env.IMM_REQUIRE_POSTGRES === '1') throw new Error(skipped);
  return { engines: ['sqlite'], open: installation, skipped };
}
