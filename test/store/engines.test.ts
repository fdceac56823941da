/**
 * One store implementation, two engines: the same behaviour on SQLite and on PostgreSQL, including the
 * guarantee that matters most — a refresh token is spent exactly once under concurrency.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { enginesUnderTest, type EngineUnderTest } from '../helpers/engines.js';
import { sessionStore } from '../../src/store/sessions.js';
import { nonceStore } from '../../src/store/nonces.js';
import { projectStore } from '../../src/store/projects.js';
import { accountStore } from '../../src/store/accounts.js';
import { usageStore } from '../../src/store/usage.js';
import { refreshSession, startSession, type TokenSettings } from '../../src/tokens/webofficeSessions.js';
import { nowNanos } from '../../src/tokens/time.js';
import { randomBytes } from 'node:crypto';

const settings: TokenSettings = { accessTokenTtlMs: 1_800_000, refreshTokenTtlMs: 86_400_000, refreshRetryWindowMs: 30_000, previousTokenGraceMs: 60_000 };

const { engines, skipped } = await enginesUnderTest();
if (skipped) console.log(`# ${skipped}`);

for (const engine of engines) {
  describe(`store on ${engine.name}`, () => {
    let handle: Awaited<ReturnType<EngineUnderTest['open']>>;
    before(async () => {
      handle = await engine.open();
    });
    after(async () => {
      await handle.dispose();
    });

    test('of 16 concurrent refreshes of one pair exactly one spends it, and every caller gets that same successor', async () => {
      const sessions = sessionStore(handle.db, randomBytes(32), handle.writeTransaction, handle.direct);
      const { sessionId, pair } = await startSession(sessions, settings, { accountId: '1000000000000001', projectId: 'p-1', options: '{}', fileId: 'f'.repeat(40), now: nowNanos() });
      const results = await Promise.all(
        Array.from({ length: 16 }, () =>
          refreshSession(sessions, settings, { projectId: 'p-1', accessToken: pair.AccessToken, refreshToken: pair.RefreshToken, now: nowNanos() }),
        ),
      );
      assert.equal(results.filter((r) => r.outcome === 'refreshed').length, 1);
      const successors = new Set(results.map((r) => JSON.stringify(r.pair)));
      assert.equal(successors.size, 1, 'every caller got the same successor');
      const rows = await handle.db.selectFrom('weboffice_tokens').selectAll().where('session_id', '=', sessionId).execute();
      assert.equal(rows.length, 2, 'the session has the first pair and exactly one successor');
      assert.equal(rows.filter((r) => r.spent_at_ms !== null).length, 1);
    });

    test('revoking a project ends its sessions and leaves other projects alone', async () => {
      const sessions = sessionStore(handle.db, randomBytes(32), handle.writeTransaction, handle.direct);
      const now = nowNanos();
      const doomed = await startSession(sessions, settings, { accountId: '1000000000000001', projectId: 'p-doomed', options: '{}', fileId: 'a'.repeat(40), now });
      const kept = await startSession(sessions, settings, { accountId: '1000000000000001', projectId: 'p-kept', options: '{}', fileId: 'b'.repeat(40), now });
      await sessions.revokeProjectSessions('p-doomed', 'project deleted', Date.now());
      await assert.rejects(
        refreshSession(sessions, settings, { projectId: 'p-doomed', accessToken: doomed.pair.AccessToken, refreshToken: doomed.pair.RefreshToken, now: nowNanos() }),
        { code: 'TokenRevoked' },
      );
      const refreshed = await refreshSession(sessions, settings, { projectId: 'p-kept', accessToken: kept.pair.AccessToken, refreshToken: kept.pair.RefreshToken, now: nowNanos() });
      assert.equal(refreshed.outcome, 'refreshed');
    });

    test('sweeping deletes expired sessions with all their token pairs, and keeps live ones', async () => {
      const sessions = sessionStore(handle.db, randomBytes(32), handle.writeTransaction, handle.direct);
      const short = { ...settings, refreshTokenTtlMs: 1, accessTokenTtlMs: 1 };
      const old = await startSession(sessions, short, { accountId: '1000000000000001', projectId: 'p-sweep', options: '{}', fileId: 'c'.repeat(40), now: nowNanos() });
      const live = await startSession(sessions, settings, { accountId: '1000000000000001', projectId: 'p-sweep', options: '{}', fileId: 'd'.repeat(40), now: nowNanos() });
      await new Promise((resolve) => setTimeout(resolve, 5));
      assert.ok((await sessions.deleteExpiredSessions(Date.now())) >= 1);
      const left = await handle.db.selectFrom('weboffice_tokens').select('session_id').where('session_id', 'in', [old.sessionId, live.sessionId]).execute();
      assert.deepEqual(left.map((r) => r.session_id), [live.sessionId]);
    });

    test('the live count and the sweep follow each session\'s last refresh token to the millisecond, though its stored expiry is rounded up', async () => {
      const sessions = sessionStore(handle.db, randomBytes(32), handle.writeTransaction, handle.direct);
      // X is in the middle of a six-hour step: both sessions below share one stored bound, 06:00.
      const X = Date.UTC(2031, 0, 1, 3);
      const nanos = (ms: number) => BigInt(ms) * 1_000_000n;
      const start = (refreshExpiresMs: number, fileId: string) =>
        startSession(sessions, settings, { accountId: '1000000000000001', projectId: 'p-bound', options: '{}', fileId, now: nanos(refreshExpiresMs - settings.refreshTokenTtlMs) });
      const endedBefore = await start(X - 60_000, 'e'.repeat(40));
      const endsAfter = await start(X + 60_000, '0'.repeat(40));
      const bound = async (sessionId: string) => Number((await handle.db.selectFrom('weboffice_sessions').select('expires_ms').where('id', '=', sessionId).executeTakeFirstOrThrow()).expires_ms);
      assert.equal(await bound(endedBefore.sessionId), Date.UTC(2031, 0, 1, 6));
      assert.equal(await bound(endsAfter.sessionId), Date.UTC(2031, 0, 1, 6));
      assert.equal(await sessions.countLive(X), 1, 'only the session whose refresh token outlives X is live at X');
      assert.equal(await sessions.countLive(X - 60_001), 2);

      // A refresh whose successor still ends within the bound leaves it; one that outlives it moves it on.
      const refreshAt = (pair: { AccessToken: string; RefreshToken: string }, ms: number) =>
        refreshSession(sessions, settings, { projectId: 'p-bound', accessToken: pair.AccessToken, refreshToken: pair.RefreshToken, now: nanos(ms) });
      const within = await refreshAt(endsAfter.pair, X + 60_000 - settings.refreshTokenTtlMs + 60_000);
      assert.equal(await bound(endsAfter.sessionId), Date.UTC(2031, 0, 1, 6));
      const beyond = await refreshAt(within.pair, X + 4 * 3_600_000 - settings.refreshTokenTtlMs);
      assert.equal(beyond.outcome, 'refreshed');
      assert.equal(await bound(endsAfter.sessionId), Date.UTC(2031, 0, 1, 12));
      assert.equal(await sessions.countLive(X + 4 * 3_600_000 - 1), 1);
      assert.equal(await sessions.countLive(X + 4 * 3_600_000), 0);

      // The sweep at X deletes the session that ended a minute before, not the one refreshed past it.
      await sessions.deleteExpiredSessions(X);
      const left = await handle.db.selectFrom('weboffice_sessions').select('id').where('id', 'in', [endedBefore.sessionId, endsAfter.sessionId]).execute();
      assert.deepEqual(left.map((r) => r.id), [endsAfter.sessionId]);
      await sessions.deleteExpiredSessions(X + 4 * 3_600_000);
      assert.equal((await handle.db.selectFrom('weboffice_tokens').select('id').where('session_id', '=', endsAfter.sessionId).execute()).length, 3, 'live until its last refresh token expires');
      await sessions.deleteExpiredSessions(X + 4 * 3_600_000 + 1);
      assert.equal((await handle.db.selectFrom('weboffice_tokens').select('id').where('session_id', '=', endsAfter.sessionId).execute()).length, 0);
    });

    test('a signature nonce is accepted once per key, and expired nonces are deleted', async () => {
      const nonces = nonceStore(handle.db, handle.writeTransaction);
      const nonce = randomBytes(16).toString('hex');
      assert.equal(await nonces.remember('key-a', nonce, Date.now() - 1), true);
      assert.equal(await nonces.remember('key-a', nonce, Date.now() - 1), false);
      assert.equal(await nonces.remember('key-b', nonce, Date.now() - 1), true, 'another key may use the same nonce');
      assert.ok((await nonces.deleteExpired(Date.now())) >= 2);
      assert.equal(await nonces.remember('key-a', nonce, Date.now() + 60_000), true, 'after sweeping the nonce row is gone');
    });

    test('a project name is unique per account, and listing pages through every project exactly once', async () => {
      const accounts = accountStore(handle.db, randomBytes(32));
      const { AccountId } = await accounts.createAccount();
      const projects = projectStore(handle.db);
      const now = new Date().toISOString();
      const names = ['b-2', 'a-1', 'c_3', 'B-4', '_5'];
      for (const name of names) assert.ok(await projects.create({ accountId: AccountId, name, description: '', serviceRole: 'r', now }));
      assert.equal(await projects.create({ accountId: AccountId, name: 'a-1', description: '', serviceRole: 'r', now }), undefined);
      const seen: string[] = [];
      let after: string | undefined;
      for (;;) {
        const page = await projects.list(AccountId, { limit: 2, afterName: after });
        seen.push(...page.projects.map((p) => p.name));
        if (!page.more) break;
        after = page.projects.at(-1)!.name;
      }
      assert.deepEqual([...seen].sort(), [...names].sort());
      assert.equal(new Set(seen).size, names.length);
      const prefixed = await projects.list(AccountId, { limit: 10, prefix: 'b' });
      assert.deepEqual(prefixed.projects.map((p) => p.name), ['b-2']);
    });

    test('AccessKey secrets are stored sealed, and open only with the master key', async () => {
      const masterKey = randomBytes(32);
      const accounts = accountStore(handle.db, masterKey);
      const created = await accounts.createAccount();
      const row = await handle.db.selectFrom('access_keys').selectAll().where('id', '=', created.AccessKeyId).executeTakeFirstOrThrow();
      assert.ok(!row.secret_sealed.includes(created.AccessKeySecret));
      assert.equal((await accounts.findAccessKey(created.AccessKeyId))?.secret, created.AccessKeySecret);
      await assert.rejects(accountStore(handle.db, randomBytes(32)).findAccessKey(created.AccessKeyId), /cannot be opened/);
    });

    test('usage totals group by account, project and operation, and honour --since', async () => {
      const usage = usageStore(handle.db);
      const base = { account_id: '2000000000000002', project_id: 'pid', project_name: 'proj', readonly: 0, cache_preview: 0, user_id: 'u', session_id: 's' };
      await usage.record({ ...base, operation: 'GenerateWebofficeToken', at: 'x', at_ms: 1000 });
      await usage.record({ ...base, operation: 'RefreshWebofficeToken', at: 'x', at_ms: 2000 });
      await usage.record({ ...base, operation: 'RefreshWebofficeToken', at: 'x', at_ms: 3000 });
      assert.deepEqual(await usage.totals({ accountId: base.account_id }), [
        { accountId: base.account_id, projectName: 'proj', operation: 'GenerateWebofficeToken', calls: 1 },
        { accountId: base.account_id, projectName: 'proj', operation: 'RefreshWebofficeToken', calls: 2 },
      ]);
      assert.deepEqual(await usage.totals({ accountId: base.account_id, sinceMs: 2500 }), [
        { accountId: base.account_id, projectName: 'proj', operation: 'RefreshWebofficeToken', calls: 1 },
      ]);
    });
  });
}
