/**
 * The file-system object store keeps every object inside its bucket's folder: below the root (which may itself
 * be a link, the operator's choice) no symbolic link is followed, for reading or for writing — not to a file
 * outside the store, not into another bucket, not through a linked folder — and what a link points to is
 * neither read nor changed. Folders it creates are 0700 and documents 0600, whatever the umask.
 * (No database here: the store is only the content; test/operations and test/cli.test.ts drive it end to end.)
 */
import { beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { fileSystemObjectStore, VERSION_CONTENTS_FOLDER } from '../../src/documents/fileSystemObjectStore.js';
import { SymbolicLinkRefused, type ObjectStore } from '../../src/documents/objectStore.js';
import { makeDataDir } from '../helpers/server.js';

// The usual umask: without explicit modes, folders would be 0755 and files 0644.
process.umask(0o022);

const md5 = (text: string) => createHash('md5').update(text).digest('hex').toUpperCase();
const LONG_AGO = new Date('2000-01-01T00:00:00Z');

interface Layout {
  /** The store's root, `<top>/oss`. */
  root: string;
  /** A folder outside the store, holding secret.docx. */
  outside: string;
  secret: string;
}

/** A store with buckets `mine` and `theirs` (their.docx in it), and a file outside the store. */
async function layout(): Promise<Layout & { store: ObjectStore }> {
  const top = makeDataDir('imm-store-');
  const root = path.join(top, 'oss');
  const outside = path.join(top, 'outside');
  fs.mkdirSync(outside);
  const secret = path.join(outside, 'secret.docx');
  fs.writeFileSync(secret, 'outside the store');
  const store = fileSystemObjectStore(root);
  await Promise.all([store.createBucket('mine'), store.createBucket('theirs')]);
  await store.putObject('theirs', 'their.docx', Buffer.from("another account's document"));
  return { root, outside, secret, store };
}

/**
 * Checks later that nothing under these folders was read or changed: every file keeps its content and
 * modification time, and its access time, set long ago here, stays there (on a relatime mount, the usual, any
 * read would move it).
 */
function untouched(...dirs: string[]): () => void {
  const files = () => dirs.flatMap((dir) => fs.readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name)));
  const state = (file: string, content: string) => {
    const { mtimeMs, atimeMs } = fs.statSync(file);
    return { file, content, mtimeMs, atimeMs };
  };
  const before = files().map((file) => {
    const content = fs.readFileSync(file, 'latin1');
    fs.utimesSync(file, LONG_AGO, fs.statSync(file).mtime);
    return state(file, content);
  });
  return () => {
    // Stat first: reading the content here moves the access time.
    const after = files().map((file) => ({ ...state(file, ''), content: fs.readFileSync(file, 'latin1') }));
    assert.deepEqual(after, before, 'the linked-to files are unread and unchanged');
  };
}

async function refused(work: Promise<unknown>, what: RegExp): Promise<void> {
  await assert.rejects(work, (error: unknown) => {
    assert.ok(error instanceof SymbolicLinkRefused, `expected SymbolicLinkRefused, got ${String(error)}`);
    assert.match(error.message, what);
    assert.match(error.message, /symbolic link .*links are not followed/);
    return true;
  });
}

