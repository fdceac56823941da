/** What the page tells a person, for each way a view can end or fail. */
import type { PageState } from '../shared/protocol.js';
import { DocumentApiError } from './documentApi.js';

export const WORDS = {
  waiting: 'Waiting for the application to hand over access to this document…',
  notEmbedded:
    'This page shows a document inside an application that opens it with the WebOffice SDK; it cannot be opened on its own.',
  loading: 'Opening the document…',
  expired: 'Your access to this document has expired. Open the document again from the application to continue.',
  revoked: 'Access to this document has been withdrawn, so it is no longer shown. Ask whoever shared it with you for access again.',
  superseded:
    'This document was opened in another window or tab with the same access, so it was closed here. Continue there, or open it again here from the application.',
  invalid: 'The access to this document is not valid. Open the document again from the application.',
  failed: 'The document could not be shown',
} as const;

export function readyWords(filename: string): string {
  return `${filename} is open.`;
}

export function converterNeededWords(extension: string): string {
  return `.${extension} documents can be shown only by the server-side converter, which this service does not have yet. Ask for the document as PDF, .docx, .xlsx, .txt or .csv.`;
}

/** The state a failed document-API call puts the view in, and the words for it. */
export function stateForError(error: unknown): { state: PageState; message: string } {
  if (error instanceof DocumentApiError && error.status === 401) {
    switch (error.code) {
      case 'TokenExpired':
        return { state: 'expired', message: WORDS.expired };
      case 'TokenRevoked':
        return { state: 'revoked', message: WORDS.revoked };
      case 'TokenSuperseded':
        return { state: 'superseded', message: WORDS.superseded };
      default:
        return { state: 'error', message: WORDS.invalid };
    }
  }
  const detail = error instanceof Error ? error.message : String(error);
  return { state: 'error', message: `${WORDS.failed}: ${detail}.` };
}

/** Failures the view survives: the next poll tries again (the network or the service blinked). */
export function isTransient(error: unknown): boolean {
  return error instanceof DocumentApiError && (error.status === 0 || error.status === 429 || error.status >= 500);
}

/** What a save tells a person (the toolbar's notice, the SDK's `save` event). */
export const SAVE_WORDS = {
  ok: 'Saved as a new version.',
  nochange: 'No changes to save.',
  conflict: 'Someone saved a newer version of this document since you started editing, so your changes were not saved.',
  viewOnly: (extension: string) => `.${extension} documents are view-only here: only .txt and .csv documents can be edited and saved in this page.`,
} as const;
