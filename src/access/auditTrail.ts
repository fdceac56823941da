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

/**
 * Runs `work` with a fresh trail; whatever it did not commit with its effect (a denial, a read, a retried
 * refresh) is written when it ends, in one statement — before the caller answers, so no decision is lost.
 */
export async function withAuditTrail<T>(store: { recordAll(records: readonly AuditRecord[]): Promise<void> }, work: (trail: AuditTrail) => Promise<T>): Promise<T> {
  const trail = new AuditTrail();
  try {
    return await work(trail);
  } finally {
    await store.recordAll(trail.pending());
  }
}
