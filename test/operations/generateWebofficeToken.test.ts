/**
 * GenerateWebofficeToken over HTTP through pop-core: validation, precedence, document checks, times and TTLs,
 * WebofficeURL, and the options remembered for the session.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { createAccount, makeDataDir, putDocument, startServer, type TestServer } from '../helpers/server.js';
import { expectFailure, expectOk, popClient, type Params, type PopClient } from '../helpers/popClient.js';
import { CLIENT_VARIANTS, createClient, expectClientError } from '../helpers/clients.js';
import { openDocument } from '../helpers/documentApi.js';
import { count, createBucket, isoToNanos, NANOS_PER_SECOND, sql, TIME_WITH_NANOS, writeObject } from '../helpers/serverData.js';

const PROJECT = 'gen-project';
const BUCKET = 'gen-bucket';
const OTHER_BUCKET = 'gen-other-bucket';
const MB = 1024 * 1024;

let server: TestServer;
let ttlServer: TestServer | undefined;
let root: PopClient;
let docx: string;

before(async () => {
  server = await startServer();
  root = popClient(server, server.root);
  await root.call('CreateProject', { ProjectName: PROJECT });
  const other = await createAccount(server.env);
  await Promise.all([createBucket(server, server.root.AccountId, BUCKET), createBucket(server, other.AccountId, OTHER_BUCKET)]);
  docx = writeObject(server, BUCKET, 'docs/report.docx', 'a word document');
  writeObject(server, BUCKET, 'sheet.xlsx');
  writeObject(server, BUCKET, 'slides.pptx');
  writeObject(server, BUCKET, 'paper.pdf');
  writeObject(server, OTHER_BUCKET, 'theirs.docx');
  // Sparse files: one byte over the limit, and exactly at it.
  for (const [name, size] of [['big.docx', 200 * MB + 1], ['edge.docx', 200 * MB]] as const) {
    const file = path.join(server.dataDir, 'oss', BUCKET, name);
    fs.writeFileSync(file, '');
    fs.truncateSync(file, size);
  }
});

after(async () => {
  await ttlServer?.stop();
  await server?.stop();
});

const generate = (params: Params, client = root) => client.attempt<Record<string, string>>('GenerateWebofficeToken', { ProjectName: PROJECT, SourceURI: docx, ...params });
const required = (name: string) => `The parameter ${name} is required but not provided.`;

describe('validation', () => {
  test('a missing or empty ProjectName or SourceURI gets the exact "required" message', async () => {
    const cases: [Params, string][] = [
      [{ ProjectName: undefined }, 'ProjectName'],
      [{ ProjectName: '' }, 'ProjectName'],
      [{ SourceURI: undefined }, 'SourceURI'],
      [{ SourceURI: '' }, 'SourceURI'],
    ];
    for (const [params, name] of cases) {
      const failure = expectFailure(await generate(params), 'InvalidArgument', 400, required(name));
      assert.deepEqual(Object.keys(failure.body).sort(), ['Code', 'HostId', 'Message', 'Recommend', 'RequestId']);
    }
    // ProjectName is checked first.
    expectFailure(await root.attempt('GenerateWebofficeToken', {}), 'InvalidArgument', 400, required('ProjectName'));
  });

  test('SourceURI with another scheme is refused naming SourceURI and oss://', async () => {
    for (const uri of ['https://gen-bucket/report.docx', 'file:///etc/passwd.docx', 'gen-bucket/report.docx', 'OSS://gen-bucket/report.docx']) {
      expectFailure(await generate({ SourceURI: uri }), 'InvalidArgument', 400, /^The parameter SourceURI is invalid: .*oss:\/\//);
    }
  });

  test('an unsupported extension is refused naming the extension (in SourceURI or Filename)', async () => {
    expectFailure(await generate({ SourceURI: `oss://${BUCKET}/tool.exe` }), 'InvalidArgument', 400, /SourceURI.*\.exe is not supported/);
    expectFailure(await generate({ Filename: 'archive.zip' }), 'InvalidArgument', 400, /Filename.*\.zip is not supported/);
    expectFailure(await generate({ SourceURI: `oss://${BUCKET}/noextension` }), 'InvalidArgument', 400, /SourceURI.*extension/);
  });

  test('Export without Print is refused; with Print it is accepted', async () => {
    expectFailure(await generate({ Permission: { Export: true } }), 'InvalidArgument', 400, /Permission.*Export requires Print/);
    expectOk(await generate({ Permission: { Export: true, Print: true } }));
  });

  test('a PDF without Readonly is refused; with Readonly it is accepted', async () => {
    const pdf = `oss://${BUCKET}/paper.pdf`;
    expectFailure(await generate({ SourceURI: pdf }), 'InvalidArgument', 400, /Permission.*PDF.*Readonly/);
    expectFailure(await generate({ SourceURI: pdf, Permission: { Readonly: false } }), 'InvalidArgument', 400, /Readonly/);
    expectOk(await generate({ SourceURI: pdf, Permission: { Readonly: true } }));
  });

  test('UserData over 2,048 bytes is refused (counted in UTF-8 bytes); 2,048 is accepted', async () => {
    expectFailure(await generate({ UserData: 'x'.repeat(2049) }), 'InvalidArgument', 400, /UserData.*2048 bytes/);
    expectFailure(await generate({ UserData: 'é'.repeat(1025) }), 'InvalidArgument', 400, /UserData/);
    expectOk(await generate({ UserData: 'x'.repeat(2048) }));
    expectOk(await generate({ UserData: 'é'.repeat(1024) }));
  });

  test('PreviewPages over 5,000 (or not a positive integer) is refused; 5,000 is accepted', async () => {
    for (const value of ['5001', '0', '-1', '1.5', 'ten']) {
      expectFailure(await generate({ PreviewPages: value }), 'InvalidArgument', 400, /PreviewPages.*between 1 and 5000/);
    }
    expectOk(await generate({ PreviewPages: 5000 }));
  });

  test('a User.Id of 16 characters (or with other than letters and digits) is refused naming User.Id; 15 is accepted', async () => {
    expectFailure(await generate({ User: { Id: 'a'.repeat(16) } }), 'InvalidArgument', 400, /User\.Id.*15 letters or digits/);
    expectFailure(await generate({ User: { Id: 'user-1' } }), 'InvalidArgument', 400, /User\.Id/);
    expectFailure(await generate({ User: { Name: 'n'.repeat(33) } }), 'InvalidArgument', 400, /User\.Name.*32/);
    expectOk(await generate({ User: { Id: 'A'.repeat(15), Name: 'n'.repeat(32) } }));
  });

  test('a struct parameter that is not JSON of an object is refused naming it', async () => {
    expectFailure(await generate({ Permission: '{not json' }), 'InvalidArgument', 400, /Permission/);
    expectFailure(await generate({ Watermark: { Type: 2 } }), 'InvalidArgument', 400, /Watermark\.Type/);
  });
});

describe('precedence and document checks', () => {
  test('parameter validation comes before the project lookup', async () => {
    expectFailure(await generate({ ProjectName: 'no-such-project', SourceURI: 'https://x/y.docx' }), 'InvalidArgument', 400);
    expectFailure(await generate({ ProjectName: 'no-such-project', UserData: 'x'.repeat(3000) }), 'InvalidArgument', 400, /UserData/);
    expectFailure(await generate({ ProjectName: 'no-such-project', SourceURI: undefined }), 'InvalidArgument', 400, required('SourceURI'));
  });

  test('a missing project is ResourceNotFound 404, before any document check', async () => {
    expectFailure(await generate({ ProjectName: 'no-such-project' }), 'ResourceNotFound', 404, /Project no-such-project/);
    expectFailure(await generate({ ProjectName: 'no-such-project', SourceURI: 'oss://no-such-bucket/a.docx' }), 'ResourceNotFound', 404, /Project/);
    expectFailure(await generate({ ProjectName: 'no-such-project', SourceURI: `oss://${OTHER_BUCKET}/theirs.docx` }), 'ResourceNotFound', 404, /Project/);
  });

  test("another spelling of a document's key (./, //, a trailing /) is InvalidArgument naming SourceURI through every official client, never the same document again; oss://bucket/. is a 400, not a 500", async () => {
    const aliases = ['./docs/report.docx', './/docs/report.docx', 'docs//report.docx', 'docs/./report.docx', 'docs/report.docx/', '.', './'];
    for (const variant of CLIENT_VARIANTS) {
      const client = createClient(variant, server, server.root);
      for (const alias of aliases) {
        // Filename given, so that the key itself is what is judged (not the name derived from it).
        const params = { ProjectName: PROJECT, SourceURI: `oss://${BUCKET}/${alias}`, Filename: 'report.docx' };
        const error = await expectClientError(client, 'GenerateWebofficeToken', params, 'InvalidArgument');
        assert.equal(error.statusCode, 400, `${variant} ${alias}`);
        assert.match(error.message, /^The parameter SourceURI is invalid: the object name /, `${variant} ${alias}`);
      }
    }
  });

  test("a document reached through a symbolic link (to a file outside the store, into another account's bucket, through a linked folder) is ResourceNotFound saying so; nothing of the linked-to file is revealed or recorded", async () => {
    const oss = path.join(server.dataDir, 'oss');
    const outside = path.join(makeDataDir('imm-outside-'), 'secret.docx');
    fs.writeFileSync(outside, 'outside the store');
    fs.mkdirSync(path.join(oss, BUCKET, 'links'));
    fs.symlinkSync(outside, path.join(oss, BUCKET, 'links', 'outside.docx'));
    fs.symlinkSync(path.join(oss, OTHER_BUCKET, 'theirs.docx'), path.join(oss, BUCKET, 'links', 'theirs.docx'));
    fs.symlinkSync(path.join('..', '..', OTHER_BUCKET), path.join(oss, BUCKET, 'links', 'folder'));
    for (const key of ['links/outside.docx', 'links/theirs.docx', 'links/folder/theirs.docx']) {
      const failure = expectFailure(await generate({ SourceURI: `oss://${BUCKET}/${key}` }), 'ResourceNotFound', 404);
      assert.equal(failure.message, `The specified resource Object oss://${BUCKET}/${key} is not found: it is a symbolic link or lies below one in the object store, and links are not followed.`);
      assert.ok(!JSON.stringify(failure.body).includes(createHash('md5').update('outside the store').digest('hex').toUpperCase()));
    }
    assert.equal(await count(server, "select count(*) as n from object_versions where object_key like 'links/%'"), 0);
  });

  test('a session whose document has been replaced by a symbolic link refreshes no more (ResourceNotFound)', async () => {
    const uri = writeObject(server, BUCKET, 'later-linked.docx', 'a document');
    const pair = expectOk(await generate({ SourceURI: uri }));
    const file = path.join(server.dataDir, 'oss', BUCKET, 'later-linked.docx');
    fs.rmSync(file);
    fs.symlinkSync(path.join(server.dataDir, 'oss', OTHER_BUCKET, 'theirs.docx'), file);
    const refreshed = await root.attempt('RefreshWebofficeToken', { ProjectName: PROJECT, AccessToken: pair.AccessToken, RefreshToken: pair.RefreshToken });
    expectFailure(refreshed, 'ResourceNotFound', 404, /later-linked\.docx is not found: it is a symbolic link/);
  });

  test('a missing object is ResourceNotFound 404 naming it', async () => {
    expectFailure(await generate({ SourceURI: `oss://${BUCKET}/absent.docx` }), 'ResourceNotFound', 404, /absent\.docx/);
  });

  test('a missing bucket is ResourceNotFound 404 naming it', async () => {
    expectFailure(await generate({ SourceURI: 'oss://no-such-bucket/report.docx' }), 'ResourceNotFound', 404, /no-such-bucket/);
  });

  test("another account's bucket is Forbidden 403, whether or not the object exists", async () => {
    expectFailure(await generate({ SourceURI: `oss://${OTHER_BUCKET}/theirs.docx` }), 'Forbidden', 403);
    expectFailure(await generate({ SourceURI: `oss://${OTHER_BUCKET}/absent.docx` }), 'Forbidden', 403);
  });

  test('an object over 200 MB is InvalidArgument; exactly 200 MB is accepted', async () => {
    expectFailure(await generate({ SourceURI: `oss://${BUCKET}/big.docx` }), 'InvalidArgument', 400, /SourceURI.*200 MB/);
    expectOk(await generate({ SourceURI: `oss://${BUCKET}/edge.docx` }));
  });
});

describe('response', () => {
  test('tokens are 32 lower-case hex characters, new for every call, and WebofficeURL names the file family', async () => {
    const a = expectOk(await generate({}));
    const b = expectOk(await generate({}));
    for (const body of [a, b]) {
      assert.match(body.AccessToken, /^[0-9a-f]{32}$/);
      assert.match(body.RefreshToken, /^[0-9a-f]{32}$/);
      assert.match(body.RequestId, /^[0-9A-F]{8}(-[0-9A-F]{4}){3}-[0-9A-F]{12}$/);
    }
    assert.equal(new Set([a.AccessToken, a.RefreshToken, b.AccessToken, b.RefreshToken]).size, 4);
    const url = new RegExp(`^${server.url.replace(/[.]/g, '\\.')}/office/w/([0-9a-f]{40})\\?_w_tokentype=1$`);
    assert.match(a.WebofficeURL, url);
    assert.equal(a.WebofficeURL, b.WebofficeURL, 'the same object has the same file id');
    const letter = async (key: string, extra: Params = {}) => /\/office\/([a-z])\//.exec(expectOk(await generate({ SourceURI: `oss://${BUCKET}/${key}`, ...extra })).WebofficeURL)?.[1];
    assert.equal(await letter('sheet.xlsx'), 's');
    assert.equal(await letter('slides.pptx'), 'p');
    assert.equal(await letter('paper.pdf', { Permission: { Readonly: true } }), 'f');
    // The family follows Filename when given.
    assert.equal(await letter('sheet.xlsx', { Filename: 'as-word.docx' }), 'w');
  });

  test('GET works like POST', async () => {
    const body = await root.call<Record<string, string>>('GenerateWebofficeToken', { ProjectName: PROJECT, SourceURI: docx }, 'GET');
    assert.match(body.AccessToken, /^[0-9a-f]{32}$/);
  });

  test('AccessTokenExpiredTime = issue + 30 min and RefreshTokenExpiredTime = issue + 1 day, nine digits, 23h30m apart exactly', async () => {
    const t0 = Date.now();
    const body = expectOk(await generate({}));
    const t1 = Date.now();
    assert.match(body.AccessTokenExpiredTime, TIME_WITH_NANOS);
    assert.match(body.RefreshTokenExpiredTime, TIME_WITH_NANOS);
    const access = isoToNanos(body.AccessTokenExpiredTime);
    const refresh = isoToNanos(body.RefreshTokenExpiredTime);
    assert.equal(refresh - access, (23n * 3600n + 30n * 60n) * NANOS_PER_SECOND);
    const accessMs = Number(access / 1_000_000n);
    const refreshMs = Number(refresh / 1_000_000n);
    const slack = 3000;
    assert.ok(accessMs >= t0 + 30 * 60_000 - slack && accessMs <= t1 + 30 * 60_000 + slack, `access expiry ${body.AccessTokenExpiredTime}`);
    assert.ok(refreshMs >= t0 + 86_400_000 - slack && refreshMs <= t1 + 86_400_000 + slack, `refresh expiry ${body.RefreshTokenExpiredTime}`);
  });

  test('IMM_ACCESS_TOKEN_TTL / IMM_REFRESH_TOKEN_TTL (seconds, decimals allowed) change both expiries; IMM_PUBLIC_URL is the URL base', async () => {
    // A second server on the same data: same root key, projects and buckets.
    ttlServer = await startServer({ IMM_DATA_DIR: server.dataDir, IMM_ACCESS_TOKEN_TTL: '90.5', IMM_REFRESH_TOKEN_TTL: '7200', IMM_PUBLIC_URL: 'https://office.example.com/base/' });
    const client = popClient(ttlServer, ttlServer.root);
    const t0 = Date.now();
    const body = expectOk(await generate({}, client));
    const t1 = Date.now();
    const access = isoToNanos(body.AccessTokenExpiredTime);
    const refresh = isoToNanos(body.RefreshTokenExpiredTime);
    assert.equal(refresh - access, 7200n * NANOS_PER_SECOND - 90_500_000_000n);
    const accessMs = Number(access / 1_000_000n);
    assert.ok(accessMs >= t0 + 90_500 - 3000 && accessMs <= t1 + 90_500 + 3000);
    assert.match(body.WebofficeURL, /^https:\/\/office\.example\.com\/base\/office\/w\/[0-9a-f]{40}\?_w_tokentype=1$/);
    // A refresh on that server uses the same TTLs.
    const next = await client.call<Record<string, string>>('RefreshWebofficeToken', { ProjectName: PROJECT, AccessToken: body.AccessToken, RefreshToken: body.RefreshToken });
    assert.equal(isoToNanos(next.RefreshTokenExpiredTime) - isoToNanos(next.AccessTokenExpiredTime), 7200n * NANOS_PER_SECOND - 90_500_000_000n);
  });
});

describe('remembered options', () => {
  const permission = { Readonly: false, Rename: true, History: false, Copy: true, Export: true, Print: true };
  const user = { Id: 'user42', Name: 'Alice_B', Avatar: 'https://example.com/avatar.png' };
  const watermark = { Type: 1, Value: 'Confidential', FillStyle: 'rgba(192, 192, 192, 0.6)', Font: 'bold 20px Serif', Rotate: -0.7853982, Horizontal: 50, Vertical: 100 };

  test('Permission, User, Watermark and Filename of Generate are what the session shows, after every refresh too', async () => {
    const body = expectOk(await generate({ Permission: permission, User: user, Watermark: watermark, Filename: 'Quarterly Report.docx', PreviewPages: 12, Hidecmb: true }));
    const expectSession = async (accessToken: string) => {
      const session = await openDocument(server, body.WebofficeURL, accessToken);
      assert.equal(session.status, 200, JSON.stringify(session.body));
      assert.deepEqual(session.body.Permission, permission);
      assert.deepEqual(session.body.User, user);
      assert.deepEqual(session.body.Watermark, watermark);
      assert.equal(session.body.Filename, 'Quarterly Report.docx');
      assert.equal(session.body.PreviewPages, 12);
      assert.equal(session.body.Hidecmb, true);
      assert.equal(session.body.FileId, /\/office\/w\/([0-9a-f]{40})/.exec(body.WebofficeURL)?.[1]);
    };
    await expectSession(body.AccessToken);
    const first = await root.call<Record<string, string>>('RefreshWebofficeToken', { ProjectName: PROJECT, AccessToken: body.AccessToken, RefreshToken: body.RefreshToken });
    await expectSession(first.AccessToken);
    const second = await root.call<Record<string, string>>('RefreshWebofficeToken', { ProjectName: PROJECT, AccessToken: first.AccessToken, RefreshToken: first.RefreshToken });
    await expectSession(second.AccessToken);
  });

  test('defaults are remembered too: every Permission flag false, no watermark, Filename from the object', async () => {
    const body = expectOk(await generate({}));
    const session = await openDocument(server, body.WebofficeURL, body.AccessToken);
    assert.deepEqual(session.body.Permission, { Readonly: false, Rename: false, History: false, Copy: false, Export: false, Print: false });
    assert.deepEqual(session.body.Watermark, { Type: 0 });
    assert.equal(session.body.Filename, 'report.docx');
  });

  test('a user without Id gets a generated one that stays the same across refreshes; each Generate gets its own', async () => {
    const body = expectOk(await generate({ User: { Name: 'Bob' } }));
    const session = await openDocument(server, body.WebofficeURL, body.AccessToken);
    const id = session.body.User.Id;
    assert.match(id, /^[A-Za-z0-9]{1,15}$/);
    assert.equal(session.body.User.Name, 'Bob');
    let pair = body;
    for (let i = 0; i < 2; i++) {
      pair = await root.call<Record<string, string>>('RefreshWebofficeToken', { ProjectName: PROJECT, AccessToken: pair.AccessToken, RefreshToken: pair.RefreshToken });
      assert.deepEqual((await openDocument(server, body.WebofficeURL, pair.AccessToken)).body.User, { Name: 'Bob', Id: id });
    }
    const another = expectOk(await generate({}));
    const anotherId = (await openDocument(server, another.WebofficeURL, another.AccessToken)).body.User.Id;
    assert.match(anotherId, /^[A-Za-z0-9]{1,15}$/);
    assert.notEqual(anotherId, id);
  });
});

describe('document versions', () => {
  const md5 = (text: string) => createHash('md5').update(text).digest('hex').toUpperCase();
  /** The version the session of `generated` (or of a token refreshed from it) opened, as the document API tells. */
  const versionOf = async (generated: Record<string, string>, accessToken = generated.AccessToken) => {
    const { status, body } = await openDocument(server, generated.WebofficeURL, accessToken);
    assert.equal(status, 200, JSON.stringify(body));
    return { Version: body.Version, Size: body.Size, ETag: body.ETag };
  };

  test('a session remembers the version it opened; after an upload the next session opens the next version and the earlier one keeps its own', async () => {
    const uri = await putDocument(server, server.root.AccountId, BUCKET, 'versions/plan.docx', 'first draft');
    const first = expectOk(await generate({ SourceURI: uri }));
    assert.deepEqual(await versionOf(first), { Version: 1, Size: 11, ETag: md5('first draft') });

    await putDocument(server, server.root.AccountId, BUCKET, 'versions/plan.docx', 'second, longer draft');
    const second = expectOk(await generate({ SourceURI: uri }));
    assert.deepEqual(await versionOf(second), { Version: 2, Size: 20, ETag: md5('second, longer draft') });
    const refreshed = await root.call<Record<string, string>>('RefreshWebofficeToken', { ProjectName: PROJECT, AccessToken: first.AccessToken, RefreshToken: first.RefreshToken });
    assert.deepEqual(await versionOf(first, refreshed.AccessToken), { Version: 1, Size: 11, ETag: md5('first draft') });

    const rows = await sql<{ version: number; etag: string }>(server, 'select version, etag from object_versions where bucket = ? and object_key = ? order by version', [BUCKET, 'versions/plan.docx']);
    assert.deepEqual(rows.map((r) => [Number(r.version), r.etag]), [[1, md5('first draft')], [2, md5('second, longer draft')]]);
  });

  test('a file replaced in the folder, not through the CLI, is the next version at the next Generate; 8 concurrent Generates record it once', async () => {
    const uri = writeObject(server, BUCKET, 'versions/copied.docx', 'copied in');
    assert.deepEqual(await versionOf(expectOk(await generate({ SourceURI: uri }))), { Version: 1, Size: 9, ETag: md5('copied in') });
    writeObject(server, BUCKET, 'versions/copied.docx', 'copied in again, edited');
    const sessions = await Promise.all(Array.from({ length: 8 }, async () => versionOf(expectOk(await generate({ SourceURI: uri })))));
    for (const seen of sessions) assert.deepEqual(seen, { Version: 2, Size: 23, ETag: md5('copied in again, edited') });
    assert.equal(await count(server, 'select count(*) as n from object_versions where bucket = ? and object_key = ?', [BUCKET, 'versions/copied.docx']), 2);
  });
});
