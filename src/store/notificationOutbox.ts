import { PostgresAdapter, type Kysely } from 'kysely';
import type { Database, NotificationOutboxTable } from './schema.js';

export type OutboxRow = NotificationOutboxTable;

/** One notification to deliver: its id (for de-duplication), the topic naming its URL, and the JSON body. */
export interface OutboxMessage {
  id: string;
  topic: string;
  body: string;
}

/** Adds messages to the outbox, on `db` or inside a caller's transaction (so they commit with what they announce). */
export async function insertOutboxMessages(db: Kysely<Database>, messages: OutboxMessage[], nowMs: number): Promise<void> {
  if (messages.length === 0) return;
  await db
    .insertInto('notification_outbox')
    .values(messages.map((m) => ({ id: m.id, topic: m.topic, body: m.body, created_at_ms: nowMs, attempts: 0, next_attempt_ms: nowMs })))
    .execute();
}

/**
 * The durable outbox of notifications, shared by every node. A node claims due rows with a lease (one
 * statement: on PostgreSQL `for update skip locked`, and the lease checked again on the row it updates; SQLite
 * runs one writer at a time), so two nodes never deliver the same row at once; a row whose node died mid-
 * delivery is due again when its lease lapses. Delivery is at least once: receivers de-duplicate by id.
 */
export function notificationOutboxStore(db: Kysely<Database>) {
  const postgres = db.getExecutor().adapter instanceof PostgresAdapter;
  const settle = (id: string, owner: string) => db.updateTable('notification_outbox').where('id', '=', id).where('lease_owner', '=', owner);

  return {
    enqueue: (messages: OutboxMessage[], nowMs = Date.now()) => insertOutboxMessages(db, messages, nowMs),

    async get(id: string): Promise<OutboxRow | undefined> {
      return db.selectFrom('notification_outbox').selectAll().where('id', '=', id).executeTakeFirst();
    },

    /** Leases up to `limit` due rows (oldest due first) to `owner` until `nowMs + leaseMs`; returns them. */
    async claimDue(owner: string, nowMs: number, leaseMs: number, limit: number): Promise<OutboxRow[]> {
      const due = db
        .selectFrom('notification_outbox')
        .select('id')
        .where('delivered_at_ms', 'is', null)
        .where('given_up_at_ms', 'is', null)
        .where('next_attempt_ms', '<=', nowMs)
        .where((eb) => eb.or([eb('lease_expires_ms', 'is', null), eb('lease_expires_ms', '<', nowMs)]))
        .orderBy('next_attempt_ms')
        .limit(limit);
      // A read first: polled every second on every node, a claim that writes (the write lock on SQLite, where
      // another process holding it would stall the event loop in the busy handler) only when a row is due.
      if ((await due.execute()).length === 0) return [];
      return db
        .updateTable('notification_outbox')
        .set({ lease_owner: owner, lease_expires_ms: nowMs + leaseMs })
        .where('id', 'in', postgres ? due.forUpdate().skipLocked() : due)
        // Checked again on the row being updated: a concurrent claimer that read the same ids finds them leased.
        .where((eb) => eb.or([eb('lease_expires_ms', 'is', null), eb('lease_expires_ms', '<', nowMs)]))
        .where('delivered_at_ms', 'is', null)
        .returningAll()
        .execute();
    },

    async delivered(id: string, owner: string, nowMs: number): Promise<void> {
      await settle(id, owner).set({ delivered_at_ms: nowMs, lease_owner: null, lease_expires_ms: null, last_error: null }).set((eb) => ({ attempts: eb('attempts', '+', 1) })).execute();
    },

    /** An attempt failed: counted, due again at `nextAttemptMs`, the lease given back. */
    async failed(id: string, owner: string, error: string, nextAttemptMs: number): Promise<void> {
      await settle(id, owner).set({ next_attempt_ms: nextAttemptMs, lease_owner: null, lease_expires_ms: null, last_error: error }).set((eb) => ({ attempts: eb('attempts', '+', 1) })).execute();
    },

    /** No more attempts (too old, or its topic is no longer configured); kept for the operator until swept. */
    async giveUp(id: string, owner: string, error: string, nowMs: number): Promise<void> {
      await settle(id, owner).set({ given_up_at_ms: nowMs, lease_owner: null, lease_expires_ms: null, last_error: error }).execute();
    },

    /** The lease given back without an attempt (the node stops): due again at once for any node. */
    async release(id: string, owner: string): Promise<void> {
      await settle(id, owner).set({ lease_owner: null, lease_expires_ms: null }).execute();
    },

    /** Deletes rows delivered or given up before `beforeMs`; returns how many. */
    async deleteSettledBefore(beforeMs: number): Promise<number> {
      const result = await db
        .deleteFrom('notification_outbox')
        .where((eb) => eb.or([eb('delivered_at_ms', '<', beforeMs), eb('given_up_at_ms', '<', beforeMs)]))
        .executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}

export type NotificationOutboxStore = ReturnType<typeof notificationOutboxStore>;
