import { randomBytes, randomInt } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from './schema.js';
import { open, seal } from '../crypto/aead.js';
import { resealAll, type ResealResult } from '../crypto/masterKey.js';
import { ramStore } from './ram/index.js';

export interface AccountCredentials {
  AccountId: string;
  AccessKeyId: string;
  AccessKeySecret: string;
}

export interface AccessKeyRecord {
  accessKeyId: string;
  accountId: string;
  /** The RAM user owning the key; undefined for the account's root key. */
  userName?: string;
  status: 'Active' | 'Inactive';
  secret: string;
}

const BASE62 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

function randomBase62(length: number): string {
  let out = '';
  for (const byte of randomBytes(length * 2)) {
    if (byte < 248) out += BASE62[byte % 62]; // 248 = 4 × 62: no modulo bias
    if (out.length === length) return out;
  }
  return out + randomBase62(length - out.length);
}

/** Shaped like the cloud's: `LTAI` + 20 characters; secrets 30 characters (≈178 bits). */
export function newAccessKey(): { id: string; secret: string } {
  return { id: `LTAI${randomBase62(20)}`, secret: randomBase62(30) };
}

export function newAccountId(): string {
  return String(randomInt(1, 10)) + Array.from({ length: 15 }, () => randomInt(0, 10)).join('');
}

/** The associated data of an AccessKey's sealed secret: binds the ciphertext to its key id. */
const accessKeyAad = (id: string) => `access-key:${id}`;

/** Accounts and their AccessKeys. Secrets are sealed with the master key; the key id binds each ciphertext. */
export function accountStore(db: Kysely<Database>, masterKey: Buffer) {
  const sealSecret = (id: string, secret: string) => seal(masterKey, secret, accessKeyAad(id));

  return {
    async createAccount(options: { accountId?: string; accessKey?: { id: string; secret: string } } = {}): Promise<AccountCredentials> {
      const accountId = options.accountId ?? newAccountId();
      const key = options.accessKey ?? newAccessKey();
      const now = new Date().toISOString();
      await db.transaction().execute(async (trx) => {
        await trx.insertInto('accounts').values({ id: accountId, created_at: now }).execute();
        await trx
          .insertInto('access_keys')
          .values({ id: key.id, account_id: accountId, secret_sealed: sealSecret(key.id, key.secret), status: 'Active', created_at: now, user_name: null })
          .execute();
        await ramStore(trx).ensureDefaultRole(accountId);
      });
      return { AccountId: accountId, AccessKeyId: key.id, AccessKeySecret: key.secret };
    },

    /** Like createAccount, but an account or key that exists already is left as it is (concurrent starts). */
    async ensureAccount(options: { accountId: string; accessKey: { id: string; secret: string } }): Promise<AccountCredentials> {
      const now = new Date().toISOString();
      const { accountId, accessKey: key } = options;
      await db.transaction().execute(async (trx) => {
        await trx.insertInto('accounts').values({ id: accountId, created_at: now }).onConflict((oc) => oc.column('id').doNothing()).execute();
        await trx
          .insertInto('access_keys')
          .values({ id: key.id, account_id: accountId, secret_sealed: sealSecret(key.id, key.secret), status: 'Active', created_at: now, user_name: null })
          .onConflict((oc) => oc.column('id').doNothing())
          .execute();
        await ramStore(trx).ensureDefaultRole(accountId);
      });
      return { AccountId: accountId, AccessKeyId: key.id, AccessKeySecret: key.secret };
    },

    /** A new key for the account's root, or for one of its RAM users. */
    async addAccessKey(accountId: string, userName?: string): Promise<AccountCredentials> {
      const key = newAccessKey();
      await db
        .insertInto('access_keys')
        .values({ id: key.id, account_id: accountId, secret_sealed: sealSecret(key.id, key.secret), status: 'Active', created_at: new Date().toISOString(), user_name: userName ?? null })
        .execute();
      return { AccountId: accountId, AccessKeyId: key.id, AccessKeySecret: key.secret };
    },

    async replaceSecret(accessKeyId: string, secret: string): Promise<void> {
      await db.updateTable('access_keys').set({ secret_sealed: sealSecret(accessKeyId, secret) }).where('id', '=', accessKeyId).execute();
    },

    async accountExists(accountId: string): Promise<boolean> {
      return (await db.selectFrom('accounts').select('id').where('id', '=', accountId).executeTakeFirst()) !== undefined;
    },

    async findAccessKey(accessKeyId: string): Promise<AccessKeyRecord | undefined> {
      const row = await db.selectFrom('access_keys').selectAll().where('id', '=', accessKeyId).executeTakeFirst();
      if (!row) return undefined;
      const secret = open(masterKey, row.secret_sealed, accessKeyAad(row.id));
      if (secret === undefined) throw new Error(`the secret of AccessKey ${row.id} cannot be opened: wrong master key?`);
      return { accessKeyId: row.id, accountId: row.account_id, ...(row.user_name ? { userName: row.user_name } : {}), status: row.status, secret };
    },

    async setAccessKeyStatus(accessKeyId: string, status: 'Active' | 'Inactive'): Promise<boolean> {
      const result = await db.updateTable('access_keys').set({ status }).where('id', '=', accessKeyId).executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },

    async listAccounts() {
      return db.selectFrom('accounts').selectAll().orderBy('created_at').execute();
    },
  };
}

export type AccountStore = ReturnType<typeof accountStore>;

/**
 * Master-key rotation, AccessKey part: every secret sealed with `keys.from` is resealed with `keys.to`. Run it
 * inside the rotation's transaction (`trx`); it writes nothing when a secret opens with neither key (the
 * caller then rolls back).
 */
export async function resealAccessKeySecrets(trx: Kysely<Database>, keys: { from: Buffer; to: Buffer }): Promise<ResealResult> {
  const rows = await trx.selectFrom('access_keys').select(['id', 'secret_sealed']).orderBy('id').execute();
  return resealAll(
    rows.map((row) => ({ id: row.id, sealed: row.secret_sealed, associatedData: accessKeyAad(row.id) })),
    keys,
    (id, sealed) => trx.updateTable('access_keys').set({ secret_sealed: sealed }).where('id', '=', id).execute(),
  );
}
