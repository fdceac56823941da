/**
 * Saving versions, on both engines: every version's bytes are kept and read back; a save from a version that
 * is no longer current is refused (`VersionConflict`, 409) and changes nothing; of concurrent saves from one
 * base over two nodes exactly one wins; a save announces itself in the outbox in its own transaction; and a
 * process killed mid-save leaves the previous version intact and the new one either absent or complete.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { installationsUnderTest, type Installation } from '../helpers/installations.js';
import { currentVersion, putDocument, readVersion, saveVersion } from '../../src/documents/documentVersions.js';
import { saveNotification, type SaveEvent } from '../../src/notifications/saveEvents.js';
import { ApiError } from '../../src/core/errors.js';
import type { Services } from '../../src/services.js';
import type { CrashingSave } from '../helpers/crashingSave.js';

const md5 = (text: string) => createHash('md5').update(text).digest('hex').toUpperCase();
const stale = (err: unknown) => err instanceof ApiError && err.code === 'VersionConflict' && err.status === 409;
/** The bytes of one version, read back through the object store (undefined when it has none). */
const textOf = async (services: Services, key: string, version: number) => {
  const reader = await readVersion(services, BUCKET, key, version);
  return reader && Buffer.concat(await reader.body.toArray()).toString();
};
const CRASHING_SAVE = path.join(path.dirname(fileURLToPath(import.meta.url)), '../helpers/crashingSave.js');
const BUCKET = 'saved-docs';

const { engines, open, skipped } = await installationsUnderTest();
if (skipped) console.log(`# ${skipped}`);

