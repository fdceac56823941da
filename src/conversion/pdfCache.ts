/**
 * Converted PDFs, one file per content (ETag) in a folder every node reaches — beside the documents, so
 * `<IMM_OSS_DIR>/.imm-conversions/<ETag>.pdf` (private: files 0600, the folder 0700). Written beside and
 * renamed, so a reader sees a whole PDF or none. Written and read with the object store's care: no symbolic link
 * is followed below the root (the folder is checked with lstat, files are opened with O_NOFOLLOW and the opened
 * descriptor is checked to be the file named), so a link planted in the shared folder cannot redirect a write
 * or serve another file as a PDF.
 *
 * The PDF of a password-protected document is the document's content in the clear, so it is kept sealed
 * (AES-256-GCM) under a key that needs both the master key and the document's password: whoever reads it back
 * must know the password (a wrong one fails to open it: `DocumentPasswordIncorrect`), and the disk alone
 * reveals nothing.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes, scrypt as scryptCallback } from 'node:crypto';
import { promisify } from 'node:util';
import { ApiError } from '../core/errors.js';
import { CREATE_FLAGS, READ_FLAGS, openedFileIsAt, tempName } from '../documents/noFollowFiles.js';

const scrypt = promisify(scryptCallback) as (password: string, salt: Buffer, length: number, options: { N: number; r: number; p: number; maxmem: number }) => Promise<Buffer>;

export const CONVERSIONS_FOLDER = '.imm-conversions';

/** Sealed file: magic ‖ salt ‖ iv ‖ tag ‖ ciphertext. A plain one is the PDF itself (it starts with `%PDF-`). */
const SEALED = Buffer.from('IMMSEAL1', 'latin1');
const SALT_BYTES = 16;
const IV_BYTES = 12;
const TAG_BYTES = 16;
/** scrypt's cost: the password is what a thief of the disk and the master key would have to guess. */
const SCRYPT = { N: 2 ** 14, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };

const ETAG = /^[0-9A-F]{32}$/;

export interface PdfCache {
  /** The PDF of `etag`, unsealed with `password` if it is sealed; undefined when none is kept. */
  read(etag: string, password: string | undefined): Promise<Buffer | undefined>;
  /** Keeps `pdf` as the conversion of `etag`: sealed under `password` when given (a protected document). */
  write(etag: string, pdf: Buffer, password: string | undefined): Promise<void>;
}

/** `root` is the object store's root (IMM_OSS_DIR): it may be a link (the operator's choice); nothing below it may. */
export function pdfCache(root: string, masterKey: Buffer): PdfCache {
  const keyOf = async (etag: string, password: string, salt: Buffer) =>
    Buffer.from(hkdfSync('sha256', Buffer.concat([masterKey, await scrypt(password, salt, 32, SCRYPT)]), salt, `imm-weboffice converted pdf ${etag}`, 32));

  /** The cache folder's real path, checked (or created 0700) with lstat: a link there is refused. */
  async function folder(create: boolean): Promise<string | undefined> {
    if (create) await fs.mkdir(root, { recursive: true, mode: 0o700 });
    const base = await fs.realpath(root).catch((err: NodeJS.ErrnoException) => (!create && err.code === 'ENOENT' ? undefined : Promise.reject(err)));
    if (!base) return undefined;
    const dir = path.join(base, CONVERSIONS_FOLDER);
    for (;;) {
      const stat = await fs.lstat(dir).catch((err: NodeJS.ErrnoException) => (err.code === 'ENOENT' ? undefined : Promise.reject(err)));
      if (stat && (stat.isSymbolicLink() || !stat.isDirectory())) throw new Error(`${dir} is not a folder (a link or a file): converted PDFs are not kept through it`);
      if (stat) return dir;
      if (!create) return undefined;
      await fs.mkdir(dir, { mode: 0o700 }).catch((err: NodeJS.ErrnoException) => (err.code === 'EEXIST' ? undefined : Promise.reject(err)));
    }
  }

  const fileName = (etag: string) => {
    // The ETag names a file: only ever the 32 hex digits of an MD5.
    if (!ETAG.test(etag)) throw new Error(`not an ETag: ${etag}`);
    return `${etag}.pdf`;
  };

  async function readStored(etag: string): Promise<Buffer | undefined> {
    const name = fileName(etag);
    const dir = await folder(false);
    if (!dir) return undefined;
    const file = path.join(dir, name);
    let handle: fs.FileHandle;
    try {
      handle = await fs.open(file, READ_FLAGS);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    try {
      if (!(await handle.stat()).isFile() || !(await openedFileIsAt(handle, file))) throw new Error(`${file} is not a plain file of the conversion cache`);
      return await handle.readFile();
    } finally {
      await handle.close();
    }
  }

  return {
    async read(etag, password) {
      const stored = await readStored(etag);
      if (!stored || !stored.subarray(0, SEALED.length).equals(SEALED)) return stored;
      if (password === undefined || password === '') throw new ApiError('DocumentPasswordRequired');
      const salt = stored.subarray(SEALED.length, SEALED.length + SALT_BYTES);
      const iv = stored.subarray(SEALED.length + SALT_BYTES, SEALED.length + SALT_BYTES + IV_BYTES);
      const tag = stored.subarray(SEALED.length + SALT_BYTES + IV_BYTES, SEALED.length + SALT_BYTES + IV_BYTES + TAG_BYTES);
      const decipher = createDecipheriv('aes-256-gcm', await keyOf(etag, password, salt), iv);
      decipher.setAAD(Buffer.from(etag, 'latin1'));
      decipher.setAuthTag(tag);
      try {
        return Buffer.concat([decipher.update(stored.subarray(SEALED.length + SALT_BYTES + IV_BYTES + TAG_BYTES)), decipher.final()]);
      } catch {
        throw new ApiError('DocumentPasswordIncorrect');
      }
    },

    async write(etag, pdf, password) {
      const name = fileName(etag);
      let stored = pdf;
      if (password !== undefined && password !== '') {
        const salt = randomBytes(SALT_BYTES);
        const iv = randomBytes(IV_BYTES);
        const cipher = createCipheriv('aes-256-gcm', await keyOf(etag, password, salt), iv);
        cipher.setAAD(Buffer.from(etag, 'latin1'));
        const ciphertext = Buffer.concat([cipher.update(pdf), cipher.final()]);
        stored = Buffer.concat([SEALED, salt, iv, cipher.getAuthTag(), ciphertext]);
      }
      const dir = (await folder(true))!;
      const file = path.join(dir, name);
      // A new file (exclusive create, no link followed), checked where it was really made, then renamed over.
      const temp = tempName(file);
      const handle = await fs.open(temp, CREATE_FLAGS, 0o600);
      let renamed = false;
      try {
        if (!(await openedFileIsAt(handle, temp))) throw new Error(`${temp} was not created in the conversion cache (a link?)`);
        await handle.writeFile(stored);
        await handle.close();
        if ((await fs.lstat(file).catch(() => undefined))?.isSymbolicLink()) throw new Error(`${file} is a link: not replaced`);
        await fs.rename(temp, file);
        renamed = true;
      } finally {
        if (!renamed) {
          await handle.close().catch(() => {});
          await fs.rm(temp, { force: true });
        }
      }
    },
  };
}