// On Linux the store checks the real path of the opened descriptor (/proc/self/fd); elsewhere it compares the
// real path of the name with the opened file's inode. On a local filesystem Linux's check of `headObject` is
// made in synchronous system calls, on a network one through the thread pool. Every way is tried here.
const checkWays = [
  { name: '/proc/self/fd, synchronous', descriptorPaths: true, synchronousChecks: true },
  { name: '/proc/self/fd, thread pool', descriptorPaths: true, synchronousChecks: false },
  { name: 'realpath and inode', descriptorPaths: false },
];
for (const { name, descriptorPaths, synchronousChecks } of checkWays) {
  describe(`reading never follows a symbolic link (${name})`, () => {
    let l: Layout & { store: ObjectStore };
    beforeEach(async () => {
      l = await layout();
      l.store = fileSystemObjectStore(l.root, { descriptorPaths, synchronousChecks });
    });

    const readBoth = async (bucket: string, key: string) => {
      await refused(l.store.headObject(bucket, key), new RegExp(`^oss://${bucket}/${key} `));
      await refused(l.store.digestObject(bucket, key), new RegExp(`^oss://${bucket}/${key} `));
    };

    test('a plain object is read: size and MD5', async () => {
      await l.store.putObject('mine', 'a/plain.docx', Buffer.from('plain'));
      assert.equal((await l.store.headObject('mine', 'a/plain.docx'))?.size, 5);
      assert.equal((await l.store.digestObject('mine', 'a/plain.docx'))?.etag, md5('plain'));
      assert.equal(await l.store.headObject('mine', 'a/absent.docx'), undefined);
    });

    test('a link to a file outside the store is refused; the file stays unread', async () => {
      fs.symlinkSync(l.secret, path.join(l.root, 'mine', 'link.docx'));
      const check = untouched(l.outside);
      await readBoth('mine', 'link.docx');
      check();
    });

    test("a link into another account's bucket is refused; the document stays unread", async () => {
      fs.symlinkSync(path.join(l.root, 'theirs', 'their.docx'), path.join(l.root, 'mine', 'stolen.docx'));
      const check = untouched(path.join(l.root, 'theirs'));
      await readBoth('mine', 'stolen.docx');
      check();
    });

    test('a linked folder on the way is refused (relative link into another bucket, absolute link out of the store)', async () => {
      fs.symlinkSync('../theirs', path.join(l.root, 'mine', 'shared'));
      fs.symlinkSync(l.outside, path.join(l.root, 'mine', 'out'));
      const check = untouched(path.join(l.root, 'theirs'), l.outside);
      await readBoth('mine', 'shared/their.docx');
      await readBoth('mine', 'out/secret.docx');
      check();
    });

    test("a bucket folder that is a link (to another bucket's folder) is refused", async () => {
      fs.symlinkSync(path.join(l.root, 'theirs'), path.join(l.root, 'alias'));
      const check = untouched(path.join(l.root, 'theirs'));
      await readBoth('alias', 'their.docx');
      check();
    });

    test('a link to another object of the same bucket is refused too: one file, one key', async () => {
      await l.store.putObject('mine', 'real.docx', Buffer.from('real'));
      fs.symlinkSync('real.docx', path.join(l.root, 'mine', 'second-name.docx'));
      await readBoth('mine', 'second-name.docx');
    });

    test('the root itself may be a link (the operator chose it): objects below it are read', async () => {
      const viaLink = path.join(path.dirname(l.root), 'oss-link');
      fs.symlinkSync(l.root, viaLink);
      const store = fileSystemObjectStore(viaLink, { descriptorPaths, synchronousChecks });
      assert.equal((await store.digestObject('theirs', 'their.docx'))?.etag, md5("another account's document"));
      await store.putObject('mine', 'through-root-link.docx', Buffer.from('ok'));
      assert.equal(fs.readFileSync(path.join(l.root, 'mine', 'through-root-link.docx'), 'utf8'), 'ok');
    });

    // (On the realpath-and-inode check a replaced file is opened again, at most three times: a replacement as
    // fast as this one's can outrun that, and no real save replaces a file every few microseconds.)
    test('an object replaced again and again while it is read is read, never taken for a link', { skip: !descriptorPaths && 'the /proc/self/fd checks only' }, async () => {
      await l.store.putObject('mine', 'raced.docx', Buffer.from('version 0'));
      const file = path.join(l.root, 'mine', 'raced.docx');
      // Another thread renames new files over the object without pause (as concurrent saves place theirs).
      const renames = new Int32Array(new SharedArrayBuffer(4));
      const until = Date.now() + 1500;
      const replacer = new Worker(
        `const fs = require('node:fs');
         const { file, until, renames } = require('node:worker_threads').workerData;
         for (let i = 1; Date.now() < until; i++) {
           fs.writeFileSync(file + '.tmp', 'version ' + i);
           fs.renameSync(file + '.tmp', file);
           Atomics.add(renames, 0, 1);
         }`,
        { eval: true, workerData: { file, until, renames } },
      );
      let reads = 0;
      const refusals: string[] = [];
      while (Date.now() < until) {
        try {
          assert.ok(await l.store.headObject('mine', 'raced.docx'), 'the object is always there (renames are atomic)');
        } catch (err) {
          if (!(err instanceof SymbolicLinkRefused)) throw err;
          refusals.push(err.message);
        }
        reads++;
      }
      await once(replacer, 'exit');
      assert.ok(Atomics.load(renames, 0) > 100 && reads > 100, `renames ${Atomics.load(renames, 0)}, reads ${reads}`);
      assert.deepEqual(refusals, [], `${refusals.length} of ${reads} reads refused`);
    });
  });
}