for (const engine of engines) {
  describe(`saving versions on ${engine}`, () => {
    let installation: Installation;
    let a: Services;
    let b: Services;
    const notify = (key: string) => saveNotification({ topic: 'saves', projectName: 'docs', fileId: 'f'.repeat(40), sourceUri: `oss://${BUCKET}/${key}`, user: { Id: 'u1', Name: 'Alice' }, userData: 'ticket-7' });
    const fileOf = (key: string) => fs.readFileSync(path.join(a.config.ossDir, BUCKET, key), 'utf8');
    const outboxFor = async (key: string) =>
      (await a.database.db.selectFrom('notification_outbox').select('body').execute()).map((row) => JSON.parse(row.body) as SaveEvent).filter((event) => event.SourceURI.endsWith(`/${key}`));

    before(async () => {
      installation = await open(engine);
      [a, b] = [await installation.node(), await installation.node()];
      const { AccountId } = await a.accounts.createAccount();
      assert.ok(await a.buckets.create(BUCKET, AccountId));
      await a.objects.createBucket(BUCKET);
    });
    after(async () => {
      await installation.dispose();
    });

    test('each save is the next version; every version reads back with its own bytes, the file shows the last', async () => {
      const first = await putDocument(a, BUCKET, 'plan.docx', Buffer.from('first draft'));
      const second = await saveVersion(a, BUCKET, 'plan.docx', Buffer.from('second draft'), { ifMatch: first.etag, notify: notify('plan.docx') });
      const third = await saveVersion(b, BUCKET, 'plan.docx', Buffer.from('third draft'), { ifMatch: second.etag, notify: notify('plan.docx') });
      assert.deepEqual([first.version, second.version, third.version], [1, 2, 3]);
      for (const [version, text] of [[1, 'first draft'], [2, 'second draft'], [3, 'third draft']] as const) {
        assert.equal(await textOf(b, 'plan.docx', version), text);
        assert.equal((await b.objectVersions.find(BUCKET, 'plan.docx', version))?.etag, md5(text));
      }
      assert.equal(await readVersion(a, BUCKET, 'plan.docx', 4), undefined);
      assert.equal(fileOf('plan.docx'), 'third draft');
      const events = await outboxFor('plan.docx');
      assert.deepEqual(events.map((e) => [e.EventType, e.Version, e.ETag, e.Size, e.User.Id, e.UserData]), [['save', 2, md5('second draft'), 12, 'u1', 'ticket-7'], ['save', 3, md5('third draft'), 11, 'u1', 'ticket-7']]);
    });

    test('a save from a version that is no longer current is refused and changes nothing', async () => {
      const first = await putDocument(a, BUCKET, 'stale.docx', Buffer.from('base'));
      await saveVersion(a, BUCKET, 'stale.docx', Buffer.from('edited by Bob'), { ifMatch: first.etag });
      await assert.rejects(saveVersion(b, BUCKET, 'stale.docx', Buffer.from('edited by Alice'), { ifMatch: first.etag, notify: notify('stale.docx') }), stale);
      assert.deepEqual((await a.objectVersions.list(BUCKET, 'stale.docx')).map((v) => v.version), [1, 2]);
      assert.equal(fileOf('stale.docx'), 'edited by Bob');
      assert.deepEqual(await outboxFor('stale.docx'), []);
      // A file replaced by hand is a version too: a save over it from the version before is stale.
      fs.writeFileSync(path.join(a.config.ossDir, BUCKET, 'stale.docx'), 'replaced by hand');
      await assert.rejects(saveVersion(a, BUCKET, 'stale.docx', Buffer.from('edited again'), { ifMatch: md5('edited by Bob') }), stale);
      assert.equal((await a.objectVersions.latest(BUCKET, 'stale.docx'))?.etag, md5('replaced by hand'));
      assert.equal(fileOf('stale.docx'), 'replaced by hand');
    });

    test('of 12 concurrent saves from one base over two nodes exactly one wins, with one notification', async () => {
      const base = await putDocument(a, BUCKET, 'raced.docx', Buffer.from('the base'));
      const outcomes = await Promise.allSettled(
        Array.from({ length: 12 }, (_, i) => saveVersion(i % 2 ? a : b, BUCKET, 'raced.docx', Buffer.from(`edit number ${i}`), { ifMatch: base.etag, notify: notify('raced.docx') })),
      );
      const won = outcomes.flatMap((o, i) => (o.status === 'fulfilled' ? [i] : []));
      assert.equal(won.length, 1, 'exactly one save wins');
      for (const outcome of outcomes) if (outcome.status === 'rejected') assert.ok(stale(outcome.reason), String(outcome.reason));
      assert.deepEqual((await a.objectVersions.list(BUCKET, 'raced.docx')).map((v) => [v.version, v.etag]), [[1, base.etag], [2, md5(`edit number ${won[0]}`)]]);
      assert.equal(fileOf('raced.docx'), `edit number ${won[0]}`);
      assert.deepEqual((await outboxFor('raced.docx')).map((e) => e.Version), [2]);
    });

    for (const crashAt of ['before-commit', 'after-commit'] as const) {
      test(`a node killed mid-save (${crashAt}) leaves the previous version intact and the new one ${crashAt === 'before-commit' ? 'absent' : 'complete'}`, async () => {
        const key = `crash-${crashAt}.docx`;
        const base = await putDocument(a, BUCKET, key, Buffer.from('safe and sound'));
        const job: CrashingSave = { databaseUrl: a.config.databaseUrl, dataDir: a.config.dataDir, ossDir: a.config.ossDir, bucket: BUCKET, key, content: 'the new version', ifMatch: base.etag, crashAt };
        await assert.rejects(promisify(execFile)(process.execPath, [CRASHING_SAVE, JSON.stringify(job)]), (err: { signal?: string }) => err.signal === 'SIGKILL');
        assert.equal(fileOf(key), 'safe and sound', 'the current file is untouched');
        assert.equal(await textOf(b, key, 1), 'safe and sound');
        const stat = await b.objects.headObject(BUCKET, key);
        if (crashAt === 'before-commit') {
          assert.equal((await currentVersion(b, BUCKET, key, stat!))?.version, 1, 'no new version');
          assert.deepEqual(await outboxFor(key), []);
          const next = await saveVersion(b, BUCKET, key, Buffer.from('saved after the crash'), { ifMatch: base.etag });
          assert.equal(next.version, 2, 'the crash blocks nothing');
        } else {
          assert.equal(await textOf(b, key, 2), 'the new version', 'the committed version is complete');
          assert.deepEqual((await outboxFor(key)).map((e) => e.Version), [2], 'and announced');
          assert.equal((await currentVersion(b, BUCKET, key, stat!))?.version, 2, 'it is current at once');
          assert.equal(fileOf(key), 'safe and sound', 'its saver may still be placing the file');
          // Once its saver is surely gone, a look brings the file up to the committed version.
          await currentVersion(b, BUCKET, key, stat!, Date.now() + 60_000);
          assert.equal(fileOf(key), 'the new version');
          const again = await b.objects.headObject(BUCKET, key);
          assert.equal((await currentVersion(b, BUCKET, key, again!))?.fingerprint, again?.fingerprint, 'and records the file it placed');
          assert.deepEqual((await b.objectVersions.list(BUCKET, key)).map((v) => v.version), [1, 2]);
        }
      });
    }
  });
}
