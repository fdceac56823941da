import { randomBytes } from 'node:crypto';
/**
 * The session logic (issue, rotate, retry, reuse) against a real SQLite store, with the clock passed in.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { ApiError } from '../../src/core/errors.js';
import { deriveKey, keyFromRandomSecret, open, seal } from '../../src/crypto/aead.js';
import { migrateToLatest, openDatabase, type DatabaseHandle } from '../../src/store/database.js';
import { sessionExpiry, sessionStore } from '../../src/store/sessions.js';
import { formatNanos, nanosToMillis, nowNanos, parseNanos, type Nanos } from '../../src/tokens/time.js';
import { hashToken } from '../../src/tokens/tokenValues.js';
import { refreshSession, startSession, type TokenPair, type TokenSettings } from '../../src/tokens/webofficeSessions.js';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const SETTINGS: TokenSettings = {
  accessTokenTtlMs: 30 * MINUTE,
  refreshTokenTtlMs: 24 * 60 * MINUTE,
  refreshRetryWindowMs: 30 * SECOND,
  previousTokenGraceMs: 60 * SECOND,
};
/** 2030-01-01T00:00:00.000123456Z: sub-millisecond digits on purpose. */
const T0: Nanos = BigInt(Date.UTC(2030, 0, 1)) * 1_000_000n + 123_456n;
const at = (ms: number): Nanos => T0 + BigInt(ms) * 1_000_000n;

let dir: string;
let database: DatabaseHandle;
let store: ReturnType<typeof sessionStore>;

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'imm-sessions-'));
  database = openDatabase({ dataDir: dir });
  await migrateToLatest(database.db);
  store = sessionStore(database.db, randomBytes(32), database.writeTransaction, database.direct);
});

after(async () => {
  await database.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

let projectCounter = 0;
async function newSession(settings = SETTINGS, now: Nanos = T0) {
  const projectId = `project-${++projectCounter}`;
  const { sessionId, pair } = await startSession(store, settings, { accountId: '1234567890123456', projectId, options: '{"user":{"Id":"u1"}}', fileId: 'f'.repeat(40), now });
  return { sessionId, projectId, pair };
}

function refresh(projectId: string, pair: Pick<TokenPair, 'AccessToken' | 'RefreshToken'>, now: Nanos, settings = SETTINGS) {
  return refreshSession(store, settings, { projectId, accessToken: pair.AccessToken, refreshToken: pair.RefreshToken, now });
}

async function rejectsWith(promise: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof ApiError, `expected an ApiError, got ${String(err)}`);
    assert.equal(err.code, code);
    assert.equal(err.status, 400);
    return true;
  });
}

const tokenRows = (sessionId: string) => database.db.selectFrom('weboffice_tokens').selectAll().where('session_id', '=', sessionId).execute();
const sessionRow = (sessionId: string) => database.db.selectFrom('weboffice_sessions').selectAll().where('id', '=', sessionId).executeTakeFirstOrThrow();
const rowOf = async (token: string) => database.db.selectFrom('weboffice_tokens').selectAll().where('refresh_hash', '=', hashToken(token)).executeTakeFirstOrThrow();

