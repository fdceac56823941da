import { PostgresAdapter, sql, type Kysely } from 'kysely';

/** PostgreSQL's notification channel of a schema: this prefix and the schema's name. */
export const CACHE_CHANNEL_PREFIX = 'imm_cache_';

/** What each process caches (AccessKeys, RAM, projects, buckets) comes from these tables. */
export const CACHED_TABLES = [
  'accounts',
  'access_keys',
  'projects',
  'buckets',
  'ram_users',
  'ram_groups',
  'ram_group_members',
  'ram_roles',
  'ram_policies',
  'ram_policy_versions',
  'ram_attachments',
];

// One counter, raised by triggers in the same transaction as every change to a cached table — whoever makes it
// (the API, the CLI, SQL by hand) — so a process whose counter reading changed knows its caches are stale.
// On PostgreSQL the trigger is deferred to the commit (taken last, the counter row's lock cannot close a cycle
// with the transaction's other locks) and notifies the schema's channel. Frozen once released.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('cache_generation')
    .addColumn('id', 'integer', (c) => c.primaryKey())
    .addColumn('value', 'bigint', (c) => c.notNull())
    .execute();
  await db.insertInto('cache_generation').values({ id: 1, value: 0 }).execute();
  if (db.getExecutor().adapter instanceof PostgresAdapter) {
    await sql`
      create function imm_raise_cache_generation() returns trigger language plpgsql as $$
      begin
        update cache_generation set value = value + 1 where id = 1;
        perform pg_notify(${sql.lit(CACHE_CHANNEL_PREFIX)} || current_schema(), '');
        return null;
      end $$`.execute(db);
    for (const table of CACHED_TABLES) {
      await sql`
        create constraint trigger ${sql.id(`${table}_cache_generation`)} after insert or update or delete on ${sql.table(table)}
        deferrable initially deferred for each row execute function imm_raise_cache_generation()`.execute(db);
    }
    return;
  }
  for (const table of CACHED_TABLES) {
    for (const event of ['insert', 'update', 'delete']) {
      await sql`
        create trigger ${sql.id(`${table}_${event}_cache_generation`)} after ${sql.raw(event)} on ${sql.table(table)}
        begin update cache_generation set value = value + 1 where id = 1; end`.execute(db);
    }
  }
}

export async function down(db: Kysely<any>): Promise<void> {
  if (db.getExecutor().adapter instanceof PostgresAdapter) {
    for (const table of CACHED_TABLES) await sql`drop trigger ${sql.id(`${table}_cache_generation`)} on ${sql.table(table)}`.execute(db);
    await sql`drop function imm_raise_cache_generation()`.execute(db);
  } else {
    for (const table of CACHED_TABLES) for (const event of ['insert', 'update', 'delete']) await sql`drop trigger ${sql.id(`${table}_${event}_cache_generation`)}`.execute(db);
  }
  await db.schema.dropTable('cache_generation').execute();
}
