/**
 * Master-key rotation (`imm-weboffice rotate-master-key`): every AccessKey secret and every STS credential
 * secret is opened with the current key and sealed again with a new one, in ONE database transaction, so an
 * interrupted rotation leaves either every secret under the old key or every secret under the new key.
 *
 * The current key is IMM_MASTER_KEY (or --master-key) when given, else `<data dir>/master.key`. With the key
 * file, the new key is first written beside it as `master.key.next` (mode 0600), the database is resealed, and
 * only then is the file renamed over `master.key` (atomic). A rotation interrupted between the commit and the
 * rename is finished by running the command again: it picks up `master.key.next`, finds the secrets already
 * under it, and renames. With IMM_MASTER_KEY, a generated key is handed to `onNewKey` BEFORE the database is
 * touched, so it cannot be lost with the secrets already resealed under it.
 *
 * Running nodes keep the key they started with: they must be restarted with the new key (until then they
 * cannot open the resealed secrets). A node still on the old key that seals a NEW secret after the rotation
 * (CreateAccessKey, AssumeRole) leaves it under the old key; running the same rotation again (old key as the
 * current one, the same --new-key) reseals such stragglers and leaves the others as they are.
 */
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import type { Config } from './config.js';
import { MASTER_KEY_FILE, parseMasterKey, type ResealResult } from './crypto/masterKey.js';
import { migrateToLatest, openDatabase, type Engine } from './store/database.js';
import { resealAccessKeySecrets } from './store/accounts.js';
import { resealStsSecrets } from './store/sts.js';
import { resealSessionSecrets } from './store/sessions.js';

export const PENDING_MASTER_KEY_FILE = 'master.key.next';

export interface RotationReport {
  engine: Engine;
  location: string;
  accessKeys: ResealResult;
  stsCredentials: ResealResult;
  /** WebOffice sessions' secret options (document passwords). */
  sessionSecrets: ResealResult;
  /** Where the new key now is, when the current key came from the key file. */
  keyFile?: string;
  /** True when the key of an earlier, interrupted rotation (`master.key.next`) was used. */
  resumed: boolean;
}

export async function rotateMasterKey(
  config: Config,
  options: {
    /** The new key (64 hex or base64 of 32 bytes); default: generated. */
    newKey?: string;
    /** Called with a GENERATED key (hex) when the current key is IMM_MASTER_KEY, before anything changes. */
    onNewKey?: (keyHex: string) => void;
  } = {},
): Promise<RotationReport> {
  const keyFile = config.masterKey === undefined ? path.join(config.dataDir, MASTER_KEY_FILE) : undefined;
  if (keyFile && !fs.existsSync(keyFile)) {
    throw new Error(`no master key to rotate: IMM_MASTER_KEY is not set and ${keyFile} does not exist`);
  }
  const oldKey = parseMasterKey(keyFile ? fs.readFileSync(keyFile, 'utf8').trim() : config.masterKey!);
  const given = options.newKey === undefined ? undefined : parseMasterKey(options.newKey.trim());

  const pendingFile = keyFile ? path.join(config.dataDir, PENDING_MASTER_KEY_FILE) : undefined;
  let newKey: Buffer;
  let resumed = false;
  if (pendingFile && fs.existsSync(pendingFile)) {
    newKey = parseMasterKey(fs.readFileSync(pendingFile, 'utf8').trim());
    if (given && !given.equals(newKey)) {
      throw new Error(
        `an interrupted rotation to another key is pending in ${pendingFile}: run again without --new-key to finish it ` +
          `(or delete that file if no secret was resealed under it)`,
      );
    }
    resumed = true;
  } else {
    newKey = given ?? randomBytes(32);
  }
  if (newKey.equals(oldKey)) throw new Error('the new master key is the current one');

  if (pendingFile && !resumed) writePrivateFile(pendingFile, newKey.toString('hex') + '\n');
  else if (!keyFile && !given) options.onNewKey?.(newKey.toString('hex'));

  const database = openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, poolSize: 1, statementTimeoutMs: config.dbStatementTimeoutMs });
  let report: RotationReport;
  try {
    await migrateToLatest(database.db);
    const keys = { from: oldKey, to: newKey };
    const resealed = await database.db.connection().execute(async (conn) => {
      // One transaction that holds off concurrent writers of both tables (readers go on): SQLite takes the
      // write lock at BEGIN IMMEDIATE; PostgreSQL's SHARE ROW EXCLUSIVE blocks inserts and updates only.
      await sql.raw(database.engine === 'sqlite' ? 'begin immediate' : 'begin').execute(conn);
      try {
        if (database.engine === 'postgres') await sql`lock table access_keys, sts_credentials, weboffice_sessions in share row exclusive mode`.execute(conn);
        const accessKeys = await resealAccessKeySecrets(conn, keys);
        const stsCredentials = await resealStsSecrets(conn, keys);
        const sessionSecrets = await resealSessionSecrets(conn, keys);
        const unreadable = [...accessKeys.unreadable, ...stsCredentials.unreadable, ...sessionSecrets.unreadable];
        if (unreadable.length > 0) {
          const shown = unreadable.slice(0, 10).join(', ') + (unreadable.length > 10 ? `, … (${unreadable.length} in all)` : '');
          throw new Error(`nothing changed: the secrets of ${shown} open with neither the current nor the new master key`);
        }
        await sql`commit`.execute(conn);
        return { accessKeys, stsCredentials, sessionSecrets };
      } catch (err) {
        await sql`rollback`.execute(conn).catch(() => {});
        throw err;
      }
    });
    report = { engine: database.engine, location: database.location, ...resealed, resumed };
  } catch (err) {
    // Nothing was resealed under a key written by this run: forget it.
    if (pendingFile && !resumed) fs.rmSync(pendingFile, { force: true });
    throw err;
  } finally {
    await database.close();
  }

  if (keyFile && pendingFile) {
    fs.renameSync(pendingFile, keyFile); // atomic: a starting node reads the old file or the new one, whole
    syncDirectory(path.dirname(keyFile));
    report.keyFile = keyFile;
  }
  return report;
}

/** Writes `content` to `file` (mode 0600) through a temporary file, flushed, then renamed into place. */
function writePrivateFile(file: string, content: string): void {
  const temp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const fd = fs.openSync(temp, 'wx', 0o600);
  try {
    fs.writeSync(fd, content);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(temp, file);
  syncDirectory(path.dirname(file));
}

function syncDirectory(dir: string): void {
  try {
    const fd = fs.openSync(dir, 'r');
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    // Not every platform can fsync a directory; the rename itself is still atomic.
  }
}
