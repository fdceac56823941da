import type { Kysely } from 'kysely';

// Which object versions (by ETag) are converted to PDF, or being converted and by whom, so that the nodes
// sharing the database convert each version once. Frozen once released.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('document_conversions')
    .addColumn('etag', 'varchar(32)', (c) => c.primaryKey())
    .addColumn('state', 'varchar(16)', (c) => c.notNull())
    .addColumn('owner_node', 'varchar(128)', (c) => c.notNull())
    .addColumn('claim_id', 'varchar(32)', (c) => c.notNull())
    .addColumn('started_at_ms', 'bigint', (c) => c.notNull())
    .addColumn('lease_expires_ms', 'bigint', (c) => c.notNull())
    .addColumn('finished_at_ms', 'bigint')
    .addColumn('pages', 'integer')
    .addColumn('error', 'varchar(64)')
    .addColumn('error_message', 'text')
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('document_conversions').execute();
}
