/**
 * The sweeper: expired sessions with their tokens and old nonces are deleted; usage records are kept for
 * their own (much longer) retention. Once through a real server, once by calling `sweep` with a fake clock.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startServer, type TestServer } from './helpers/server.js';
import { popClient } from './helpers/popClient.js';
import { count, createBucket, sleep, sql, writeObject } from './helpers/serverData.js';
import { loadConfig } from './../src/config.js';
import { createLogger } from './../src/logger.js';
import { openServices, type Services } from './../src/services.js';
import { sweep } from './../src/sweeper.js';
import { refreshSession, startSession } from './../src/tokens/webofficeSessions.js';

describe('the background sweeper of a running server', () => {
  let server: TestServer;

  before(async () => {
    server = await startServer({ IMM_SWEEP_INTERVAL: '0.2', IMM_REFRESH_TOKEN_TTL: '1', IMM_ACCESS_TOKEN_TTL: '1', IMM_SESSION_RETENTION: '0' });
  });

  after(async () => {
    await server?.stop();
  });

  test('expired sessions and their tokens are deleted, expired nonces too; usage records and live nonces stay', async () => {
    const client = popClient(server, server.root);
    await client.call('CreateProject', { ProjectName: 'swept' });
    await createBucket(server, server.root.AccountId, 'swept-bucket');
    const uri = writeObject(server, 'swept-bucket', 'a.docx');
    const pair = await client.call<Record<string, string>>('GenerateWebofficeToken', { ProjectName: 'swept', SourceURI: uri });
    const next = await client.call<Record<string, string>>('RefreshWebofficeToken', { ProjectName: 'swept', AccessToken: pair.AccessToken, RefreshToken: pair.RefreshToken });

    // Nonces: one long expired and one far in the future, written beside the server (as another node would).
    await sql(server, 'insert into signature_nonces (access_key_id, nonce, expires_ms) values (?, ?, ?)', ['LTAIsweeptest', 'expired-nonce', Date.now() - 1000]);
    await sql(server, 'insert into signature_nonces (access_key_id, nonce, expires_ms) values (?, ?, ?)', ['LTAIsweeptest', 'live-nonce', Date.now() + 3_600_000]);

    const counts = async () => ({
      sessions: await count(server, 'select count(*) as n from weboffice_sessions'),
      tokens: await count(server, 'select count(*) as n from weboffice_tokens'),
      usage: await count(server, "select count(*) as n from usage_records where project_name = 'swept'"),
      nonces: (await sql<{ nonce: string }>(server, "select nonce from signature_nonces where access_key_id = 'LTAIsweeptest' order by nonce")).map((r) => r.nonce),
      requestNonces: await count(server, 'select count(*) as n from signature_nonces where access_key_id = ?', [server.root.AccessKeyId]),
    });
    const before = await counts();
    assert.equal(before.sessions, 1);
    assert.equal(before.tokens, 2);
    assert.equal(before.usage, 2);

    // The successor's refresh token expires 1 s after the refresh; then one or two sweeps at 0.2 s.
    const deadline = Date.parse(next.RefreshTokenExpiredTime) + 5000;
    await sleep(Math.max(0, Date.parse(next.RefreshTokenExpiredTime) - Date.now()));
    let now = await counts();
    while ((now.sessions > 0 || now.nonces.includes('expired-nonce')) && Date.now() < deadline) {
      await sleep(100);
      now = await counts();
    }
    assert.equal(now.sessions, 0, 'the expired session is swept');
    assert.equal(now.tokens, 0, 'its tokens are swept with it');
    assert.deepEqual(now.nonces, ['live-nonce'], 'only the expired nonce is swept');
    assert.ok(now.requestNonces >= 3, 'the nonces of recent requests are kept');
    assert.equal(now.usage, 2, 'usage records are kept (retention in days)');
    for (let i = 0; i < 20 && !server.stderr().includes('"event":"sweep"'); i++) await sleep(100);
    assert.match(server.stderr(), /"event":"sweep"/);
    // The swept pair is simply unknown now.
    const gone = await popClient(server, server.root).attempt('RefreshWebofficeToken', { ProjectName: 'swept', AccessToken: next.AccessToken, RefreshToken: next.RefreshToken });
    assert.ok(!gone.ok && gone.code === 'InvalidToken', JSON.stringify(gone));
  });
});

describe('sweep() with a fake clock', () => {
  const B = Date.UTC(2031, 0, 1);
  const MINUTE = 60_000;
  const HOUR = 60 * MINUTE;
  let dir: string;
  let services: Services;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'imm-sweep-'));
    const config = loadConfig({ IMM_DATA_DIR: dir, IMM_SESSION_RETENTION: '60', IMM_USAGE_RETENTION_DAYS: '1', IMM_REFRESH_TOKEN_TTL: '3600' });
    services = await openServices(config, createLogger('silent'));
  });

  after(async () => {
    await services?.database.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const nanos = (ms: number) => BigInt(ms) * 1_000_000n;
  const count = async (table: 'weboffice_sessions' | 'weboffice_tokens' | 'signature_nonces' | 'usage_records') =>
    Number((await services.database.db.selectFrom(table).select(({ fn }) => fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
  const usageRecord = (atMs: number) => ({
    account_id: '1111222233334444', project_id: 'p', project_name: 'p', operation: 'GenerateWebofficeToken' as const,
    at: new Date(atMs).toISOString(), at_ms: atMs, readonly: 0, cache_preview: 0, user_id: 'u', session_id: 's',
  });

  /** The counts this file is about (later issues add more kinds to the result). */
  const swept = async (nowMs: number) => {
    const { nonces, sessions, usageRecords } = await sweep(services, nowMs);
    return { nonces, sessions, usageRecords };
  };

  test('each kind is deleted only after its own retention, and a refresh keeps its session alive', async () => {
    const settings = services.tokenSettings;
    assert.equal(settings.refreshTokenTtlMs, HOUR);
    const common = { accountId: '1111222233334444', projectId: 'p', options: '{}', fileId: '0'.repeat(40) };
    const idle = await startSession(services.sessions, settings, { ...common, now: nanos(B) });
    const active = await startSession(services.sessions, settings, { ...common, now: nanos(B) });
    await refreshSession(services.sessions, settings, { projectId: 'p', accessToken: active.pair.AccessToken, refreshToken: active.pair.RefreshToken, now: nanos(B + 30 * MINUTE) });
    // A revoked session is kept until it expires too (reuse detection needs it), then swept like any other.
    const revoked = await startSession(services.sessions, settings, { ...common, now: nanos(B) });
    await services.sessions.revokeSession(revoked.sessionId, 'test', B + MINUTE);
    await services.nonces.remember('LTAIfake', 'n-early', B + 1000);
    await services.nonces.remember('LTAIfake', 'n-late', B + 20 * MINUTE);
    await services.usage.record(usageRecord(B - 25 * HOUR));
    await services.usage.record(usageRecord(B - 20 * HOUR));

    assert.equal(await count('weboffice_sessions'), 3);
    assert.equal(await count('weboffice_tokens'), 4);

    assert.deepEqual(await swept(B), { nonces: 0, sessions: 0, usageRecords: 1 });
    assert.equal(await count('usage_records'), 1);
    assert.deepEqual(await swept(B + 1000), { nonces: 0, sessions: 0, usageRecords: 0 }, 'a nonce lives until its expiry, inclusive');
    assert.deepEqual(await swept(B + 1001), { nonces: 1, sessions: 0, usageRecords: 0 });

    // Expired at B + 1 h, kept for the retention (60 s) after that.
    assert.deepEqual(await swept(B + HOUR + MINUTE), { nonces: 1, sessions: 0, usageRecords: 0 });
    assert.equal(await count('weboffice_sessions'), 3);
    assert.deepEqual(await swept(B + HOUR + MINUTE + 1), { nonces: 0, sessions: 2, usageRecords: 0 });
    assert.equal(await count('weboffice_sessions'), 1, 'the refreshed session lives on');
    assert.equal(await count('weboffice_tokens'), 2, 'the swept sessions took their tokens with them');

    // The refreshed session's last refresh token expires at B + 1.5 h.
    assert.deepEqual(await swept(B + 90 * MINUTE + MINUTE), { nonces: 0, sessions: 0, usageRecords: 0 });
    assert.deepEqual(await swept(B + 90 * MINUTE + MINUTE + 1), { nonces: 0, sessions: 1, usageRecords: 0 });
    assert.equal(await count('weboffice_sessions'), 0);
    assert.equal(await count('weboffice_tokens'), 0);

    // Usage: kept for IMM_USAGE_RETENTION_DAYS (1 day here): the record of B − 20 h goes after B + 4 h.
    assert.deepEqual(await swept(B + 4 * HOUR), { nonces: 0, sessions: 0, usageRecords: 0 });
    assert.deepEqual(await swept(B + 4 * HOUR + 1), { nonces: 0, sessions: 0, usageRecords: 1 });
    assert.equal(await count('usage_records'), 0);
  });
});
