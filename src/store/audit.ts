import { writeCallRecords } from './callRecords.js';
import type { Kysely, Selectable } from 'kysely';
import type { AuditRecordsTable, Database } from './schema.js';

export type AuditRecord = Omit<Selectable<AuditRecordsTable>, 'id'>;

/** Authorization decisions: who asked for what on which resource, the answer and the statement that gave it. */
export function auditStore(db: Kysely<Database>) {
  return {
    /** Writes a request's decisions in one statement. */
    async recordAll(records: readonly AuditRecord[]): Promise<void> {
      await writeCallRecords(db, { audit: records });
    },

    async list(filter: { sinceMs?: number; accountId?: string; limit?: number }): Promise<AuditRecord[]> {
      let query = db.selectFrom('audit_records').selectAll();
      if (filter.sinceMs !== undefined) query = query.where('at_ms', '>=', filter.sinceMs);
      if (filter.accountId) query = query.where('account_id', '=', filter.accountId);
      const rows = await query.orderBy('at_ms').limit(filter.limit ?? 10_000).execute();
      return rows.map(({ id: _id, ...rest }) => rest);
    },

    async deleteBefore(beforeMs: number): Promise<number> {
      const result = await db.deleteFrom('audit_records').where('at_ms', '<', beforeMs).executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}

export type AuditStore = ReturnType<typeof auditStore>;
