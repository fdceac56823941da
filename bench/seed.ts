/**
 * Live sessions as real rows in the real tables (with their indexes), written straight into the database in
 * large batches — a million Generate calls would take the benchmark longer than the measurement. Each seeded
 * session is a clone of one made by a real Generate (same project, options and document), with its own tokens;
 * the tokens of the first `refreshable` sessions are returned so that requests can be signed for them.
 */
import { sql } from 'kysely';
import { openDatabase } from '../src/store/database.js';
import { sessionExpiry } from '../src/store/sessions.js';
import { hashToken, newToken } from '../src/tokens/tokenValues.js';
import { formatNanos, nanosToMillis, nowNanos } from '../src/tokens/time.js';
import { newRowId } from '../src/core/rowIds.js';

export interface SeededPair {
  AccessToken: string;
  RefreshToken: string;
}

const BATCH = 400;

export async function seedSessions(target: { databaseUrl?: string; dataDir: string }, count: number, refreshable: number): Promise<SeededPair[]> {
  const handle = openDatabase({ databaseUrl: target.databaseUrl, dataDir: target.dataDir });
  const { db } = handle;
  try {
    const template = await db.selectFrom('weboffice_sessions').selectAll().orderBy('created_at').limit(1).executeTakeFirstOrThrow();
    const pairs: SeededPair[] = [];
    const now = nowNanos();
    const accessExpiresMs = nanosToMillis(now) + 30 * 60_000;
    const refreshExpiresMs = nanosToMillis(now) + 24 * 3_600_000;
    for (let done = 0; done < count; ) {
      await db.transaction().execute(async (trx) => {
        for (let inBatch = 0; inBatch < 25 && done < count; inBatch++) {
          const size = Math.min(BATCH, count - done);
          const sessions = [];
          const tokens = [];
          for (let i = 0; i < size; i++) {
            const sessionId = newRowId();
            const pair = { AccessToken: newToken(), RefreshToken: newToken() };
            if (done + i < refreshable) pairs.push(pair);
            sessions.push({ ...template, id: sessionId, created_at: formatNanos(now), expires_ms: sessionExpiry(refreshExpiresMs), revoked_at_ms: null, revoked_reason: null });
            tokens.push({
              id: newRowId(),
              session_id: sessionId,
              access_hash: hashToken(pair.AccessToken),
              refresh_hash: hashToken(pair.RefreshToken),
              issued_at: formatNanos(now),
              access_expires_ms: accessExpiresMs,
              refresh_expires_ms: refreshExpiresMs,
              access_valid_until_ms: accessExpiresMs,
              spent_at_ms: null,
              successor_id: null,
              successor_sealed: null,
            });
          }
          await trx.insertInto('weboffice_sessions').values(sessions).execute();
          await trx.insertInto('weboffice_tokens').values(tokens).execute();
          done += size;
        }
      });
    }
    // Copy the seeded rows from SQLite's write-ahead log into the database now: otherwise the server's
    // background checkpoint does it during the first measured phase, on the server's CPU.
    if (handle.engine === 'sqlite') await sql`pragma wal_checkpoint(TRUNCATE)`.execute(db);
    return pairs;
  } finally {
    await handle.close();
  }
}
