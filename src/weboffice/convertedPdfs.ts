/**
 * The document API's side of the converter: which documents are shown as the PDF LibreOffice makes of them
 * (every listed format but PDF itself, on a node that has LibreOffice), and the PDF of one opened version —
 * answered at once when it is ready, or the conversion's progress while it is queued or running, so that the
 * page can show it and ask again. Callers on this node asking for the same version (and password) share one
 * wait; the converter makes sure the nodes convert it once between them.
 */
import { createHash } from 'node:crypto';
import type { ConversionProgress, ConversionSource, ConvertedPdf, DocumentConverter } from '../conversion/documentConverter.js';
import { fileFamily } from '../tokens/webofficeOptions.js';
import { extensionOf } from './contentTypes.js';

export interface ConvertedPdfs {
  /** Whether `filename` is shown through its PDF on this node. */
  applies(filename: string): boolean;
  /** The PDF, if it is ready within `waitMs`; else how far its conversion is. Throws the conversion's ApiError. */
  get(source: ConversionSource, waitMs: number): Promise<ConvertedPdf | ConversionProgress>;
  /** The PDF, however long its conversion takes (IMM_CONVERT_TIMEOUT bounds it). */
  wait(source: ConversionSource): Promise<ConvertedPdf>;
}

interface Pending {
  done: Promise<ConvertedPdf>;
  progress: ConversionProgress;
  /** Failed while nobody waited: kept for the next caller (the page's next poll), then forgotten. */
  failed?: boolean;
}

/** How long a failure nobody heard is kept for the page's next poll. */
const FAILURE_KEPT_MS = 30_000;

export function convertedPdfs(converter: DocumentConverter): ConvertedPdfs {
  const pending = new Map<string, Pending>();

  function start(source: ConversionSource): Pending {
    // The password is part of the key (a wrong one must not share a right one's result), hashed: keys are no place for it.
    const key = `${source.etag}:${createHash('sha256').update(source.password ?? '').digest('hex')}`;
    let entry = pending.get(key);
    if (entry?.failed) {
      // The failure goes to this caller; the one after it tries afresh (a failure of the content is recorded
      // in the database anyway, a wrong password is not).
      pending.delete(key);
      return entry;
    }
    if (!entry) {
      const created: Pending = { progress: { state: 'queued', ahead: 0 }, done: undefined as never };
      created.done = converter.convert(source, { onProgress: (progress) => (created.progress = progress) });
      created.done.then(
        () => pending.delete(key),
        () => {
          // Often nobody waits when it fails (the request answered 202): the page's next poll must hear it,
          // not start the conversion over.
          created.failed = true;
          setTimeout(() => pending.get(key) === created && pending.delete(key), FAILURE_KEPT_MS).unref();
        },
      );
      pending.set(key, (entry = created));
    }
    return entry;
  }

  return {
    applies: (filename) => converter.status().converter === 'libreoffice' && fileFamily(filename) !== undefined && extensionOf(filename) !== 'pdf',

    async get(source, waitMs) {
      const entry = start(source);
      let timer: ReturnType<typeof setTimeout> | undefined;
      const waited = new Promise<undefined>((resolve) => {
        timer = setTimeout(() => resolve(undefined), waitMs);
      });
      try {
        return (await Promise.race([entry.done, waited])) ?? entry.progress;
      } finally {
        clearTimeout(timer);
      }
    },

    wait: (source) => start(source).done,
  };
}
