/**
 * The token checks of the document API, through real servers, as a browser calls it (plain fetch, Bearer token,
 * holder id), with tokens from the official pop-core client: no or wrong token, expiry, the previous token's
 * grace, project deletion, reuse revocation, one holder per token (also across nodes), and 405 for a method
 * a known path does not serve.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { putDocument, startServer, type TestServer } from '../helpers/server.js';
import { expectOk, popClient, type PopClient } from '../helpers/popClient.js';
import { documentCall, fileIdOf, newHolder, type DocumentPath, type DocumentReply } from '../helpers/documentApi.js';
import { sleep } from '../helpers/serverData.js';

const PROJECT = 'checks';
const BUCKET = 'checks-bucket';
/** The grace node's IMM_PREVIOUS_TOKEN_GRACE, and the short node's IMM_ACCESS_TOKEN_TTL, in ms. */
const GRACE_MS = 1000;
const SHORT_TTL_MS = 2000;
const ROUTES: DocumentPath[] = ['/open', '', '/content', '/versions', '/export'];

let server: TestServer; // default settings
let graceNode: TestServer; // same data, IMM_PREVIOUS_TOKEN_GRACE=1: a second node too
let shortNode: TestServer; // same data, IMM_ACCESS_TOKEN_TTL=2
let client: PopClient;
let source = '';
let otherSource = '';

type Pair = Record<string, string>;

before(async () => {
  server = await startServer();
  [graceNode, shortNode] = await Promise.all([
    startServer({ IMM_DATA_DIR: server.dataDir, IMM_PREVIOUS_TOKEN_GRACE: String(GRACE_MS / 1000) }),
    startServer({ IMM_DATA_DIR: server.dataDir, IMM_ACCESS_TOKEN_TTL: String(SHORT_TTL_MS / 1000) }),
  ]);
  client = popClient(server, server.root);
  await client.call('CreateProject', { ProjectName: PROJECT });
  source = await putDocument(server, server.root.AccountId, BUCKET, 'notes.txt', 'some notes');
  otherSource = await putDocument(server, server.root.AccountId, BUCKET, 'other.txt', 'other notes');
});

after(async () => {
  await Promise.all([graceNode?.stop(), shortNode?.stop()]);
  await server?.stop();
});

const generate = (on: TestServer = server, project = PROJECT, uri = source): Promise<Pair> =>
  popClient(on, on.root).call<Pair>('GenerateWebofficeToken', { ProjectName: project, SourceURI: uri });
const refresh = (pair: Pair, on: TestServer = server, project = PROJECT) =>
  popClient(on, on.root).attempt<Pair>('RefreshWebofficeToken', { ProjectName: project, AccessToken: pair.AccessToken, RefreshToken: pair.RefreshToken });

/** Asserts a 401 of the document API with `code`, in the envelope, with the Bearer challenge. */
function assertUnauthorized(reply: DocumentReply, code: string, message?: RegExp): void {
  assert.equal(reply.status, 401, JSON.stringify(reply.body));
  assert.equal(reply.body.Code, code);
  assert.deepEqual(Object.keys(reply.body).sort(), ['Code', 'HostId', 'Message', 'Recommend', 'RequestId']);
  assert.match(reply.headers.get('www-authenticate') ?? '', /^Bearer realm="imm-weboffice"/);
  if (message) assert.match(reply.body.Message, message);
}

describe('no token, or not a token of this file', () => {
  test('a call without Authorization: Bearer is 401 InvalidToken saying the header is needed, on every route, even with the token in the URL', async () => {
    const pair = await generate();
    const file = fileIdOf(pair.WebofficeURL);
    for (const path of ROUTES) {
      assertUnauthorized(await documentCall(server, file, { path, holder: newHolder() }), 'InvalidToken', /Authorization: Bearer/);
    }
    for (const headers of <Record<string, string>[]>[{ authorization: `Basic ${pair.AccessToken}` }, { authorization: 'Bearer' }, { authorization: pair.AccessToken }, { 'x-weboffice-token': pair.AccessToken }]) {
      assertUnauthorized(await documentCall(server, file, { headers, holder: newHolder() }), 'InvalidToken', /Authorization: Bearer/);
    }
    const inUrl = await fetch(`${server.url}/office/api/v1/files/${file}?AccessToken=${pair.AccessToken}&access_token=${pair.AccessToken}`);
    assert.equal(inUrl.status, 401);
    assert.equal(((await inUrl.json()) as { Code: string }).Code, 'InvalidToken');
    // Control: the same token in the header is accepted.
    assert.equal((await documentCall(server, file, { token: pair.AccessToken, holder: newHolder(), path: '/open' })).status, 200);
  });

  test('an unknown token, and a token of another file, are 401 InvalidToken on every route', async () => {
    const pair = await generate();
    const other = await generate(server, PROJECT, otherSource);
    const file = fileIdOf(pair.WebofficeURL);
    assert.notEqual(fileIdOf(other.WebofficeURL), file);
    for (const path of ROUTES) {
      for (const token of ['0'.repeat(32), pair.RefreshToken, other.AccessToken, 'not-a-token']) {
        assertUnauthorized(await documentCall(server, file, { token, holder: newHolder(), path }), 'InvalidToken', /not valid for this document/);
      }
    }
    assert.equal((await documentCall(server, other.WebofficeURL, { token: other.AccessToken, holder: newHolder(), path: '/open' })).status, 200);
  });
});

