/**
 * The read caches on SQLite (src/store/readCache.ts), within one process: `sync()` reads the cache generation once
 * per turn of the event loop, shared by every request of that turn, and again in the next turn, so a change made
 * by another connection to the file (another server, the CLI) before that turn applies to it.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { migrateToLatest, openDatabase, type DatabaseHandle } from '../../src/store/database.js';
import { accountStore } from '../../src/store/accounts.js';
import { cachedStore, readCache, type ReadCache } from '../../src/store/readCache.js';
import { makeDataDir } from '../helpers/server.js';

const masterKey = randomBytes(32);
let handle: DatabaseHandle;
let otherProcess: DatabaseHandle;
let caches: ReadCache;
let generationReads = 0;

before(async () => {
  const dataDir = makeDataDir();
  handle = openDatabase({ dataDir });
  await migrateToLatest(handle.db);
  otherProcess = openDatabase({ dataDir });
  caches = readCache(
    {
      ...handle,
      cacheGeneration: () => {
        generationReads++;
        return handle.cacheGeneration();
      },
    },
    (err) => assert.fail(`reading the cache generation failed: ${String(err)}`),
  );
});

after(async () => {
  await caches.close();
  await otherProcess.close();
  await handle.close();
});

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

test('a change by another connection before a new turn is seen by that turn’s sync: the cached lookup is read again', async () => {
  const store = accountStore(handle.db, masterKey);
  let lookups = 0;
  const accounts = cachedStore(caches, 'accounts', { ...store, findAccessKey: (id: string) => (lookups++, store.findAccessKey(id)) }, ['findAccessKey']);
  const elsewhere = accountStore(otherProcess.db, masterKey);
  const { AccessKeyId } = await elsewhere.createAccount();
  await nextTurn();
  await caches.sync();
  assert.equal((await accounts.findAccessKey(AccessKeyId))?.status, 'Active');
  await nextTurn();
  await caches.sync();
  assert.equal((await accounts.findAccessKey(AccessKeyId))?.status, 'Active', 'cached, and still right');
  assert.equal(lookups, 1, 'served from the cache while the generation stayed');
  // Another connection disables the key: the trigger raises the generation in the same transaction.
  assert.equal(await elsewhere.setAccessKeyStatus(AccessKeyId, 'Inactive'), true);
  await nextTurn();
  await caches.sync();
  assert.equal((await accounts.findAccessKey(AccessKeyId))?.status, 'Inactive');
  assert.equal(lookups, 2);
});

test('the syncs of one turn share one read of the generation; the next turn reads it again', async () => {
  await nextTurn();
  const before = generationReads;
  await Promise.all([caches.sync(), caches.sync()]);
  await caches.sync(); // still the same turn: only promise callbacks ran since
  assert.equal(generationReads - before, 1);
  await nextTurn();
  await Promise.all([caches.sync(), caches.sync()]);
  assert.equal(generationReads - before, 2);
});
