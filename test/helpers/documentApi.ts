/**
 * The WebOffice document API called the way the page calls it: plain `fetch`, the access token in
 * `Authorization: Bearer`, the page's holder id in `X-Weboffice-Holder`.
 */
import { randomBytes } from 'node:crypto';

export type DocumentPath = '' | '/open' | '/content' | '/versions' | '/export';

export interface DocumentReply {
  status: number;
  headers: Headers;
  /** The JSON body (an info, or an error envelope); empty for other bodies. */
  body: Record<string, any>;
  bytes: Buffer;
}

/** The file id of a WebofficeURL (`…/office/{w|s|p|f}/{40 hex}?_w_tokentype=1`); a file id stays as it is. */
export function fileIdOf(webofficeUrlOrFileId: string): string {
  if (/^[0-9a-f]{40}$/.test(webofficeUrlOrFileId)) return webofficeUrlOrFileId;
  const match = /\/office\/[wspf]\/([0-9a-f]{40})(\?|$)/.exec(webofficeUrlOrFileId);
  if (!match) throw new Error(`not a WebofficeURL: ${webofficeUrlOrFileId}`);
  return match[1];
}

/** What a page makes once per load: 128 random bits in hex. */
export function newHolder(): string {
  return randomBytes(16).toString('hex');
}

export async function documentCall(
  server: { url: string },
  file: string,
  options: { token?: string; holder?: string; path?: DocumentPath; method?: string; headers?: Record<string, string>; query?: string; body?: string | Uint8Array } = {},
): Promise<DocumentReply> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
  if (options.holder !== undefined) headers['x-weboffice-holder'] = options.holder;
  const method = options.method ?? (options.path === '/open' ? 'POST' : 'GET');
  const query = options.query === undefined ? '' : `?${options.query}`;
  const response = await fetch(`${server.url}/office/api/v1/files/${fileIdOf(file)}${options.path ?? ''}${query}`, { method, headers, body: options.body as BodyInit | undefined });
  const bytes = Buffer.from(await response.arrayBuffer());
  const json = (response.headers.get('content-type') ?? '').startsWith('application/json');
  return { status: response.status, headers: response.headers, body: json ? JSON.parse(bytes.toString('utf8')) : {}, bytes };
}

/** Opens the document as a new page would (a fresh holder): the info of the session, or the error. */
export async function openDocument(server: { url: string }, file: string, accessToken: string): Promise<DocumentReply> {
  return documentCall(server, file, { token: accessToken, holder: newHolder(), path: '/open' });
}
