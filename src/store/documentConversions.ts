import type { Kysely } from 'kysely';
import type { Database, DocumentConversionsTable } from './schema.js';

export type ConversionRow = DocumentConversionsTable;

/** Who converts: the node (for operators) and a random id of this one claim (the compare-and-swap token). */
export interface ConversionClaim {
  ownerNode: string;
  claimId: string;
}

const changed = (result: { numUpdatedRows?: bigint; numInsertedOrUpdatedRows?: bigint; numDeletedRows?: bigint }) =>
  Number(result.numUpdatedRows ?? result.numInsertedOrUpdatedRows ?? result.numDeletedRows ?? 0n) === 1;

/**
 * Which contents (by ETag) are converted to PDF, shared by every node through the database. A conversion is
 * claimed before it starts: the primary key lets one claimant win, the others wait for its result. A claim
 * holds a lease its owner renews; a claim whose lease lapsed (its node died) is taken over with a
 * compare-and-swap on its claim id, so of several nodes noticing together exactly one takes it.
 */
export function documentConversionStore(db: Kysely<Database>) {
  return {
    async get(etag: string): Promise<ConversionRow | undefined> {
      return db.selectFrom('document_conversions').selectAll().where('etag', '=', etag).executeTakeFirst();
    },

    /** Claims a content nobody has claimed yet; false when another claim exists (then `get` says whose). */
    async claim(etag: string, claim: ConversionClaim, nowMs: number, leaseMs: number): Promise<boolean> {
      const result = await db
        .insertInto('document_conversions')
        .values({ etag, state: 'converting', owner_node: claim.ownerNode, claim_id: claim.claimId, started_at_ms: nowMs, lease_expires_ms: nowMs + leaseMs })
        .onConflict((oc) => oc.column('etag').doNothing())
        .executeTakeFirst();
      return changed(result);
    },

    /**
     * Takes the row over as it was seen (a stale claim, an old failure, or a done conversion whose file is gone):
     * true only for the one caller whose `seenClaimId` still matched.
     */
    async takeOver(etag: string, seenClaimId: string, claim: ConversionClaim, nowMs: number, leaseMs: number): Promise<boolean> {
      const result = await db
        .updateTable('document_conversions')
        .set({
          state: 'converting', owner_node: claim.ownerNode, claim_id: claim.claimId, started_at_ms: nowMs,
          lease_expires_ms: nowMs + leaseMs, finished_at_ms: null, pages: null, error: null, error_message: null,
        })
        .where('etag', '=', etag)
        .where('claim_id', '=', seenClaimId)
        .executeTakeFirst();
      return changed(result);
    },

    /** Extends a running claim's lease; false when it is no longer ours (taken over after it lapsed). */
    async renew(etag: string, claimId: string, nowMs: number, leaseMs: number): Promise<boolean> {
      const result = await db
        .updateTable('document_conversions')
        .set({ lease_expires_ms: nowMs + leaseMs })
        .where('etag', '=', etag)
        .where('claim_id', '=', claimId)
        .where('state', '=', 'converting')
        .executeTakeFirst();
      return changed(result);
    },

    async finish(etag: string, claimId: string, pages: number, nowMs: number): Promise<boolean> {
      const result = await db
        .updateTable('document_conversions')
        .set({ state: 'done', finished_at_ms: nowMs, pages })
        .where('etag', '=', etag)
        .where('claim_id', '=', claimId)
        .executeTakeFirst();
      return changed(result);
    },

    /** Records why the content cannot be converted: every node answers the same for a while (see the converter). */
    async fail(etag: string, claimId: string, error: { code: string; message: string }, nowMs: number): Promise<boolean> {
      const result = await db
        .updateTable('document_conversions')
        .set({ state: 'failed', finished_at_ms: nowMs, error: error.code, error_message: error.message })
        .where('etag', '=', etag)
        .where('claim_id', '=', claimId)
        .executeTakeFirst();
      return changed(result);
    },

    /** Gives a claim up without a result (a caller's wrong password, a stop): the next caller claims afresh. */
    async release(etag: string, claimId: string): Promise<boolean> {
      const result = await db.deleteFrom('document_conversions').where('etag', '=', etag).where('claim_id', '=', claimId).where('state', '=', 'converting').executeTakeFirst();
      return changed(result);
    },
  };
}

export type DocumentConversionStore = ReturnType<typeof documentConversionStore>;
