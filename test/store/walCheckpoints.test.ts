/**
 * The background checkpoints keep SQLite's write-ahead log bounded under a steady stream of commits: past its
 * limit the group commit holds for a moment, the worker copies the rest back, and the log starts again.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { migrateToLatest, openDatabase, SQLITE_FILE_NAME, type DatabaseHandle } from '../../src/store/database.js';
import { makeDataDir } from '../helpers/server.js';

const RESTART_BYTES = 256 * 1024;

let dataDir: string;
let handle: DatabaseHandle;

before(async () => {
  dataDir = makeDataDir();
  handle = openDatabase({ dataDir });
  await migrateToLatest(handle.db);
  handle.checkpointInBackground!(RESTART_BYTES);
});

after(async () => {
  await handle.close();
});

const walFile = () => path.join(dataDir, `${SQLITE_FILE_NAME}-wal`);

/** The log's checkpoint sequence number (its header, bytes 12-15): SQLite adds one each time the log starts again. */
const restarts = () => {
  const header = Buffer.alloc(32);
  const fd = fs.openSync(walFile(), 'r');
  try {
    fs.readSync(fd, header, 0, 32, 0);
  } finally {
    fs.closeSync(fd);
  }
  return header.readUInt32BE(12);
};

test('under commits without a pause the log starts again each time it passes its limit, and every write is kept', async () => {
  const write = (i: number) =>
    handle.writeTransaction((trx) => trx.insertInto('signature_nonces').values({ access_key_id: 'LTAIwal', nonce: `${i}:${'n'.repeat(400)}`, expires_ms: 1 }).execute());
  await write(-1);
  const firstSequence = restarts();
  let written = 0;
  let largest = 0;
  // Twenty writes a turn, every turn: the log gets no quiet moment in which a checkpoint could finish by itself.
  while (written < 40_000) {
    await Promise.all(Array.from({ length: 20 }, () => write(written++)));
    largest = Math.max(largest, fs.statSync(walFile()).size);
  }
  const rows = await handle.db.selectFrom('signature_nonces').select((eb) => eb.fn.countAll<number>().as('n')).where('access_key_id', '=', 'LTAIwal').executeTakeFirstOrThrow();
  assert.equal(Number(rows.n), written + 1);
  // Over 100 MB went through the log: without the catch-ups the file grows to that size and never starts again.
  assert.ok(restarts() - firstSequence >= 3, `the log started again ${restarts() - firstSequence} times`);
  assert.ok(largest < 128 * RESTART_BYTES, `the log file reached ${largest} bytes`);
});
