import type SQLite from 'better-sqlite3';
import type { SqliteDatabase, SqliteStatement } from 'kysely';
import type { CompiledStatement } from './compiledStatements.js';

/** Distinct SQL texts kept prepared; the application has a few hundred at most (list lengths vary some). */
const CAPACITY = 1000;

/**
 * The one SQLite connection, used directly (no builder, no driver, no promise per statement) by the hot path's
 * compiled statements. Statements run synchronously, so one never interleaves with another; whoever holds an
 * open transaction (the group commit, a Kysely transaction) owns the connection until it ends, which is what
 * `inTransaction` tells a reader that does not hold it.
 */
export interface DirectSqlite {
  readonly inTransaction: boolean;
  /** Runs a statement that returns no rows; the number of rows it changed. */
  run<Name extends string>(statement: CompiledStatement<Name>, values: Readonly<Record<Name, unknown>>): number;
  /** The first row of a query, or undefined. */
  get<Row, Name extends string>(statement: CompiledStatement<Name>, values: Readonly<Record<Name, unknown>>): Row | undefined;
  /** Transaction control (begin, savepoint, release, commit, rollback). */
  exec(sql: string): void;
}

/**
 * The SQLite connection as Kysely's driver sees it, except that `prepare` reuses the statement prepared for
 * the same SQL text instead of compiling it again on every query (Kysely's driver keeps no cache, and
 * preparing was a tenth of a refresh's time); and the same connection and cache used directly.
 * Safe on the one connection: better-sqlite3 runs each statement to completion synchronously, and SQLite
 * recompiles a prepared statement by itself after a schema change. Beyond CAPACITY texts the oldest is
 * dropped (and finalized by the garbage collector).
 */
export function withStatementCache(sqlite: SQLite.Database): { kysely: SqliteDatabase; direct: DirectSqlite } {
  const prepared = new Map<string, SQLite.Statement>();
  const prepare = (sql: string): SQLite.Statement => {
    let statement = prepared.get(sql);
    if (statement === undefined) {
      statement = sqlite.prepare(sql);
      if (prepared.size >= CAPACITY) prepared.delete(prepared.keys().next().value!);
      prepared.set(sql, statement);
    }
    return statement;
  };
  return {
    kysely: {
      close: () => sqlite.close(),
      prepare: (sql) => prepare(sql) as unknown as SqliteStatement,
    },
    direct: {
      get inTransaction() {
        return sqlite.inTransaction;
      },
      run: (statement, values) => prepare(statement.sql).run(...statement.bind(values)).changes,
      get: <Row, Name extends string>(statement: CompiledStatement<Name>, values: Readonly<Record<Name, unknown>>) =>
        prepare(statement.sql).get(...statement.bind(values)) as Row | undefined,
      exec: (sql) => void prepare(sql).run(),
    },
  };
}
