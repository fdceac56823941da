/**
 * No token, AccessKey secret or request signature ever reaches the server's output, even at debug level and
 * even though the SDKs put AccessToken/RefreshToken (and pop-core GET the Signature) in the query string;
 * and none of them is stored in plaintext in the database file.
 */
import { databaseBytes } from '../helpers/serverData.js';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { createAccount, putDocument, startServer, type RootCredentials, type TestServer } from '../helpers/server.js';
import { createClient, describeError, type OfficialClient } from '../helpers/clients.js';
import { acs3RawRequest, rpcRawRequest, send, signedRpcParams, type RawRequest } from '../helpers/signedHttp.js';
import { percentEncode } from '../../src/api/signature.js';
import { documentCall, fileIdOf, newHolder } from '../helpers/documentApi.js';

let server: TestServer;
let other: RootCredentials;
let exitCode: number | null;
/** Every token the server issued during the flow. */
const tokens = new Set<string>();
/** Every signature value sent (RPC `Signature` params, ACS3 `Authorization` signatures). */
const signatures = new Set<string>();
/** The page's holder id, sent with every document-API call (kept only hashed). */
const holder = newHolder();
let projectName = '';

/** Sends a hand-signed request and remembers its signature value. */
async function sendSigned(request: RawRequest, signature: string) {
  signatures.add(signature);
  return send(server, request);
}

function acs3SignatureOf(request: RawRequest): string {
  const match = /Signature=([0-9a-f]+)$/.exec(request.headers?.authorization ?? '');
  assert.ok(match, 'an ACS3 Authorization header');
  return match[1];
}

function remember(body: Record<string, any>): { AccessToken: string; RefreshToken: string } {
  assert.match(body.AccessToken, /^[0-9a-f]{32}$/);
  assert.match(body.RefreshToken, /^[0-9a-f]{32}$/);
  tokens.add(body.AccessToken);
  tokens.add(body.RefreshToken);
  return { AccessToken: body.AccessToken, RefreshToken: body.RefreshToken };
}

async function expectCode(client: OfficialClient, action: string, params: Record<string, unknown>, code: string): Promise<void> {
  await assert.rejects(client.call(action, params), (err) => {
    assert.equal(describeError(client.family, err).code, code);
    return true;
  });
}

