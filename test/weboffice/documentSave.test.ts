/**
 * Saving from the WebOffice page, through a real server, called as the page calls it: `PUT …/content` with
 * If-Match writes the next version (every version's bytes kept, listed and read back with Permission.History)
 * and announces it to the topic's configured URL, signed; a stale If-Match is 409 VersionConflict, Readonly is
 * 403, and neither changes anything; only .txt and .csv are saved; the token checks come first.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { putDocument, startServer, type TestServer } from '../helpers/server.js';
import { popClient, type Params, type PopClient } from '../helpers/popClient.js';
import { documentCall, newHolder, type DocumentReply } from '../helpers/documentApi.js';
import { startNotifyReceiver, type NotifyReceiver } from '../helpers/notifyReceiver.js';

const PROJECT = 'saving';
const BUCKET = 'saving-bucket';
const SECRET = 'the receiver secret, long enough';
const md5 = (bytes: string | Buffer) => createHash('md5').update(bytes).digest('hex').toUpperCase();

let server: TestServer;
let client: PopClient;
let receiver: NotifyReceiver;

before(async () => {
  receiver = await startNotifyReceiver(SECRET);
  server = await startServer({ IMM_NOTIFY_TOPICS: `doc-saves=${receiver.url}`, IMM_NOTIFY_SECRET: SECRET });
  client = popClient(server, server.root);
  await client.call('CreateProject', { ProjectName: PROJECT });
});

after(async () => {
  await server?.stop();
  await receiver?.close();
});

const put = (key: string, content: string) => putDocument(server, server.root.AccountId, BUCKET, key, content);

async function openSession(uri: string, params: Params = {}) {
  const pair = await client.call<Record<string, string>>('GenerateWebofficeToken', { ProjectName: PROJECT, SourceURI: uri, ...params });
  const holder = newHolder();
  const as = { token: pair.AccessToken, holder };
  const opened = await documentCall(server, pair.WebofficeURL, { ...as, path: '/open' });
  assert.equal(opened.status, 200, JSON.stringify(opened.body));
  return {
    info: opened.body,
    save: (body: string, ifMatch: string | undefined, headers: Record<string, string> = {}) =>
      documentCall(server, pair.WebofficeURL, { ...as, path: '/content', method: 'PUT', body, headers: { 'content-type': 'text/plain; charset=utf-8', ...(ifMatch && { 'if-match': `"${ifMatch}"` }), ...headers } }),
    content: (version?: string) => documentCall(server, pair.WebofficeURL, { ...as, path: '/content', query: version && `version=${version}` }),
    versions: () => documentCall(server, pair.WebofficeURL, { ...as, path: '/versions' }),
    anonymous: (body: string) => documentCall(server, pair.WebofficeURL, { holder, path: '/content', method: 'PUT', body, headers: { 'content-type': 'text/plain', 'if-match': `"${md5(body)}"` } }),
  };
}

function assertError(reply: DocumentReply, status: number, code: string, message?: RegExp, why?: string): void {
  assert.equal(reply.status, status, why ?? JSON.stringify(reply.body));
  assert.equal(reply.body.Code, code);
  assert.ok(reply.body.RequestId && reply.body.Recommend, 'in the envelope');
  if (message) assert.match(reply.body.Message, message);
}

describe('saving a version', () => {
  test('a save with If-Match is the next version; History lists both and opens each; the topic URL gets the signed event', async () => {
    const uri = await put('notes/plan.txt', 'first line\n');
    const session = await openSession(uri, { Permission: { History: true }, NotifyTopicName: 'doc-saves', UserData: '{"ticket":7}', User: { Id: 'u9', Name: 'Dana' } });
    const saved = await session.save('first line\nsecond line\n', session.info.ETag);
    assert.equal(saved.status, 200, JSON.stringify(saved.body));
    assert.deepEqual([saved.body.Result, saved.body.Version, saved.body.ETag], ['ok', 2, md5('first line\nsecond line\n')]);

    const listed = await session.versions();
    assert.equal(listed.status, 200);
    assert.deepEqual(listed.body.Versions.map((v: { Version: number; ETag: string }) => [v.Version, v.ETag]), [[2, md5('first line\nsecond line\n')], [1, md5('first line\n')]]);
    const one = await session.content('1');
    const two = await session.content('2');
    assert.deepEqual([one.bytes.toString(), one.headers.get('x-weboffice-version'), one.headers.get('etag')], ['first line\n', '1', `"${md5('first line\n')}"`]);
    assert.deepEqual([two.bytes.toString(), two.headers.get('x-weboffice-version')], ['first line\nsecond line\n', '2']);
    assert.equal((await session.content()).bytes.toString(), 'first line\n', 'the session still names the version it opened');

    const delivered = await receiver.waitFor((event) => event.SourceURI === uri && event.Version === 2);
    assert.ok(delivered.signed, 'signed with HMAC-SHA256 of the configured secret');
    assert.equal(delivered.id, delivered.event.Id);
    const { event } = delivered;
    assert.deepEqual([event.EventType, event.ProjectName, event.FileId, event.ETag, event.Size, event.User.Id, event.User.Name, event.UserData], ['save', PROJECT, session.info.FileId, md5('first line\nsecond line\n'), 23, 'u9', 'Dana', '{"ticket":7}']);
    assert.ok(Math.abs(Date.parse(event.Time) - Date.now()) < 60_000);
  });

  test('a stale If-Match is 409 VersionConflict and changes nothing; the latest can be read and saved over', async () => {
    const uri = await put('notes/shared.txt', 'base');
    const alice = await openSession(uri);
    const bob = await openSession(uri);
    const first = await bob.save('Bob was here', bob.info.ETag);
    assert.equal(first.body.Version, 2);
    assertError(await alice.save('Alice was here', alice.info.ETag), 409, 'VersionConflict', /version 2 is current/);
    const latest = await alice.content('latest');
    assert.deepEqual([latest.status, latest.bytes.toString(), latest.headers.get('x-weboffice-version')], [200, 'Bob was here', '2'], 'an editor may reload the latest');
    const again = await alice.save('Alice, after reloading', md5('Bob was here'));
    assert.equal(again.body.Version, 3);
    assertError(await alice.content('2'), 403, 'PermissionDenied', /History/, 'an earlier version, neither opened nor the latest, needs History');
  });

  test('Readonly refuses the save (403) and nothing is written', async () => {
    const uri = await put('notes/readonly.txt', 'keep me');
    const session = await openSession(uri, { Permission: { Readonly: true } });
    assertError(await session.save('overwritten', session.info.ETag), 403, 'PermissionDenied', /read-only/);
    const fresh = await openSession(uri);
    assert.deepEqual([fresh.info.Version, (await fresh.content()).bytes.toString()], [1, 'keep me']);
  });

  test('without If-Match 428, with the same bytes nochange, other formats 409 NotEditable, no History 403 on versions', async () => {
    const uri = await put('notes/rules.txt', 'same');
    const session = await openSession(uri);
    assertError(await session.save('changed', undefined), 428, 'PreconditionRequired', /If-Match/);
    const same = await session.save('same', session.info.ETag);
    assert.deepEqual([same.status, same.body.Result, same.body.Version], [200, 'nochange', 1]);
    assertError(await session.versions(), 403, 'PermissionDenied', /History/);
    assertError(await session.content('two'), 400, 'InvalidArgument', /version/);
    assertError(await session.content('9'), 404, 'ResourceNotFound');
    const docx = await openSession(await put('notes/report.docx', 'PK-not-really'));
    assertError(await docx.save('PK-edited', docx.info.ETag, { 'content-type': 'application/octet-stream' }), 409, 'NotEditable', /\.docx/);
    const csv = await openSession(await put('notes/table.csv', 'a,b\n1,2\n'));
    assert.equal((await csv.save('a,b\n1,3\n', csv.info.ETag, { 'content-type': 'text/csv' })).body.Version, 2);
  });

  test('the token checks come first; other media types are 415, here and on the RPC API', async () => {
    const uri = await put('notes/guarded.txt', 'guarded');
    const session = await openSession(uri);
    const anonymous = await session.anonymous('no token');
    assert.equal(anonymous.status, 401);
    assertError(await session.save('{"a":1}', session.info.ETag, { 'content-type': 'application/json' }), 415, 'UnsupportedMediaType');
    const rpc = await fetch(`${server.url}/`, { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: 'Action=ListProjects' });
    assert.equal(rpc.status, 415);
    const fresh = await openSession(uri);
    assert.equal(fresh.info.Version, 1, 'nothing was saved');
  });
});
