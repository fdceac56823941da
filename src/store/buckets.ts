import type { Kysely } from 'kysely';
import type { Database } from './schema.js';

/** Which account owns each bucket (the objects themselves live in the object store). */
export function bucketStore(db: Kysely<Database>) {
  return {
    /** False when a bucket of that name exists already (bucket names are global, as in OSS). */
    async create(name: string, accountId: string): Promise<boolean> {
      const result = await db
        .insertInto('buckets')
        .values({ name, account_id: accountId, created_at: new Date().toISOString() })
        .onConflict((oc) => oc.column('name').doNothing())
        .executeTakeFirst();
      return Number(result.numInsertedOrUpdatedRows ?? 0n) === 1;
    },

    async find(name: string) {
      return db.selectFrom('buckets').selectAll().where('name', '=', name).executeTakeFirst();
    },

    async list(accountId?: string) {
      let query = db.selectFrom('buckets').selectAll();
      if (accountId) query = query.where('account_id', '=', accountId);
      return query.orderBy('name').execute();
    },
  };
}

export type BucketStore = ReturnType<typeof bucketStore>;
