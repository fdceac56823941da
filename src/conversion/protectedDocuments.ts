/**
 * Password-protected documents (Generate's `Password`). LibreOffice's command line takes no password, so the
 * content is decrypted here first, with officecrypto-tool (ECMA-376 agile and standard encryption of OOXML;
 * RC4 and CryptoAPI of legacy .doc, .xls and .ppt), and the plain document is what LibreOffice converts.
 */
import officeCrypto from 'officecrypto-tool';
import { ApiError } from '../core/errors.js';
import { inspectDocument, type InspectedDocument } from './contentSniffing.js';

/** officecrypto-tool's words for a password that does not open the document (every format says the same). */
const WRONG_PASSWORD = 'The password is incorrect';

/**
 * Checks `content` against its name and returns the bytes LibreOffice is to convert: decrypted with `password`
 * when the document is protected. Throws `DocumentPasswordRequired` / `DocumentPasswordIncorrect`, and the
 * errors of `inspectDocument`.
 */
export async function openForConversion(content: Buffer, filename: string, password: string | undefined): Promise<{ content: Buffer; inspected: InspectedDocument }> {
  const inspected = inspectDocument(content, filename);
  if (!inspected.encrypted) return { content, inspected };
  if (password === undefined || password === '') throw new ApiError('DocumentPasswordRequired');
  let plain: Buffer;
  try {
    plain = await officeCrypto.decrypt(content, { password });
  } catch (err) {
    if ((err as Error).message === WRONG_PASSWORD) throw new ApiError('DocumentPasswordIncorrect');
    throw new ApiError('UnsupportedContent', `${filename} is protected with an encryption this service cannot open (${(err as Error).message}).`);
  }
  // What was inside must itself be a document of that kind (an encrypted package could hold anything).
  return { content: plain, inspected: { ...inspectDocument(plain, filename), encrypted: true } };
}
