import type { Kysely } from 'kysely';

// Every version an object has had, so that all nodes agree which content a session opened. Frozen once released.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('object_versions')
    .addColumn('bucket', 'varchar(63)', (c) => c.notNull().references('buckets.name'))
    .addColumn('object_key', 'varchar(1023)', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('size', 'bigint', (c) => c.notNull())
    .addColumn('etag', 'varchar(32)', (c) => c.notNull())
    .addColumn('fingerprint', 'varchar(40)', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('object_versions_pk', ['bucket', 'object_key', 'version'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('object_versions').execute();
}
