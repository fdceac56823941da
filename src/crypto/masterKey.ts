import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { open, seal } from './aead.js';

export const MASTER_KEY_FILE = 'master.key';

/**
 * The key that seals AccessKey secrets at rest: `IMM_MASTER_KEY` (32 bytes as 64 hex characters or base64),
 * or else a key file in the data directory, generated once with mode 0600. Several nodes must share it.
 */
export function loadMasterKey(dataDir: string, configured?: string): Buffer {
  if (configured) return parseMasterKey(configured);
  const file = path.join(dataDir, MASTER_KEY_FILE);
  // The data directory holds keys and the database: private to the service's user.
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  if (!fs.existsSync(file)) writeFileOnce(file, randomBytes(32).toString('hex') + '\n');
  return parseMasterKey(fs.readFileSync(file, 'utf8').trim());
}

/**
 * Writes a private (0600) file only if it does not exist yet, atomically: the content goes to a temporary
 * file that is then hard-linked into place, so a process starting at the same moment reads either nothing
 * or the whole file, and the first writer wins.
 */
export function writeFileOnce(file: string, content: string): boolean {
  const temp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  fs.writeFileSync(temp, content, { mode: 0o600 });
  try {
    fs.linkSync(temp, file);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    return false;
  } finally {
    fs.unlinkSync(temp);
  }
}

export function parseMasterKey(text: string): Buffer {
  const key = /^[0-9a-fA-F]{64}$/.test(text) ? Buffer.from(text, 'hex') : Buffer.from(text, 'base64');
  if (key.length !== 32) throw new Error('the master key must be 32 bytes, given as 64 hex characters or base64');
  return key;
}

/** What re-sealing a table's secrets found: resealed now, already under the new key, or opening with neither. */
export interface ResealResult {
  resealed: number;
  alreadyNew: number;
  /** Ids of the rows whose secret opens with neither key. */
  unreadable: string[];
}

/**
 * One sealed secret moved from key `from` to key `to`. A secret that opens only with `to` was resealed by an
 * earlier, interrupted or repeated rotation and is left as it is (so a rotation can be run again safely).
 */
function resealSecret(sealed: string, associatedData: string, keys: { from: Buffer; to: Buffer }): { sealed: string } | 'alreadyNew' | 'unreadable' {
  const secret = open(keys.from, sealed, associatedData);
  if (secret !== undefined) return { sealed: seal(keys.to, secret, associatedData) };
  return open(keys.to, sealed, associatedData) === undefined ? 'unreadable' : 'alreadyNew';
}

/**
 * Reseals every secret of one table: nothing is written unless every secret opens with one of the keys (the
 * caller then rolls back); otherwise `write` stores each resealed secret.
 */
export async function resealAll(
  rows: { id: string; sealed: string; associatedData: string }[],
  keys: { from: Buffer; to: Buffer },
  write: (id: string, sealed: string) => Promise<unknown>,
): Promise<ResealResult> {
  const result: ResealResult = { resealed: 0, alreadyNew: 0, unreadable: [] };
  const updates: { id: string; sealed: string }[] = [];
  for (const row of rows) {
    const outcome = resealSecret(row.sealed, row.associatedData, keys);
    if (outcome === 'unreadable') result.unreadable.push(row.id);
    else if (outcome === 'alreadyNew') result.alreadyNew++;
    else updates.push({ id: row.id, sealed: outcome.sealed });
  }
  if (result.unreadable.length > 0) return result;
  for (const { id, sealed } of updates) {
    await write(id, sealed);
    result.resealed++;
  }
  return result;
}

