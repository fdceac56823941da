/**
 * Statements built once with named slots (src/store/compiledStatements.ts): each call's values land where their
 * slots are in the compiled text, whatever order that is, on SQLite and on PostgreSQL; a missing value is an
 * error, never a NULL; the constants of the built query stay in place. And `firstRow` on SQLite reads directly
 * only while no transaction holds the connection: otherwise it waits for it through Kysely, and so never sees
 * another transaction's uncommitted rows.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { enginesUnderTest, type EngineUnderTest } from '../helpers/engines.js';
import { columnSlots, compileOnce, firstRow, runCompiled, slot, type CompiledStatement } from '../../src/store/compiledStatements.js';
import type { DirectSqlite } from '../../src/store/sqliteStatements.js';

const { engines, skipped } = await enginesUnderTest();
if (skipped) console.log(`# ${skipped}`);

type Handle = Awaited<ReturnType<EngineUnderTest['open']>>;

/** Runs a compiled statement as the store does: directly on SQLite, through Kysely on PostgreSQL; rows changed. */
async function run<Name extends string>(handle: Handle, statement: CompiledStatement<Name>, values: Readonly<Record<Name, unknown>>): Promise<number> {
  if (handle.direct) return handle.direct.run(statement, values);
  const result = await runCompiled(handle.db, statement, values);
  return Number(result.numAffectedRows ?? 0n);
}

const NONCE_COLUMNS = ['access_key_id', 'nonce', 'expires_ms'] as const;

for (const engine of engines) {
  describe(`compiled statements on ${engine.name}`, () => {
    let handle: Handle;
    let insertNonce: CompiledStatement<(typeof NONCE_COLUMNS)[number]>;
    before(async () => {
      handle = await engine.open();
      insertNonce = compileOnce(handle.db.insertInto('signature_nonces').values(columnSlots(NONCE_COLUMNS)));
    });
    after(async () => {
      await handle.dispose();
    });

    const rowsOf = (...keys: string[]) =>
      handle.db.selectFrom('signature_nonces').select(['access_key_id', 'nonce', 'expires_ms']).where('access_key_id', 'in', keys).orderBy('access_key_id').orderBy('nonce').execute();
    /** Four nonces per key, expiring at 10, 20, 30 and 40; the row's keys given in another order than the columns. */
    const seed = async (...keys: string[]) => {
      for (const key of keys) for (const [i, nonce] of ['n1', 'n2', 'n3', 'n4'].entries()) assert.equal(await run(handle, insertNonce, { expires_ms: 10 * (i + 1), nonce, access_key_id: key }), 1);
    };

    test('an insert built from columnSlots takes the row itself, whatever the order of its keys', async () => {
      await seed('ins');
      assert.deepEqual(await rowsOf('ins'), [
        { access_key_id: 'ins', nonce: 'n1', expires_ms: 10 },
        { access_key_id: 'ins', nonce: 'n2', expires_ms: 20 },
        { access_key_id: 'ins', nonce: 'n3', expires_ms: 30 },
        { access_key_id: 'ins', nonce: 'n4', expires_ms: 40 },
      ]);
    });

    test('slots in the set, the where and a subquery get each call’s values, in the order of the compiled text', async () => {
      await seed('upd-a', 'upd-b');
      // In the compiled text: newExpiry (set), key (where), key and below (subquery); given alphabetically.
      const extend = compileOnce<'below' | 'key' | 'newExpiry'>(
        handle.db
          .updateTable('signature_nonces')
          .set({ expires_ms: slot('newExpiry') })
          .where('access_key_id', '=', slot<string>('key'))
          .where('nonce', 'in', (eb) => eb.selectFrom('signature_nonces as s').select('s.nonce').where('s.access_key_id', '=', slot<string>('key')).where('s.expires_ms', '<', slot<number>('below'))),
      );
      assert.equal(await run(handle, extend, { below: 25, key: 'upd-a', newExpiry: 1000 }), 2);
      assert.equal(await run(handle, extend, { below: 35, key: 'upd-b', newExpiry: 2000 }), 3);
      assert.deepEqual(
        (await rowsOf('upd-a', 'upd-b')).map((r) => `${r.access_key_id}/${r.nonce}=${r.expires_ms}`),
        ['upd-a/n1=1000', 'upd-a/n2=1000', 'upd-a/n3=30', 'upd-a/n4=40', 'upd-b/n1=2000', 'upd-b/n2=2000', 'upd-b/n3=2000', 'upd-b/n4=40'],
      );
    });

    test('a slot left without a value is an error naming the slot, and nothing runs', async () => {
      await seed('miss');
      const expire = compileOnce<'key' | 'newExpiry'>(handle.db.updateTable('signature_nonces').set({ expires_ms: slot('newExpiry') }).where('access_key_id', '=', slot<string>('key')));
      const missing = { key: 'miss' } as unknown as { key: string; newExpiry: number };
      assert.throws(() => expire.bind(missing), /no value for the slot newExpiry/);
      await assert.rejects(run(handle, expire, missing), /no value for the slot newExpiry/);
      assert.deepEqual((await rowsOf('miss')).map((r) => r.expires_ms), [10, 20, 30, 40]);
    });

    test('constants written in the built query stay in their place between the slots', async () => {
      await seed('const', 'const-other');
      // Parameters in the compiled text: 'const' (constant), above (slot), 'n3' (constant), below (slot).
      const between = compileOnce<'above' | 'below'>(
        handle.db
          .selectFrom('signature_nonces')
          .select('nonce')
          .where('access_key_id', '=', 'const')
          .where('expires_ms', '>', slot<number>('above'))
          .where('nonce', '<>', 'n3')
          .where('expires_ms', '<', slot<number>('below'))
          .orderBy('nonce'),
      );
      assert.deepEqual(between.bind({ below: 45, above: 5 }), ['const', 5, 'n3', 45]);
      const nonces = async (values: { above: number; below: number }) =>
        (await runCompiled<{ nonce: string }, 'above' | 'below'>(handle.db, between, values)).rows.map((r) => r.nonce);
      assert.deepEqual(await nonces({ below: 45, above: 5 }), ['n1', 'n2', 'n4']);
      assert.deepEqual(await nonces({ below: 45, above: 15 }), ['n2', 'n4']);
    });

    test('a slot with a path takes its value from inside the rows passed (a column of a row, a column of the i-th row), and a missing one is named by its path', async () => {
      const insertTwo = compileOnce<'first' | 'rest'>(
        handle.db.insertInto('signature_nonces').values([
          { access_key_id: slot('first', 'key'), nonce: slot('first', 'nonce'), expires_ms: slot('first', 'expires') },
          { access_key_id: slot('rest', 1, 'key'), nonce: slot('rest', 1, 'nonce'), expires_ms: slot('rest', 0, 'expires') },
        ]),
      );
      const rest = [{ expires: 70 }, { key: 'path', nonce: 'second' }];
      assert.equal(await run(handle, insertTwo, { first: { key: 'path', nonce: 'first', expires: 60 }, rest }), 2);
      assert.deepEqual(await rowsOf('path'), [
        { access_key_id: 'path', nonce: 'first', expires_ms: 60 },
        { access_key_id: 'path', nonce: 'second', expires_ms: 70 },
      ]);
      assert.throws(() => insertTwo.bind({ first: { key: 'path', nonce: 'x', expires: 1 }, rest: [{ expires: 1 }] }), /no value for the slot rest\.1\.key/);
    });
  });
}

