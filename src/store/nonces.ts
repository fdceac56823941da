import type { Kysely } from 'kysely';
import type { Database } from './schema.js';
import type { WriteTransaction } from './groupCommit.js';

/** The signature-nonce replay cache, in the database so that every node shares it. */
export function nonceStore(db: Kysely<Database>, write: WriteTransaction) {
  return {
    /** Records a nonce; false when the same key used it before (the primary key decides, atomically). */
    async remember(accessKeyId: string, nonce: string, expiresMs: number): Promise<boolean> {
      const result = await write((trx) => trx
        .insertInto('signature_nonces')
        .values({ access_key_id: accessKeyId, nonce, expires_ms: expiresMs })
        .onConflict((oc) => oc.columns(['access_key_id', 'nonce']).doNothing())
        .executeTakeFirst());
      return Number(result.numInsertedOrUpdatedRows ?? 0n) === 1;
    },

    async deleteExpired(nowMs: number): Promise<number> {
      const result = await db.deleteFrom('signature_nonces').where('expires_ms', '<', nowMs).executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}

export type NonceStore = ReturnType<typeof nonceStore>;
