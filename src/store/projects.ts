import { newRowId } from '../core/rowIds.js';
import { sql, type Kysely, type Selectable } from 'kysely';
import type { Database, ProjectsTable } from './schema.js';

export type ProjectRow = Selectable<ProjectsTable>;

/** Projects of an account; (account, name) is unique. */
export function projectStore(db: Kysely<Database>) {
  return {
    /** Returns undefined when the name is taken (the unique constraint decides, so two nodes cannot race). */
    async create(project: { accountId: string; name: string; description: string; serviceRole: string; now: string }): Promise<ProjectRow | undefined> {
      const row: ProjectRow = {
        id: newRowId(),
        account_id: project.accountId,
        name: project.name,
        description: project.description,
        service_role: project.serviceRole,
        created_at: project.now,
        updated_at: project.now,
      };
      const result = await db.insertInto('projects').values(row).onConflict((oc) => oc.columns(['account_id', 'name']).doNothing()).executeTakeFirst();
      return Number(result.numInsertedOrUpdatedRows ?? 0n) === 1 ? row : undefined;
    },

    async find(accountId: string, name: string): Promise<ProjectRow | undefined> {
      return db.selectFrom('projects').selectAll().where('account_id', '=', accountId).where('name', '=', name).executeTakeFirst();
    },

    async findById(id: string): Promise<ProjectRow | undefined> {
      return db.selectFrom('projects').selectAll().where('id', '=', id).executeTakeFirst();
    },

    /** Up to `limit` projects after `afterName`, by name; one extra row tells whether more follow. */
    async list(accountId: string, options: { limit: number; afterName?: string; prefix?: string }): Promise<{ projects: ProjectRow[]; more: boolean }> {
      let query = db.selectFrom('projects').selectAll().where('account_id', '=', accountId);
      if (options.afterName !== undefined) query = query.where('name', '>', options.afterName);
      // substr, not LIKE: LIKE is case-insensitive on SQLite and treats _ and % specially.
      if (options.prefix) query = query.where(sql<string>`substr(name, 1, ${options.prefix.length})`, '=', options.prefix);
      const rows = await query.orderBy('name').limit(options.limit + 1).execute();
      return { projects: rows.slice(0, options.limit), more: rows.length > options.limit };
    },

    async update(id: string, changes: { description?: string; serviceRole?: string; now: string }): Promise<void> {
      await db
        .updateTable('projects')
        .set({
          ...(changes.description !== undefined ? { description: changes.description } : {}),
          ...(changes.serviceRole !== undefined ? { service_role: changes.serviceRole } : {}),
          updated_at: changes.now,
        })
        .where('id', '=', id)
        .execute();
    },

    async delete(id: string): Promise<boolean> {
      const result = await db.deleteFrom('projects').where('id', '=', id).executeTakeFirst();
      return Number(result.numDeletedRows) === 1;
    },
  };
}

export type ProjectStore = ReturnType<typeof projectStore>;
