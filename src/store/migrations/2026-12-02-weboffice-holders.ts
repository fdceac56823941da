import type { Kysely } from 'kysely';

// Who holds each WebOffice session now (one holder per token: the last page that opened it). Frozen once released.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('weboffice_holders')
    .addColumn('session_id', 'varchar(36)', (c) => c.primaryKey().references('weboffice_sessions.id').onDelete('cascade'))
    .addColumn('holder_hash', 'varchar(64)', (c) => c.notNull())
    .addColumn('opened_at_ms', 'bigint', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('weboffice_holders').execute();
}
