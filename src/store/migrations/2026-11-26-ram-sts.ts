import type { Kysely } from 'kysely';

// RAM identities and policies, STS credentials and the authorization audit (issue 3). Frozen once released.
export async function up(db: Kysely<any>): Promise<void> {
  // A key with no user is its account's root key.
  await db.schema.alterTable('access_keys').addColumn('user_name', 'varchar(64)').execute();

  await db.schema
    .createTable('ram_users')
    .addColumn('id', 'varchar(32)', (c) => c.primaryKey())
    .addColumn('account_id', 'varchar(16)', (c) => c.notNull().references('accounts.id'))
    .addColumn('name', 'varchar(64)', (c) => c.notNull())
    .addColumn('display_name', 'varchar(128)', (c) => c.notNull())
    .addColumn('comments', 'text', (c) => c.notNull())
    .addColumn('email', 'varchar(128)', (c) => c.notNull())
    .addColumn('mobile_phone', 'varchar(32)', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('ram_users_account_name', ['account_id', 'name'])
    .execute();

  await db.schema
    .createTable('ram_groups')
    .addColumn('id', 'varchar(32)', (c) => c.primaryKey())
    .addColumn('account_id', 'varchar(16)', (c) => c.notNull().references('accounts.id'))
    .addColumn('name', 'varchar(64)', (c) => c.notNull())
    .addColumn('comments', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('ram_groups_account_name', ['account_id', 'name'])
    .execute();

  await db.schema
    .createTable('ram_group_members')
    .addColumn('account_id', 'varchar(16)', (c) => c.notNull())
    .addColumn('group_name', 'varchar(64)', (c) => c.notNull())
    .addColumn('user_name', 'varchar(64)', (c) => c.notNull())
    .addColumn('joined_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('ram_group_members_pk', ['account_id', 'group_name', 'user_name'])
    .execute();

  await db.schema
    .createTable('ram_roles')
    .addColumn('id', 'varchar(32)', (c) => c.primaryKey())
    .addColumn('account_id', 'varchar(16)', (c) => c.notNull().references('accounts.id'))
    .addColumn('name', 'varchar(64)', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull())
    .addColumn('trust_policy', 'text', (c) => c.notNull())
    .addColumn('max_session_duration', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('ram_roles_account_name', ['account_id', 'name'])
    .execute();

  // System policies have owner 'System'; custom ones the account id.
  await db.schema
    .createTable('ram_policies')
    .addColumn('owner', 'varchar(16)', (c) => c.notNull())
    .addColumn('name', 'varchar(128)', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull())
    .addColumn('default_version', 'varchar(8)', (c) => c.notNull())
    .addColumn('next_version', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('ram_policies_pk', ['owner', 'name'])
    .execute();

  await db.schema
    .createTable('ram_policy_versions')
    .addColumn('owner', 'varchar(16)', (c) => c.notNull())
    .addColumn('policy_name', 'varchar(128)', (c) => c.notNull())
    .addColumn('version_id', 'varchar(8)', (c) => c.notNull())
    .addColumn('document', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('ram_policy_versions_pk', ['owner', 'policy_name', 'version_id'])
    .execute();

  await db.schema
    .createTable('ram_attachments')
    .addColumn('account_id', 'varchar(16)', (c) => c.notNull())
    .addColumn('principal_type', 'varchar(8)', (c) => c.notNull())
    .addColumn('principal_name', 'varchar(64)', (c) => c.notNull())
    .addColumn('policy_type', 'varchar(8)', (c) => c.notNull())
    .addColumn('policy_name', 'varchar(128)', (c) => c.notNull())
    .addColumn('attached_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('ram_attachments_pk', ['account_id', 'principal_type', 'principal_name', 'policy_type', 'policy_name'])
    .execute();

  await db.schema
    .createTable('sts_credentials')
    .addColumn('access_key_id', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('secret_sealed', 'text', (c) => c.notNull())
    .addColumn('token_hash', 'varchar(64)', (c) => c.notNull().unique())
    .addColumn('account_id', 'varchar(16)', (c) => c.notNull())
    .addColumn('role_name', 'varchar(64)', (c) => c.notNull())
    .addColumn('role_id', 'varchar(32)', (c) => c.notNull())
    .addColumn('session_name', 'varchar(64)', (c) => c.notNull())
    .addColumn('session_policy', 'text')
    .addColumn('expires_ms', 'bigint', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('sts_credentials_expires').on('sts_credentials').column('expires_ms').execute();

  await db.schema
    .createTable('audit_records')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('at', 'text', (c) => c.notNull())
    .addColumn('at_ms', 'bigint', (c) => c.notNull())
    .addColumn('request_id', 'varchar(36)', (c) => c.notNull())
    .addColumn('account_id', 'varchar(16)', (c) => c.notNull())
    .addColumn('principal', 'text', (c) => c.notNull())
    .addColumn('principal_type', 'varchar(16)', (c) => c.notNull())
    .addColumn('action', 'varchar(128)', (c) => c.notNull())
    .addColumn('resource', 'text', (c) => c.notNull())
    .addColumn('decision', 'varchar(8)', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('matched_statement', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('audit_records_at').on('audit_records').column('at_ms').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ['audit_records', 'sts_credentials', 'ram_attachments', 'ram_policy_versions', 'ram_policies', 'ram_roles', 'ram_group_members', 'ram_groups', 'ram_users']) {
    await db.schema.dropTable(table).execute();
  }
  await db.schema.alterTable('access_keys').dropColumn('user_name').execute();
}
