/**
 * The worker of walCheckpoints.ts: a PASSIVE checkpoint of the database file every `intervalMs`, and one at
 * once when asked (the server holds its commits meanwhile), answered with the request's number when done.
 */
import { parentPort, workerData } from 'node:worker_threads';
import SQLite from 'better-sqlite3';

const { file, intervalMs } = workerData as { file: string; intervalMs: number };
const sqlite = new SQLite(file);
sqlite.pragma('busy_timeout = 1000');
const checkpoint = () => {
  try {
    sqlite.pragma('wal_checkpoint(PASSIVE)');
  } catch {
    // busy or failing: the next interval tries again
  }
};
setInterval(checkpoint, intervalMs);
parentPort!.on('message', (request: number) => {
  checkpoint();
  parentPort!.postMessage(request);
});
