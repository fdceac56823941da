/**
 * Migrating a PostgreSQL schema while another schema of the same database is dropped (tests, other
 * applications): Kysely's migrator looks up its tables across every schema, and that catalog query fails when
 * a schema, table or column vanishes under it — 3F000 from `has_schema_privilege`, 42P01 or 42703 from
 * `pg_get_serial_sequence`. `migrateToLatest` looks again on those codes, only on them, and only for the lookup
 * (never for a migration's own statement). The failure is injected into the real query (the race itself is too
 * rare to wait for); everything else runs on the real server.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { Kysely, PostgresDialect } from 'kysely';
import { migrateToLatest } from '../../src/store/database.js';
import type { Database } from '../../src/store/schema.js';
import { createPostgresSchema, postgresReachable } from '../helpers/postgres.js';

const reachable = await postgresReachable();
if (!reachable && process.env.IMM_REQUIRE_POSTGRES === '1') throw new Error('PostgreSQL required (IMM_REQUIRE_POSTGRES=1) but not reachable');

/** The migrator's catalog lookup of its own tables. */
const LOOKUP = 'pg_get_serial_sequence';

/** A database whose first `failures` queries containing `marker` fail with `code`, as a concurrent drop makes the lookup fail. */
async function withFailingQueries(marker: string, code: string, failures: number, run: (db: Kysely<Database>, schemaUrl: string) => Promise<void>) {
  const schema = await createPostgresSchema();
  const pool = new pg.Pool({ connectionString: schema.url, max: 2 });
  let left = failures;
  const failingPool = {
    connect: async () => {
      const client = await pool.connect();
      const query = client.query.bind(client) as (...args: unknown[]) => Promise<unknown>;
      (client as unknown as { query: (...args: unknown[]) => Promise<unknown> }).query = (text: unknown, ...rest: unknown[]) => {
        if (left > 0 && String(text).includes(marker)) {
          left--;
          return Promise.reject(Object.assign(new Error('relation "imm_test_gone.kysely_migration" does not exist'), { code }));
        }
        return query(text, ...rest);
      };
      return client;
    },
    end: () => pool.end(),
  };
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: failingPool as unknown as pg.Pool }) });
  try {
    await run(db, schema.url);
  } finally {
    await db.destroy();
    await schema.drop();
  }
}

async function appliedMigrations(url: string): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return Number((await client.query('select count(*) as n from kysely_migration')).rows[0].n);
  } finally {
    await client.end();
  }
}

describe('migrating while another schema is dropped', { skip: !reachable && 'no PostgreSQL server' }, () => {
  for (const [code, what] of [['3F000', 'the schema'], ['42P01', 'one of its tables'], ['42703', 'a column of one of its tables']]) {
    test(`a lookup that meets ${what} dropped meanwhile (${code}) is made again, and every migration is applied`, async () => {
      await withFailingQueries(LOOKUP, code, 2, async (db, url) => {
        await migrateToLatest(db);
        assert.ok((await appliedMigrations(url)) >= 10, 'the migrations were applied');
      });
    });
  }

  test('any other failure of the lookup is reported at once, not retried', async () => {
    await withFailingQueries(LOOKUP, '42501', 1, async (db) => {
      await assert.rejects(migrateToLatest(db), /database migration\s+failed/);
    });
  });

  test("a migration's own statement failing with one of those codes is reported with its name, not retried", async () => {
    await withFailingQueries('create table "document_conversions"', '42703', 1, async (db, url) => {
      await assert.rejects(migrateToLatest(db), /database migration 2026-12-03-document-conversions failed/);
      assert.equal(await appliedMigrations(url), 0, 'the migrations ran in one transaction, rolled back whole');
    });
  });
});
