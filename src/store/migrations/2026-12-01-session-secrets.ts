import type { Kysely } from 'kysely';

// A session's secret options (Generate's Password) are kept sealed under the master key, apart from its other
// options. Frozen once released.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('weboffice_sessions').addColumn('secrets_sealed', 'text').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('weboffice_sessions').dropColumn('secrets_sealed').execute();
}
