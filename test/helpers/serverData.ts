/**
 * What tests need around a running server besides its API: its SQLite file (read-only), documents in the
 * file-system object store, the CLI's JSON output, and an independent reader of IMM's nanosecond times.
 */
import fs from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { runCli } from './server.js';

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Opens the server's SQLite file read-only (WAL: sees every committed write of the running processes). */
export function openDatabaseFile(dataDir: string): SQLite.Database {
  return new SQLite(path.join(dataDir, 'imm-weboffice.db'), { readonly: true, fileMustExist: true });
}

/** Runs `fn` on a fresh read-only connection and closes it. */
export function queryDatabase<T>(dataDir: string, fn: (db: SQLite.Database) => T): T {
  const db = openDatabaseFile(dataDir);
  try {
    return fn(db);
  } finally {
    db.close();
  }
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
