/**
 * Converted PDFs, one file per content (ETag) in a folder every node reaches — beside the documents, so
 * `<IMM_OSS_DIR>/.imm-conversions/<ETag>.pdf` (private: files 0600, the folder 0700). Written beside and
 * renamed, so a reader sees a whole PDF or none.
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

export function pdfCache(dir: string, masterKey: Buffer): PdfCache {
  const fileOf = (etag: string) => {
    // The ETag names a file: only ever the 32 hex digits of an MD5.
    if (!ETAG.test(etag)) throw new Error(`not an ETag: ${etag}`);
    return path.join(dir, `${etag}.pdf`);
  };
  const keyOf = async (etag: string, password: string, salt: Buffer) =>
    Buffer.from(hkdfSync('sha256', Buffer.concat([masterKey, await scrypt(password, salt, 32, SCRYPT)]), salt, `imm-weboffice converted pdf ${etag}`, 32));

  return {
    async read(etag, password) {
      let stored: Buffer;
      try {
        stored = await fs.readFile(fileOf(etag));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw err;
      }
      if (!stored.subarray(0, SEALED.length).equals(SEALED)) return stored;
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
      let stored = pdf;
      if (password !== undefined && password !== '') {
        const salt = randomBytes(SALT_BYTES);
        const iv = randomBytes(IV_BYTES);
        const cipher = createCipheriv('aes-256-gcm', await keyOf(etag, password, salt), iv);
        cipher.setAAD(Buffer.from(etag, 'latin1'));
        const ciphertext = Buffer.concat([cipher.update(pdf), cipher.final()]);
        stored = Buffer.concat([SEALED, salt, iv, cipher.getAuthTag(), ciphertext]);
      }
      await fs.mkdir(dir, { recursive: true, mode: 0o700 });
      const file = fileOf(etag);
      const temp = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
      try {
        await fs.writeFile(temp, stored, { mode: 0o600, flag: 'wx' });
        await fs.rename(temp, file);
      } finally {
        await fs.rm(temp, { force: true });
      }
    },
  };
}
