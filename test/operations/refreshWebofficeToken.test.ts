/**
 * RefreshWebofficeToken over HTTP through pop-core: rotation, the retry window, reuse revocation, expiry, the
 * previous token's grace, precedence, and billing records. One server with small TTLs for the timed rules and
 * one with the default windows on the same data, for everything that must not depend on timing.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createAccount, runCli, startServer, type TestServer } from '../helpers/server.js';
import { expectFailure, expectOk, popClient, type PopClient } from '../helpers/popClient.js';
import { openDocument } from '../helpers/documentApi.js';
import { callsOf, createBucket, isoToNanos, NANOS_PER_SECOND, count, sql, sleep, usage, writeObject } from '../helpers/serverData.js';

const BUCKET = 'refresh-bucket';
/** Milliseconds of the retry window and of the previous token's grace on the timed server. */
const WINDOW_MS = 3000;
const GRACE_MS = 3000;
/** Seconds: access 4, refresh 8, retry window 3, grace 3 (wide enough for a loaded CI machine). */
const TIMED = { IMM_ACCESS_TOKEN_TTL: '4', IMM_REFRESH_TOKEN_TTL: '8', IMM_REFRESH_RETRY_WINDOW: String(WINDOW_MS / 1000), IMM_PREVIOUS_TOKEN_GRACE: String(GRACE_MS / 1000) };

let plain: TestServer; // default TTLs and windows
let timed: TestServer; // TIMED, same data directory
let client: PopClient;
let timedClient: PopClient;
let docx: string;
/** Every token handed out in this file, to check that no log line holds one. */
const issued = new Set<string>();

type Pair = Record<string, string>;

before(async () => {
  plain = await startServer();
  timed = await startServer({ IMM_DATA_DIR: plain.dataDir, ...TIMED });
  client = popClient(plain, plain.root);
  timedClient = popClient(timed, timed.root);
  await createBucket(plain, plain.root.AccountId, BUCKET);
  docx = writeObject(plain, BUCKET, 'report.docx');
  for (const name of ['rotate', 'billing', 'timed', 'precedence', 'precedence-other', 'usage-records', 'usage-since']) {
    await client.call('CreateProject', { ProjectName: name });
  }
});

after(async () => {
  await timed?.stop();
  await plain?.stop();
});

function remember<T extends Pair>(pair: T): T {
  if (pair.AccessToken) issued.add(pair.AccessToken);
  if (pair.RefreshToken) issued.add(pair.RefreshToken);
  return pair;
}

/** The WebofficeURL of `docx`, the one document of this file (every Generate names the same file id). */
let docxUrl = '';

async function generate(c: PopClient, project: string, extra: Record<string, unknown> = {}): Promise<Pair> {
  const pair = remember(await c.call<Pair>('GenerateWebofficeToken', { ProjectName: project, SourceURI: docx, ...extra }));
  docxUrl = pair.WebofficeURL;
  return pair;
}

async function refresh(c: PopClient, project: string, pair: Pair, method: 'GET' | 'POST' = 'POST') {
  const result = await c.attempt<Pair>('RefreshWebofficeToken', { ProjectName: project, AccessToken: pair.AccessToken, RefreshToken: pair.RefreshToken }, method);
  if (result.ok) remember(result.body);
  return result;
}

const tokensOf = (pair: Pair) => ({
  AccessToken: pair.AccessToken,
  AccessTokenExpiredTime: pair.AccessTokenExpiredTime,
  RefreshToken: pair.RefreshToken,
  RefreshTokenExpiredTime: pair.RefreshTokenExpiredTime,
});
const msOf = (iso: string) => Number(isoToNanos(iso) / 1_000_000n);
/** Sleeps until `ms` (wall clock) has passed. */
const sleepUntil = (ms: number) => sleep(Math.max(0, ms - Date.now()));
/** What the document API answers the access token: `OK`, or the error's Code (always with 401). */
async function documentAnswer(server: TestServer, accessToken: string): Promise<string> {
  const { status, body } = await openDocument(server, docxUrl, accessToken);
  if (status === 200) return 'OK';
  assert.equal(status, 401, JSON.stringify(body));
  return body.Code;
}

