/** What the page tells a person, for each way a view can end or fail. */
import type { PageState } from '../shared/protocol.js';
import { DocumentApiError, type ConversionPending } from './documentApi.js';

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
  return `.${extension} documents can be shown only by the server-side converter (LibreOffice), which is not installed on this server. Ask for the document as PDF, .docx, .xlsx, .txt or .csv.`;
}

/** Progress while the server converts the document to PDF. */
export function conversionWords(pending: ConversionPending): string {
  if (pending.State === 'converting') return 'Converting the document to PDF…';
  const ahead = pending.Ahead ?? 0;
  return ahead === 0 ? 'Waiting to convert the document to PDF: it is next in line…' : `Waiting to convert the document to PDF: ${ahead} ${ahead === 1 ? 'document is' : 'documents are'} ahead in line…`;
}

/** Why a document cannot be shown, in words, for the codes of its content and its conversion. */
const DOCUMENT_FAILURES: Record<string, (message: string) => string> = {
  DocumentPasswordRequired: () => 'This document is protected by a password, and none was given: the application must open it with its password.',
  DocumentPasswordIncorrect: () => 'The password given for this document does not open it: the application must open it with the right password.',
  DocumentCorrupt: (message) => `This document is damaged and cannot be shown. ${message}`,
  UnsupportedContent: (message) => `This file cannot be shown: it is not what its name says. ${message}`,
  ConversionTimeout: (message) => `Converting this document to PDF took too long, so it cannot be shown. ${message}`,
  ConverterUnavailable: () => 'This document can be shown only once the server converts it to PDF, and the server cannot convert documents now (LibreOffice is not installed).',
};

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
  const failure = error instanceof DocumentApiError ? DOCUMENT_FAILURES[error.code] : undefined;
  if (failure) return { state: 'error', message: failure((error as DocumentApiError).message) };
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
