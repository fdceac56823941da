/**
 * Opening files without following symbolic links, shared by the object store and the converted-PDF cache.
 * O_NOFOLLOW refuses a link as the last component (ELOOP); the links before it are caught by checking the real
 * path of what was opened. O_NONBLOCK: a FIFO placed in a folder must not hang the reader.
 */
import fs, { type FileHandle } from 'node:fs/promises';
import { constants, existsSync, type Stats } from 'node:fs';
import { randomBytes } from 'node:crypto';

export const NOFOLLOW = constants.O_NOFOLLOW ?? 0;
export const READ_FLAGS = constants.O_RDONLY | NOFOLLOW | (constants.O_NONBLOCK ?? 0);
export const CREATE_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | NOFOLLOW;
/** Linux names the real path of an open descriptor; elsewhere the name's real path and the inode are compared. */
export const DESCRIPTOR_PATHS = process.platform === 'linux' && existsSync('/proc/self/fd');

const GONE = ['ENOENT', 'ENOTDIR', 'ENAMETOOLONG', 'EISDIR'];
export const isGone = (err: unknown) => GONE.includes((err as NodeJS.ErrnoException).code ?? '');

/**
 * Whether a descriptor whose /proc/self/fd link reads `real` (not `file` itself) is still the file that was at
 * `file`: replaced by a rename (or removed) since it was opened, its name ends in ` (deleted)` and no link is left.
 */
export const descriptorWasAt = (real: string, file: string, nlink: number) => real === `${file} (deleted)` && nlink === 0;

/** A name beside `file` to write to and then rename over it: unique to this process and call. */
export const tempName = (file: string) => `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;

/**
 * Whether the open file is the one at `file` (a path without links), reached without following any.
 * `descriptorPaths` chooses the check (tests run both); `openedStat` saves an fstat when the caller has one.
 */
export async function openedFileIsAt(
  handle: FileHandle,
  file: string,
  options: { descriptorPaths?: boolean; openedStat?: Stats } = {},
): Promise<boolean> {
  if (options.descriptorPaths ?? DESCRIPTOR_PATHS) {
    const real = await fs.readlink(`/proc/self/fd/${handle.fd}`);
    return real === file || descriptorWasAt(real, file, (await handle.stat()).nlink);
  }
  try {
    if ((await fs.realpath(file)) !== file) return false;
    const [named, opened] = await Promise.all([fs.stat(file), options.openedStat ?? handle.stat()]);
    return named.ino === opened.ino && named.dev === opened.dev;
  } catch (err) {
    if (isGone(err)) return false; // removed meanwhile; the caller opens it again, or refuses
    throw err;
  }
}