describe('expiry, refresh and revocation', () => {
  test('an access token past its lifetime (IMM_ACCESS_TOKEN_TTL) is 401 TokenExpired on every route; its refreshed successor works', async () => {
    const pair = await generate(shortNode);
    const holder = newHolder();
    const opened = await documentCall(shortNode, pair.WebofficeURL, { token: pair.AccessToken, holder, path: '/open' });
    assert.equal(opened.status, 200);
    assert.equal(opened.body.AccessTokenExpiredTime, pair.AccessTokenExpiredTime, 'info shows the expiry Generate answered, to the nanosecond');
    await sleep(Date.parse(pair.AccessTokenExpiredTime) - Date.now() + 300);
    for (const path of ROUTES) {
      assertUnauthorized(await documentCall(shortNode, pair.WebofficeURL, { token: pair.AccessToken, holder, path }), 'TokenExpired', /access token has expired/);
    }
    const next = expectOk(await refresh(pair, shortNode));
    const info = await documentCall(shortNode, pair.WebofficeURL, { token: next.AccessToken, holder });
    assert.equal(info.status, 200, 'the same holder goes on with the refreshed token');
    assert.equal(info.body.AccessTokenExpiredTime, next.AccessTokenExpiredTime);
  });

  test('the previous access token works within IMM_PREVIOUS_TOKEN_GRACE after a refresh, then is 401 TokenRevoked; the new one works', async () => {
    const pair = await generate(graceNode);
    const holder = newHolder();
    assert.equal((await documentCall(graceNode, pair.WebofficeURL, { token: pair.AccessToken, holder, path: '/open' })).status, 200);
    const next = expectOk(await refresh(pair, graceNode));
    const refreshedAt = Date.now();
    const within = await documentCall(graceNode, pair.WebofficeURL, { token: pair.AccessToken, holder });
    if (Date.now() < refreshedAt + GRACE_MS) assert.equal(within.status, 200, 'within the grace');
    await sleep(refreshedAt + GRACE_MS + 300 - Date.now());
    for (const path of ROUTES) {
      assertUnauthorized(await documentCall(graceNode, pair.WebofficeURL, { token: pair.AccessToken, holder, path }), 'TokenRevoked', /replaced by a refresh/);
    }
    assert.equal((await documentCall(graceNode, pair.WebofficeURL, { token: next.AccessToken, holder })).status, 200);
  });

  test('deleting the project shuts the open session out: its next call is 401 TokenRevoked, and a project created again under the name does not revive it', async () => {
    await client.call('CreateProject', { ProjectName: 'doomed' });
    const pair = await generate(server, 'doomed');
    const holder = newHolder();
    assert.equal((await documentCall(server, pair.WebofficeURL, { token: pair.AccessToken, holder, path: '/open' })).status, 200);
    assert.equal((await documentCall(server, pair.WebofficeURL, { token: pair.AccessToken, holder, path: '/content' })).status, 200);
    await client.call('DeleteProject', { ProjectName: 'doomed' });
    for (const path of ROUTES) {
      assertUnauthorized(await documentCall(server, pair.WebofficeURL, { token: pair.AccessToken, holder, path }), 'TokenRevoked', /revoked/);
    }
    await client.call('CreateProject', { ProjectName: 'doomed' });
    assertUnauthorized(await documentCall(server, pair.WebofficeURL, { token: pair.AccessToken, holder }), 'TokenRevoked');
  });

  test('a session revoked for a reused refresh token is 401 TokenRevoked, for its newest access token too', async () => {
    const pair = await generate(graceNode);
    const next = expectOk(await refresh(pair, graceNode));
    // Once its successor is spent, the first pair presented again is a reuse (not a retry), whatever the window.
    expectOk(await refresh(next, graceNode));
    const reused = await refresh(pair, graceNode);
    assert.ok(!reused.ok && reused.code === 'TokenRevoked', JSON.stringify(reused));
    assertUnauthorized(await documentCall(graceNode, pair.WebofficeURL, { token: next.AccessToken, holder: newHolder(), path: '/open' }), 'TokenRevoked');
  });
});

