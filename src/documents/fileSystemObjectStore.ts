import fs from 'node:fs/promises';
import { closeSync, constants, fstatSync, openSync, readlinkSync, statfsSync, type Stats } from 'node:fs';
import path from 'node:path';
import { createHash, hash } from 'node:crypto';
import { CREATE_FLAGS, DESCRIPTOR_PATHS, NOFOLLOW, READ_FLAGS, descriptorWasAt, isGone, openedFileIsAt, tempName } from './noFollowFiles.js';
import { SymbolicLinkRefused, type KeptContent, type ObjectStat, type ObjectStore, type StagedObject } from './objectStore.js';

const LINK_REFUSED = ['ELOOP', 'EMLINK']; // what O_NOFOLLOW answers for a link (EMLINK on FreeBSD)

/** Filesystems whose metadata calls go over a network (statfs magic numbers): NFS, SMB/CIFS, FUSE, Ceph, AFS, 9p. */
const NETWORK_FILESYSTEMS = new Set([0x6969, 0xff534d42, 0xfe534d42, 0x517b, 0x65735546, 0x00c36400, 0x5346414f, 0x01021997]);

/**
 * Whether the documents live on a local filesystem, where checking an object (open, fstat, readlink, close) takes
 * about 10 µs of system calls done at once, against about 60 µs of CPU through libuv's thread pool (measured on
 * the development machine). On a network filesystem each call waits for a round trip, which must not stall
 * the event loop: the thread pool is used there.
 */
function isLocalFilesystem(folder: string): boolean {
  try {
    return !NETWORK_FILESYSTEMS.has(Number(statfsSync(folder).type));
  } catch {
    return false; // not there yet, or statfs unsupported: the asynchronous path works everywhere
  }
}

/** MD5 in OSS's spelling: upper-case hex. */
const ossEtag = (md5: Buffer) => md5.toString('hex').toUpperCase();

type Opened = { handle: fs.FileHandle; stat: Stats };

/**
 * Where every version's bytes are kept, beside the buckets: `<root>/.imm-versions/<2 hex>/<SHA-256>`. Bucket
 * names are [a-z0-9-], so a folder whose name starts with '.' is never a bucket.
 */
export const VERSION_CONTENTS_FOLDER = '.imm-versions';
const CONTENT_ID = /^[0-9a-f]{64}$/;

