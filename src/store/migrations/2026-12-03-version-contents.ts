import type { Kysely } from 'kysely';

// Every version's bytes are kept apart from the current file, under their SHA-256 (the content id); versions
// recorded before this have none. Frozen once released.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('object_versions').addColumn('content_id', 'varchar(64)').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('object_versions').dropColumn('content_id').execute();
}