describe('rotation', () => {
  test('refresh returns a fresh pair with fresh 30 min / 1 day expiries and no other fields', async () => {
    const first = await generate(client, 'rotate');
    await sleep(20);
    const t0 = Date.now();
    const next = expectOk(await refresh(client, 'rotate', first));
    const t1 = Date.now();
    assert.deepEqual(Object.keys(next).sort(), ['AccessToken', 'AccessTokenExpiredTime', 'RefreshToken', 'RefreshTokenExpiredTime', 'RequestId']);
    assert.match(next.AccessToken, /^[0-9a-f]{32}$/);
    assert.match(next.RefreshToken, /^[0-9a-f]{32}$/);
    assert.equal(new Set([first.AccessToken, first.RefreshToken, next.AccessToken, next.RefreshToken]).size, 4);
    assert.ok(isoToNanos(next.AccessTokenExpiredTime) > isoToNanos(first.AccessTokenExpiredTime));
    assert.ok(isoToNanos(next.RefreshTokenExpiredTime) > isoToNanos(first.RefreshTokenExpiredTime));
    assert.equal(isoToNanos(next.RefreshTokenExpiredTime) - isoToNanos(next.AccessTokenExpiredTime), 84_600n * NANOS_PER_SECOND);
    const accessMs = msOf(next.AccessTokenExpiredTime);
    assert.ok(accessMs >= t0 + 1_800_000 - 3000 && accessMs <= t1 + 1_800_000 + 3000);
    // The new pair refreshes in turn.
    expectOk(await refresh(client, 'rotate', next));
  });

  test('a retry within the window returns the same pair (POST or GET) and is not billed again', async () => {
    const first = await generate(client, 'billing');
    const next = expectOk(await refresh(client, 'billing', first));
    const retryPost = expectOk(await refresh(client, 'billing', first));
    const retryGet = expectOk(await refresh(client, 'billing', first, 'GET'));
    assert.deepEqual(tokensOf(retryPost), tokensOf(next));
    assert.deepEqual(tokensOf(retryGet), tokensOf(next));
    assert.notEqual(retryPost.RequestId, next.RequestId);
    let rows = await usage(plain, ['--project', 'billing']);
    assert.equal(callsOf(rows, 'billing', 'GenerateWebofficeToken'), 1);
    assert.equal(callsOf(rows, 'billing', 'RefreshWebofficeToken'), 1);
    // The successor is still good; refreshing it is billed. Failed refreshes are not.
    expectOk(await refresh(client, 'billing', next));
    expectFailure(await refresh(client, 'billing', { AccessToken: 'a'.repeat(32), RefreshToken: 'b'.repeat(32) }), 'InvalidToken', 400);
    expectFailure(await refresh(client, 'billing', { AccessToken: first.AccessToken, RefreshToken: next.RefreshToken }), 'InvalidToken', 400);
    rows = await usage(plain, ['--project', 'billing']);
    assert.equal(callsOf(rows, 'billing', 'RefreshWebofficeToken'), 2);
    assert.equal(callsOf(rows, 'billing', 'GenerateWebofficeToken'), 1);
  });
});

