import type { Kysely } from 'kysely';

// Save notifications waiting to be delivered (or delivered): written in the same transaction as the version
// they announce, delivered by whichever node holds the row's lease. Frozen once released.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('notification_outbox')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('topic', 'varchar(256)', (c) => c.notNull())
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('created_at_ms', 'bigint', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('next_attempt_ms', 'bigint', (c) => c.notNull())
    .addColumn('lease_owner', 'varchar(128)')
    .addColumn('lease_expires_ms', 'bigint')
    .addColumn('delivered_at_ms', 'bigint')
    .addColumn('given_up_at_ms', 'bigint')
    .addColumn('last_error', 'text')
    .execute();
  await db.schema.createIndex('notification_outbox_due').on('notification_outbox').columns(['delivered_at_ms', 'given_up_at_ms', 'next_attempt_ms']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('notification_outbox').execute();
}
