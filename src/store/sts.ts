import type { Kysely, Selectable } from 'kysely';
import type { Database, StsCredentialsTable } from './schema.js';
import { open, seal } from '../crypto/aead.js';
import { resealAll, type ResealResult } from '../crypto/masterKey.js';

export type StsCredentialRow = Omit<Selectable<StsCredentialsTable>, 'secret_sealed'> & { secret: string };

/** Temporary credentials from AssumeRole: the secret sealed with the master key, the token only as a hash. */
/** The associated data of an STS credential's sealed secret: binds the ciphertext to its key id. */
const aad = (id: string) => `sts-key:${id}`;

export function stsStore(db: Kysely<Database>, masterKey: Buffer) {
  return {
    async create(row: StsCredentialRow): Promise<void> {
      const { secret, ...rest } = row;
      await db.insertInto('sts_credentials').values({ ...rest, secret_sealed: seal(masterKey, secret, aad(row.access_key_id)) }).execute();
    },

    async find(accessKeyId: string): Promise<StsCredentialRow | undefined> {
      const row = await db.selectFrom('sts_credentials').selectAll().where('access_key_id', '=', accessKeyId).executeTakeFirst();
      if (!row) return undefined;
      const secret = open(masterKey, row.secret_sealed, aad(row.access_key_id));
      if (secret === undefined) throw new Error(`the secret of ${row.access_key_id} cannot be opened: wrong master key?`);
      const { secret_sealed: _sealed, ...rest } = row;
      return { ...rest, secret };
    },

    async tokenExists(tokenHash: string): Promise<boolean> {
      return (await db.selectFrom('sts_credentials').select('access_key_id').where('token_hash', '=', tokenHash).executeTakeFirst()) !== undefined;
    },

    async deleteExpired(beforeMs: number): Promise<number> {
      const result = await db.deleteFrom('sts_credentials').where('expires_ms', '<', beforeMs).executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}

export type StsStore = ReturnType<typeof stsStore>;

/** Master-key rotation, STS part: like `resealAccessKeySecrets`, for every stored temporary credential. */
export async function resealStsSecrets(trx: Kysely<Database>, keys: { from: Buffer; to: Buffer }): Promise<ResealResult> {
  const rows = await trx.selectFrom('sts_credentials').select(['access_key_id', 'secret_sealed']).orderBy('access_key_id').execute();
  return resealAll(
    rows.map((row) => ({ id: row.access_key_id, sealed: row.secret_sealed, associatedData: aad(row.access_key_id) })),
    keys,
    (id, sealed) => trx.updateTable('sts_credentials').set({ secret_sealed: sealed }).where('access_key_id', '=', id).execute(),
  );
}
