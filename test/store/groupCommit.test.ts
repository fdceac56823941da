/**
 * Group commit on SQLite: writes that arrive together share one transaction, each in a savepoint of its own; a
 * write that fails rolls back alone; and no caller hears of its write before it is committed (another
 * connection to the file already sees it).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { migrateToLatest, openDatabase, SQLITE_FILE_NAME, type DatabaseHandle } from '../../src/store/database.js';
import { columnSlots, compileOnce } from '../../src/store/compiledStatements.js';
import { groupCommit } from '../../src/store/groupCommit.js';
import { makeDataDir } from '../helpers/server.js';

let dataDir: string;
let handle: DatabaseHandle;
let otherConnection: SQLite.Database;

before(async () => {
  dataDir = makeDataDir();
  handle = openDatabase({ dataDir });
  await migrateToLatest(handle.db);
  otherConnection = new SQLite(path.join(dataDir, SQLITE_FILE_NAME), { readonly: true });
});

after(async () => {
  otherConnection.close();
  await handle.close();
});

const insertNonce = (nonce: string) => handle.writeTransaction((trx) => trx.insertInto('signature_nonces').values({ access_key_id: 'LTAIgroup', nonce, expires_ms: Date.now() + 60_000 }).execute());
const committed = (nonce: string) => otherConnection.prepare('select count(*) as n from signature_nonces where nonce = ?').get(nonce) as { n: number };

test('writes started in the same turn share one transaction: a later one sees an earlier one before either commits', async () => {
  const seen: number[] = [];
  await Promise.all(
    ['a1', 'a2', 'a3'].map((nonce) =>
      handle.writeTransaction(async (trx) => {
        await trx.insertInto('signature_nonces').values({ access_key_id: 'LTAIgroup', nonce, expires_ms: 1 }).execute();
        const row = await trx.selectFrom('signature_nonces').select((eb) => eb.fn.countAll<number>().as('n')).where('nonce', 'in', ['a1', 'a2', 'a3']).executeTakeFirstOrThrow();
        seen.push(Number(row.n));
        // None is committed yet, not even the earlier ones: another connection sees none of them.
        seen.push(committed('a1').n + committed('a2').n + committed('a3').n);
      }),
    ),
  );
  assert.deepEqual(seen, [1, 0, 2, 0, 3, 0]);
  for (const nonce of ['a1', 'a2', 'a3']) assert.equal(committed(nonce).n, 1);
});

test('a write that fails rolls back alone; the others of its commit are kept', async () => {
  const outcomes = await Promise.allSettled([
    insertNonce('b1'),
    handle.writeTransaction(async (trx) => {
      await trx.insertInto('signature_nonces').values({ access_key_id: 'LTAIgroup', nonce: 'b2', expires_ms: 1 }).execute();
      throw new Error('refused after writing');
    }),
    insertNonce('b3'),
    insertNonce('b1'), // the primary key refuses a second b1: this write fails, the first b1 stays
  ]);
  assert.deepEqual(outcomes.map((o) => o.status), ['fulfilled', 'rejected', 'fulfilled', 'rejected']);
  assert.match(String((outcomes[1] as PromiseRejectedResult).reason), /refused after writing/);
  assert.match(String((outcomes[3] as PromiseRejectedResult).reason), /UNIQUE constraint failed/);
  assert.deepEqual(['b1', 'b2', 'b3'].map((n) => committed(n).n), [1, 0, 1]);
});

test('every write is committed when its promise settles, also in batches larger than one commit takes', async () => {
  const nonces = Array.from({ length: 200 }, (_, i) => `c${i}`);
  const visibleAtSettle = await Promise.all(nonces.map(async (nonce) => {
    await insertNonce(nonce);
    return committed(nonce).n;
  }));
  assert.deepEqual(new Set(visibleAtSettle), new Set([1]));
});

test('a write of compiled statements run on `direct` rolls back alone when it throws after them; the batch is visible elsewhere only once committed', async () => {
  const insert = compileOnce<'access_key_id' | 'nonce' | 'expires_ms'>(handle.db.insertInto('signature_nonces').values(columnSlots(['access_key_id', 'nonce', 'expires_ms'] as const)));
  const visibleDuringBatch: number[] = [];
  const directWrite = (nonce: string, fail = false) =>
    handle.writeTransaction(async (_trx, direct) => {
      assert.equal(direct, handle.direct);
      assert.equal(direct!.run(insert, { access_key_id: 'LTAIgroup', nonce, expires_ms: 1 }), 1);
      // Every direct statement of the batch so far, this one included, is still uncommitted.
      visibleDuringBatch.push(committed('d1').n + committed('d2').n + committed('d3').n);
      if (fail) throw new Error('refused after its statement ran');
      return nonce;
    });
  const outcomes = await Promise.allSettled([
    directWrite('d1').then((nonce) => ({ nonce, visibleAtSettle: committed(nonce).n })),
    directWrite('d2', true),
    directWrite('d3').then((nonce) => ({ nonce, visibleAtSettle: committed(nonce).n })),
  ]);
  assert.deepEqual(visibleDuringBatch, [0, 0, 0]);
  assert.deepEqual(outcomes.map((o) => o.status), ['fulfilled', 'rejected', 'fulfilled']);
  assert.match(String((outcomes[1] as PromiseRejectedResult).reason), /refused after its statement ran/);
  assert.deepEqual([(outcomes[0] as PromiseFulfilledResult<unknown>).value, (outcomes[2] as PromiseFulfilledResult<unknown>).value], [
    { nonce: 'd1', visibleAtSettle: 1 },
    { nonce: 'd3', visibleAtSettle: 1 },
  ]);
  assert.deepEqual(['d1', 'd2', 'd3'].map((n) => committed(n).n), [1, 0, 1]);
});

test('a write that arrives while commits are held waits, uncommitted, and commits once they are released', async () => {
  const commits = groupCommit(handle.db, handle.direct!);
  const release = await commits.hold();
  let settled = false;
  const written = commits.write((trx) => trx.insertInto('signature_nonces').values({ access_key_id: 'LTAIgroup', nonce: 'held', expires_ms: 1 }).execute()).then(() => (settled = true));
  for (let turn = 0; turn < 20; turn++) await new Promise((resolve) => setImmediate(resolve));
  assert.equal(settled, false);
  assert.equal(committed('held').n, 0);
  release();
  await written;
  assert.equal(committed('held').n, 1);
});

/** Temporary files SQLite holds open in this process (Linux): a spilled statement journal shows up as one. */
const openSqliteTempFiles = () =>
  fs.readdirSync('/proc/self/fd').flatMap((fd) => {
    try {
      return /etilqs_/.test(fs.readlinkSync(`/proc/self/fd/${fd}`)) ? [fd] : [];
    } catch {
      return []; // closed meanwhile (the directory's own descriptor)
    }
  });

test('a grouped write that rewrites many pages keeps its savepoint journal in memory: no temporary file is created', async () => {
  const rows = Array.from({ length: 5000 }, (_, i) => ({ access_key_id: 'LTAIpages', nonce: `p${i}`, expires_ms: 1 }));
  for (let i = 0; i < rows.length; i += 500) await handle.db.insertInto('signature_nonces').values(rows.slice(i, i + 500)).execute();
  const during = await handle.writeTransaction(async (trx) => {
    // Rewrites every row and its index entries (a few hundred KiB of pages that existed before the savepoint),
    // far past the 64 KiB at which a statement journal on file would spill to disk.
    const updated = await trx.updateTable('signature_nonces').set({ expires_ms: 2 }).where('access_key_id', '=', 'LTAIpages').executeTakeFirst();
    assert.equal(Number(updated.numUpdatedRows), rows.length);
    return openSqliteTempFiles();
  });
  assert.deepEqual(during, []);
  assert.equal(committedCount('LTAIpages', 2), rows.length);
});

const committedCount = (accessKeyId: string, expiresMs: number) =>
  (otherConnection.prepare('select count(*) as n from signature_nonces where access_key_id = ? and expires_ms = ?').get(accessKeyId, expiresMs) as { n: number }).n;
