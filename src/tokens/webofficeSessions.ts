/**
 * WebOffice sessions: issuing a token pair (Generate), rotating it (Refresh), retrying a lost response and
 * revoking a session whose spent refresh token comes back. Knows nothing of HTTP or SQL: storage is the
 * `SessionStore` capability below.
 */
import { newRowId } from '../core/rowIds.js';
import { ApiError } from '../core/errors.js';
import { deriveKey, keyFromRandomSecret, open, seal } from '../crypto/aead.js';
import { safeEqual } from '../core/safeEqual.js';
import { formatNanos, nanosToMillis, type Nanos } from './time.js';
import { hashToken, newToken } from './tokenValues.js';
import type { CallRecords } from '../store/callRecords.js';

export interface TokenSettings {
  accessTokenTtlMs: number;
  refreshTokenTtlMs: number;
  /** How long after a refresh the same pair may be presented again and get the same successor. */
  refreshRetryWindowMs: number;
  /** How long the previous access token keeps working after its pair was refreshed. */
  previousTokenGraceMs: number;
}

/** The four fields of a Generate or Refresh response that carry tokens. */
export interface TokenPair {
  AccessToken: string;
  AccessTokenExpiredTime: string;
  RefreshToken: string;
  RefreshTokenExpiredTime: string;
}

export interface SessionRecord {
  id: string;
  accountId: string;
  projectId: string;
  /** The remembered Generate options (JSON) without their secrets, which are in `secrets`. */
  options: string;
  fileId: string;
  revokedAtMs: number | null;
  /** The options that are secrets (the document's Password): kept sealed under the master key at rest. */
  secrets: SessionSecrets;
}

export interface SessionSecrets {
  password?: string;
}

export interface TokenRecord {
  id: string;
  sessionId: string;
  accessHash: string;
  refreshHash: string;
  refreshExpiresMs: number;
  accessValidUntilMs: number;
  spentAtMs: number | null;
  successorId: string | null;
  successorSealed: string | null;
}

/** A pair as stored: hashes and times, never the tokens. */
export interface NewTokenRow {
  id: string;
  accessHash: string;
  refreshHash: string;
  issuedAt: string;
  accessExpiresMs: number;
  refreshExpiresMs: number;
}

export interface SessionStore {
  /** Inserts a session with its first pair and the call's records, in one transaction. */
  createSession(session: Omit<SessionRecord, 'revokedAtMs'> & { createdAt: string }, first: NewTokenRow, records?: CallRecords): Promise<void>;
  /** The pair whose access token has this hash (a refresh then compares the refresh token's), and its session. */
  findByAccessHash(accessHash: string): Promise<{ token: TokenRecord; session: SessionRecord } | undefined>;
  findToken(id: string): Promise<TokenRecord | undefined>;
  /**
   * Spends `tokenId` and inserts its successor, atomically: the guarded update only matches while the token
   * is unspent and its session unrevoked, so of two concurrent callers exactly one gets `true`. The call's
   * records are written in the same transaction, only when it spends the token.
   */
  rotate(args: { tokenId: string; sessionId: string; nowMs: number; accessValidUntilMs: number; successor: NewTokenRow; successorSealed: string; records?: CallRecords }): Promise<boolean>;
  /** Revokes the session and every pair descended from it. */
  revokeSession(sessionId: string, reason: string, nowMs: number): Promise<void>;
}

export type RefreshOutcome = 'refreshed' | 'retried';

function issuePair(issuedAt: Nanos, settings: TokenSettings): { pair: TokenPair; row: NewTokenRow } {
  const accessExpires = issuedAt + BigInt(settings.accessTokenTtlMs) * 1_000_000n;
  const refreshExpires = issuedAt + BigInt(settings.refreshTokenTtlMs) * 1_000_000n;
  const pair: TokenPair = {
    AccessToken: newToken(),
    AccessTokenExpiredTime: formatNanos(accessExpires),
    RefreshToken: newToken(),
    RefreshTokenExpiredTime: formatNanos(refreshExpires),
  };
  const row: NewTokenRow = {
    id: newRowId(),
    accessHash: hashToken(pair.AccessToken),
    refreshHash: hashToken(pair.RefreshToken),
    issuedAt: formatNanos(issuedAt),
    accessExpiresMs: nanosToMillis(accessExpires),
    refreshExpiresMs: nanosToMillis(refreshExpires),
  };
  return { pair, row };
}

/** Generate: a new session and its first pair. */
export async function startSession(
  store: SessionStore,
  settings: TokenSettings,
  args: {
    accountId: string;
    projectId: string;
    options: string;
    secrets?: SessionSecrets;
    fileId: string;
    now: Nanos;
    /** What the call leaves behind (usage, audit), written with the new session. */
    records?: (sessionId: string) => CallRecords;
  },
): Promise<{ sessionId: string; pair: TokenPair }> {
  const { pair, row } = issuePair(args.now, settings);
  const sessionId = newRowId();
  await store.createSession(
    { id: sessionId, accountId: args.accountId, projectId: args.projectId, options: args.options, secrets: args.secrets ?? {}, fileId: args.fileId, createdAt: formatNanos(args.now) },
    row,
    args.records?.(sessionId),
  );
  return { sessionId, pair };
}