describe('firstRow on SQLite', () => {
  let handle: Handle;
  let direct: DirectSqlite;
  let directReads = 0;
  /** The handle's connection, counting the reads made on it directly. */
  let counting: DirectSqlite;
  let byNonce: CompiledStatement<'nonce'>;
  before(async () => {
    handle = await engines.find((e) => e.name === 'sqlite')!.open();
    direct = handle.direct!;
    counting = {
      get inTransaction() {
        return direct.inTransaction;
      },
      run: (statement, values) => direct.run(statement, values),
      get: (statement, values) => {
        directReads++;
        return direct.get(statement, values);
      },
      exec: (text) => direct.exec(text),
    };
    byNonce = compileOnce(handle.db.selectFrom('signature_nonces').select(['nonce', 'expires_ms']).where('nonce', '=', slot<string>('nonce')));
    await handle.db.insertInto('signature_nonces').values({ access_key_id: 'first', nonce: 'committed', expires_ms: 7 }).execute();
  });
  after(async () => {
    await handle.dispose();
  });

  test('with no transaction open it reads directly on the connection', async () => {
    const before = directReads;
    assert.deepEqual(await firstRow(handle.db, counting, byNonce, { nonce: 'committed' }), { nonce: 'committed', expires_ms: 7 });
    assert.equal(await firstRow(handle.db, counting, byNonce, { nonce: 'absent' }), undefined);
    assert.equal(directReads - before, 2);
  });

  test('while another transaction holds the connection it waits for its commit, never seeing its uncommitted row', async () => {
    const events: string[] = [];
    let written!: () => void;
    const hasWritten = new Promise<void>((resolve) => (written = resolve));
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const transaction = handle.db.transaction().execute(async (trx) => {
      await trx.insertInto('signature_nonces').values({ access_key_id: 'first', nonce: 'pending', expires_ms: 8 }).execute();
      written();
      await released;
      events.push('commit');
    });
    await hasWritten;
    assert.equal(direct.inTransaction, true);
    const before = directReads;
    const read = firstRow(handle.db, counting, byNonce, { nonce: 'pending' }).then((row) => {
      events.push('read');
      return row;
    });
    // Several turns of the event loop: the read is still waiting for the connection.
    for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(events, []);
    release();
    await transaction;
    assert.deepEqual(await read, { nonce: 'pending', expires_ms: 8 });
    assert.deepEqual(events, ['commit', 'read']);
    assert.equal(directReads, before, 'the waiting read went through Kysely, not directly');
  });
});
