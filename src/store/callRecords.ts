import type { Insertable, Kysely } from 'kysely';
import { columnSlots, compileOnce } from './compiledStatements.js';
import type { DirectSqlite } from './sqliteStatements.js';
import type { AuditRecordsTable, Database, UsageRecordsTable } from './schema.js';
import type { UsageRecord } from './usage.js';
import type { AuditRecord } from './audit.js';
import { newRowId } from '../core/rowIds.js';

/**
 * What a call leaves behind besides its effect: its billing record and its authorization decisions. Written in
 * the same transaction as the effect (a new session, a rotation), so that a crash or a stop can never keep a
 * rotation without its usage row, or a usage row without the decisions that allowed it.
 */
export interface CallRecords {
  usage?: UsageRecord;
  audit: readonly AuditRecord[];
}

/** The rows of a call's records, with their (time-ordered) ids. */
export function callRecordRows(records: CallRecords | undefined): { usage?: Insertable<UsageRecordsTable>; audit: Insertable<AuditRecordsTable>[] } {
  return {
    ...(records?.usage ? { usage: { id: newRowId(), ...records.usage } } : {}),
    audit: (records?.audit ?? []).map((r) => ({ id: newRowId(), ...r })),
  };
}

export async function writeCallRecords(trx: Kysely<Database>, records: CallRecords | undefined): Promise<void> {
  const rows = callRecordRows(records);
  if (rows.usage) await trx.insertInto('usage_records').values(rows.usage).execute();
  if (rows.audit.length > 0) await trx.insertInto('audit_records').values(rows.audit).execute();
}

const USAGE_COLUMNS = ['id', 'account_id', 'project_id', 'project_name', 'operation', 'at', 'at_ms', 'readonly', 'cache_preview', 'user_id', 'session_id'] as const;
const AUDIT_COLUMNS = ['id', 'at', 'at_ms', 'request_id', 'account_id', 'principal', 'principal_type', 'action', 'resource', 'decision', 'reason', 'matched_statement'] as const;

/** The same writes as compiled statements, for SQLite's hot path (a refresh's rotation): a statement per row. */
export function callRecordStatements(db: Kysely<Database>) {
  const usage = compileOnce<(typeof USAGE_COLUMNS)[number]>(db.insertInto('usage_records').values(columnSlots(USAGE_COLUMNS)));
  const audit = compileOnce<(typeof AUDIT_COLUMNS)[number]>(db.insertInto('audit_records').values(columnSlots(AUDIT_COLUMNS)));
  return {
    writeNow(direct: DirectSqlite, records: CallRecords | undefined): void {
      const rows = callRecordRows(records);
      if (rows.usage) direct.run(usage, rows.usage);
      for (const row of rows.audit) direct.run(audit, row);
    },
  };
}
