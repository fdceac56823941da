import type { Kysely } from 'kysely';

// Frozen: a migration is never edited once released; later changes get a new file.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('accounts')
    .addColumn('id', 'varchar(16)', (c) => c.primaryKey())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('access_keys')
    .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('account_id', 'varchar(16)', (c) => c.notNull().references('accounts.id'))
    .addColumn('secret_sealed', 'text', (c) => c.notNull())
    .addColumn('status', 'varchar(16)', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('buckets')
    .addColumn('name', 'varchar(63)', (c) => c.primaryKey())
    .addColumn('account_id', 'varchar(16)', (c) => c.notNull().references('accounts.id'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('projects')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('account_id', 'varchar(16)', (c) => c.notNull().references('accounts.id'))
    .addColumn('name', 'varchar(128)', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull())
    .addColumn('service_role', 'varchar(64)', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('projects_account_name_unique', ['account_id', 'name'])
    .execute();

  // Sessions and tokens keep no foreign key to projects: deleting a project revokes its sessions, and the
  // revoked rows stay until the sweeper removes them.
  await db.schema
    .createTable('weboffice_sessions')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('account_id', 'varchar(16)', (c) => c.notNull())
    .addColumn('project_id', 'varchar(36)', (c) => c.notNull())
    .addColumn('options', 'text', (c) => c.notNull())
    .addColumn('file_id', 'varchar(40)', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('revoked_at_ms', 'bigint')
    .addColumn('revoked_reason', 'text')
    .addColumn('expires_ms', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('weboffice_sessions_project').on('weboffice_sessions').column('project_id').execute();
  await db.schema.createIndex('weboffice_sessions_expires').on('weboffice_sessions').column('expires_ms').execute();

  await db.schema
    .createTable('weboffice_tokens')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('session_id', 'varchar(36)', (c) => c.notNull().references('weboffice_sessions.id').onDelete('cascade'))
    .addColumn('access_hash', 'varchar(64)', (c) => c.notNull().unique())
    .addColumn('refresh_hash', 'varchar(64)', (c) => c.notNull().unique())
    .addColumn('issued_at', 'text', (c) => c.notNull())
    .addColumn('access_expires_ms', 'bigint', (c) => c.notNull())
    .addColumn('refresh_expires_ms', 'bigint', (c) => c.notNull())
    .addColumn('access_valid_until_ms', 'bigint', (c) => c.notNull())
    .addColumn('spent_at_ms', 'bigint')
    .addColumn('successor_id', 'varchar(36)')
    .addColumn('successor_sealed', 'text')
    .execute();
  await db.schema.createIndex('weboffice_tokens_session').on('weboffice_tokens').column('session_id').execute();

  await db.schema
    .createTable('signature_nonces')
    .addColumn('access_key_id', 'varchar(64)', (c) => c.notNull())
    .addColumn('nonce', 'varchar(128)', (c) => c.notNull())
    .addColumn('expires_ms', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('signature_nonces_pk', ['access_key_id', 'nonce'])
    .execute();
  await db.schema.createIndex('signature_nonces_expires').on('signature_nonces').column('expires_ms').execute();

  await db.schema
    .createTable('usage_records')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('account_id', 'varchar(16)', (c) => c.notNull())
    .addColumn('project_id', 'varchar(36)', (c) => c.notNull())
    .addColumn('project_name', 'varchar(128)', (c) => c.notNull())
    .addColumn('operation', 'varchar(32)', (c) => c.notNull())
    .addColumn('at', 'text', (c) => c.notNull())
    .addColumn('at_ms', 'bigint', (c) => c.notNull())
    .addColumn('readonly', 'integer', (c) => c.notNull())
    .addColumn('cache_preview', 'integer', (c) => c.notNull())
    .addColumn('user_id', 'varchar(64)', (c) => c.notNull())
    .addColumn('session_id', 'varchar(36)', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('usage_records_account_at').on('usage_records').columns(['account_id', 'at_ms']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ['usage_records', 'signature_nonces', 'weboffice_tokens', 'weboffice_sessions', 'projects', 'buckets', 'access_keys', 'accounts']) {
    await db.schema.dropTable(table).execute();
  }
}