/**
 * The successor of a refreshed pair is kept sealed under a key derived from the refresh token that was
 * spent, so that only a client holding that token can get the successor back (a retry after a lost
 * response), and a database reader cannot.
 */
function successorKey(refreshToken: string, tokenId: string): Buffer {
  return keyFromRandomSecret(refreshToken, tokenId, SUCCESSOR_PURPOSE);
}

/**
 * The key successors were sealed under before 2026-12-01 (HKDF, five times slower): tried when the current key
 * does not open one, so that a retry across an upgrade, within the retry window, still gets its pair back.
 */
function earlierSuccessorKey(refreshToken: string, tokenId: string): Buffer {
  return deriveKey(refreshToken, tokenId, SUCCESSOR_PURPOSE);
}

const SUCCESSOR_PURPOSE = 'imm-weboffice successor pair';

/**
 * Refresh: checks the presented pair and returns its successor. The checks run in the documented order
 * (unknown or mismatched pair → revoked session → expired refresh token → spent token).
 */
export async function refreshSession(
  store: SessionStore,
  settings: TokenSettings,
  args: {
    projectId: string;
    accessToken: string;
    refreshToken: string;
    now: Nanos;
    /** Checks that may still refuse the refresh once the pair is known good (the authorization chain). */
    authorizeSession?: (session: SessionRecord) => Promise<void>;
    /** What a refresh that rotates leaves behind (usage, audit), written in the rotation's transaction. */
    records?: (session: SessionRecord) => CallRecords;
    onReuse?: (sessionId: string) => void;
  },
): Promise<{ session: SessionRecord; pair: TokenPair; outcome: RefreshOutcome }> {
  // Found by the access token and checked by the refresh token: both must be of the same pair. (Nothing is
  // indexed by the refresh token's hash, one index less for every rotation to write.) Hashes are compared in
  // constant time, so neither token's text is ever compared directly.
  const found = await store.findByAccessHash(hashToken(args.accessToken));
  if (!found || !safeEqual(found.token.refreshHash, hashToken(args.refreshToken)) || found.session.projectId !== args.projectId) {
    throw new ApiError('InvalidToken');
  }
  const { session } = found;
  let token = found.token;
  const nowMs = nanosToMillis(args.now);
  if (session.revokedAtMs !== null) throw new ApiError('TokenRevoked');
  if (nowMs >= token.refreshExpiresMs) throw new ApiError('TokenExpired');
  await args.authorizeSession?.(session);

  if (token.spentAtMs === null) {
    const { pair, row } = issuePair(args.now, settings);
    const spent = await store.rotate({
      tokenId: token.id,
      sessionId: session.id,
      nowMs,
      accessValidUntilMs: Math.min(token.accessValidUntilMs, nowMs + settings.previousTokenGraceMs),
      successor: row,
      successorSealed: seal(successorKey(args.refreshToken, token.id), JSON.stringify(pair), row.id),
      records: args.records?.(session),
    });
    if (spent) return { session, pair, outcome: 'refreshed' };
    // Another request spent it between our read and our update: from here on it is a retry or a reuse.
    const current = await store.findToken(token.id);
    if (!current) throw new ApiError('InvalidToken');
    token = current;
  }

  const retried = await successorForRetry(store, settings, token, args.refreshToken, nowMs);
  if (retried) return { session, pair: retried, outcome: 'retried' };
  // A spent refresh token presented again outside the retry rules: treat it as stolen and end the session.
  await store.revokeSession(session.id, 'refresh token reused', nowMs);
  args.onReuse?.(session.id);
  throw new ApiError('TokenRevoked');
}

/** The same successor again, if this is a retry: within the window and while the successor is unspent. */
async function successorForRetry(
  store: SessionStore,
  settings: TokenSettings,
  token: TokenRecord,
  refreshToken: string,
  nowMs: number,
): Promise<TokenPair | undefined> {
  if (token.spentAtMs === null || token.successorId === null || token.successorSealed === null) return undefined;
  if (nowMs - token.spentAtMs > settings.refreshRetryWindowMs) return undefined;
  const successor = await store.findToken(token.successorId);
  if (!successor || successor.spentAtMs !== null) return undefined;
  const text =
    open(successorKey(refreshToken, token.id), token.successorSealed, successor.id) ??
    open(earlierSuccessorKey(refreshToken, token.id), token.successorSealed, successor.id);
  return text === undefined ? undefined : (JSON.parse(text) as TokenPair);
}
