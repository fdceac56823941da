/**
 * The postMessage protocol between the JS SDK (in the integrator's page) and the WebOffice page (in the SDK's
 * iframe), as WEBOFFICE-CONTRACT.md describes it. Every message is an object tagged `source: 'imm-weboffice'`;
 * each side also checks the other's window and origin before it believes a message.
 */

export const MESSAGE_SOURCE = 'imm-weboffice';

/** The states the page reports; the SDK adds `refreshing` while it renews the token itself. */
export const PAGE_STATES = ['loading', 'ready', 'expired', 'revoked', 'superseded', 'error'] as const;
export type PageState = (typeof PAGE_STATES)[number];
export type ViewState = PageState | 'refreshing';
export const VIEW_STATES: readonly ViewState[] = [...PAGE_STATES, 'refreshing'];

/** States after which the page shows no document any more. */
export const CLOSED_STATES: readonly ViewState[] = ['expired', 'revoked', 'superseded', 'error'];

export interface HelloMessage { source: typeof MESSAGE_SOURCE; type: 'hello' }
/** `timeout`: milliseconds the token still works, counted from when the SDK posts it. */
export interface TokenMessage { source: typeof MESSAGE_SOURCE; type: 'token'; token: string; timeout: number }
export interface StateMessage { source: typeof MESSAGE_SOURCE; type: 'state'; state: PageState; message: string }
export interface RequestMessage { source: typeof MESSAGE_SOURCE; type: 'request'; id: number; method: 'save' }
export interface ResponseMessage { source: typeof MESSAGE_SOURCE; type: 'response'; id: number; result: unknown }
/** How a save ended (whether asked by `ins.save()` or the page's own Save button). */
export const SAVE_RESULTS = ['ok', 'nochange', 'conflict', 'failed'] as const;
export type SaveResultName = (typeof SAVE_RESULTS)[number];
export interface SaveMessage { source: typeof MESSAGE_SOURCE; type: 'save'; result: SaveResultName; message: string; version: number }

export type PageToSdk = HelloMessage | StateMessage | ResponseMessage | SaveMessage;
export type SdkToPage = TokenMessage | RequestMessage;

function isTagged(data: unknown): data is { source: string; type: unknown } {
  return typeof data === 'object' && data !== null && (data as { source?: unknown }).source === MESSAGE_SOURCE;
}

/** A message from the page, well formed, or undefined. */
export function parsePageMessage(data: unknown): PageToSdk | undefined {
  if (!isTagged(data)) return undefined;
  const m = data as Record<string, unknown>;
  switch (m.type) {
    case 'hello':
      return { source: MESSAGE_SOURCE, type: 'hello' };
    case 'state':
      if (typeof m.state !== 'string' || !(PAGE_STATES as readonly string[]).includes(m.state)) return undefined;
      return { source: MESSAGE_SOURCE, type: 'state', state: m.state as PageState, message: typeof m.message === 'string' ? m.message : '' };
    case 'response':
      if (typeof m.id !== 'number') return undefined;
      return { source: MESSAGE_SOURCE, type: 'response', id: m.id, result: m.result };
    case 'save':
      if (typeof m.result !== 'string' || !(SAVE_RESULTS as readonly string[]).includes(m.result) || typeof m.version !== 'number') return undefined;
      return { source: MESSAGE_SOURCE, type: 'save', result: m.result as SaveResultName, message: typeof m.message === 'string' ? m.message : '', version: m.version };
    default:
      return undefined;
  }
}

/** A message from the SDK, well formed, or undefined. */
export function parseSdkMessage(data: unknown): SdkToPage | undefined {
  if (!isTagged(data)) return undefined;
  const m = data as Record<string, unknown>;
  switch (m.type) {
    case 'token':
      if (typeof m.token !== 'string' || m.token === '' || typeof m.timeout !== 'number') return undefined;
      return { source: MESSAGE_SOURCE, type: 'token', token: m.token, timeout: m.timeout };
    case 'request':
      if (typeof m.id !== 'number' || m.method !== 'save') return undefined;
      return { source: MESSAGE_SOURCE, type: 'request', id: m.id, method: 'save' };
    default:
      return undefined;
  }
}
