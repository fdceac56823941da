import type { Kysely } from 'kysely';
import type { Database } from './schema.js';
import { compileOnce, firstRow, slot } from './compiledStatements.js';
import type { DirectSqlite } from './sqliteStatements.js';

/** Everything one document-API call needs to judge an access token, read in one query. */
export interface DocumentAccess {
  session: {
    id: string;
    projectId: string;
    fileId: string;
    /** The remembered Generate options (JSON). */
    options: string;
    revokedAtMs: number | null;
    /** False once the project was deleted (its sessions are revoked then, too). */
    projectExists: boolean;
  };
  token: {
    /** ISO 8601 with nanoseconds: the expiry shown derives from it, to the digit Generate or Refresh answered. */
    issuedAt: string;
    accessExpiresMs: number;
    /** The expiry, or refresh time + IMM_PREVIOUS_TOKEN_GRACE once its pair was refreshed. */
    accessValidUntilMs: number;
    /** Set once its pair was refreshed: the token is then a previous one. */
    spentAtMs: number | null;
  };
  /** SHA-256 of the current holder's id; null before any page opened the session. */
  holderHash: string | null;
}

/** What the WebOffice document API reads and writes: access by token hash, and the session's holder. */
export function webofficeAccessStore(db: Kysely<Database>, direct?: DirectSqlite) {
  // Every call of the document API starts here: built and compiled once, run directly on SQLite.
  const accessQuery = db
    .selectFrom('weboffice_tokens as t')
    .innerJoin('weboffice_sessions as s', 's.id', 't.session_id')
    .leftJoin('projects as p', 'p.id', 's.project_id')
    .leftJoin('weboffice_holders as h', 'h.session_id', 's.id')
    .select([
      't.issued_at', 't.access_expires_ms', 't.access_valid_until_ms', 't.spent_at_ms',
      's.id', 's.project_id', 's.file_id', 's.options', 's.revoked_at_ms',
      'p.id as project_row', 'h.holder_hash',
    ])
    .where('t.access_hash', '=', slot<string>('hash'));
  const accessStatement = compileOnce<'hash'>(accessQuery);
  type AccessRow = Awaited<ReturnType<typeof accessQuery.executeTakeFirstOrThrow>>;

  return {
    async findByAccessHash(accessHash: string): Promise<DocumentAccess | undefined> {
      const row = await firstRow<AccessRow, 'hash'>(db, direct, accessStatement, { hash: accessHash });
      if (!row) return undefined;
      return {
        session: {
          id: row.id,
          projectId: row.project_id,
          fileId: row.file_id,
          options: row.options,
          revokedAtMs: row.revoked_at_ms,
          projectExists: row.project_row !== null,
        },
        token: { issuedAt: row.issued_at, accessExpiresMs: row.access_expires_ms, accessValidUntilMs: row.access_valid_until_ms, spentAtMs: row.spent_at_ms },
        holderHash: row.holder_hash,
      };
    },

    /** Makes `holderHash` the session's holder, taking it over from any earlier one (the last to open wins). */
    async takeHolder(sessionId: string, holderHash: string, nowMs: number): Promise<void> {
      await db
        .insertInto('weboffice_holders')
        .values({ session_id: sessionId, holder_hash: holderHash, opened_at_ms: nowMs })
        .onConflict((oc) => oc.column('session_id').doUpdateSet({ holder_hash: holderHash, opened_at_ms: nowMs }))
        .execute();
    },

    /**
     * Makes `holderHash` the holder only if the session has none yet; returns the holder's hash afterwards
     * (of two first callers at once, the primary key lets one in).
     */
    async claimHolder(sessionId: string, holderHash: string, nowMs: number): Promise<string> {
      await db
        .insertInto('weboffice_holders')
        .values({ session_id: sessionId, holder_hash: holderHash, opened_at_ms: nowMs })
        .onConflict((oc) => oc.column('session_id').doNothing())
        .execute();
      const row = await db.selectFrom('weboffice_holders').select('holder_hash').where('session_id', '=', sessionId).executeTakeFirstOrThrow();
      return row.holder_hash;
    },
  };
}

export type WebofficeAccessStore = ReturnType<typeof webofficeAccessStore>;