describe('issue and refresh', () => {
  test('a new session gets a pair of 32 lower-case hex tokens with 30 min / 1 day expiries from one instant', async () => {
    const { pair } = await newSession();
    assert.match(pair.AccessToken, /^[0-9a-f]{32}$/);
    assert.match(pair.RefreshToken, /^[0-9a-f]{32}$/);
    assert.notEqual(pair.AccessToken, pair.RefreshToken);
    assert.equal(pair.AccessTokenExpiredTime, '2030-01-01T00:30:00.000123456Z');
    assert.equal(pair.RefreshTokenExpiredTime, '2030-01-02T00:00:00.000123456Z');
  });

  test('refresh returns a new pair with fresh expiries from the refresh instant', async () => {
    const { projectId, pair } = await newSession();
    const result = await refresh(projectId, pair, at(10 * MINUTE));
    assert.equal(result.outcome, 'refreshed');
    assert.notEqual(result.pair.AccessToken, pair.AccessToken);
    assert.notEqual(result.pair.RefreshToken, pair.RefreshToken);
    assert.match(result.pair.AccessToken, /^[0-9a-f]{32}$/);
    assert.equal(result.pair.AccessTokenExpiredTime, '2030-01-01T00:40:00.000123456Z');
    assert.equal(result.pair.RefreshTokenExpiredTime, '2030-01-02T00:10:00.000123456Z');
  });

  test('the presented pair is spent and points to its successor; the previous access token gets the grace', async () => {
    const { sessionId, projectId, pair } = await newSession();
    const refreshedAt = 10 * MINUTE;
    const { pair: next } = await refresh(projectId, pair, at(refreshedAt));
    const spent = await rowOf(pair.RefreshToken);
    const successor = await rowOf(next.RefreshToken);
    assert.equal(spent.spent_at_ms, nanosToMillis(at(refreshedAt)));
    assert.equal(spent.successor_id, successor.id);
    assert.equal(successor.spent_at_ms, null);
    assert.equal(spent.access_valid_until_ms, nanosToMillis(at(refreshedAt)) + SETTINGS.previousTokenGraceMs);
    assert.equal((await tokenRows(sessionId)).length, 2);
    // The session's bound: the successor's refresh expiry rounded up to the step (sessions.ts).
    assert.equal((await sessionRow(sessionId)).expires_ms, sessionExpiry(nanosToMillis(at(refreshedAt + SETTINGS.refreshTokenTtlMs))));
  });

  test('the grace never extends an access token beyond its own expiry', async () => {
    const { projectId, pair } = await newSession();
    await refresh(projectId, pair, at(29.5 * MINUTE));
    assert.equal((await rowOf(pair.RefreshToken)).access_valid_until_ms, nanosToMillis(at(30 * MINUTE)));
  });

  test('refresh works after the access token expired, while the refresh token has not', async () => {
    const { projectId, pair } = await newSession();
    const result = await refresh(projectId, pair, at(5 * 60 * MINUTE));
    assert.equal(result.outcome, 'refreshed');
  });

  test('the successor can be refreshed in turn, carrying the session', async () => {
    const { sessionId, projectId, pair } = await newSession();
    const second = await refresh(projectId, pair, at(MINUTE));
    const third = await refresh(projectId, second.pair, at(2 * MINUTE));
    assert.equal(third.outcome, 'refreshed');
    assert.equal(third.session.id, sessionId);
    assert.equal(third.session.options, '{"user":{"Id":"u1"}}');
    assert.equal((await tokenRows(sessionId)).length, 3);
  });
});

