/**
 * SQLite's write-ahead log is copied back into the database file by a checkpoint. By default the connection that
 * commits the 1000th page runs it, inside that request (an fsync of the database file on the event loop). The
 * server turns that off and checkpoints from a worker thread on its own connection instead, every
 * CHECKPOINT_INTERVAL_MS, PASSIVE (it never waits for, nor blocks, readers and the writer). The next writer after
 * a complete checkpoint starts the log again from its beginning, so it stays bounded.
 */
import { Worker } from 'node:worker_threads';
import type SQLite from 'better-sqlite3';

export const CHECKPOINT_INTERVAL_MS = 500;

export function startBackgroundCheckpoints(sqlite: SQLite.Database, file: string): () => Promise<void> {
  sqlite.pragma('wal_autocheckpoint = 0');
  const worker = new Worker(new URL('./walCheckpointWorker.js', import.meta.url), { workerData: { file, intervalMs: CHECKPOINT_INTERVAL_MS } });
  worker.unref();
  // A failing checkpoint (a disk error, say) must not end the server: the log only grows until the next one works.
  worker.on('error', () => {});
  return async () => {
    await worker.terminate();
    // Back to SQLite's own checkpoints for whatever the connection still writes.
    sqlite.pragma('wal_autocheckpoint = 1000');
  };
}
