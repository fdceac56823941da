/**
 * What a document's bytes are, checked before LibreOffice sees them. LibreOffice opens almost anything — random
 * bytes named `.docx` come out as a PDF of garbage text — so the container must match the extension: a zip
 * (OOXML), an OLE compound file (legacy Office and WPS formats, and encrypted OOXML), RTF, markup or plain text.
 * A container that is cut short is corrupt. Pure: no I/O.
 */
import officeCrypto from 'officecrypto-tool';
import { ApiError } from '../core/errors.js';
import { fileFamily, type FileFamily } from '../tokens/webofficeOptions.js';

export type Container = 'zip' | 'ole' | 'rtf' | 'markup' | 'text';

export interface InspectedDocument {
  extension: string;
  family: Exclude<FileFamily, 'f'>;
  container: Container;
  /** Protected by a password (encrypted OOXML, or a legacy file with its encryption flag set). */
  encrypted: boolean;
}

const OOXML = ['docx', 'dotx', 'docm', 'dotm', 'xlsx', 'xlsm', 'xltx', 'xltm', 'pptx', 'pptm', 'ppsx', 'ppsm', 'potx', 'potm'];

/** The containers each extension may hold. Legacy names also hold what Office itself saves or opens under them. */
const ACCEPTED: Record<string, readonly Container[]> = {
  ...Object.fromEntries(OOXML.map((ext) => [ext, ['zip', 'ole']])),
  doc: ['ole', 'rtf', 'zip', 'markup'], dot: ['ole', 'rtf', 'zip', 'markup'], wps: ['ole', 'rtf', 'zip', 'markup'], wpt: ['ole', 'rtf', 'zip', 'markup'],
  rtf: ['rtf'],
  txt: ['text', 'markup'],
  csv: ['text'],
  xls: ['ole', 'zip', 'markup'], xlt: ['ole', 'zip', 'markup'], et: ['ole', 'zip', 'markup'],
  ppt: ['ole', 'zip'], pps: ['ole', 'zip'], dpt: ['ole', 'zip'], dps: ['ole', 'zip'],
};

const FAMILY_NAMES = { w: 'Word', s: 'spreadsheet', p: 'presentation' } as const;

const ZIP_ENTRY = Buffer.from('PK\x03\x04', 'latin1');
const ZIP_END = Buffer.from('PK\x05\x06', 'latin1');
const OLE = Buffer.from('d0cf11e0a1b11ae1', 'hex');
const RTF = Buffer.from('{\\rtf', 'latin1');
const PDF = Buffer.from('%PDF-', 'latin1');
/** The end-of-central-directory record sits in the last 22 bytes plus a comment of at most 64 KiB. */
const ZIP_END_SEARCH = 22 + 0xffff;
const TEXT_SAMPLE = 64 * 1024;

/** The extension of a name that WebOffice converts (word, spreadsheet, presentation), or an `UnsupportedContent` error. */
export function convertibleFormat(filename: string): { extension: string; family: Exclude<FileFamily, 'f'> } {
  const family = fileFamily(filename);
  const extension = filename.slice(filename.lastIndexOf('.') + 1).toLowerCase();
  if (family === undefined || family === 'f') throw new ApiError('UnsupportedContent', `${filename} is not a document that is converted to PDF (Word, spreadsheet or presentation formats are).`);
  return { extension, family };
}

/** Checks that `content` is what `filename`'s extension says, and whether it is encrypted; throws a clear ApiError. */
export function inspectDocument(content: Buffer, filename: string): InspectedDocument {
  const { extension, family } = convertibleFormat(filename);
  const kind = `a ${FAMILY_NAMES[family]} document (.${extension})`;
  if (content.length === 0) throw new ApiError('DocumentCorrupt', `${filename} is empty, not ${kind}.`);
  const container = containerOf(content);
  if (container === 'pdf') throw new ApiError('UnsupportedContent', `${filename} holds a PDF, not ${kind}.`);
  if (container === undefined || !ACCEPTED[extension].includes(container)) {
    throw new ApiError('UnsupportedContent', `${filename} is not ${kind}: its first bytes are not those of a .${extension} file.`);
  }
  if (container === 'zip' && !content.subarray(Math.max(0, content.length - ZIP_END_SEARCH)).includes(ZIP_END)) {
    throw new ApiError('DocumentCorrupt', `${filename} is damaged: the zip archive is cut short (its central directory is missing).`);
  }
  return { extension, family, container, encrypted: container === 'ole' && isEncryptedOle(content, filename) };
}

function containerOf(content: Buffer): Container | 'pdf' | undefined {
  const starts = (magic: Buffer) => content.subarray(0, magic.length).equals(magic);
  if (starts(ZIP_ENTRY) || starts(ZIP_END)) return 'zip';
  if (starts(OLE)) return 'ole';
  if (starts(RTF)) return 'rtf';
  if (starts(PDF)) return 'pdf';
  if (!looksLikeText(content.subarray(0, TEXT_SAMPLE))) return undefined;
  const start = content.subarray(0, 1024).toString('utf8').replace(/^\uFEFF/, '').trimStart();
  return start.startsWith('<') ? 'markup' : 'text';
}

/**
 * Text in any common encoding: a UTF-16 byte-order mark, or no NUL byte and hardly any other control
 * characters (so UTF-8, GBK and Latin-1 pass; random bytes have a NUL in every few hundred).
 */
function looksLikeText(sample: Buffer): boolean {
  if (sample.subarray(0, 2).equals(Buffer.from([0xff, 0xfe])) || sample.subarray(0, 2).equals(Buffer.from([0xfe, 0xff]))) return true;
  let controls = 0;
  for (const byte of sample) {
    if (byte === 0) return false;
    if (byte < 0x20 && byte !== 0x09 && byte !== 0x0a && byte !== 0x0d && byte !== 0x0c && byte !== 0x1b) controls++;
  }
  return controls <= sample.length / 100;
}

/** Reads the compound file's directory (cfb, via officecrypto-tool): a damaged one is `DocumentCorrupt`. */
function isEncryptedOle(content: Buffer, filename: string): boolean {
  try {
    return officeCrypto.isEncrypted(content);
  } catch {
    throw new ApiError('DocumentCorrupt', `${filename} is damaged: its compound-file structure cannot be read.`);
  }
}
