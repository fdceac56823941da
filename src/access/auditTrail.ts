import type { AuditRecord } from '../store/audit.js';

/**
 * The authorization decisions of one request, held until they are written: with the transaction that commits
 * the call's effect (Generate's new session, Refresh's rotation), or on their own when the call ends
 * otherwise (a denial, a read, a retried refresh). Either way before the reply, so none is lost.
 */
export class AuditTrail {
  private records: AuditRecord[] = [];
  private written = 0;

  add(record: AuditRecord): void {
    this.records.push(record);
  }

  /** The decisions not written yet (for a transaction to include; then `markWritten`). */
  pending(): readonly AuditRecord[] {
    return this.records.slice(this.written);
  }

  /** The decisions `pending()` returned were committed with the call's effect. */
  markWritten(records: readonly AuditRecord[]): void {
    this.written += records.length;
  }
}
