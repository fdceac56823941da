import type { Kysely } from 'kysely';
import { randomUUID } from 'node:crypto';
import type { Database } from './schema.js';
import type { UsageRecord } from './usage.js';
import type { AuditRecord } from './audit.js';

/**
 * What a call leaves behind besides its effect: its billing record and its authorization decisions. Written in
 * the same transaction as the effect (a new session, a rotation), so that a crash or a stop can never keep a
 * rotation without its usage row, or a usage row without the decisions that allowed it.
 */
export interface CallRecords {
  usage?: UsageRecord;
  audit: readonly AuditRecord[];
}

export async function writeCallRecords(trx: Kysely<Database>, records: CallRecords | undefined): Promise<void> {
  if (!records) return;
  if (records.usage) await trx.insertInto('usage_records').values({ id: randomUUID(), ...records.usage }).execute();
  if (records.audit.length > 0) await trx.insertInto('audit_records').values(records.audit.map((r) => ({ id: randomUUID(), ...r }))).execute();
}
