import fs from 'node:fs/promises';
import type { Stats } from 'node:fs';
import path from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import { pipeline } from 'node:stream/promises';
import type { ObjectStat, ObjectStore } from './objectStore.js';

const GONE = ['ENOENT', 'ENOTDIR', 'ENAMETOOLONG', 'EISDIR'];
const isGone = (err: unknown) => GONE.includes((err as NodeJS.ErrnoException).code ?? '');

/**
 * Opens a regular file and stats it through the same handle, so the stat is that of the bytes read through it
 * (a rename that replaces the file meanwhile cannot mix two contents); undefined when there is none.
 */
async function openFile(file: string): Promise<{ handle: fs.FileHandle; stat: Stats } | undefined> {
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(file, 'r');
  } catch (err) {
    if (isGone(err)) return undefined;
    throw err;
  }
  try {
    const stat = await handle.stat();
    if (stat.isFile()) return { handle, stat };
  } catch (err) {
    await handle.close();
    throw err;
  }
  await handle.close();
  return undefined;
}

/** MD5 in OSS's spelling: upper-case hex. */
const ossEtag = (md5: Buffer) => md5.toString('hex').toUpperCase();

/** Bucket `B` is the folder `<root>/B/`; object key `a/b.docx` is the file `<root>/B/a/b.docx`. */
export function fileSystemObjectStore(root: string): ObjectStore {
  const objectPath = (bucket: string, key: string): string => {
    const bucketDir = path.join(root, bucket);
    const file = path.resolve(bucketDir, key);
    // Keys were validated already; this keeps any path that escapes the bucket out regardless.
    if (!file.startsWith(bucketDir + path.sep)) throw new Error(`object key escapes its bucket: ${key}`);
    return file;
  };
  // Every write is a rename of a new file, so the inode changes with the content; size and mtime catch an
  // editor that rewrites in place. Shared folders (NFS) report the same three values on every node.
  const statOf = (stat: { size: number; mtimeMs: number; ino: number }): ObjectStat => ({
    size: stat.size,
    fingerprint: createHash('sha1').update(`${stat.ino}:${stat.size}:${stat.mtimeMs}`).digest('hex'),
  });

  return {
    async headObject(bucket, key) {
      try {
        const stat = await fs.stat(objectPath(bucket, key));
        return stat.isFile() ? statOf(stat) : undefined;
      } catch (err) {
        if (isGone(err)) return undefined;
        throw err;
      }
    },
    async readObject(bucket, key) {
      const opened = await openFile(objectPath(bucket, key));
      return opened && { stat: statOf(opened.stat), body: opened.handle.createReadStream({ start: 0 }) };
    },
    async digestObject(bucket, key) {
      const opened = await openFile(objectPath(bucket, key));
      if (!opened) return undefined;
      try {
        const md5 = createHash('md5');
        await pipeline(opened.handle.createReadStream({ autoClose: false, start: 0 }), md5);
        return { ...statOf(opened.stat), etag: ossEtag(md5.digest()) };
      } finally {
        await opened.handle.close();
      }
    },
    async putObject(bucket, key, content) {
      const file = objectPath(bucket, key);
      await fs.mkdir(path.dirname(file), { recursive: true });
      // Write beside, then rename: a reader never sees half a document.
      // The stat is taken before the rename (which keeps inode and mtime), so it is this content's even when
      // another writer replaces the file right after.
      const temp = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
      await fs.writeFile(temp, content);
      const stat = await fs.stat(temp);
      await fs.rename(temp, file);
      return { ...statOf(stat), etag: ossEtag(createHash('md5').update(content).digest()) };
    },
    async createBucket(bucket) {
      await fs.mkdir(path.join(root, bucket), { recursive: true });
    },
  };
}
