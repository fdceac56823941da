import fs from 'node:fs/promises';
import path from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import type { KeptContent, ObjectStat, ObjectStore } from './objectStore.js';

const GONE = ['ENOENT', 'ENOTDIR', 'ENAMETOOLONG', 'EISDIR'];
const isGone = (err: unknown) => GONE.includes((err as NodeJS.ErrnoException).code ?? '');

/** MD5 in OSS's spelling: upper-case hex. */
const ossEtag = (md5: Buffer) => md5.toString('hex').toUpperCase();

/**
 * Where kept contents live, beside the buckets. Bucket names are [a-z0-9-] and object keys refuse dot-segments,
 * so a folder whose name starts with '.' never collides with a bucket or an object.
 */
export const VERSION_CONTENTS_FOLDER = '.imm-versions';

const CONTENT_ID = /^[0-9a-f]{64}$/;
const tempName = (file: string) => `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;

/** Makes a rename or a new file in `dir` survive a power loss (a crash of the process needs nothing). */
async function syncDirectory(dir: string): Promise<void> {
  const handle = await fs.open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Bucket `B` is the folder `<root>/B/`; object key `a/b.docx` is the file `<root>/B/a/b.docx`. */
export function fileSystemObjectStore(root: string): ObjectStore {
  const objectPath = (bucket: string, key: string): string => {
    const bucketDir = path.join(root, bucket);
    const file = path.resolve(bucketDir, key);
    // Keys were validated already; this keeps any path that escapes the bucket out regardless.
    if (!file.startsWith(bucketDir + path.sep)) throw new Error(`object key escapes its bucket: ${key}`);
    return file;
  };
  const keptPath = (contentId: string): string => {
    if (!CONTENT_ID.test(contentId)) throw new Error(`not a content id: ${contentId}`);
    return path.join(root, VERSION_CONTENTS_FOLDER, contentId.slice(0, 2), contentId);
  };
  // Every write is a rename of a new file, so the inode changes with the content; size and mtime catch an
  // editor that rewrites in place. Shared folders (NFS) report the same three values on every node.
  const statOf = (stat: { size: number; mtimeMs: number; ino: number }): ObjectStat => ({
    size: stat.size,
    fingerprint: createHash('sha1').update(`${stat.ino}:${stat.size}:${stat.mtimeMs}`).digest('hex'),
  });

  /**
   * Moves a complete, synced temporary file to its content id (private: 0600 in 0700 folders). A content kept
   * already stays as it is: same SHA-256, same bytes.
   */
  const settleKept = async (temp: string, contentId: string): Promise<void> => {
    const file = keptPath(contentId);
    await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
    await fs.rename(temp, file);
    await syncDirectory(path.dirname(file));
  };
  const keptTemp = async (): Promise<string> => {
    const dir = path.join(root, VERSION_CONTENTS_FOLDER);
    await fs.mkdir(dir, { recursive: true, mode: 0o700 });
    return tempName(path.join(dir, 'incoming'));
  };

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
    async digestObject(bucket, key) {
      let handle: fs.FileHandle;
      try {
        handle = await fs.open(objectPath(bucket, key), 'r');
      } catch (err) {
        if (isGone(err)) return undefined;
        throw err;
      }
      const temp = await keptTemp();
      const copy = await fs.open(temp, 'wx', 0o600);
      try {
        // Stat, hash and copy through one open handle: a rename that replaces the file meanwhile cannot mix
        // two contents, and the kept copy is exactly the bytes hashed.
        const stat = await handle.stat();
        if (!stat.isFile()) return undefined;
        const md5 = createHash('md5');
        const sha256 = createHash('sha256');
        for await (const chunk of handle.createReadStream({ autoClose: false, start: 0 }) as AsyncIterable<Buffer>) {
          md5.update(chunk);
          sha256.update(chunk);
          await copy.write(chunk);
        }
        await copy.sync();
        await copy.close();
        const contentId = sha256.digest('hex');
        await settleKept(temp, contentId);
        return { ...statOf(stat), etag: ossEtag(md5.digest()), contentId };
      } finally {
        await copy.close().catch(() => {});
        await fs.rm(temp, { force: true });
        await handle.close();
      }
    },
    async readObject(bucket, key) {
      try {
        return await fs.readFile(objectPath(bucket, key));
      } catch (err) {
        if (isGone(err)) return undefined;
        throw err;
      }
    },
    async stageObject(bucket, key, content) {
      const file = objectPath(bucket, key);
      await fs.mkdir(path.dirname(file), { recursive: true });
      // Written beside, then renamed: a reader never sees half a document. The stat is taken before the rename
      // (which keeps inode and mtime), so it is this content's even when another writer replaces the file after.
      const temp = tempName(file);
      await fs.writeFile(temp, content);
      const stat = await fs.stat(temp);
      return {
        stat: statOf(stat),
        place: () => fs.rename(temp, file),
        discard: () => fs.rm(temp, { force: true }),
      };
    },
    async keepContent(content): Promise<KeptContent> {
      const contentId = createHash('sha256').update(content).digest('hex');
      const kept: KeptContent = { contentId, size: content.length, etag: ossEtag(createHash('md5').update(content).digest()) };
      try {
        if ((await fs.stat(keptPath(contentId))).size === content.length) return kept;
      } catch (err) {
        if (!isGone(err)) throw err;
      }
      const temp = await keptTemp();
      try {
        const handle = await fs.open(temp, 'wx', 0o600);
        try {
          await handle.writeFile(content);
          await handle.sync(); // on disk before the database names it
        } finally {
          await handle.close();
        }
        await settleKept(temp, contentId);
      } finally {
        await fs.rm(temp, { force: true });
      }
      return kept;
    },
    async readKeptContent(contentId) {
      try {
        return await fs.readFile(keptPath(contentId));
      } catch (err) {
        if (isGone(err)) return undefined;
        throw err;
      }
    },
    async createBucket(bucket) {
      await fs.mkdir(path.join(root, bucket), { recursive: true });
    },
  };
}
