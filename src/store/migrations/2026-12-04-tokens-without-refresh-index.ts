import { PostgresAdapter, sql, type Kysely } from 'kysely';

// A refresh finds its pair by the access token's hash and compares the refresh token's hash with the row's
// (both must match, as before), so nothing searches by refresh_hash any more: its unique index was a random
// B-tree page written by every rotation and every Generate for nothing (refresh tokens are 128 random bits).
// SQLite cannot drop a column's UNIQUE, so its table is built again, the same but for that. Frozen once released.
const COLUMNS = ['id', 'session_id', 'access_hash', 'refresh_hash', 'issued_at', 'access_expires_ms', 'refresh_expires_ms', 'access_valid_until_ms', 'spent_at_ms', 'successor_id', 'successor_sealed'];

const postgres = (db: Kysely<any>) => db.getExecutor().adapter instanceof PostgresAdapter;

export async function up(db: Kysely<any>): Promise<void> {
  if (postgres(db)) {
    await sql`alter table weboffice_tokens drop constraint weboffice_tokens_refresh_hash_key`.execute(db);
    return;
  }
  await rebuildTokens(db, { uniqueRefreshHash: false });
}

export async function down(db: Kysely<any>): Promise<void> {
  if (postgres(db)) {
    await sql`alter table weboffice_tokens add constraint weboffice_tokens_refresh_hash_key unique (refresh_hash)`.execute(db);
    return;
  }
  await rebuildTokens(db, { uniqueRefreshHash: true });
}

/** In one transaction (Kysely runs SQLite's migrations outside one): a crash leaves the old table or the new, whole. */
async function rebuildTokens(outer: Kysely<any>, options: { uniqueRefreshHash: boolean }): Promise<void> {
  await outer.transaction().execute(async (db) => {
    await db.schema
      .createTable('weboffice_tokens_rebuilt')
      .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
      .addColumn('session_id', 'varchar(36)', (c) => c.notNull().references('weboffice_sessions.id').onDelete('cascade'))
      .addColumn('access_hash', 'varchar(64)', (c) => c.notNull().unique())
      .addColumn('refresh_hash', 'varchar(64)', (c) => (options.uniqueRefreshHash ? c.notNull().unique() : c.notNull()))
      .addColumn('issued_at', 'text', (c) => c.notNull())
      .addColumn('access_expires_ms', 'bigint', (c) => c.notNull())
      .addColumn('refresh_expires_ms', 'bigint', (c) => c.notNull())
      .addColumn('access_valid_until_ms', 'bigint', (c) => c.notNull())
      .addColumn('spent_at_ms', 'bigint')
      .addColumn('successor_id', 'varchar(36)')
      .addColumn('successor_sealed', 'text')
      .execute();
    const columns = sql.join(COLUMNS.map((c) => sql.ref(c)));
    await sql`insert into weboffice_tokens_rebuilt (${columns}) select ${columns} from weboffice_tokens`.execute(db);
    await db.schema.dropTable('weboffice_tokens').execute();
    await db.schema.alterTable('weboffice_tokens_rebuilt').renameTo('weboffice_tokens').execute();
    await db.schema.createIndex('weboffice_tokens_session').on('weboffice_tokens').column('session_id').execute();
  });
}