describe('retry and reuse', () => {
  test('a retry of the same pair within the window returns the SAME successor (tokens and expiry strings)', async () => {
    const { sessionId, projectId, pair } = await newSession();
    const first = await refresh(projectId, pair, at(MINUTE));
    const retry = await refresh(projectId, pair, at(MINUTE + 29 * SECOND));
    assert.equal(retry.outcome, 'retried');
    assert.deepEqual(retry.pair, first.pair);
    const atEdge = await refresh(projectId, pair, at(MINUTE + 30 * SECOND));
    assert.deepEqual(atEdge.pair, first.pair);
    assert.equal((await tokenRows(sessionId)).length, 2, 'a retry inserts no pair');
    assert.equal((await sessionRow(sessionId)).revoked_at_ms, null);
    // The successor still refreshes normally.
    assert.equal((await refresh(projectId, first.pair, at(2 * MINUTE))).outcome, 'refreshed');
  });

  test('a retry after the window is a reuse: TokenRevoked, and the whole session is revoked', async () => {
    const { sessionId, projectId, pair } = await newSession();
    const first = await refresh(projectId, pair, at(MINUTE));
    await rejectsWith(refresh(projectId, pair, at(MINUTE + 30 * SECOND + 1)), 'TokenRevoked');
    const session = await sessionRow(sessionId);
    assert.equal(session.revoked_at_ms, nanosToMillis(at(MINUTE + 30 * SECOND + 1)));
    assert.match(session.revoked_reason ?? '', /reuse/);
    // The successor no longer refreshes, and every access token of the session stops at once.
    await rejectsWith(refresh(projectId, first.pair, at(MINUTE + 31 * SECOND)), 'TokenRevoked');
    for (const row of await tokenRows(sessionId)) assert.ok(row.access_valid_until_ms <= nanosToMillis(at(MINUTE + 30 * SECOND + 1)));
  });

  test('reusing a pair after its successor was refreshed revokes the session, even within the window', async () => {
    const { sessionId, projectId, pair } = await newSession();
    const second = await refresh(projectId, pair, at(MINUTE));
    const third = await refresh(projectId, second.pair, at(MINUTE + SECOND));
    await rejectsWith(refresh(projectId, pair, at(MINUTE + 2 * SECOND)), 'TokenRevoked');
    assert.notEqual((await sessionRow(sessionId)).revoked_at_ms, null);
    await rejectsWith(refresh(projectId, third.pair, at(MINUTE + 3 * SECOND)), 'TokenRevoked');
    await rejectsWith(refresh(projectId, second.pair, at(MINUTE + 3 * SECOND)), 'TokenRevoked');
  });

  test('a mismatched pair (the access token of another pair) is InvalidToken and revokes nothing', async () => {
    const a = await newSession();
    const b = await newSession();
    await rejectsWith(refresh(a.projectId, { AccessToken: b.pair.AccessToken, RefreshToken: a.pair.RefreshToken }, at(MINUTE)), 'InvalidToken');
    // Same session, wrong generation: the successor's access token with the original refresh token.
    const next = await refresh(a.projectId, a.pair, at(MINUTE));
    await rejectsWith(refresh(a.projectId, { AccessToken: next.pair.AccessToken, RefreshToken: a.pair.RefreshToken }, at(MINUTE + 40 * SECOND)), 'InvalidToken');
    await rejectsWith(refresh(a.projectId, { AccessToken: a.pair.AccessToken, RefreshToken: 'f'.repeat(32) }, at(MINUTE)), 'InvalidToken');
    assert.equal((await sessionRow(a.sessionId)).revoked_at_ms, null);
    assert.equal((await sessionRow(b.sessionId)).revoked_at_ms, null);
    assert.equal((await refresh(a.projectId, next.pair, at(2 * MINUTE))).outcome, 'refreshed');
    assert.equal((await refresh(b.projectId, b.pair, at(2 * MINUTE))).outcome, 'refreshed');
  });

  test('a pair presented for another project is InvalidToken and revokes nothing', async () => {
    const { sessionId, projectId, pair } = await newSession();
    await rejectsWith(refresh('some-other-project', pair, at(MINUTE)), 'InvalidToken');
    assert.equal((await sessionRow(sessionId)).revoked_at_ms, null);
    assert.equal((await refresh(projectId, pair, at(MINUTE))).outcome, 'refreshed');
  });

  test('an expired refresh token is TokenExpired (at the expiry instant already), without revocation', async () => {
    const { sessionId, projectId, pair } = await newSession();
    await rejectsWith(refresh(projectId, pair, at(SETTINGS.refreshTokenTtlMs)), 'TokenExpired');
    await rejectsWith(refresh(projectId, pair, at(SETTINGS.refreshTokenTtlMs + MINUTE)), 'TokenExpired');
    assert.equal((await sessionRow(sessionId)).revoked_at_ms, null);
    // One millisecond before the expiry it still works.
    const other = await newSession();
    assert.equal((await refresh(other.projectId, other.pair, at(SETTINGS.refreshTokenTtlMs - 1))).outcome, 'refreshed');
  });

  test('a revoked session answers TokenRevoked before TokenExpired; a wrong pair answers InvalidToken before both', async () => {
    const { projectId, pair } = await newSession();
    const next = await refresh(projectId, pair, at(MINUTE));
    await rejectsWith(refresh(projectId, pair, at(2 * MINUTE)), 'TokenRevoked');
    await rejectsWith(refresh(projectId, pair, at(SETTINGS.refreshTokenTtlMs + 10 * MINUTE)), 'TokenRevoked');
    await rejectsWith(refresh('other', next.pair, at(3 * MINUTE)), 'InvalidToken');
  });

  test('a spent token presented after its refresh expiry is TokenExpired and does not revoke the session', async () => {
    const { sessionId, projectId, pair } = await newSession();
    const next = await refresh(projectId, pair, at(20 * 60 * MINUTE));
    await rejectsWith(refresh(projectId, pair, at(SETTINGS.refreshTokenTtlMs)), 'TokenExpired');
    assert.equal((await sessionRow(sessionId)).revoked_at_ms, null);
    assert.equal((await refresh(projectId, next.pair, at(SETTINGS.refreshTokenTtlMs + MINUTE))).outcome, 'refreshed');
  });
});

