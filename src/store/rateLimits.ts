import { PostgresAdapter, type Kysely } from 'kysely';
import type { Database, RateLimitWindowsTable } from './schema.js';
import type { WriteTransaction } from './groupCommit.js';

export type RateLimitScope = RateLimitWindowsTable['scope'];

/**
 * Request counters of fixed windows, in the database so that every node counts together. One atomic upsert
 * per request and scope (`insert … on conflict do update set count = count + 1 returning count`, SQLite ≥ 3.35
 * and PostgreSQL alike): concurrent requests on any node each see a distinct count.
 */
export function rateLimitStore(db: Kysely<Database>, write: WriteTransaction) {
  const postgres = db.getExecutor().adapter instanceof PostgresAdapter;
  return {
    /** Counts one more request of `key` in the window starting at `windowMs`; returns the count so far. */
    async increment(scope: RateLimitScope, key: string, windowMs: number): Promise<number> {
      const count = (trx: Kysely<Database>) => trx
        .insertInto('rate_limit_windows')
        .values({ scope, key, window_ms: windowMs, count: 1 })
        .onConflict((oc) => oc.columns(['scope', 'key', 'window_ms']).doUpdateSet((eb) => ({ count: eb('rate_limit_windows.count', '+', 1) })))
        .returning('count')
        .executeTakeFirstOrThrow();
      // On PostgreSQL the one statement commits by itself: one round trip instead of three.
      const row = postgres ? await count(db) : await write((trx) => count(trx));
      return Number(row.count);
    },

    /** Deletes the windows that started before `beforeMs`; returns how many. */
    async deleteBefore(beforeMs: number): Promise<number> {
      const result = await db.deleteFrom('rate_limit_windows').where('window_ms', '<', beforeMs).executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}

export type RateLimitStore = ReturnType<typeof rateLimitStore>;
