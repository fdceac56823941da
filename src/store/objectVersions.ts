import { sql, type Kysely } from 'kysely';
import type { Database } from './schema.js';
import { compileOnce, firstRow, slot } from './compiledStatements.js';
import type { DirectSqlite } from './sqliteStatements.js';
import { insertOutboxMessages, type OutboxMessage } from './notificationOutbox.js';

export interface ObjectVersion {
  version: number;
  size: number;
  etag: string;
  fingerprint: string;
  createdAt: string;
  /** Where the version's bytes are kept (their SHA-256); absent for versions recorded before contents were kept. */
  contentId?: string;
}

/** A content about to become a version: what `record` and `commit` store. */
export type VersionContent = Omit<ObjectVersion, 'version' | 'createdAt'>;

type Row = Database['object_versions'];
const toVersion = (row: Row): ObjectVersion => ({
  version: row.version,
  size: row.size,
  etag: row.etag,
  fingerprint: row.fingerprint,
  createdAt: row.created_at,
  ...(row.content_id ? { contentId: row.content_id } : {}),
});

const rowOf = (bucket: string, key: string, version: number, content: VersionContent, createdAt: string) => ({
  bucket, object_key: key, version, size: content.size, etag: content.etag, fingerprint: content.fingerprint, created_at: createdAt, content_id: content.contentId ?? null,
});

/** The version history of objects, shared by every node through the database. */
export function objectVersionStore(db: Kysely<Database>, direct?: DirectSqlite) {
  // Every Generate and document read asks for the latest version: compiled once, and with the limit written
  // into the text — SQLite ran this lookup three times slower with `limit ?` bound to 1 (24 µs against 7).
  const latestStatement = compileOnce<'bucket' | 'key'>(
    db
      .selectFrom('object_versions')
      .selectAll()
      .where('bucket', '=', slot<string>('bucket'))
      .where('object_key', '=', slot<string>('key'))
      .orderBy('version', 'desc')
      .limit(sql.lit(1)),
  );
  const latest = async (bucket: string, key: string): Promise<ObjectVersion | undefined> => {
    const row = await firstRow<Row, 'bucket' | 'key'>(db, direct, latestStatement, { bucket, key });
    return row && toVersion(row);
  };

  return {
    latest,

    /**
     * Makes `content` the current version unless it is already (same fingerprint), and returns the current
     * version. Nodes noticing the same new content at once agree on one version: the primary key lets only
     * one of them take the next number, the others find its row on the next look.
     */
    async record(bucket: string, key: string, content: VersionContent, now: Date = new Date()): Promise<ObjectVersion> {
      for (let attempt = 0; attempt < 20; attempt++) {
        const current = await latest(bucket, key);
        if (current?.fingerprint === content.fingerprint) return current;
        const version = (current?.version ?? 0) + 1;
        const result = await db
          .insertInto('object_versions')
          .values(rowOf(bucket, key, version, content, now.toISOString()))
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

    /**
     * Records `content` as exactly version `version`, with `messages` in the outbox in the same transaction:
     * undefined (and nothing written) when that version exists already — another save took the number first. The
     * primary key decides, so of concurrent commits of one number exactly one succeeds, on either engine.
     */
    async commit(bucket: string, key: string, version: number, content: VersionContent, messages: (created: ObjectVersion) => OutboxMessage[], now: Date = new Date()): Promise<ObjectVersion | undefined> {
      return db.transaction().execute(async (trx) => {
        const result = await trx
          .insertInto('object_versions')
          .values(rowOf(bucket, key, version, content, now.toISOString()))
          .onConflict((oc) => oc.columns(['bucket', 'object_key', 'version']).doNothing())
          .executeTakeFirst();
        if (Number(result.numInsertedOrUpdatedRows ?? 0n) !== 1) return undefined;
        const created: ObjectVersion = { ...content, version, createdAt: now.toISOString() };
        await insertOutboxMessages(trx, messages(created), now.getTime());
        return created;
      });
    },

    /** The newest version recorded with this fingerprint (the file shows that version), if any. */
    async withFingerprint(bucket: string, key: string, fingerprint: string): Promise<ObjectVersion | undefined> {
      const row = await db.selectFrom('object_versions').selectAll().where('bucket', '=', bucket).where('object_key', '=', key)
        .where('fingerprint', '=', fingerprint).orderBy('version', 'desc').limit(1).executeTakeFirst();
      return row && toVersion(row);
    },

    /** The newest version with these bytes recorded at or after `sinceIso` (ISO times sort as text), if any. */
    async withContentSince(bucket: string, key: string, contentId: string, sinceIso: string): Promise<ObjectVersion | undefined> {
      const row = await db.selectFrom('object_versions').selectAll().where('bucket', '=', bucket).where('object_key', '=', key)
        .where('content_id', '=', contentId).where('created_at', '>=', sinceIso).orderBy('version', 'desc').limit(1).executeTakeFirst();
      return row && toVersion(row);
    },

    /**
     * The file of `version` was placed anew (same content, new fingerprint): compare-and-swap from the
     * fingerprint the caller saw, so of two placers exactly one records its file.
     */
    async replaceFingerprint(bucket: string, key: string, version: number, seen: string, fingerprint: string): Promise<boolean> {
      const result = await db.updateTable('object_versions').set({ fingerprint }).where('bucket', '=', bucket).where('object_key', '=', key)
        .where('version', '=', version).where('fingerprint', '=', seen).executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },

    /** Every version, oldest first. */
    async list(bucket: string, key: string): Promise<ObjectVersion[]> {
      const rows = await db.selectFrom('object_versions').selectAll().where('bucket', '=', bucket).where('object_key', '=', key).orderBy('version').execute();
      return rows.map(toVersion);
    },
  };
}

export type ObjectVersionStore = ReturnType<typeof objectVersionStore>;