describe('storage', () => {
  test('the successor is sealed under a key derived from the presented refresh token: another token cannot open it', async () => {
    const { projectId, pair } = await newSession();
    const { pair: next } = await refresh(projectId, pair, at(MINUTE));
    const spent = await rowOf(pair.RefreshToken);
    assert.ok(spent.successor_sealed && spent.successor_id);
    const openWith = (refreshToken: string) => open(keyFromRandomSecret(refreshToken, spent.id, 'imm-weboffice successor pair'), spent.successor_sealed!, spent.successor_id!);
    assert.deepEqual(JSON.parse(openWith(pair.RefreshToken) ?? 'null'), next);
    assert.equal(openWith(pair.AccessToken), undefined);
    assert.equal(openWith(next.RefreshToken), undefined);
    assert.equal(openWith('0'.repeat(32)), undefined);
  });

  test('a successor sealed under the earlier key (HKDF, before 2026-12-01) is still served to a retry across the upgrade', async () => {
    const { sessionId, projectId, pair } = await newSession();
    const { pair: next } = await refresh(projectId, pair, at(MINUTE));
    const spent = await rowOf(pair.RefreshToken);
    const earlier = seal(deriveKey(pair.RefreshToken, spent.id, 'imm-weboffice successor pair'), JSON.stringify(next), spent.successor_id!);
    await database.db.updateTable('weboffice_tokens').set({ successor_sealed: earlier }).where('id', '=', spent.id).execute();
    const retry = await refresh(projectId, pair, at(MINUTE + SECOND));
    assert.equal(retry.outcome, 'retried');
    assert.deepEqual(retry.pair, next);
    assert.equal((await sessionRow(sessionId)).revoked_at_ms, null);
  });

  test('a retry whose refresh token cannot open the successor is not served it (the row is re-keyed to another token)', async () => {
    const { sessionId, projectId, pair } = await newSession();
    await refresh(projectId, pair, at(MINUTE));
    // Pretend a different refresh token had been issued with this pair: it finds the row but cannot open the blob.
    const impostor = 'a'.repeat(32);
    await database.db.updateTable('weboffice_tokens').set({ refresh_hash: hashToken(impostor) }).where('refresh_hash', '=', hashToken(pair.RefreshToken)).execute();
    await rejectsWith(refresh(projectId, { AccessToken: pair.AccessToken, RefreshToken: impostor }, at(MINUTE + SECOND)), 'TokenRevoked');
    assert.notEqual((await sessionRow(sessionId)).revoked_at_ms, null);
  });

  test('no token plaintext in any row of any table', async () => {
    const issued: string[] = [];
    const { projectId, pair } = await newSession();
    issued.push(pair.AccessToken, pair.RefreshToken);
    const second = await refresh(projectId, pair, at(MINUTE));
    const retried = await refresh(projectId, pair, at(MINUTE + SECOND));
    const third = await refresh(projectId, second.pair, at(2 * MINUTE));
    issued.push(second.pair.AccessToken, second.pair.RefreshToken, retried.pair.AccessToken, third.pair.AccessToken, third.pair.RefreshToken);
    await database.close();
    // Read every table (and the raw file) with a separate connection after the handle flushed.
    const SQLite = (await import('better-sqlite3')).default;
    const raw = new SQLite(path.join(dir, 'imm-weboffice.db'), { readonly: true });
    try {
      const tables = raw.prepare("select name from sqlite_master where type = 'table'").all() as { name: string }[];
      assert.ok(tables.some((t) => t.name === 'weboffice_tokens'));
      const dump = JSON.stringify(tables.map((t) => raw.prepare(`select * from "${t.name}"`).all()));
      for (const token of issued) {
        assert.ok(!dump.includes(token), 'a token is stored in plaintext');
        assert.ok(!dump.includes(token.toUpperCase()));
        assert.ok(!dump.includes(Buffer.from(token, 'hex').toString('base64')));
      }
      assert.ok(dump.includes(hashToken(pair.RefreshToken)), 'tokens are found by their hash');
    } finally {
      raw.close();
    }
    const files = fs.readdirSync(dir).map((f) => fs.readFileSync(path.join(dir, f)).toString('latin1')).join('');
    for (const token of issued) assert.ok(!files.includes(token), 'a token is in a database file in plaintext');
    database = openDatabase({ dataDir: dir });
    store = sessionStore(database.db, randomBytes(32), database.writeTransaction, database.direct);
  });
});

