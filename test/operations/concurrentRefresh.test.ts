/**
 * Two server processes on one SQLite file, refreshing the same pair at once: the presented refresh token is
 * spent exactly once; every answer is the one successor; no server fails.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, type TestServer } from '../helpers/server.js';
import { popClient, type ApiResult, type PopClient } from '../helpers/popClient.js';
import { createBucket, sql, count, sleep, writeObject } from '../helpers/serverData.js';
import { hashToken } from '../../src/tokens/tokenValues.js';

const PROJECT = 'concurrent';
const REQUESTS = 32;
const ROUNDS = 4;

let first: TestServer;
let second: TestServer;
let clients: PopClient[];
let docx: string;

before(async () => {
  first = await startServer();
  // Same data directory: the second process reads root-credentials.json and the master key written by the first.
  second = await startServer({ IMM_DATA_DIR: first.dataDir });
  assert.deepEqual(second.root, first.root);
  clients = [popClient(first, first.root), popClient(second, second.root)];
  await clients[0].call('CreateProject', { ProjectName: PROJECT });
  await createBucket(first, first.root.AccountId, 'concurrent-bucket');
  docx = writeObject(first, 'concurrent-bucket', 'shared.docx');
});

after(async () => {
  await Promise.all([first?.stop(), second?.stop()]);
});

type Pair = Record<string, string>;
const tokensOf = (p: Pair) => `${p.AccessToken}/${p.AccessTokenExpiredTime}/${p.RefreshToken}/${p.RefreshTokenExpiredTime}`;

test(`${REQUESTS} concurrent refreshes of one pair across two processes yield exactly one successor (${ROUNDS} rounds)`, async () => {
  for (let round = 0; round < ROUNDS; round++) {
    // Generate on one server, refresh on both: the pair is known to both only through the shared file.
    const pair = await clients[round % 2].call<Pair>('GenerateWebofficeToken', { ProjectName: PROJECT, SourceURI: docx });
    const params = { ProjectName: PROJECT, AccessToken: pair.AccessToken, RefreshToken: pair.RefreshToken };
    const results: ApiResult<Pair>[] = await Promise.all(
      Array.from({ length: REQUESTS }, (_, i) => clients[i % 2].attempt<Pair>('RefreshWebofficeToken', params, i % 4 < 2 ? 'POST' : 'GET')),
    );

    const failures = results.filter((r) => !r.ok);
    assert.ok(!failures.some((r) => !r.ok && r.status >= 500), `a server failed: ${JSON.stringify(failures)}`);
    // Within the retry window every concurrent presentation is the refresh or a retry of it.
    assert.deepEqual(failures, [], `refreshes failed: ${JSON.stringify(failures)}`);
    const successors = new Set(results.map((r) => (r.ok ? tokensOf(r.body) : '')));
    assert.equal(successors.size, 1, `different successors: ${[...successors].join('\n')}`);
    const successor = (results[0] as { body: Pair }).body;
    assert.notEqual(successor.RefreshToken, pair.RefreshToken);
    // Both servers answered with it.
    assert.ok(results.filter((_, i) => i % 2 === 0).every((r) => r.ok) && results.filter((_, i) => i % 2 === 1).every((r) => r.ok));

    // The shared file agrees: one spent row pointing at exactly one successor, two rows in the session, one billed refresh.
    const spent = (await sql<{ id: string; session_id: string; spent_at_ms: number | null; successor_id: string | null }>(first, 'select * from weboffice_tokens where refresh_hash = ?', [hashToken(pair.RefreshToken)]))[0];
    assert.ok(spent, 'the presented pair is stored');
    assert.notEqual(spent.spent_at_ms, null, 'the presented pair is spent');
    const successorRows = await sql<{ refresh_hash: string; access_hash: string; spent_at_ms: number | null }>(first, 'select * from weboffice_tokens where id = ?', [spent.successor_id]);
    assert.equal(successorRows.length, 1);
    assert.equal(successorRows[0].refresh_hash, hashToken(successor.RefreshToken));
    assert.equal(successorRows[0].access_hash, hashToken(successor.AccessToken));
    assert.equal(successorRows[0].spent_at_ms, null);
    assert.equal(await count(first, 'select count(*) as n from weboffice_tokens where session_id = ?', [spent.session_id]), 2, 'the session has exactly the presented pair and one successor');
    assert.equal(await count(first, 'select count(*) as n from weboffice_tokens where successor_id is not null and session_id = ?', [spent.session_id]), 1);
    assert.equal(await count(first, "select count(*) as n from usage_records where session_id = ? and operation = 'RefreshWebofficeToken'", [spent.session_id]), 1, 'the refresh is billed once');
    const session = (await sql<{ revoked_at_ms: number | null }>(first, 'select revoked_at_ms from weboffice_sessions where id = ?', [spent.session_id]))[0];
    assert.equal(session.revoked_at_ms, null);

    // The successor refreshes normally on either server.
    const next = await clients[(round + 1) % 2].attempt<Pair>('RefreshWebofficeToken', { ProjectName: PROJECT, AccessToken: successor.AccessToken, RefreshToken: successor.RefreshToken });
    assert.ok(next.ok, JSON.stringify(next));
  }

  // Both processes did the work and logged no unexpected failure (stderr arrives through a pipe: let it drain).
  const refreshedEvents = () => (first.stderr() + second.stderr()).match(/"event":"token\.refreshed"/g) ?? [];
  for (let i = 0; i < 30 && refreshedEvents().length < ROUNDS * 2; i++) await sleep(100);
  for (const server of [first, second]) {
    assert.match(server.stderr(), /"action":"RefreshWebofficeToken"/);
    assert.doesNotMatch(server.stderr(), /unexpected failure|"level":50/);
  }
  assert.equal(refreshedEvents().length, ROUNDS * 2, 'one real refresh per round, plus the successor refresh');
});