describe('timed rules', { concurrency: true }, () => {
  test('reuse after the window is TokenRevoked and revokes the successor too; after the refresh expiry it is still TokenRevoked', async () => {
    const first = await generate(timedClient, 'timed');
    const next = expectOk(await refresh(timedClient, 'timed', first));
    const spentAt = Date.now();
    assert.deepEqual(tokensOf(expectOk(await refresh(timedClient, 'timed', first))), tokensOf(next), 'a retry within the window');
    await sleepUntil(spentAt + WINDOW_MS + 400);
    expectFailure(await refresh(timedClient, 'timed', first), 'TokenRevoked', 400);
    expectFailure(await refresh(timedClient, 'timed', next), 'TokenRevoked', 400);
    assert.equal(await documentAnswer(timed, next.AccessToken), 'TokenRevoked', 'the successor access token is revoked at once');
    assert.equal(await documentAnswer(timed, first.AccessToken), 'TokenRevoked');
    // Precedence: a revoked session stays TokenRevoked after its refresh token expired (not TokenExpired).
    await sleepUntil(msOf(first.RefreshTokenExpiredTime) + 300);
    expectFailure(await refresh(timedClient, 'timed', first), 'TokenRevoked', 400);
    expectFailure(await refresh(timedClient, 'timed', next), 'TokenRevoked', 400);
  });

  test('refresh works after the access token expired; TokenExpired once the refresh token expired', async () => {
    const a = await generate(timedClient, 'timed');
    const b = await generate(timedClient, 'timed');
    assert.equal(await documentAnswer(timed, a.AccessToken), 'OK');
    await sleepUntil(msOf(a.AccessTokenExpiredTime) + 300);
    assert.equal(await documentAnswer(timed, a.AccessToken), 'TokenExpired', 'the access token expired');
    const next = expectOk(await refresh(timedClient, 'timed', a));
    assert.equal(await documentAnswer(timed, next.AccessToken), 'OK');
    await sleepUntil(msOf(b.RefreshTokenExpiredTime) + 300);
    expectFailure(await refresh(timedClient, 'timed', b), 'TokenExpired', 400, /RefreshToken has expired/);
    // Precedence: an expired pair presented for another project, or mismatched, is InvalidToken.
    expectFailure(await refresh(timedClient, 'precedence-other', b), 'InvalidToken', 400);
    expectFailure(await refresh(timedClient, 'timed', { AccessToken: a.AccessToken, RefreshToken: b.RefreshToken }), 'InvalidToken', 400);
    // TokenExpired does not revoke: still TokenExpired, not TokenRevoked.
    expectFailure(await refresh(timedClient, 'timed', b), 'TokenExpired', 400);
  });

  test('a spent pair presented after its refresh expiry is TokenExpired, not a reuse: the session lives on', async () => {
    const first = await generate(timedClient, 'timed');
    await sleepUntil(msOf(first.AccessTokenExpiredTime) + 300); // ~4.3 s: the successor will outlive the first pair
    const next = expectOk(await refresh(timedClient, 'timed', first));
    await sleepUntil(msOf(first.RefreshTokenExpiredTime) + 300);
    assert.ok(Date.now() < msOf(next.RefreshTokenExpiredTime) - 500, 'the test needs the successor unexpired');
    expectFailure(await refresh(timedClient, 'timed', first), 'TokenExpired', 400);
    expectOk(await refresh(timedClient, 'timed', next));
  });

  test('the previous access token works during the grace after a refresh, and stops after it', async () => {
    const first = await generate(timedClient, 'timed');
    const next = expectOk(await refresh(timedClient, 'timed', first));
    const refreshedAt = Date.now();
    assert.equal(await documentAnswer(timed, first.AccessToken), 'OK', 'within the grace');
    assert.equal(await documentAnswer(timed, next.AccessToken), 'OK');
    const session = await openDocument(timed, docxUrl, first.AccessToken);
    assert.ok(Date.parse(session.body.AccessTokenExpiredTime) <= refreshedAt + GRACE_MS + 50, 'valid until the refresh + grace');
    await sleepUntil(refreshedAt + GRACE_MS + 400);
    // TokenRevoked when the grace ended first; TokenExpired when its own 4 s ran out first (a slow refresh).
    assert.match(await documentAnswer(timed, first.AccessToken), /^(TokenRevoked|TokenExpired)$/, 'replaced, and the grace is over');
    assert.equal(await documentAnswer(timed, next.AccessToken), 'OK');
  });
});