describe('property: no pair ever has two different successors', () => {
  type Step = { kind: 'present'; pick: number; advanceMs: number; copies: number } | { kind: 'mismatch'; pick: number; other: number; advanceMs: number };
  const SMALL: TokenSettings = { accessTokenTtlMs: 20 * SECOND, refreshTokenTtlMs: 90 * SECOND, refreshRetryWindowMs: 5 * SECOND, previousTokenGraceMs: 3 * SECOND };

  interface ModelPair { access: string; refresh: string; issuedMs: number; spentMs: number | null; successor: number | null; response: TokenPair }

  test('any interleaving of refresh, retry, concurrent and reused calls matches the model and keeps one successor per pair', async () => {
    const step = fc.oneof(
      { weight: 6, arbitrary: fc.record({ kind: fc.constant('present' as const), pick: fc.nat(), advanceMs: fc.integer({ min: 0, max: 12 * SECOND }), copies: fc.integer({ min: 1, max: 3 }) }) },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant('mismatch' as const), pick: fc.nat(), other: fc.nat(), advanceMs: fc.integer({ min: 0, max: 2 * SECOND }) }) },
    );
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 14 }), async (steps: Step[]) => {
        const { sessionId, projectId, pair } = await newSession(SMALL);
        const pairs: ModelPair[] = [{ access: pair.AccessToken, refresh: pair.RefreshToken, issuedMs: 0, spentMs: null, successor: null, response: pair }];
        let revoked = false;
        let clock = 0;
        /** Successors ever returned for each pair (by index): must stay at most one distinct value. */
        const returned = new Map<number, Set<string>>();

        for (const s of steps) {
          clock += s.advanceMs;
          const i = s.pick % pairs.length;
          if (s.kind === 'mismatch') {
            const j = s.other % pairs.length;
            if (i === j) continue;
            await rejectsWith(refresh(projectId, { AccessToken: pairs[j].access, RefreshToken: pairs[i].refresh }, at(clock), SMALL), 'InvalidToken');
            continue;
          }
          const p = pairs[i];
          // The model, in the documented order: revoked → expired → unspent → retry → reuse.
          let expected: 'TokenRevoked' | 'TokenExpired' | 'refreshed' | 'retried';
          if (revoked) expected = 'TokenRevoked';
          else if (clock >= p.issuedMs + SMALL.refreshTokenTtlMs) expected = 'TokenExpired';
          else if (p.spentMs === null) expected = 'refreshed';
          else if (clock - p.spentMs <= SMALL.refreshRetryWindowMs && pairs[p.successor!].spentMs === null) expected = 'retried';
          else expected = 'TokenRevoked';

          // `copies` presentations of the same pair at the same instant, concurrently.
          const results = await Promise.allSettled(Array.from({ length: s.copies }, () => refresh(projectId, { AccessToken: p.access, RefreshToken: p.refresh }, at(clock), SMALL)));
          const codes = results.map((r) => (r.status === 'fulfilled' ? r.value.outcome : (r.reason as ApiError).code));
          if (expected === 'refreshed') {
            // Exactly one call spends it; the concurrent copies are retries of the same pair.
            assert.deepEqual([...codes].sort(), ['refreshed', ...Array(s.copies - 1).fill('retried')].sort());
          } else if (expected === 'retried') {
            assert.deepEqual(codes, Array(s.copies).fill('retried'));
          } else {
            assert.deepEqual(codes, Array(s.copies).fill(expected));
          }

          const pairsReturned = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value.pair] : []));
          for (const got of pairsReturned) {
            const seen = returned.get(i) ?? new Set<string>();
            seen.add(JSON.stringify(got));
            returned.set(i, seen);
            assert.equal(seen.size, 1, `pair ${i} got two different successors`);
          }
          if (expected === 'refreshed') {
            const got = pairsReturned[0];
            p.spentMs = clock;
            p.successor = pairs.length;
            pairs.push({ access: got.AccessToken, refresh: got.RefreshToken, issuedMs: clock, spentMs: null, successor: null, response: got });
          } else if (expected === 'retried') {
            assert.deepEqual(pairsReturned[0], pairs[p.successor!].response);
          } else if (expected === 'TokenRevoked') {
            revoked = true;
          }
        }

        // The store agrees with the model: a single chain, one row per issued pair, one successor per spent row.
        const rows = await tokenRows(sessionId);
        assert.equal(rows.length, pairs.length);
        const byHash = new Map(rows.map((r) => [r.refresh_hash, r]));
        const successorIds = rows.map((r) => r.successor_id).filter((id): id is string => id !== null);
        assert.equal(new Set(successorIds).size, successorIds.length, 'a row is the successor of two pairs');
        assert.ok(rows.filter((r) => r.spent_at_ms === null).length <= 1, 'two unspent pairs in one session');
        for (const p of pairs) {
          const row = byHash.get(hashToken(p.refresh));
          assert.ok(row, 'every returned pair is stored');
          assert.equal(row.access_hash, hashToken(p.access));
          assert.equal(row.spent_at_ms === null, p.spentMs === null);
          if (p.successor !== null) assert.equal(row.successor_id, byHash.get(hashToken(pairs[p.successor].refresh))!.id);
        }
        assert.equal((await sessionRow(sessionId)).revoked_at_ms !== null, revoked);
      }),
      { numRuns: 60 },
    );
  });
});

