/**
 * The checks every document-API call makes, from what the database holds about a presented access token to
 * the one right error, in the documented order:
 *   1. no or malformed `Authorization: Bearer` → InvalidToken
 *   2. unknown token, or a token of another file → InvalidToken
 *   3. session revoked, project deleted, previous token past IMM_PREVIOUS_TOKEN_GRACE → TokenRevoked
 *   4. access token past its lifetime → TokenExpired
 *   5. (every call but open) another page holds the session → TokenSuperseded
 * All are 401 with `WWW-Authenticate: Bearer` (RFC 6750). Pure: no I/O.
 */
import { ApiError, type ErrorCode } from '../core/errors.js';
import { safeEqual } from '../core/safeEqual.js';
import { hashToken } from '../tokens/tokenValues.js';
import type { DocumentAccess } from '../store/webofficeAccess.js';

const REALM = 'Bearer realm="imm-weboffice"';

/**
 * A 401 of the document API: the code's catalog status is the RPC API's; a bearer-token API answers 401. A
 * request without credentials gets the challenge alone, with no `error` (RFC 6750 §3.1).
 */
function unauthorized(code: ErrorCode, message?: string, error: string | null = 'invalid_token'): ApiError {
  return new ApiError(code, [], { message, status: 401, headers: { 'www-authenticate': error === null ? REALM : `${REALM}, error="${error}"` } });
}

const TOKEN = /^[0-9a-f]{32}$/;

/** Step 1: the access token of `Authorization: Bearer <token>` (never from the URL). */
export function bearerToken(authorization: string | undefined): string {
  const match = /^Bearer +(\S+) *$/i.exec(authorization ?? '');
  if (!match) throw unauthorized('InvalidToken', 'The header Authorization: Bearer <AccessToken> is required (a token is never accepted in the URL).', null);
  return match[1];
}

/** The hash a token is looked up by; a token that cannot be one of ours is not looked up at all. */
export function accessHashOf(token: string): string | undefined {
  return TOKEN.test(token) ? hashToken(token) : undefined;
}

/** Steps 2–4: the access, if this token may still read `fileId` at `nowMs`. */
export function checkAccess(found: DocumentAccess | undefined, fileId: string, nowMs: number): DocumentAccess {
  if (!found || found.session.fileId !== fileId) throw unauthorized('InvalidToken', 'The access token is not valid for this document.');
  const { session, token } = found;
  if (session.revokedAtMs !== null || !session.projectExists) {
    throw unauthorized('TokenRevoked', 'The WebOffice session has been revoked (its project was deleted, or its refresh token reused); call GenerateWebofficeToken again.');
  }
  if (nowMs >= token.accessValidUntilMs) {
    // A refreshed pair's access token works until refresh time + grace, which is sooner than its own expiry.
    if (token.spentAtMs !== null && token.accessValidUntilMs < token.accessExpiresMs) {
      throw unauthorized('TokenRevoked', 'The access token was replaced by a refresh and its grace period (IMM_PREVIOUS_TOKEN_GRACE) is over; use the newest access token.');
    }
    throw unauthorized('TokenExpired', 'The access token has expired; refresh it with RefreshWebofficeToken.');
  }
  return found;
}

const HOLDER = /^[0-9a-f]{32}$/;

/** The hash of `X-Weboffice-Holder` (128 random bits in hex, one per page load), as holders are stored. */
export function holderHashOf(header: string | string[] | undefined): string {
  if (typeof header !== 'string' || !HOLDER.test(header)) {
    throw new ApiError('InvalidArgument', 'The header X-Weboffice-Holder is required: 32 lower-case hex characters, made once per page load.');
  }
  return hashToken(header);
}

/** Step 5: only the session's current holder may go on. */
export function checkHolder(currentHolderHash: string, holderHash: string): void {
  if (!safeEqual(currentHolderHash, holderHash)) throw unauthorized('TokenSuperseded');
}
