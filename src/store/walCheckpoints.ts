/**
 * SQLite's write-ahead log is copied back into the database file by a checkpoint. By default the connection that
 * commits the 1000th page runs it, inside that request (an fsync of the database file on the event loop). The
 * server turns that off and checkpoints from a worker thread on its own connection instead, every
 * CHECKPOINT_INTERVAL_MS, PASSIVE (it never waits for, nor blocks, readers and the writer).
 *
 * The log starts again from its beginning only when a writer finds it wholly copied back. Under a steady stream
 * of commits that never happens by itself: every checkpoint (an fsync, 10-40 ms here) ends after the next commit
 * has already appended more, and the log grew by tens of megabytes a second in the benchmark, without bound.
 * So once the log file passes WAL_RESTART_BYTES, the worker checkpoints it at once, then the group commit holds
 * its next commit (the event loop goes on; the writes wait in its queue) while the worker copies back the few
 * pages appended meanwhile, and the first commit after the release starts the log again; `journal_size_limit`
 * then cuts the file back to that size.
 */
import fs from 'node:fs';
import { Worker } from 'node:worker_threads';
import type SQLite from 'better-sqlite3';

export const CHECKPOINT_INTERVAL_MS = 500;

/**
 * How large the log may grow before commits are held for a catch-up. The hold lasts as long as a checkpoint's
 * two fsyncs (40-75 ms on the development machine's disk, however little they write), and every request that
 * writes waits through it: at half of saturation (about 30 MB of log a second) this is one hold every half
 * minute, at 100 refreshes a second one every quarter of an hour, when quiet moments have not already let the
 * log start again by themselves. A smaller bound holds more often (256 MB put a hold into most 4-second
 * measurements of the benchmark's open loop); a larger one costs disk and a longer recovery after a crash,
 * when SQLite reads the whole log once.
 */
export const WAL_RESTART_BYTES = 1024 * 1024 * 1024;

/** Commits are released after this long even if the worker has not answered (it is stuck on a slow disk, say). */
const CATCH_UP_TIMEOUT_MS = 2000;

export interface BackgroundCheckpoints {
  /** To be called after every commit of the connection (cheap: one stat, and a catch-up now and then). */
  afterCommit(): void;
  stop(): Promise<void>;
}

export function startBackgroundCheckpoints(
  sqlite: SQLite.Database,
  file: string,
  holdCommits: () => Promise<() => void>,
  restartBytes = WAL_RESTART_BYTES,
): BackgroundCheckpoints {
  sqlite.pragma('wal_autocheckpoint = 0');
  sqlite.pragma(`journal_size_limit = ${restartBytes}`);
  const worker = new Worker(new URL('./walCheckpointWorker.js', import.meta.url), { workerData: { file, intervalMs: CHECKPOINT_INTERVAL_MS } });
  worker.unref();
  // A failing checkpoint (a disk error, say) must not end the server: the log only grows until the next one works.
  worker.on('error', () => {});
  const walFile = `${file}-wal`;
  let catchingUp = false;
  /** The size past which the next catch-up starts: the log grows by another `restartBytes` when one did not restart it. */
  let threshold = restartBytes;
  let stopped = false;

  // Each request carries a number the worker answers with, so that an answer arriving after its timeout
  // cannot end a later wait; stopping ends every wait at once.
  const waiting = new Map<number, () => void>();
  let lastRequest = 0;
  worker.on('message', (answered: number) => waiting.get(answered)?.());

  /** Asks the worker for a checkpoint now; resolves when it is done (or after CATCH_UP_TIMEOUT_MS). */
  const checkpointNow = () =>
    new Promise<void>((resolve) => {
      const request = ++lastRequest;
      const done = () => {
        clearTimeout(timer);
        waiting.delete(request);
        resolve();
      };
      const timer = setTimeout(done, CATCH_UP_TIMEOUT_MS);
      waiting.set(request, done);
      worker.postMessage(request);
    });

  // First the bulk, with commits going on; then, held, only what they appended meanwhile: the hold lasts as
  // long as a checkpoint of a few pages (its two fsyncs have little to write), not of the whole log.
  const catchUp = async () => {
    await checkpointNow();
    const release = await holdCommits();
    try {
      await checkpointNow();
    } finally {
      release();
    }
  };

  return {
    afterCommit() {
      if (catchingUp || stopped) return;
      let size: number;
      try {
        size = fs.statSync(walFile).size;
      } catch {
        return; // no log file (yet): nothing to restart
      }
      if (size <= restartBytes) {
        threshold = restartBytes;
        return;
      }
      if (size <= threshold) return;
      catchingUp = true;
      threshold = size + restartBytes;
      void catchUp().finally(() => (catchingUp = false));
    },
    async stop() {
      stopped = true;
      for (const done of [...waiting.values()]) done();
      await worker.terminate();
      // Back to SQLite's own checkpoints for whatever the connection still writes.
      sqlite.pragma('wal_autocheckpoint = 1000');
    },
  };
}