describe('writing never follows a symbolic link', () => {
  let l: Layout & { store: ObjectStore };
  beforeEach(async () => {
    l = await layout();
  });

  test("a linked folder on the way (into another account's bucket, out of the store) is refused; nothing is written there", async () => {
    fs.symlinkSync(path.join(l.root, 'theirs'), path.join(l.root, 'mine', 'shared'));
    fs.symlinkSync(l.outside, path.join(l.root, 'mine', 'out'));
    const check = untouched(path.join(l.root, 'theirs'), l.outside);
    await refused(l.store.putObject('mine', 'shared/their.docx', Buffer.from('overwritten')), /^oss:\/\/mine\/shared\/their\.docx /);
    await refused(l.store.putObject('mine', 'shared/new.docx', Buffer.from('planted')), /^oss:\/\/mine\/shared\/new\.docx /);
    await refused(l.store.putObject('mine', 'out/deep/new.docx', Buffer.from('planted')), /^oss:\/\/mine\/out\/deep\/new\.docx /);
    check();
    assert.deepEqual(fs.readdirSync(path.join(l.root, 'theirs')), ['their.docx']);
    assert.deepEqual(fs.readdirSync(l.outside), ['secret.docx']);
  });

  test('a link as the destination is refused and stays a link; its target is unchanged', async () => {
    const link = path.join(l.root, 'mine', 'link.docx');
    fs.symlinkSync(l.secret, link);
    const check = untouched(l.outside);
    await refused(l.store.putObject('mine', 'link.docx', Buffer.from('overwritten')), /^oss:\/\/mine\/link\.docx /);
    check();
    assert.equal(fs.readlinkSync(link), l.secret);
    assert.deepEqual(fs.readdirSync(path.join(l.root, 'mine')), ['link.docx'], 'no temporary file is left behind');
  });

  test("a bucket folder that is a link is refused for writing, and bucket create does not adopt it", async () => {
    fs.symlinkSync(path.join(l.root, 'theirs'), path.join(l.root, 'alias'));
    fs.symlinkSync(l.outside, path.join(l.root, 'elsewhere'));
    const check = untouched(path.join(l.root, 'theirs'), l.outside);
    await refused(l.store.putObject('alias', 'their.docx', Buffer.from('overwritten')), /^oss:\/\/alias\/their\.docx /);
    await refused(l.store.createBucket('alias'), /^the folder of bucket alias /);
    await refused(l.store.createBucket('elsewhere'), /^the folder of bucket elsewhere /);
    check();
    assert.deepEqual(fs.readdirSync(l.outside), ['secret.docx']);
    // An existing real folder is adopted.
    fs.mkdirSync(path.join(l.root, 'adopted'));
    await l.store.createBucket('adopted');
    await l.store.putObject('adopted', 'a.docx', Buffer.from('a'));
  });
});