describe('one holder per token', () => {
  test('a second holder of the same token supersedes the first: 401 TokenSuperseded on its every call, the second works; opening again takes it back', async () => {
    const pair = await generate();
    const [first, second] = [newHolder(), newHolder()];
    const call = (holder: string, path: DocumentPath = '') => documentCall(server, pair.WebofficeURL, { token: pair.AccessToken, holder, path });
    assert.equal((await call(first, '/open')).status, 200);
    assert.equal((await call(first)).status, 200);
    assert.equal((await call(second, '/open')).status, 200);
    for (const path of ROUTES.filter((p) => p !== '/open')) {
      assertUnauthorized(await call(first, path), 'TokenSuperseded', /opened elsewhere with the same access token/);
      assert.notEqual((await call(second, path)).status, 401, `the second holder is not refused on ${path || 'info'}`);
    }
    // The last to open wins, whoever it is.
    assert.equal((await call(first, '/open')).status, 200);
    assertUnauthorized(await call(second), 'TokenSuperseded');
    assert.equal((await call(first)).status, 200);
  });

  test('holders live in the database: opening on another node supersedes the holder on this one, and the token checks come first', async () => {
    const pair = await generate(server);
    const [here, there] = [newHolder(), newHolder()];
    assert.equal((await documentCall(server, pair.WebofficeURL, { token: pair.AccessToken, holder: here, path: '/open' })).status, 200);
    assert.equal((await documentCall(graceNode, pair.WebofficeURL, { token: pair.AccessToken, holder: there, path: '/open' })).status, 200);
    assertUnauthorized(await documentCall(server, pair.WebofficeURL, { token: pair.AccessToken, holder: here }), 'TokenSuperseded');
    assert.equal((await documentCall(server, pair.WebofficeURL, { token: pair.AccessToken, holder: there })).status, 200);
    // A superseded holder with a wrong token hears of the token, not of the holder.
    assertUnauthorized(await documentCall(server, pair.WebofficeURL, { token: '1'.repeat(32), holder: here }), 'InvalidToken');
  });

  test('a call without a well-formed X-Weboffice-Holder is 400 InvalidArgument naming the header; a first call without open makes its caller the holder', async () => {
    const pair = await generate();
    for (const holder of [undefined, '', 'short', 'G'.repeat(32)]) {
      const reply = await documentCall(server, pair.WebofficeURL, { token: pair.AccessToken, holder, path: '/open' });
      assert.equal(reply.status, 400, JSON.stringify(reply.body));
      assert.equal(reply.body.Code, 'InvalidArgument');
      assert.match(reply.body.Message, /X-Weboffice-Holder/);
    }
    const [first, second] = [newHolder(), newHolder()];
    assert.equal((await documentCall(server, pair.WebofficeURL, { token: pair.AccessToken, holder: first })).status, 200);
    assertUnauthorized(await documentCall(server, pair.WebofficeURL, { token: pair.AccessToken, holder: second }), 'TokenSuperseded');
  });
});

describe('methods and metrics', () => {
  test('a method a known path does not serve is 405 MethodNotAllowed with Allow, never 404', async () => {
    const file = 'a'.repeat(40);
    const cases: [string, string, string][] = [
      ['POST', `/office/api/v1/files/${file}`, 'GET, HEAD'],
      ['GET', `/office/api/v1/files/${file}/open`, 'POST'],
      ['POST', `/office/api/v1/files/${file}/content`, 'GET, HEAD, PUT'],
      ['DELETE', `/office/api/v1/files/${file}/versions`, 'GET, HEAD'],
      ['POST', `/office/api/v1/files/${file}/export`, 'GET, HEAD'],
      ['POST', `/office/w/${file}`, 'GET, HEAD'],
      ['POST', '/office/assets/page.js', 'GET, HEAD'],
      ['PATCH', '/sdk/aliyun-web-office-sdk.min.js', 'GET, HEAD'],
      ['PUT', '/', 'GET, HEAD, POST'],
      ['POST', '/health', 'GET, HEAD'],
      ['POST', '/ready', 'GET, HEAD'],
      ['DELETE', '/metrics', 'GET, HEAD'],
      ['OPTIONS', '/health', 'GET, HEAD'],
    ];
    for (const [method, path, allow] of cases) {
      const response = await fetch(`${server.url}${path}`, { method });
      const body = (await response.json()) as Record<string, string>;
      assert.equal(response.status, 405, `${method} ${path}: ${JSON.stringify(body)}`);
      assert.equal(body.Code, 'MethodNotAllowed');
      assert.equal(response.headers.get('allow'), allow, `${method} ${path}`);
      assert.ok(body.Message.includes(method) && body.Message.includes(allow), body.Message);
    }
    // Control: an unknown path is still 404.
    assert.equal((await fetch(`${server.url}/office/api/v2/files/${file}`)).status, 404);
  });

  test('document-API requests count in the metrics under their route path, never their file id', async () => {
    const pair = await generate();
    await documentCall(server, pair.WebofficeURL, { token: pair.AccessToken, holder: newHolder(), path: '/open' });
    await documentCall(server, pair.WebofficeURL, { path: '/content' });
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    assert.match(metrics, /^imm_requests_total\{action="\/office\/api\/v1\/files\/:fileId\/open",code="OK"\} [1-9]/m);
    assert.match(metrics, /^imm_requests_total\{action="\/office\/api\/v1\/files\/:fileId\/content",code="InvalidToken"\} [1-9]/m);
    assert.ok(!metrics.includes(fileIdOf(pair.WebofficeURL)), 'no file id in a label');
  });
});
