/**
 * Group commit for SQLite. A commit there costs far more than the statements it commits: every page the
 * transaction touched is written to the write-ahead log (two `pwrite`s a page, a checksum, the locks), about
 * 150 µs for a refresh's rotation on the development machine against 60 µs for its five statements. Writes
 * that arrive together (the requests of one turn of the event loop) are therefore run in one transaction,
 * each inside a savepoint of its own, and committed once; every caller's promise settles only after that
 * commit, so a reply still never tells of a write that a crash could lose. A write that fails rolls back to
 * its savepoint alone: the others commit.
 *
 * PostgreSQL runs each write in a transaction of its own on the pool, as before: its connections work in
 * parallel, and its server groups commits itself.
 */
import type { Kysely } from 'kysely';
import type { Database } from './schema.js';
import type { DirectSqlite } from './sqliteStatements.js';

/**
 * A write transaction: the work gets the transaction's handle, and must use nothing else for its SQL; on SQLite
 * also the connection itself, for compiled statements (compiledStatements.ts), which run inside the same
 * transaction. `direct` is undefined on PostgreSQL.
 */
export type WriteTransaction = <T>(work: (trx: Kysely<Database>, direct: DirectSqlite | undefined) => Promise<T>) => Promise<T>;

/** At most this many writes share a commit: a longer batch would hold the one connection for too long. */
const MAX_WRITES_PER_COMMIT = 64;

interface PendingWrite {
  work: (trx: Kysely<Database>, direct: DirectSqlite) => Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (reason: unknown) => void;
}

/** One transaction per write (PostgreSQL; and SQLite where batching is not wanted). */
export const transactionPerWrite = (db: Kysely<Database>): WriteTransaction => (work) => db.transaction().execute((trx) => work(trx, undefined));

/** The group commit: its write transaction, and a way to hold its commits for a moment (walCheckpoints.ts). */
export interface GroupCommit {
  write: WriteTransaction;
  /**
   * Starts no new commit until the returned release is called; resolves once the commit in progress, if any,
   * has ended. Writes that arrive meanwhile wait in the queue (the event loop goes on).
   */
  hold(): Promise<() => void>;
}

/**
 * `db` and `direct` are the same SQLite connection. The batch holds it through Kysely (so no other Kysely query
 * runs inside the open transaction) and controls the transaction directly: a statement apiece, without the
 * builder. `afterCommit` runs after every commit.
 */
export function groupCommit(db: Kysely<Database>, direct: DirectSqlite, afterCommit: () => void = () => {}): GroupCommit {
  let queue: PendingWrite[] = [];
  let scheduled = false;
  let held = false;
  let flushing: Promise<void> | undefined;

  const schedule = () => {
    if (scheduled || held || queue.length === 0) return;
    scheduled = true;
    // After the current turn: the requests parsed in this turn of the event loop join the same commit.
    setImmediate(() => void (flushing = flush()));
  };

  const flush = async () => {
    scheduled = false;
    if (held) return;
    const batch = queue.slice(0, MAX_WRITES_PER_COMMIT);
    queue = queue.slice(batch.length);
    try {
      const outcomes = await db.connection().execute(async (conn) => {
        // IMMEDIATE takes the write lock now: another process (a worker, the CLI) makes this wait on the busy
        // timeout at the start, instead of failing later on a snapshot it can no longer upgrade.
        direct.exec('begin immediate');
        const settled: ({ ok: true; value: unknown } | { ok: false; error: unknown })[] = [];
        try {
          for (const pending of batch) {
            direct.exec('savepoint grouped_write');
            try {
              settled.push({ ok: true, value: await pending.work(conn, direct) });
            } catch (error) {
              direct.exec('rollback to grouped_write');
              settled.push({ ok: false, error });
            }
            direct.exec('release grouped_write');
          }
          direct.exec('commit');
        } catch (error) {
          try {
            if (direct.inTransaction) direct.exec('rollback');
          } catch {
            // The connection already rolled back (SQLite does on some errors): nothing is left to undo.
          }
          throw error;
        }
        return settled;
      });
      outcomes.forEach((outcome, i) => (outcome.ok ? batch[i].resolve(outcome.value) : batch[i].reject(outcome.error)));
      afterCommit();
    } catch (error) {
      // Nothing of the batch was committed (the lock was not had, or the commit failed): each caller fails.
      for (const pending of batch) pending.reject(error);
    } finally {
      flushing = undefined;
      schedule();
    }
  };

  return {
    write: <T>(work: (trx: Kysely<Database>, direct: DirectSqlite | undefined) => Promise<T>) =>
      new Promise<T>((resolve, reject) => {
        queue.push({ work, resolve: resolve as (value: unknown) => void, reject });
        schedule();
      }),
    async hold() {
      held = true;
      await flushing;
      let released = false;
      return () => {
        if (released) return;
        released = true;
        held = false;
        schedule();
      };
    },
  };
}
