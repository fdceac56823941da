import { PostgresAdapter, type Kysely } from 'kysely';
import type { Database } from './schema.js';
import type { WriteTransaction } from './groupCommit.js';
import { columnSlots, compileOnce, runCompiled } from './compiledStatements.js';

/** The signature-nonce replay cache, in the database so that every node shares it. */
export function nonceStore(db: Kysely<Database>, write: WriteTransaction) {
  // Every signed request records its nonce: a statement compiled once (compiledStatements.ts).
  const compiled = compileOnce<'access_key_id' | 'nonce' | 'expires_ms'>(
    db
      .insertInto('signature_nonces')
      .values(columnSlots(['access_key_id', 'nonce', 'expires_ms'] as const))
      .onConflict((oc) => oc.columns(['access_key_id', 'nonce']).doNothing()),
  );
  const inserted = async (trx: Kysely<Database>, values: { access_key_id: string; nonce: string; expires_ms: number }) =>
    (await runCompiled(trx, compiled, values)).numAffectedRows === 1n;
  // On PostgreSQL the one statement commits by itself: one round trip instead of three (begin, insert, commit).
  const postgres = db.getExecutor().adapter instanceof PostgresAdapter;
  return {
    /** Records a nonce; false when the same key used it before (the primary key decides, atomically). */
    async remember(accessKeyId: string, nonce: string, expiresMs: number): Promise<boolean> {
      const values = { access_key_id: accessKeyId, nonce, expires_ms: expiresMs };
      if (postgres) return inserted(db, values);
      return write(async (trx, direct) => (direct ? direct.run(compiled, values) === 1 : inserted(trx, values)));
    },

    async deleteExpired(nowMs: number): Promise<number> {
      const result = await db.deleteFrom('signature_nonces').where('expires_ms', '<', nowMs).executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}

export type NonceStore = ReturnType<typeof nonceStore>;
