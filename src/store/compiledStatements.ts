import { CompiledQuery, type Compilable, type Kysely, type QueryResult } from 'kysely';
import type { DirectSqlite } from './sqliteStatements.js';

/**
 * Statements of the hot path (a refresh's read, rotation, records and nonce), built once with Kysely's typed
 * builder and compiled once, then run with new values each time. Building and compiling a query cost more
 * than SQLite's execution of it (profile of a refresh: the builder ≈ 1/7 of its CPU); the compiled text is
 * also the key of the prepared-statement cache.
 *
 * A value that changes from call to call is a `slot` in the built query: Kysely takes it for a parameter like
 * any value, and `bind` puts each call's value in its place, in the order the compiled text expects.
 */
class Slot {
  readonly path: readonly (string | number)[];
  constructor(path: (string | number)[]) {
    this.path = path;
  }
}

/**
 * A named placeholder for a value given when the statement runs, typed as the column it stands for. Given a
 * path (`slot('next', 'id')`, `slot('audit', 2, 'id')`), its value is found inside the values passed:
 * `values.next.id`, `values.audit[2].id` — rows are passed as they are, not copied into flat names.
 */
export function slot<T>(name: string, ...path: (string | number)[]): T {
  return new Slot([name, ...path]) as unknown as T;
}

export interface CompiledStatement<Name extends string> {
  readonly sql: string;
  /** The parameters in their order in `sql`: each slot's value, and the constants of the built query. */
  bind(values: Readonly<Record<Name, unknown>>): unknown[];
}

export function compileOnce<Name extends string>(query: Compilable): CompiledStatement<Name> {
  const { sql, parameters } = query.compile();
  return {
    sql,
    bind: (values) =>
      parameters.map((parameter) => {
        if (!(parameter instanceof Slot)) return parameter;
        let value: unknown = values;
        for (const step of parameter.path) value = (value as Record<string | number, unknown> | undefined)?.[step];
        if (value === undefined) throw new Error(`no value for the slot ${parameter.path.join('.')} of: ${sql}`);
        return value;
      }),
  };
}

/** A slot per column, named as the column: the values of an insert built once (`bind` then takes the row itself). */
export function columnSlots<Column extends string>(columns: readonly Column[]): Record<Column, never> {
  return Object.fromEntries(columns.map((column) => [column, slot(column)])) as Record<Column, never>;
}

/**
 * The first row of a compiled query. On SQLite, directly when no transaction holds the connection (a statement
 * then reads committed rows only, and runs to its end before anything else can); otherwise, and on PostgreSQL,
 * through Kysely, which waits for the connection.
 */
export async function firstRow<Row, Name extends string>(
  db: Kysely<any>,
  direct: DirectSqlite | undefined,
  statement: CompiledStatement<Name>,
  values: Readonly<Record<Name, unknown>>,
): Promise<Row | undefined> {
  if (direct && !direct.inTransaction) return direct.get<Row, Name>(statement, values);
  return (await runCompiled<Row, Name>(db, statement, values)).rows[0];
}

/** Runs a compiled statement through Kysely's driver (PostgreSQL; SQLite inside a Kysely transaction). */
export function runCompiled<Row, Name extends string>(db: Kysely<any>, statement: CompiledStatement<Name>, values: Readonly<Record<Name, unknown>>): Promise<QueryResult<Row>> {
  return db.executeQuery<Row>(CompiledQuery.raw(statement.sql, statement.bind(values)));
}