describe('time format', () => {
  test('formatNanos writes UTC with exactly nine fractional digits, zero-padded', () => {
    assert.equal(formatNanos(1_630_499_848_950_065_359n), '2021-09-01T12:37:28.950065359Z');
    assert.equal(formatNanos(1_630_499_848_000_000_001n), '2021-09-01T12:37:28.000000001Z');
    assert.equal(formatNanos(1_630_499_848_000_000_000n), '2021-09-01T12:37:28.000000000Z');
    assert.equal(formatNanos(0n), '1970-01-01T00:00:00.000000000Z');
  });

  test('parseNanos reads what formatNanos writes, for any instant (property)', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 253_402_300_799_999_999_999n }), (ns) => {
        const text = formatNanos(ns);
        assert.match(text, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{9}Z$/);
        assert.equal(parseNanos(text), ns);
      }),
    );
  });

  test('parseNanos accepts fewer fractional digits and refuses other shapes', () => {
    assert.equal(parseNanos('2021-09-01T12:37:28Z'), 1_630_499_848_000_000_000n);
    assert.equal(parseNanos('2021-09-01T12:37:28.95Z'), 1_630_499_848_950_000_000n);
    assert.throws(() => parseNanos('2021-09-01T12:37:28.950065359+08:00'));
    assert.throws(() => parseNanos('2021-09-01 12:37:28Z'));
    assert.throws(() => parseNanos('2021-09-01T12:37:28.0123456789Z'));
  });

  test('nowNanos is the wall clock (to the millisecond) with sub-millisecond digits', () => {
    const before = Date.now();
    const now = nowNanos();
    const afterMs = Date.now();
    assert.ok(nanosToMillis(now) >= before && nanosToMillis(now) <= afterMs);
    assert.equal(nanosToMillis(1_999_999n), 1);
  });

  test('both expiries of any issued pair derive from one instant: refresh − access = TTL difference, to the nanosecond', async () => {
    await fc.assert(
      fc.asyncProperty(fc.bigInt({ min: 0n, max: 10n ** 17n }), fc.integer({ min: 1, max: 10 ** 7 }), fc.integer({ min: 1, max: 10 ** 8 }), async (offset, accessTtl, refreshTtl) => {
        const now = BigInt(Date.UTC(2020, 0, 1)) * 1_000_000n + offset;
        const settings = { ...SETTINGS, accessTokenTtlMs: accessTtl, refreshTokenTtlMs: refreshTtl };
        const { pair } = await newSession(settings, now);
        assert.equal(parseNanos(pair.AccessTokenExpiredTime) - now, BigInt(accessTtl) * 1_000_000n);
        assert.equal(parseNanos(pair.RefreshTokenExpiredTime) - now, BigInt(refreshTtl) * 1_000_000n);
      }),
      { numRuns: 30 },
    );
  });
});