/** Makes a rename or a new file in `dir` survive a power loss (a crash of the process alone needs nothing). */
async function syncDirectory(dir: string): Promise<void> {
  const handle = await fs.open(dir, constants.O_RDONLY | NOFOLLOW);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Bucket `B` is the folder `<root>/B/`; object key `a/b.docx` is the file `<root>/B/a/b.docx`. The root may be a
 * symbolic link (the operator's choice, resolved once); below it every link is refused (`SymbolicLinkRefused`),
 * so an object is only ever its own file inside its own bucket's folder. Everything created is private to the
 * service's user: folders 0700, documents 0600.
 */
export function fileSystemObjectStore(root: string, options: { descriptorPaths?: boolean; synchronousChecks?: boolean } = {}): ObjectStore {
  const descriptorPaths = options.descriptorPaths ?? DESCRIPTOR_PATHS;
  let realRoot: string | undefined;
  let synchronousChecks = options.synchronousChecks;

  /** The root's real path; undefined while it does not exist, unless `create` (then it is made, 0700). */
  async function rootPath(create: boolean): Promise<string | undefined> {
    if (realRoot) return realRoot;
    if (create) await fs.mkdir(root, { recursive: true, mode: 0o700 });
    try {
      realRoot = await fs.realpath(root);
    } catch (err) {
      if (!create && isGone(err)) return undefined;
      throw err;
    }
    return realRoot;
  }

  /** Whether the open file is the one at `file` (a path without links), reached without following any. */
  const isAt = (opened: Opened, file: string) => openedFileIsAt(opened.handle, file, { descriptorPaths, openedStat: opened.stat });

  /**
   * The object's file opened for reading (the caller closes it), or undefined when there is none. Race-free:
   * what is checked is the descriptor opened, not the name.
   */
  async function openObject(bucket: string, key: string): Promise<Opened | undefined> {
    const base = await rootPath(false);
    return base ? openFile(path.join(base, ...componentsOf(bucket, key)), `oss://${bucket}/${key}`) : undefined;
  }

  /** A file below the root (a path without links) opened for reading, checked as openObject says. */
  async function openFile(file: string, what: string): Promise<Opened | undefined> {
    // A file replaced between opening and checking is opened again (the non-Linux check cannot tell that apart).
    for (let attempt = 1; ; attempt++) {
      let handle: fs.FileHandle;
      try {
        handle = await fs.open(file, READ_FLAGS);
      } catch (err) {
        if (LINK_REFUSED.includes((err as NodeJS.ErrnoException).code ?? '')) throw new SymbolicLinkRefused(what);
        if (isGone(err)) return undefined;
        throw err;
      }
      let keep = false;
      try {
        const opened = { handle, stat: await handle.stat() };
        if (await isAt(opened, file)) {
          keep = opened.stat.isFile();
          return keep ? opened : undefined;
        }
        if (descriptorPaths || attempt === 3) throw new SymbolicLinkRefused(what);
      } finally {
        if (!keep) await handle.close();
      }
    }
  }

  /**
   * `headObject` on a local filesystem: the same checks as openObject (no link followed, the descriptor's real
   * path is the object's), in system calls made at once. Only with /proc/self/fd, which makes the check one call.
   */
  function statObjectNow(base: string, bucket: string, key: string): ObjectStat | undefined {
    const file = path.join(base, ...componentsOf(bucket, key));
    let fd: number;
    try {
      fd = openSync(file, READ_FLAGS);
    } catch (err) {
      if (LINK_REFUSED.includes((err as NodeJS.ErrnoException).code ?? '')) throw new SymbolicLinkRefused(`oss://${bucket}/${key}`);
      if (isGone(err)) return undefined;
      throw err;
    }
    try {
      // The path first, then the stat: a file renamed over this one in between shows `(deleted)` with the
      // link count of after the rename (0), never of before it (1) — which was taken for a link.
      const real = readlinkSync(`/proc/self/fd/${fd}`);
      const stat = fstatSync(fd);
      if (real !== file && !descriptorWasAt(real, file, stat.nlink)) throw new SymbolicLinkRefused(`oss://${bucket}/${key}`);
      return stat.isFile() ? statOf(stat) : undefined;
    } finally {
      closeSync(fd);
    }
  }

  /** Runs `use` on the object's file opened for reading (see openObject), or returns undefined when there is none. */
  async function withObject<T>(bucket: string, key: string, use: (opened: Opened) => Promise<T>): Promise<T | undefined> {
    const opened = await openObject(bucket, key);
    if (!opened) return undefined;
    try {
      return await use(opened);
    } finally {
      await opened.handle.close();
    }
  }

  /**
   * The folders `names` below the root, each checked with lstat (a link is refused) or created 0700; returns
   * the last one's path.
   */
  async function folders(base: string, names: string[], what: string): Promise<string> {
    let dir = base;
    for (const name of names) {
      dir = path.join(dir, name);
      for (;;) {
        const stat = await fs.lstat(dir).catch((err: unknown) => (isGone(err) ? undefined : Promise.reject(err)));
        if (stat?.isSymbolicLink()) throw new SymbolicLinkRefused(what);
        if (stat && !stat.isDirectory()) throw new Error(`${what} cannot be written: ${path.relative(base, dir)} is a file, not a folder`);
        if (stat) break;
        try {
          await fs.mkdir(dir, { mode: 0o700 });
          break;
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err; // made meanwhile: look at it again
        }
      }
    }
    return dir;
  }

  /**
   * A new file at `temp` (exclusive create, no link followed, 0600), checked where it was really created, in
   * case a folder was swapped for a link after it was looked at.
   */
  async function createExclusive(temp: string, what: string): Promise<fs.FileHandle> {
    const handle = await fs.open(temp, CREATE_FLAGS, 0o600);
    try {
      if (!(await isAt({ handle, stat: await handle.stat() }, temp))) throw new SymbolicLinkRefused(what);
      return handle;
    } catch (err) {
      await handle.close();
      await fs.rm(temp, { force: true });
      throw err;
    }
  }

  /**
   * Writes `content` beside the object's file (a reader never sees half a document); placing it renames it
   * over the file. The stat is taken before the rename (which keeps inode and mtime), so it is this content's
   * even when another writer replaces the file right after.
   */
  async function stage(bucket: string, key: string, content: Buffer): Promise<StagedObject> {
    const uri = `oss://${bucket}/${key}`;
    const components = componentsOf(bucket, key);
    const dir = await folders((await rootPath(true))!, components.slice(0, -1), uri);
    const file = path.join(dir, components[components.length - 1]);
    const temp = tempName(file);
    const handle = await createExclusive(temp, uri);
    let stat: Stats;
    try {
      await handle.writeFile(content);
      stat = await handle.stat();
    } catch (err) {
      await handle.close();
      await fs.rm(temp, { force: true });
      throw err;
    }
    await handle.close();
    return {
      stat: statOf(stat),
      async place() {
        try {
          if ((await fs.lstat(file).catch(() => undefined))?.isSymbolicLink()) throw new SymbolicLinkRefused(uri);
          await fs.rename(temp, file);
        } catch (err) {
          await fs.rm(temp, { force: true });
          throw err;
        }
      },
      discard: () => fs.rm(temp, { force: true }),
    };
  }

  /**
   * A new file in the kept-contents folder: written, then `settle(contentId)` syncs it and renames it to its
   * content id (a content kept already is the same bytes: replacing it changes nothing); `drop` removes it if
   * it was not settled. On disk before the database names it.
   */
  async function newKeptFile() {
    const what = `the folder ${VERSION_CONTENTS_FOLDER} of the object store`;
    const base = (await rootPath(true))!;
    const dir = await folders(base, [VERSION_CONTENTS_FOLDER], what);
    const temp = tempName(path.join(dir, 'incoming'));
    const handle = await createExclusive(temp, what);
    let settled = false;
    return {
      handle,
      async settle(contentId: string) {
        await handle.sync();
        await handle.close();
        const shard = await folders(base, [VERSION_CONTENTS_FOLDER, contentId.slice(0, 2)], what);
        const file = path.join(shard, contentId);
        if ((await fs.lstat(file).catch(() => undefined))?.isSymbolicLink()) throw new SymbolicLinkRefused(what);
        await fs.rename(temp, file);
        settled = true;
        await syncDirectory(shard);
      },
      async drop() {
        await handle.close().catch(() => {});
        if (!settled) await fs.rm(temp, { force: true });
      },
    };
  }

  // Every write is a rename of a new file, so the inode changes with the content; size and mtime catch an
  // editor that rewrites in place. Shared folders (NFS) report the same three values on every node.
  const statOf = (stat: { size: number; mtimeMs: number; ino: number }): ObjectStat => ({
    size: stat.size,
    fingerprint: hash('sha1', `${stat.ino}:${stat.size}:${stat.mtimeMs}`, 'hex'),
  });

  return {
    async headObject(bucket, key) {
      if (descriptorPaths) {
        const base = await rootPath(false);
        if (!base) return undefined;
        synchronousChecks ??= isLocalFilesystem(base);
        if (synchronousChecks) return statObjectNow(base, bucket, key);
      }
      return withObject(bucket, key, async ({ stat }) => statOf(stat));
    },
    async readObject(bucket, key) {
      // The stream owns the handle from here (closed when it ends or is destroyed).
      const opened = await openObject(bucket, key);
      return opened && { stat: statOf(opened.stat), body: opened.handle.createReadStream({ start: 0 }) };
    },
    async digestObject(bucket, key) {
      // Stat, hash and keep through one open handle: a rename that replaces the file meanwhile cannot mix two
      // contents, and the bytes kept are exactly the bytes hashed.
      return withObject(bucket, key, async ({ handle, stat }) => {
        const md5 = createHash('md5');
        const sha256 = createHash('sha256');
        const kept = await newKeptFile();
        try {
          for await (const chunk of handle.createReadStream({ autoClose: false, start: 0 }) as AsyncIterable<Buffer>) {
            md5.update(chunk);
            sha256.update(chunk);
            await kept.handle.write(chunk);
          }
          const contentId = sha256.digest('hex');
          await kept.settle(contentId);
          return { ...statOf(stat), etag: ossEtag(md5.digest()), contentId };
        } finally {
          await kept.drop();
        }
      });
    },
    async putObject(bucket, key, content) {
      const staged = await stage(bucket, key, content);
      await staged.place();
      return { ...staged.stat, etag: ossEtag(createHash('md5').update(content).digest()) };
    },
    stageObject: stage,
    async keepContent(content): Promise<KeptContent> {
      const contentId = createHash('sha256').update(content).digest('hex');
      const kept: KeptContent = { contentId, size: content.length, etag: ossEtag(createHash('md5').update(content).digest()) };
      const file = await newKeptFile();
      try {
        await file.handle.writeFile(content);
        await file.settle(contentId);
      } finally {
        await file.drop();
      }
      return kept;
    },
    async readKeptContent(contentId) {
      if (!CONTENT_ID.test(contentId)) throw new Error(`not a content id: ${contentId}`);
      const base = await rootPath(false);
      const opened = base === undefined ? undefined : (await openFile(path.join(base, VERSION_CONTENTS_FOLDER, contentId.slice(0, 2), contentId), `the kept content ${contentId}`));
      return opened && { stat: statOf(opened.stat), body: opened.handle.createReadStream({ start: 0 }) };
    },
    async createBucket(bucket) {
      await folders((await rootPath(true))!, componentsOf(bucket, undefined), `the folder of bucket ${bucket}`);
    },
  };
}

/**
 * The path components below the root: the bucket's folder, then the key's segments. Names were validated
 * already (no `.`, `..` or empty segment); this keeps any other out regardless, one name per component.
 */
function componentsOf(bucket: string, key: string | undefined): string[] {
  const components = [bucket, ...(key === undefined ? [] : key.split('/'))];
  if (bucket.includes('/') || components.some((c) => c === '' || c === '.' || c === '..' || c.includes('\0'))) {
    throw new Error(`not a normal object name: ${bucket}/${key ?? ''}`);
  }
  return components;
}
