import type SQLite from 'better-sqlite3';
import type { SqliteDatabase, SqliteStatement } from 'kysely';

/** Distinct SQL texts kept prepared; the application has a few hundred at most (list lengths vary some). */
const CAPACITY = 1000;

/**
 * The SQLite connection as Kysely's driver sees it, except that `prepare` reuses the statement prepared for
 * the same SQL text instead of compiling it again on every query (Kysely's driver keeps no cache, and
 * preparing was a tenth of a refresh's time). Safe on the one connection: better-sqlite3 runs each statement
 * to completion synchronously, and SQLite recompiles a prepared statement by itself after a schema change.
 * Beyond CAPACITY texts the oldest is dropped (and finalized by the garbage collector).
 */
export function withStatementCache(sqlite: SQLite.Database): SqliteDatabase {
  const prepared = new Map<string, SqliteStatement>();
  return {
    close: () => sqlite.close(),
    prepare(sql: string): SqliteStatement {
      let statement = prepared.get(sql);
      if (statement === undefined) {
        statement = sqlite.prepare(sql) as unknown as SqliteStatement;
        if (prepared.size >= CAPACITY) prepared.delete(prepared.keys().next().value!);
        prepared.set(sql, statement);
      }
      return statement;
    },
  };
}
