/**
 * The document API of the page's own origin (WEBOFFICE-CONTRACT.md): every call carries the access token in
 * `Authorization: Bearer` and this page's holder id in `X-Weboffice-Holder` — never a token in a URL.
 */

export type ViewerKind = 'pdf' | 'docx' | 'xlsx' | 'text' | 'csv' | 'converter-needed';

export interface Watermark {
  Type: number;
  Value?: string;
  FillStyle?: string;
  Font?: string;
  Rotate?: number;
  Horizontal?: number;
  Vertical?: number;
}

export interface Permission {
  Readonly: boolean;
  Rename: boolean;
  History: boolean;
  Copy: boolean;
  Export: boolean;
  Print: boolean;
}

export interface DocumentInfo {
  FileId: string;
  Filename: string;
  Extension: string;
  Family: string;
  Size: number;
  Version: number;
  ETag: string;
  User: { Id: string; Name: string; Avatar?: string };
  Permission: Permission;
  Watermark: Watermark;
  PreviewPages: number;
  Hidecmb: boolean;
  CachePreview: boolean;
  AccessTokenExpiredTime: string;
  Viewer: ViewerKind;
  /** Shown through the PDF the server's LibreOffice makes of it (then Viewer is 'pdf'). */
  Converted?: boolean;
}

/** `content` of a converted format while the server converts it: where it is, and when to ask again. */
export interface ConversionPending {
  State: 'queued' | 'converting';
  /** Conversions that start before this one on the node (queued only). */
  Ahead?: number;
  RetryAfterMs: number;
}

/** What a save answers: the version now current (the next one, or the same for `nochange`). */
export interface SaveAnswer {
  Result: 'ok' | 'nochange';
  Version: number;
  ETag: string;
  Size: number;
}

export interface VersionEntry {
  Version: number;
  Size: number;
  ETag: string;
  CreatedTime: string;
}

/** The bytes of one version, with its number and ETag (as the headers name them). */
export interface VersionContent {
  bytes: ArrayBuffer;
  version: number;
  etag: string;
}

/** An answer of the document API that is not a success, with the envelope's `Code` (or none for a network failure). */
export class DocumentApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'DocumentApiError';
  }
}

/** 128 random bits as hex: who holds the token in this page load. */
export function newHolderId(): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, '0')).join('');
}

export class DocumentApi {
  readonly #base: string;

  constructor(
    fileId: string,
    private readonly holder: string,
    private readonly token: () => string,
  ) {
    this.#base = `/office/api/v1/files/${encodeURIComponent(fileId)}`;
  }

  /** Registers this page as the token's holder (taking it over from any earlier one); answers the info. */
  async open(): Promise<DocumentInfo> {
    return (await this.#fetch('/open', 'POST')).json();
  }

  async info(): Promise<DocumentInfo> {
    return (await this.#fetch('', 'GET')).json();
  }

  /** The document's bytes (its PDF, for a converted format), or — 202 — how far its conversion is. */
  async content(): Promise<ArrayBuffer | ConversionPending> {
    const response = await this.#fetch('/content', 'GET');
    return response.status === 202 ? ((await response.json()) as ConversionPending) : response.arrayBuffer();
  }

  /** One version's bytes: a number (needs Permission.History unless it is the opened one) or `latest`. */
  async contentOf(version: number | 'latest'): Promise<VersionContent> {
    const response = await this.#fetch(`/content?version=${version}`, 'GET');
    return {
      bytes: await response.arrayBuffer(),
      version: Number(response.headers.get('x-weboffice-version')),
      etag: (response.headers.get('etag') ?? '').replace(/"/g, ''),
    };
  }

  /** Saves `bytes` as the next version of the one with `etag` (If-Match): 409 VersionConflict when it is stale. */
  async save(bytes: Uint8Array, etag: string): Promise<SaveAnswer> {
    return (await this.#fetch('/content', 'PUT', { body: bytes as BodyInit, headers: { 'Content-Type': 'application/octet-stream', 'If-Match': `"${etag}"` } })).json();
  }

  /** Every version, newest first (needs Permission.History). */
  async versions(): Promise<VersionEntry[]> {
    return ((await (await this.#fetch('/versions', 'GET')).json()) as { Versions: VersionEntry[] }).Versions;
  }

  /** The document as PDF with the watermark stamped on every page (needs Permission.Export). */
  async exportPdf(): Promise<Blob> {
    return (await this.#fetch('/export', 'GET')).blob();
  }

  async #fetch(path: string, method: 'GET' | 'POST' | 'PUT', extra: { body?: BodyInit; headers?: Record<string, string> } = {}): Promise<Response> {
    let response: Response;
    try {
      response = await fetch(this.#base + path, {
        method,
        body: extra.body,
        headers: { ...extra.headers, Authorization: `Bearer ${this.token()}`, 'X-Weboffice-Holder': this.holder },
        cache: 'no-store',
        credentials: 'omit',
        referrerPolicy: 'no-referrer',
      });
    } catch (error) {
      throw new DocumentApiError(0, '', `the service could not be reached (${(error as Error).message})`);
    }
    if (response.ok) return response;
    let code = '';
    let message = response.statusText;
    try {
      const envelope = (await response.json()) as { Code?: unknown; Message?: unknown };
      if (typeof envelope.Code === 'string') code = envelope.Code;
      if (typeof envelope.Message === 'string') message = envelope.Message;
    } catch {
      // not the envelope (a proxy's page): the status says enough
    }
    throw new DocumentApiError(response.status, code, message);
  }
}