before(async () => {
  server = await startServer({ IMM_LOG_LEVEL: 'debug' });
  other = await createAccount(server.env);
  const root = server.root;
  projectName = `secrecy_${Math.random().toString(36).slice(2, 8)}`;
  const source = await putDocument(server, root.AccountId, `secrecy-${process.pid}`, 'memo.docx');
  // pop-core GET: every parameter, tokens and Signature included, is in the URL.
  const popGet = createClient('pop-core GET', server, root);
  const acs3 = createClient('openapi-client ACS3-HMAC-SHA256 query', server, root);
  const core = createClient('openapi-core ACS3-HMAC-SHA256 query', server, root);
  const v2 = createClient("openapi-client 'v2' query", server, root);

  await popGet.call('CreateProject', { ProjectName: projectName });
  // History granted: the versions listing needs it, and every document-API call below must succeed.
  const first = await popGet.call('GenerateWebofficeToken', { ProjectName: projectName, SourceURI: source, User: JSON.stringify({ Id: 'u1', Name: 'Ann' }), Permission: JSON.stringify({ History: true }) });
  const pair0 = remember(first);
  const webofficeUrl = String(first.WebofficeURL);
  const pair1 = remember(await acs3.call('RefreshWebofficeToken', { ProjectName: projectName, ...pair0 }));
  // A retry of the same pair (lost response) returns the same successor.
  const retried = remember(await popGet.call('RefreshWebofficeToken', { ProjectName: projectName, ...pair0 }));
  assert.deepEqual(retried, pair1, 'the retry path ran');
  const pair2 = remember(await core.call('RefreshWebofficeToken', { ProjectName: projectName, ...pair1 }));

  // Errors with tokens in the query string.
  await expectCode(v2, 'RefreshWebofficeToken', { ProjectName: projectName, AccessToken: pair2.AccessToken, RefreshToken: pair0.RefreshToken }, 'InvalidToken');
  await expectCode(popGet, 'RefreshWebofficeToken', { ProjectName: `${projectName}_gone`, ...pair2 }, 'ResourceNotFound');
  await expectCode(createClient('pop-core GET', server, { ...root, AccessKeySecret: `${root.AccessKeySecret}0` }), 'RefreshWebofficeToken', { ProjectName: projectName, ...pair2 }, 'SignatureDoesNotMatch');
  await expectCode(createClient('openapi-client ACS3-HMAC-SHA256 query', server, other), 'RefreshWebofficeToken', { ProjectName: projectName, ...pair2 }, 'ResourceNotFound');

  // Hand-signed requests whose signature values we know.
  const rpcParams = signedRpcParams(root, { ProjectName: projectName, ...pair2 }, { action: 'NoSuchAction', method: 'GET' });
  const unknownAction = rpcRawRequest(root, { ProjectName: projectName, ...pair2 }, { action: 'NoSuchAction', method: 'GET', nonce: rpcParams.SignatureNonce, timestamp: rpcParams.Timestamp });
  assert.equal((await sendSigned(unknownAction, rpcParams.Signature)).json?.Code, 'InvalidAction.NotFound');
  const badAcs3 = acs3RawRequest(server, root, { ProjectName: projectName, ...pair2 }, { action: 'RefreshWebofficeToken', secret: 'not-the-secret' });
  assert.equal((await sendSigned(badAcs3, acs3SignatureOf(badAcs3))).json?.Code, 'SignatureDoesNotMatch');
  const goodAcs3 = acs3RawRequest(server, other, {}, { action: 'ListProjects' });
  assert.equal((await sendSigned(goodAcs3, acs3SignatureOf(goodAcs3))).status, 200);
  const generateAcs3 = acs3RawRequest(server, root, { ProjectName: projectName, SourceURI: source }, { action: 'GenerateWebofficeToken', algorithm: 'ACS3-HMAC-SM3' });
  const generated = await sendSigned(generateAcs3, acs3SignatureOf(generateAcs3));
  assert.equal(generated.status, 200, generated.text);
  const pair3 = remember(generated.json!);
  const refreshParams = signedRpcParams(root, { ProjectName: projectName, ...pair3 }, { action: 'RefreshWebofficeToken' });
  const refreshRpc = rpcRawRequest(root, { ProjectName: projectName, ...pair3 }, { action: 'RefreshWebofficeToken', nonce: refreshParams.SignatureNonce, timestamp: refreshParams.Timestamp });
  const refreshed = await sendSigned(refreshRpc, refreshParams.Signature);
  assert.equal(refreshed.status, 200, refreshed.text);
  remember(refreshed.json!);

  // Tokens in URLs of other routes; the document API as the page calls it (token in Authorization, holder id in
  // X-Weboffice-Holder), and a token in its URL (never accepted, never logged).
  assert.equal((await send(server, { method: 'GET', path: `/nope?AccessToken=${pair2.AccessToken}&RefreshToken=${pair2.RefreshToken}` })).status, 404);
  assert.equal((await send(server, { method: 'GET', path: `/%ZZ?AccessToken=${pair2.AccessToken}` })).status, 400);
  for (const path of ['/open', '', '/content', '/versions'] as const) {
    const reply = await documentCall(server, webofficeUrl, { token: pair2.AccessToken, holder, path });
    assert.equal(reply.status, 200, `${path}: ${JSON.stringify(reply.body)}`);
  }
  assert.equal((await documentCall(server, webofficeUrl, { token: pair2.AccessToken, holder, path: '/export' })).body.Code, 'PermissionDenied');
  assert.equal((await send(server, { method: 'GET', path: `/office/api/v1/files/${fileIdOf(webofficeUrl)}?AccessToken=${pair2.AccessToken}` })).status, 401);

  // Last, as it revokes the session: a spent refresh token presented again (reuse, not a retry).
  await expectCode(acs3, 'RefreshWebofficeToken', { ProjectName: projectName, ...pair0 }, 'TokenRevoked');
  assert.equal((await documentCall(server, webofficeUrl, { token: pair2.AccessToken, holder })).body.Code, 'TokenRevoked');

  exitCode = await server.stop();
});

