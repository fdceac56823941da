import type { Kysely } from 'kysely';
import type { Database } from './schema.js';

export interface ObjectVersion {
  version: number;
  size: number;
  etag: string;
  fingerprint: string;
  createdAt: string;
}

type Row = Database['object_versions'];
const toVersion = (row: Row): ObjectVersion => ({
  version: row.version,
  size: row.size,
  etag: row.etag,
  fingerprint: row.fingerprint,
  createdAt: row.created_at,
});

/** The version history of objects, shared by every node through the database. */
export function objectVersionStore(db: Kysely<Database>) {
  const latest = async (bucket: string, key: string): Promise<ObjectVersion | undefined> => {
    const row = await db
      .selectFrom('object_versions')
      .selectAll()
      .where('bucket', '=', bucket)
      .where('object_key', '=', key)
      .orderBy('version', 'desc')
      .limit(1)
      .executeTakeFirst();
    return row && toVersion(row);
  };

  return {
    latest,

    /**
     * Makes `content` the current version unless it is already (same fingerprint), and returns the current
     * version. Nodes noticing the same new content at once agree on one version: the primary key lets only
     * one of them take the next number, the others find its row on the next look.
     */
    async record(bucket: string, key: string, content: Omit<ObjectVersion, 'version' | 'createdAt'>, now: Date = new Date()): Promise<ObjectVersion> {
      for (let attempt = 0; attempt < 20; attempt++) {
        const current = await latest(bucket, key);
        if (current?.fingerprint === content.fingerprint) return current;
        const version = (current?.version ?? 0) + 1;
        const result = await db
          .insertInto('object_versions')
          .values({ bucket, object_key: key, version, size: content.size, etag: content.etag, fingerprint: content.fingerprint, created_at: now.toISOString() })
          .onConflict((oc) => oc.columns(['bucket', 'object_key', 'version']).doNothing())
          .executeTakeFirst();
        if (Number(result.numInsertedOrUpdatedRows ?? 0n) === 1) return { ...content, version, createdAt: now.toISOString() };
      }
      // Twenty other writers each took the next number first: the object changes faster than anyone reads it.
      throw new Error(`object_versions: could not record a version of ${bucket}/${key} (too many concurrent writers)`);
    },

    /** One version of an object, or undefined when it was never recorded. */
    async find(bucket: string, key: string, version: number): Promise<ObjectVersion | undefined> {
      const row = await db.selectFrom('object_versions').selectAll().where('bucket', '=', bucket).where('object_key', '=', key).where('version', '=', version).executeTakeFirst();
      return row && toVersion(row);
    },

    /** Every version, oldest first. */
    async list(bucket: string, key: string): Promise<ObjectVersion[]> {
      const rows = await db.selectFrom('object_versions').selectAll().where('bucket', '=', bucket).where('object_key', '=', key).orderBy('version').execute();
      return rows.map(toVersion);
    },
  };
}

export type ObjectVersionStore = ReturnType<typeof objectVersionStore>;
