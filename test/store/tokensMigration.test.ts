/**
 * The migration that drops the refresh token's index (2026-12-04): pairs issued before it still refresh after
 * it, on both engines, and its down step restores the unique index it removed.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Migrator } from 'kysely';
import { enginesUnderTest, type EngineUnderTest } from '../helpers/engines.js';
import { migrationProvider } from '../../src/store/migrations/index.js';
import { currentPostgresSchema, migrateToLatest } from '../../src/store/database.js';
import { sessionStore } from '../../src/store/sessions.js';
import { refreshSession, startSession, type TokenSettings } from '../../src/tokens/webofficeSessions.js';
import { nowNanos } from '../../src/tokens/time.js';

const settings: TokenSettings = { accessTokenTtlMs: 1_800_000, refreshTokenTtlMs: 86_400_000, refreshRetryWindowMs: 30_000, previousTokenGraceMs: 60_000 };

const { engines, skipped } = await enginesUnderTest();
if (skipped) console.log(`# ${skipped}`);

for (const engine of engines) {
  describe(`the token table's migration on ${engine.name}`, () => {
    let handle: Awaited<ReturnType<EngineUnderTest['open']>>;
    before(async () => {
      handle = await engine.open();
    });
    after(async () => {
      await handle.dispose();
    });

    test('a pair issued before it refreshes after it; stepping down restores the unique refresh index', async () => {
      const schema = await currentPostgresSchema(handle.db);
      const migrator = new Migrator({ db: handle.db, provider: migrationProvider, ...(schema ? { migrationTableSchema: schema } : {}) });
      const down = await migrator.migrateDown();
      assert.equal(down.error, undefined);
      assert.deepEqual(down.results?.map((r) => [r.migrationName, r.status]), [['2026-12-04-tokens-without-refresh-index', 'Success']]);

      const sessions = sessionStore(handle.db, randomBytes(32), handle.writeTransaction, handle.direct);
      const before = await startSession(sessions, settings, { accountId: '1000000000000001', projectId: 'p-migrated', options: '{}', fileId: 'a'.repeat(40), now: nowNanos() });
      const row = await handle.db.selectFrom('weboffice_tokens').selectAll().where('session_id', '=', before.sessionId).executeTakeFirstOrThrow();
      await assert.rejects(
        handle.db.insertInto('weboffice_tokens').values({ ...row, id: 'duplicate-refresh', access_hash: 'b'.repeat(64) }).execute(),
        /unique|UNIQUE/,
        'the step down made refresh hashes unique again',
      );

      await migrateToLatest(handle.db);
      const kept = await handle.db.selectFrom('weboffice_tokens').selectAll().where('session_id', '=', before.sessionId).execute();
      assert.deepEqual(kept, [row]);
      const refreshed = await refreshSession(sessions, settings, { projectId: 'p-migrated', accessToken: before.pair.AccessToken, refreshToken: before.pair.RefreshToken, now: nowNanos() });
      assert.equal(refreshed.outcome, 'refreshed');
      await assert.rejects(
        refreshSession(sessions, settings, { projectId: 'p-migrated', accessToken: refreshed.pair.AccessToken, refreshToken: before.pair.RefreshToken, now: nowNanos() }),
        { code: 'InvalidToken' },
        'the new access token with the old refresh token is no pair',
      );
    });
  });
}
