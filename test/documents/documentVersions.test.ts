/**
 * Object versions live in the database, on both engines: `putDocument` records each upload as the next version
 * with the content's MD5 as ETag; a file replaced by other means becomes the next version when first looked
 * at, once, however many readers notice it together; an unchanged file is never re-read.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { enginesUnderTest, type EngineUnderTest } from '../helpers/engines.js';
import { makeDataDir } from '../helpers/server.js';
import { fileSystemObjectStore } from '../../src/documents/fileSystemObjectStore.js';
import { currentVersion, putDocument, type VersionDeps } from '../../src/documents/documentVersions.js';
import { objectVersionStore } from '../../src/store/objectVersions.js';
import { bucketStore } from '../../src/store/buckets.js';
import { accountStore } from '../../src/store/accounts.js';
import type { ObjectStore } from '../../src/documents/objectStore.js';

const md5 = (text: string) => createHash('md5').update(text).digest('hex').toUpperCase();

const { engines, skipped } = await enginesUnderTest();
if (skipped) console.log(`# ${skipped}`);

for (const engine of engines) {
  describe(`document versions on ${engine.name}`, () => {
    let handle: Awaited<ReturnType<EngineUnderTest['open']>>;
    let ossDir: string;
    let deps: VersionDeps;
    let digests: number;
    const BUCKET = 'versioned';

    before(async () => {
      handle = await engine.open();
      ossDir = makeDataDir('imm-oss-');
      const files = fileSystemObjectStore(ossDir);
      // Counts full reads of a content, to show that an unchanged object is not read again.
      const objects: ObjectStore = { ...files, digestObject: (bucket, key) => (digests++, files.digestObject(bucket, key)) };
      deps = { objects, objectVersions: objectVersionStore(handle.db) };
      const { AccountId: accountId } = await accountStore(handle.db, Buffer.alloc(32, 7)).createAccount();
      assert.ok(await bucketStore(handle.db).create(BUCKET, accountId));
      await files.createBucket(BUCKET);
    });
    after(async () => {
      await handle.dispose();
    });

    const look = async (key: string) => {
      const stat = await deps.objects.headObject(BUCKET, key);
      return stat && currentVersion(deps, BUCKET, key, stat);
    };

    test('each upload is the next version, with the MD5 of its content as ETag; the history keeps them all', async () => {
      const first = await putDocument(deps, BUCKET, 'a/plan.docx', Buffer.from('first draft'));
      const second = await putDocument(deps, BUCKET, 'a/plan.docx', Buffer.from('second, longer draft'));
      const again = await putDocument(deps, BUCKET, 'a/plan.docx', Buffer.from('second, longer draft'));
      assert.deepEqual([first.version, second.version, again.version], [1, 2, 3], 'an upload of the same bytes is a version too, as in OSS');
      assert.deepEqual([first.etag, second.etag, again.etag], [md5('first draft'), md5('second, longer draft'), md5('second, longer draft')]);
      assert.deepEqual([first.size, second.size], [11, 20]);
      const history = await deps.objectVersions.list(BUCKET, 'a/plan.docx');
      assert.deepEqual(history.map((v) => [v.version, v.size, v.etag]), [[1, 11, first.etag], [2, 20, second.etag], [3, 20, again.etag]]);
      assert.equal(fs.readFileSync(path.join(ossDir, BUCKET, 'a', 'plan.docx'), 'utf8'), 'second, longer draft');
      assert.deepEqual(await look('a/plan.docx'), history[2], 'the last upload is current');
    });

    test('an unchanged object is current without reading its content again', async () => {
      await putDocument(deps, BUCKET, 'still.docx', Buffer.from('unchanging'));
      digests = 0;
      for (let i = 0; i < 5; i++) assert.equal((await look('still.docx'))?.version, 1);
      assert.equal(digests, 0);
    });

    test('a file placed or replaced outside putDocument becomes the next version at the next look', async () => {
      const file = path.join(ossDir, BUCKET, 'copied', 'notes.docx');
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, 'copied in');
      const first = await look('copied/notes.docx');
      assert.deepEqual(first && [first.version, first.size, first.etag], [1, 9, md5('copied in')]);
      fs.writeFileSync(file, 'edited in place'); // same inode, new size and time
      const second = await look('copied/notes.docx');
      assert.deepEqual(second && [second.version, second.etag], [2, md5('edited in place')]);
      assert.equal((await deps.objectVersions.list(BUCKET, 'copied/notes.docx')).length, 2);
    });

    test('16 readers noticing the same new content together record it as one version', async () => {
      await putDocument(deps, BUCKET, 'busy.docx', Buffer.from('one'));
      const replacement = path.join(ossDir, BUCKET, 'busy.docx.new');
      fs.writeFileSync(replacement, 'two, replaced by rename');
      fs.renameSync(replacement, path.join(ossDir, BUCKET, 'busy.docx'));
      const seen = await Promise.all(Array.from({ length: 16 }, () => look('busy.docx')));
      assert.deepEqual(new Set(seen.map((v) => v?.version)), new Set([2]));
      assert.deepEqual(new Set(seen.map((v) => v?.etag)), new Set([md5('two, replaced by rename')]));
      const history = await deps.objectVersions.list(BUCKET, 'busy.docx');
      assert.deepEqual(history.map((v) => v.version), [1, 2]);
    });

    test('concurrent uploads of different contents get distinct consecutive versions, each with its own ETag', async () => {
      const contents = Array.from({ length: 8 }, (_, i) => `upload number ${i}`);
      const versions = await Promise.all(contents.map((c) => putDocument(deps, BUCKET, 'raced.docx', Buffer.from(c))));
      assert.deepEqual(versions.map((v) => v.version).sort((a, b) => a - b), [1, 2, 3, 4, 5, 6, 7, 8]);
      for (const [i, v] of versions.entries()) assert.equal(v.etag, md5(contents[i]));
      const history = await deps.objectVersions.list(BUCKET, 'raced.docx');
      assert.deepEqual(history.map((v) => v.etag), [...versions].sort((a, b) => a.version - b.version).map((v) => v.etag));
      // The renames may land in another order than the records: the next look makes the file's content current.
      const onDisk = fs.readFileSync(path.join(ossDir, BUCKET, 'raced.docx'), 'utf8');
      assert.equal((await look('raced.docx'))?.etag, md5(onDisk));
    });

    test('an object that vanished is no version at all', async () => {
      await putDocument(deps, BUCKET, 'gone.docx', Buffer.from('soon gone'));
      const stat = await deps.objects.headObject(BUCKET, 'gone.docx');
      fs.unlinkSync(path.join(ossDir, BUCKET, 'gone.docx'));
      assert.equal(await deps.objects.headObject(BUCKET, 'gone.docx'), undefined);
      // Its stat was read just before it went, and it had changed: the content cannot be read for a new version.
      assert.equal(await currentVersion(deps, BUCKET, 'gone.docx', { ...stat!, fingerprint: 'changed' }), undefined);
    });
  });
}
