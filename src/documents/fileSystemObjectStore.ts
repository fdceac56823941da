import fs from 'node:fs/promises';
import path from 'node:path';
import { createHash } from 'node:crypto';
import type { ObjectInfo, ObjectStore } from './objectStore.js';

/** Bucket `B` is the folder `<root>/B/`; object key `a/b.docx` is the file `<root>/B/a/b.docx`. */
export function fileSystemObjectStore(root: string): ObjectStore {
  const objectPath = (bucket: string, key: string): string => {
    const bucketDir = path.join(root, bucket);
    const file = path.resolve(bucketDir, key);
    // Keys were validated already; this keeps any path that escapes the bucket out regardless.
    if (!file.startsWith(bucketDir + path.sep)) throw new Error(`object key escapes its bucket: ${key}`);
    return file;
  };
  const info = (stat: { size: number; mtimeMs: number; ino: number }): ObjectInfo => ({
    size: stat.size,
    etag: createHash('sha1').update(`${stat.ino}:${stat.size}:${stat.mtimeMs}`).digest('hex'),
  });

  return {
    async headObject(bucket, key) {
      try {
        const stat = await fs.stat(objectPath(bucket, key));
        return stat.isFile() ? info(stat) : undefined;
      } catch (err) {
        if (['ENOENT', 'ENOTDIR', 'ENAMETOOLONG'].includes((err as NodeJS.ErrnoException).code ?? '')) return undefined;
        throw err;
      }
    },
    async putObject(bucket, key, content) {
      const file = objectPath(bucket, key);
      await fs.mkdir(path.dirname(file), { recursive: true });
      // Write beside, then rename: a reader never sees half a document.
      const temp = `${file}.${process.pid}.tmp`;
      await fs.writeFile(temp, content);
      await fs.rename(temp, file);
      return info(await fs.stat(file));
    },
    async createBucket(bucket) {
      await fs.mkdir(path.join(root, bucket), { recursive: true });
    },
  };
}