describe('precedence', () => {
  test('InvalidArgument (missing or empty parameter) comes before ResourceNotFound', async () => {
    const cases: [Record<string, string>, string][] = [
      [{ AccessToken: 'x', RefreshToken: 'y' }, 'ProjectName'],
      [{ ProjectName: 'no-such-project', RefreshToken: 'y' }, 'AccessToken'],
      [{ ProjectName: 'no-such-project', AccessToken: '', RefreshToken: 'y' }, 'AccessToken'],
      [{ ProjectName: 'no-such-project', AccessToken: 'x' }, 'RefreshToken'],
      [{ ProjectName: 'no-such-project', AccessToken: 'x', RefreshToken: '' }, 'RefreshToken'],
    ];
    for (const [params, name] of cases) {
      expectFailure(await client.attempt('RefreshWebofficeToken', params), 'InvalidArgument', 400, `The parameter ${name} is required but not provided.`);
    }
    expectFailure(
      await client.attempt('RefreshWebofficeToken', { ProjectName: 'no-such-project', AccessToken: 'x', RefreshToken: 'y', CredentialConfig: '{"Chain":"no"}' }),
      'InvalidArgument',
      400,
      /CredentialConfig\.Chain/,
    );
  });

  test('ResourceNotFound (project) comes before InvalidToken, even for a real pair', async () => {
    const pair = await generate(client, 'precedence');
    expectFailure(await refresh(client, 'no-such-project', { AccessToken: 'x', RefreshToken: 'y' }), 'ResourceNotFound', 404);
    expectFailure(await refresh(client, 'no-such-project', pair), 'ResourceNotFound', 404);
    // Nothing was spent: the pair still refreshes for its own project.
    expectOk(await refresh(client, 'precedence', pair));
  });

  test('InvalidToken (unknown, mismatched, other project) comes before TokenRevoked and revokes nothing', async () => {
    const a = await generate(client, 'precedence');
    const b = await generate(client, 'precedence');
    // Mismatched pairs and pairs of another project do not revoke anything.
    expectFailure(await refresh(client, 'precedence', { AccessToken: b.AccessToken, RefreshToken: a.RefreshToken }), 'InvalidToken', 400);
    expectFailure(await refresh(client, 'precedence-other', a), 'InvalidToken', 400);
    expectFailure(await refresh(client, 'precedence', { AccessToken: a.AccessToken, RefreshToken: 'c'.repeat(32) }), 'InvalidToken', 400);
    const aNext = expectOk(await refresh(client, 'precedence', a));
    // Revoke b's session by reusing its spent pair after its successor was refreshed.
    const bNext = expectOk(await refresh(client, 'precedence', b));
    expectOk(await refresh(client, 'precedence', bNext));
    expectFailure(await refresh(client, 'precedence', b), 'TokenRevoked', 400);
    expectFailure(await refresh(client, 'precedence', bNext), 'TokenRevoked', 400);
    // On the revoked session, a mismatched pair or another project is still InvalidToken.
    expectFailure(await refresh(client, 'precedence', { AccessToken: bNext.AccessToken, RefreshToken: b.RefreshToken }), 'InvalidToken', 400);
    expectFailure(await refresh(client, 'precedence-other', b), 'InvalidToken', 400);
    // …and an unknown project is still ResourceNotFound, a missing parameter still InvalidArgument.
    expectFailure(await refresh(client, 'no-such-project', b), 'ResourceNotFound', 404);
    expectFailure(await client.attempt('RefreshWebofficeToken', { ProjectName: 'no-such-project', AccessToken: b.AccessToken }), 'InvalidArgument', 400);
    // a's session was never touched.
    expectOk(await refresh(client, 'precedence', aNext));
  });
});