describe('modes', () => {
  test('the root, bucket folders and folders on the way are created 0700, documents 0600, whatever the umask', async () => {
    const root = path.join(makeDataDir('imm-store-modes-'), 'not-yet', 'oss');
    const store = fileSystemObjectStore(root);
    await store.createBucket('private-bucket');
    await store.putObject('private-bucket', 'a/b/c.docx', Buffer.from('private'));
    await store.putObject('private-bucket', 'a/b/c.docx', Buffer.from('replaced'));
    const mode = (...parts: string[]) => fs.statSync(path.join(root, ...parts)).mode & 0o777;
    assert.equal(mode(), 0o700, 'the root');
    assert.equal(fs.statSync(path.dirname(root)).mode & 0o777, 0o700, 'a missing parent of the root');
    assert.equal(mode('private-bucket'), 0o700, 'the bucket folder');
    assert.equal(mode('private-bucket', 'a'), 0o700);
    assert.equal(mode('private-bucket', 'a', 'b'), 0o700);
    assert.equal(mode('private-bucket', 'a', 'b', 'c.docx'), 0o600, 'the document');
    // Creating the bucket again (another node, or after a restore) keeps its folder as it is.
    await store.createBucket('private-bucket');
    assert.equal(fs.readFileSync(path.join(root, 'private-bucket', 'a', 'b', 'c.docx'), 'utf8'), 'replaced');
  });
});

describe('kept version contents', () => {
  let l: Layout & { store: ObjectStore };
  beforeEach(async () => {
    l = await layout();
  });
  const keptFile = (id: string) => path.join(l.root, VERSION_CONTENTS_FOLDER, id.slice(0, 2), id);

  test('kept and digested contents are stored once under their SHA-256, 0600 in 0700 folders, and read back', async () => {
    const kept = await l.store.keepContent(Buffer.from('version one'));
    assert.equal(kept.contentId, createHash('sha256').update('version one').digest('hex'));
    assert.deepEqual([kept.size, kept.etag], [11, md5('version one')]);
    assert.deepEqual(await l.store.keepContent(Buffer.from('version one')), kept, 'the same bytes are the same content');
    await l.store.putObject('mine', 'copied.docx', Buffer.from('copied in by hand'));
    const digested = await l.store.digestObject('mine', 'copied.docx');
    const reader = await l.store.readKeptContent(digested!.contentId);
    assert.equal(Buffer.concat(await reader!.body.toArray()).toString(), 'copied in by hand', 'a digest keeps exactly the bytes it hashed');
    const mode = (file: string) => fs.statSync(file).mode & 0o777;
    assert.equal(mode(keptFile(kept.contentId)), 0o600);
    assert.equal(mode(path.dirname(keptFile(kept.contentId))), 0o700);
    assert.equal(mode(path.join(l.root, VERSION_CONTENTS_FOLDER)), 0o700);
    assert.deepEqual(fs.readdirSync(path.join(l.root, VERSION_CONTENTS_FOLDER)).filter((name) => name.endsWith('.tmp')), [], 'no temporary file is left behind');
    assert.equal(await l.store.readKeptContent('0'.repeat(64)), undefined);
    await assert.rejects(l.store.readKeptContent('../../secret'), /not a content id/);
  });

  test('a kept-contents folder or file that is a link is refused: nothing is written through it, nothing read', async () => {
    fs.symlinkSync(l.outside, path.join(l.root, VERSION_CONTENTS_FOLDER));
    const check = untouched(l.outside);
    await refused(l.store.keepContent(Buffer.from('planted')), /\.imm-versions/);
    check();
    assert.deepEqual(fs.readdirSync(l.outside), ['secret.docx']);
    fs.unlinkSync(path.join(l.root, VERSION_CONTENTS_FOLDER));
    const kept = await l.store.keepContent(Buffer.from('real'));
    fs.rmSync(keptFile(kept.contentId));
    fs.symlinkSync(l.secret, keptFile(kept.contentId));
    await refused(l.store.readKeptContent(kept.contentId), new RegExp(kept.contentId));
  });
});
