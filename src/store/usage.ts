import { newRowId } from '../core/rowIds.js';
import type { Kysely } from 'kysely';
import type { Database, UsageRecordsTable } from './schema.js';

export type UsageRecord = Omit<UsageRecordsTable, 'id'>;

export interface UsageTotal {
  accountId: string;
  projectName: string;
  operation: string;
  calls: number;
}

/** Billable calls: one record per successful Generate or Refresh (a retried refresh is not billed again). */
export function usageStore(db: Kysely<Database>) {
  return {
    async record(record: UsageRecord): Promise<void> {
      await db.insertInto('usage_records').values({ id: newRowId(), ...record }).execute();
    },

    async totals(filter: { accountId?: string; projectName?: string; sinceMs?: number }): Promise<UsageTotal[]> {
      let query = db
        .selectFrom('usage_records')
        .select(({ fn }) => ['account_id', 'project_name', 'operation', fn.countAll<number>().as('calls')])
        .groupBy(['account_id', 'project_name', 'operation']);
      if (filter.accountId) query = query.where('account_id', '=', filter.accountId);
      if (filter.projectName) query = query.where('project_name', '=', filter.projectName);
      if (filter.sinceMs !== undefined) query = query.where('at_ms', '>=', filter.sinceMs);
      const rows = await query.orderBy('account_id').orderBy('project_name').orderBy('operation').execute();
      return rows.map((r) => ({ accountId: r.account_id, projectName: r.project_name, operation: r.operation, calls: Number(r.calls) }));
    },

    async records(filter: { sessionId?: string }) {
      let query = db.selectFrom('usage_records').selectAll();
      if (filter.sessionId) query = query.where('session_id', '=', filter.sessionId);
      return query.orderBy('at_ms').execute();
    },

    async deleteBefore(beforeMs: number): Promise<number> {
      const result = await db.deleteFrom('usage_records').where('at_ms', '<', beforeMs).executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}

export type UsageStore = ReturnType<typeof usageStore>;