describe('usage', () => {
  let other: { AccountId: string; AccessKeyId: string; AccessKeySecret: string };

  test('failed Generate calls are not billed', async () => {
    const billed = () => count(plain, "select count(*) as n from usage_records where project_name = 'billing'");
    const before = await billed();
    expectFailure(await client.attempt('GenerateWebofficeToken', { ProjectName: 'billing', SourceURI: `oss://${BUCKET}/absent.docx` }), 'ResourceNotFound', 404);
    expectFailure(await client.attempt('GenerateWebofficeToken', { ProjectName: 'billing', SourceURI: docx, UserData: 'x'.repeat(3000) }), 'InvalidArgument', 400);
    assert.equal(await billed(), before);
  });

  test('every successful Generate and Refresh writes a record with readonly, cache preview, user id and session', async () => {
    const reader = await generate(client, 'usage-records', { Permission: { Readonly: true }, CachePreview: true, User: { Id: 'reader1' } });
    const readerNext = expectOk(await refresh(client, 'usage-records', reader));
    expectOk(await refresh(client, 'usage-records', reader)); // a retry: no record
    expectFailure(await refresh(client, 'usage-records', { AccessToken: reader.AccessToken, RefreshToken: 'd'.repeat(32) }), 'InvalidToken', 400);
    const editor = await generate(client, 'usage-records', { User: { Id: 'editor7' } });
    expectOk(await refresh(client, 'usage-records', editor));
    expectOk(await refresh(client, 'usage-records', readerNext));

    // Ordered by the nanosecond time of each call (the calls above run one after the other).
    const rows = (await sql(plain, "select * from usage_records where project_name = 'usage-records' order by at")) as { account_id: string; project_id: string; operation: string; at: string; at_ms: number; readonly: number; cache_preview: number; user_id: string; session_id: string }[];
    assert.equal(rows.length, 5);
    const pick = (r: (typeof rows)[number]) => [r.operation, r.readonly, r.cache_preview, r.user_id];
    assert.deepEqual(rows.map(pick), [
      ['GenerateWebofficeToken', 1, 1, 'reader1'],
      ['RefreshWebofficeToken', 1, 1, 'reader1'],
      ['GenerateWebofficeToken', 0, 0, 'editor7'],
      ['RefreshWebofficeToken', 0, 0, 'editor7'],
      ['RefreshWebofficeToken', 1, 1, 'reader1'],
    ]);
    for (const r of rows) {
      assert.equal(r.account_id, plain.root.AccountId);
      assert.match(r.at, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{9}Z$/);
      assert.equal(Number(isoToNanos(r.at) / 1_000_000n), r.at_ms);
    }
    const sessions = rows.map((r) => r.session_id);
    assert.equal(sessions[0], sessions[1]);
    assert.equal(sessions[0], sessions[4]);
    assert.equal(sessions[2], sessions[3]);
    assert.notEqual(sessions[0], sessions[2]);
    const sessionIds = await sql<{ id: string }>(plain, 'select id from weboffice_sessions');
    assert.ok(sessionIds.some((s) => s.id === sessions[0]), 'the record names the real session');
  });

  test('usage --json totals by project and operation; --project and --account filter', async () => {
    other = await createAccount(plain.env);
    const otherClient = popClient(plain, other);
    // Same project name, another account.
    await Promise.all([otherClient.call('CreateProject', { ProjectName: 'usage-records' }), createBucket(plain, other.AccountId, 'refresh-other-bucket')]);
    const otherDoc = writeObject(plain, 'refresh-other-bucket', 'x.docx');
    remember(await otherClient.call<Pair>('GenerateWebofficeToken', { ProjectName: 'usage-records', SourceURI: otherDoc }));

    const [mine, theirs, byProject, all] = await Promise.all([
      usage(plain, ['--project', 'usage-records', '--account', plain.root.AccountId]),
      usage(plain, ['--account', other.AccountId]),
      usage(plain, ['--project', 'usage-records']),
      usage(plain),
    ]);
    assert.deepEqual(mine, [
      { AccountId: plain.root.AccountId, ProjectName: 'usage-records', Operation: 'GenerateWebofficeToken', Calls: 2 },
      { AccountId: plain.root.AccountId, ProjectName: 'usage-records', Operation: 'RefreshWebofficeToken', Calls: 3 },
    ]);
    assert.deepEqual(theirs, [{ AccountId: other.AccountId, ProjectName: 'usage-records', Operation: 'GenerateWebofficeToken', Calls: 1 }]);
    assert.equal(byProject.length, 3);
    assert.ok(byProject.every((r) => r.ProjectName === 'usage-records'));
    assert.ok(all.some((r) => r.ProjectName === 'billing') && all.some((r) => r.ProjectName === 'timed'));
  });

  test('usage --since TIME (ISO 8601) counts only calls at or after it', async () => {
    await generate(client, 'usage-since');
    await sleep(50);
    const since = new Date().toISOString();
    await sleep(50);
    const pair = await generate(client, 'usage-since');
    expectOk(await refresh(client, 'usage-since', pair));
    const [recent, everything, future] = await Promise.all([
      usage(plain, ['--project', 'usage-since', '--since', since]),
      usage(plain, ['--project', 'usage-since']),
      usage(plain, ['--project', 'usage-since', '--since', new Date(Date.now() + 60_000).toISOString()]),
    ]);
    assert.deepEqual(
      recent.map((r) => [r.Operation, r.Calls]),
      [
        ['GenerateWebofficeToken', 1],
        ['RefreshWebofficeToken', 1],
      ],
    );
    assert.equal(callsOf(everything, 'usage-since', 'GenerateWebofficeToken'), 2);
    assert.deepEqual(future, []);
    await assert.rejects(runCli(plain.env, ['usage', '--json', '--since', 'yesterday-ish']), (err: { code?: number; stderr?: string }) => {
      assert.equal(err.code, 1);
      assert.match(err.stderr ?? '', /--since must be an ISO 8601 time/);
      return true;
    });
  });
});

test('no token appears in either server log', () => {
  assert.ok(issued.size > 40);
  const logs = plain.stdout() + plain.stderr() + timed.stdout() + timed.stderr();
  assert.match(logs, /token\.(refreshed|retried|issued|reuse_detected)/, 'token events are logged');
  for (const token of issued) assert.ok(!logs.includes(token), 'a token is in a log');
});
