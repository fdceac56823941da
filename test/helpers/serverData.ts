/**
 * What tests need around a running server besides its API: its database (SQLite file or PostgreSQL schema),
 * documents in the file-system object store, the CLI's JSON output, and an independent reader of IMM's
 * nanosecond times.
 */
import fs from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { runCli } from './server.js';
import { postgresQuery } from './postgres.js';

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Runs one SQL statement (`?` placeholders) on the server's database, whichever engine it runs on, as another
 * process would: SQLite through the file (WAL: sees every committed write), PostgreSQL through its schema.
 */
export async function sql<T = Record<string, unknown>>(server: { dataDir: string; env: Record<string, string> }, text: string, params: unknown[] = []): Promise<T[]> {
  const url = server.env.IMM_DATABASE_URL;
  if (url?.startsWith('postgres')) return postgresQuery<T>(url, text, params);
  const db = new SQLite(path.join(server.dataDir, 'imm-weboffice.db'), { fileMustExist: true });
  try {
    db.pragma('busy_timeout = 10000');
    const statement = db.prepare(text);
    return statement.reader ? (statement.all(...params) as T[]) : (statement.run(...params), []);
  } finally {
    db.close();
  }
}

/**
 * Everything the database holds, as bytes to search: the SQLite files (db, WAL, shared memory) as they lie on
 * disk, or on PostgreSQL every row of every table of the server's schema.
 */
export async function databaseBytes(server: { dataDir: string; env: Record<string, string> }): Promise<Buffer> {
  const url = server.env.IMM_DATABASE_URL;
  if (url?.startsWith('postgres')) {
    const tables = await postgresQuery<{ table_name: string }>(url, "select table_name from information_schema.tables where table_schema = current_schema() and table_type = 'BASE TABLE'");
    const dumps = await Promise.all(tables.map(async ({ table_name }) => JSON.stringify(await postgresQuery(url, `select * from "${table_name}"`))));
    return Buffer.from(dumps.join('\n'), 'utf8');
  }
  const file = path.join(server.dataDir, 'imm-weboffice.db');
  return Buffer.concat([file, `${file}-wal`, `${file}-shm`].filter((f) => fs.existsSync(f)).map((f) => fs.readFileSync(f)));
}

/** The first row's `n` column (write queries as `select count(*) as n …`). */
export async function count(server: { dataDir: string; env: Record<string, string> }, text: string, params: unknown[] = []): Promise<number> {
  const rows = await sql<{ n: number | string }>(server, text, params);
  return Number(rows[0]?.n ?? 0);
}

/** `imm-weboffice bucket create NAME --account ID`. */
export async function createBucket(server: { env: Record<string, string> }, accountId: string, bucket: string): Promise<void> {
  await runCli(server.env, ['bucket', 'create', bucket, '--account', accountId]);
}

/** Writes an object straight into the file-system store (`<data dir>/oss/BUCKET/KEY`); returns its oss:// URI. */
export function writeObject(server: { dataDir: string }, bucket: string, key: string, content: string | Buffer = 'hello'): string {
  const file = path.join(server.dataDir, 'oss', bucket, key);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, content);
  return `oss://${bucket}/${key}`;
}

export interface UsageRow {
  AccountId: string;
  ProjectName: string;
  Operation: string;
  Calls: number;
}

/** `imm-weboffice usage --json [args]`. */
export async function usage(server: { env: Record<string, string> }, args: string[] = []): Promise<UsageRow[]> {
  return JSON.parse(await runCli(server.env, ['usage', '--json', ...args])) as UsageRow[];
}

/** Calls of one operation for one project in a usage listing (0 when absent). */
export function callsOf(rows: UsageRow[], projectName: string, operation: string): number {
  return rows.filter((r) => r.ProjectName === projectName && r.Operation === operation).reduce((sum, r) => sum + r.Calls, 0);
}

export const TIME_WITH_NANOS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{9}Z$/;

/** `2021-09-01T12:37:28.950065359Z` → nanoseconds since the epoch (written here, independent of src/). */
export function isoToNanos(text: string): bigint {
  const match = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})\.(\d{9})Z$/.exec(text);
  if (!match) throw new Error(`not a UTC time with nine fractional digits: ${text}`);
  const ms = Date.parse(`${match[1]}Z`);
  if (Number.isNaN(ms)) throw new Error(`not a valid time: ${text}`);
  return BigInt(ms) * 1_000_000n + BigInt(match[2]);
}

export const NANOS_PER_SECOND = 1_000_000_000n;