after(async () => {
  await server?.stop();
});

/** The ways a secret could be written: as is, and percent-encoded (as in a logged URL). */
function forms(secret: string): string[] {
  return [...new Set([secret, percentEncode(secret), encodeURIComponent(secret)])];
}

function secretsByName(): Map<string, string> {
  const named = new Map<string, string>();
  for (const token of tokens) named.set(`token ${token.slice(0, 6)}…`, token);
  named.set('root AccessKeySecret', server.root.AccessKeySecret);
  named.set('other account AccessKeySecret', other.AccessKeySecret);
  for (const signature of signatures) named.set(`signature ${signature.slice(0, 6)}…`, signature);
  named.set('holder id', holder);
  return named;
}

test('the flow ran with IMM_LOG_LEVEL=debug and every request and token event was logged (so the absence checks below mean something)', () => {
  assert.equal(exitCode, 0, 'the server stopped cleanly');
  assert.equal(tokens.size, 10, 'five distinct pairs were issued');
  assert.ok(signatures.size >= 5);
  const log = server.stderr();
  for (const event of ['token.issued', 'token.refreshed', 'token.retried', 'token.reuse_detected']) {
    assert.ok(log.includes(`"event":"${event}"`), `the log has a ${event} event`);
  }
  const completed = log.split('\n').filter((line) => line.includes('"msg":"request completed"'));
  assert.ok(completed.length >= 19, `an access line per request (got ${completed.length}):\n${completed.join("\n")}`);
  assert.ok(completed.some((line) => line.includes('"action":"RefreshWebofficeToken"')));
  assert.ok(completed.some((line) => line.includes('"path":"/office/api/v1/files/')), 'the document-API calls were logged');
});

test('stderr and stdout hold no access token, refresh token, AccessKeySecret or signature value', () => {
  const output = `${server.stdout()}\n${server.stderr()}`;
  for (const [name, secret] of secretsByName()) {
    for (const form of forms(secret)) assert.ok(!output.includes(form), `the server output contains the ${name}`);
  }
  // Nor any query string: the access log has paths only.
  assert.ok(!/"(path|url)":"[^"]*\?/.test(output), 'no logged URL carries a query string');
});

test('the database (SQLite files, or every PostgreSQL row) holds no token (hex or raw bytes) and no AccessKeySecret in plaintext', async () => {
  const bytes = await databaseBytes(server);
  // The right file was read: it holds what is not secret.
  assert.ok(bytes.includes(Buffer.from(projectName)), 'the database holds the project name');
  assert.ok(bytes.includes(Buffer.from(server.root.AccessKeyId)), 'the database holds the AccessKeyId');
  for (const token of [...tokens, holder]) {
    assert.ok(!bytes.includes(Buffer.from(token, 'utf8')), `the database holds token ${token.slice(0, 6)}… as text`);
    assert.ok(!bytes.includes(Buffer.from(token, 'hex')), `the database holds token ${token.slice(0, 6)}… as raw bytes`);
  }
  for (const [name, secret] of [
    ['root', server.root.AccessKeySecret],
    ['other account', other.AccessKeySecret],
  ]) {
    assert.ok(!bytes.includes(Buffer.from(secret, 'utf8')), `the database holds the ${name} AccessKeySecret in plaintext`);
  }
});
