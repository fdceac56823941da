import type { Kysely, Selectable } from 'kysely';
import type { Database, StsCredentialsTable } from './schema.js';
import { open, seal } from '../crypto/aead.js';

export type StsCredentialRow = Omit<Selectable<StsCredentialsTable>, 'secret_sealed'> & { secret: string };

/** Temporary credentials from AssumeRole: the secret sealed with the master key, the token only as a hash. */
export function stsStore(db: Kysely<Database>, masterKey: Buffer) {
  const aad = (id: string) => `sts-key:${id}`;
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
