import { ApiError } from '../core/errors.js';

/**
 * The request's parameters: the union of the query string and an `application/x-www-form-urlencoded` body,
 * decoded. The SDKs put business parameters in either place (spec wire-format §1.3), and both are signed.
 */
export interface RequestParameters {
  query: Record<string, string>;
  body: Record<string, string>;
  all: Record<string, string>;
}

export function decodeParameters(text: string, where: string): Record<string, string> {
  checkPercentEncoding(text, where);
  const out: Record<string, string> = Object.create(null);
  for (const [key, value] of new URLSearchParams(text)) {
    // No parameter of any API carries a NUL, and PostgreSQL cannot store one in text: refuse it here, once.
    if (key.includes('\u0000') || value.includes('\u0000')) {
      throw new ApiError('MalformedRequest', `the ${where} holds a NUL character (%00) in the parameter ${key.replace(/\u0000/g, '%00').slice(0, 64)}`);
    }
    if (key in out) throw new ApiError('MalformedRequest', `the parameter ${key} is given more than once in the ${where}`);
    out[key] = value;
  }
  return out;
}

/**
 * URLSearchParams decodes leniently (`%ZZ` stays as it is, invalid UTF-8 becomes U+FFFD). No client sends
 * either, and the lossy decoding would let different bytes pass for the same signed value: refuse them.
 */
function checkPercentEncoding(text: string, where: string): void {
  // The whole text at once: a sequence cannot span a literal `&` or `=`, so this fails exactly when a piece
  // would; and text without a `%` has nothing to check.
  if (!text.includes('%')) return;
  try {
    decodeURIComponent(text);
  } catch {
    throw new ApiError('MalformedRequest', `the ${where} is not valid percent-encoded UTF-8`);
  }
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

function bodyText(rawBody: Buffer): string {
  try {
    return strictUtf8.decode(rawBody);
  } catch {
    throw new ApiError('MalformedRequest', 'the request body is not valid UTF-8');
  }
}

/**
 * The most parameters a request may have, query string and body together. The largest real requests (a
 * CredentialConfig flattened over ten hops, say) need a few hundred; without a cap, a body of empty
 * parameters (`&&&…`) costs a decoding pass per separator before any signature check.
 */
export const MAX_PARAMETERS = 1000;

export function readParameters(rawUrl: string, rawBody: Buffer | undefined): RequestParameters {
  const q = rawUrl.indexOf('?');
  const queryText = q === -1 ? '' : rawUrl.slice(q + 1);
  // Counted on the raw text and bytes, before anything is decoded (`&` is never part of a UTF-8 sequence).
  if (countParameters(queryText) + countParameters(rawBody ?? '') > MAX_PARAMETERS) {
    throw new ApiError('MalformedRequest', `the request has more than ${MAX_PARAMETERS} parameters (query string and body together)`);
  }
  const query = decodeParameters(queryText, 'query string');
  const body = rawBody && rawBody.length > 0 ? decodeParameters(bodyText(rawBody), 'request body') : Object.create(null);
  for (const key of Object.keys(body)) {
    if (key in query && query[key] !== body[key]) {
      throw new ApiError('MalformedRequest', `the parameter ${key} has different values in the query string and the body`);
    }
  }
  return { query, body, all: Object.assign(Object.create(null), query, body) };
}

/** `&`-separated pieces (empty ones too), counting no further than just past the limit. */
function countParameters(text: { length: number; indexOf(search: string, from?: number): number }): number {
  if (text.length === 0) return 0;
  let count = 1;
  for (let at = text.indexOf('&'); at !== -1 && count <= MAX_PARAMETERS; at = text.indexOf('&', at + 1)) count += 1;
  return count;
}
