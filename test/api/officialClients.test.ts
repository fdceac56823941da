/**
 * The RPC face through the OFFICIAL clients, against a real server process: every way an application written
 * against IMM may call it (pop-core POST/GET, openapi-client ACS3 SHA256/SM3 with query or form-body params
 * and 'v2', openapi-core ACS3 and 'v2') gets the same answers, and surfaces our errors with the right code.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createAccount, putDocument, runCli, startServer, type TestServer } from '../helpers/server.js';
import { openDocument } from '../helpers/documentApi.js';
import {
  CLIENT_VARIANTS,
  CoreClientError,
  createClient,
  describeError,
  familyOf,
  RPCClient,
  type ClientVariant,
  type Credentials,
  type OfficialClient,
} from '../helpers/clients.js';

const UPPER_UUID = /^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$/;
const TOKEN = /^[0-9a-f]{32}$/;
const EXPIRY = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/;
const NS_PER_SECOND = 1_000_000_000n;
/** Refresh token (1 day) minus access token (30 min), both from one issue instant. */
const REFRESH_MINUS_ACCESS_NS = (86_400n - 1_800n) * NS_PER_SECOND;

/** An expiry time as nanoseconds since the epoch (exact: no float on the way). */
function expiryNanos(text: string): bigint {
  const match = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)\.(\d{9})Z$/.exec(text);
  assert.ok(match, `expiry ${text} must have exactly nine fractional digits`);
  const wholeSecondsMs = Date.parse(`${match[1]}Z`);
  assert.ok(Number.isFinite(wholeSecondsMs), `expiry ${text} must be a valid date`);
  return BigInt(wholeSecondsMs) * 1_000_000n + BigInt(match[2]);
}

/** pop-core returns null-prototype objects (json-bigint): compare plain JSON. */
function plain<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

interface TokenPair {
  AccessToken: string;
  AccessTokenExpiredTime: string;
  RefreshToken: string;
  RefreshTokenExpiredTime: string;
}

/** The fields both Generate and Refresh answer with, in the formats the real API uses. */
function assertTokenPair(body: Record<string, any>, issuedAfterMs: number): TokenPair {
  assert.match(body.RequestId, UPPER_UUID, 'RequestId is an upper-case UUID');
  assert.match(body.AccessToken, TOKEN, 'AccessToken is 32 lower-case hex');
  assert.match(body.RefreshToken, TOKEN, 'RefreshToken is 32 lower-case hex');
  assert.notEqual(body.AccessToken, body.RefreshToken);
  assert.match(body.AccessTokenExpiredTime, EXPIRY);
  assert.match(body.RefreshTokenExpiredTime, EXPIRY);
  const access = expiryNanos(body.AccessTokenExpiredTime);
  const refresh = expiryNanos(body.RefreshTokenExpiredTime);
  assert.equal(refresh - access, REFRESH_MINUS_ACCESS_NS, 'refresh expiry − access expiry = 1 day − 30 min, to the nanosecond');
  // The access token lives 30 minutes from an instant during this call.
  const issuedNs = access - 1_800n * NS_PER_SECOND;
  assert.ok(issuedNs >= BigInt(issuedAfterMs - 1) * 1_000_000n, `issued ${body.AccessTokenExpiredTime} − 30 min is not before the call`);
  assert.ok(issuedNs <= BigInt(Date.now() + 1) * 1_000_000n, `issued ${body.AccessTokenExpiredTime} − 30 min is not after the call`);
  return {
    AccessToken: body.AccessToken,
    AccessTokenExpiredTime: body.AccessTokenExpiredTime,
    RefreshToken: body.RefreshToken,
    RefreshTokenExpiredTime: body.RefreshTokenExpiredTime,
  };
}

/** Calls and expects the client to throw our error; returns what the client surfaced. */
async function expectError(
  client: OfficialClient,
  action: string,
  params: Record<string, unknown>,
  expected: { code: string; statusCode: number; message?: string | RegExp },
) {
  let thrown: unknown;
  try {
    const body = await client.call(action, params);
    assert.fail(`${client.variant}: expected ${expected.code}, got success ${JSON.stringify(body)}`);
  } catch (err) {
    if (err instanceof assert.AssertionError) throw err;
    thrown = err;
  }
  const surfaced = describeError(client.family, thrown);
  assert.equal(surfaced.code, expected.code, `${client.variant} surfaces the code (message: ${surfaced.message})`);
  assert.equal(surfaced.statusCode, expected.statusCode, `${client.variant} surfaces the HTTP status`);
  if (typeof expected.message === 'string') assert.equal(surfaced.message, expected.message);
  else if (expected.message) assert.match(surfaced.message, expected.message);
  assert.match(surfaced.requestId ?? '', UPPER_UUID, 'the error carries our RequestId');
  assert.equal(surfaced.data?.Code, expected.code);
  if (client.family === 'pop-core') assert.equal((thrown as Error).name, `${expected.code}Error`);
  if (client.family === 'openapi-core') {
    // openapi-core types its errors: 4xx → ClientError (5xx would be ServerError), with our RequestId on it.
    assert.ok(thrown instanceof CoreClientError, `openapi-core throws ClientError for ${expected.statusCode}, got ${(thrown as Error).constructor.name}`);
    assert.equal((thrown as InstanceType<typeof CoreClientError>).requestId, surfaced.data?.RequestId);
  }
  return surfaced;
}

/** What the WebOffice page learns on opening the document with an access token: proves the struct params arrived intact. */
async function sessionOf(server: TestServer, webofficeUrl: string, accessToken: string): Promise<Record<string, any>> {
  const opened = await openDocument(server, webofficeUrl, accessToken);
  assert.equal(opened.status, 200, `document info: ${JSON.stringify(opened.body)}`);
  return opened.body;
}

const PERMISSION = { Readonly: false, Rename: true, History: false, Copy: true, Export: true, Print: true };
const USER = { Id: 'u42', Name: 'Alice_W', Avatar: 'https://example.com/a.png' };
const WATERMARK = { Type: 1, Value: 'Confidential', FillStyle: 'rgba(192, 192, 192, 0.6)', Font: 'bold 20px Serif', Rotate: -0.7853982, Horizontal: 50, Vertical: 100 };

let server: TestServer;
const docs: Record<'docx' | 'xlsx' | 'pptx' | 'pdf', string> = { docx: '', xlsx: '', pptx: '', pdf: '' };
let inactiveKey: Credentials;

before(async () => {
  server = await startServer();
  const bucket = `official-${process.pid}`;
  for (const ext of Object.keys(docs) as (keyof typeof docs)[]) {
    docs[ext] = await putDocument(server, server.root.AccountId, bucket, `folder/report.${ext}`, `content of ${ext}`);
  }
  // A second key of the root account: it works while Active, then is disabled.
  const created = JSON.parse(await runCli(server.env, ['access-key', 'create', '--account', server.root.AccountId])) as Credentials;
  const listed = await createClient('pop-core POST', server, created).call('ListProjects', {});
  assert.ok(Array.isArray(listed.Projects), 'the new key works while it is Active');
  await runCli(server.env, ['access-key', 'update', created.AccessKeyId, '--status', 'Inactive']);
  inactiveKey = created;
  // A real authorization chain for the struct tests: IMM assumes ImmChainService, which may assume ChainReader
  // (trusting this account), which may read the documents.
  const ram = new RPCClient({ accessKeyId: server.root.AccessKeyId, accessKeySecret: server.root.AccessKeySecret, endpoint: server.url, apiVersion: '2015-05-01' });
  const trust = (principal: object) => JSON.stringify({ Version: '1', Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Principal: principal }] });
  await ram.request('CreateRole', { RoleName: CHAIN.ServiceRole, AssumeRolePolicyDocument: trust({ Service: ['imm.aliyuncs.com'] }) }, { method: 'POST' });
  await ram.request('AttachPolicyToRole', { RoleName: CHAIN.ServiceRole, PolicyType: 'System', PolicyName: 'AliyunSTSAssumeRoleAccess' }, { method: 'POST' });
  await ram.request('CreateRole', { RoleName: CHAIN.Role, AssumeRolePolicyDocument: trust({ RAM: [`acs:ram::${server.root.AccountId}:root`] }) }, { method: 'POST' });
  await ram.request('AttachPolicyToRole', { RoleName: CHAIN.Role, PolicyType: 'System', PolicyName: 'AliyunOSSReadOnlyAccess' }, { method: 'POST' });
});

const CHAIN = { ServiceRole: 'ImmChainService', Role: 'ChainReader' };

after(async () => {
  await server?.stop();
});

CLIENT_VARIANTS.forEach((variant: ClientVariant, index) => {
  describe(`official client: ${variant}`, () => {
    const project = `oc_${index}_${Math.random().toString(36).slice(2, 8)}`;
    let client: OfficialClient;

    before(() => {
      client = createClient(variant, server, server.root);
    });

    test('CreateProject answers the project with the default service role', async () => {
      const body = await client.call('CreateProject', { ProjectName: project, Description: 'made by an official client' });
      assert.match(body.RequestId, UPPER_UUID);
      assert.equal(body.Project.ProjectName, project);
      assert.equal(body.Project.Description, 'made by an official client');
      assert.equal(body.Project.ServiceRole, 'AliyunIMMDefaultRole');
    });

    test('GenerateWebofficeToken with Permission/User/Watermark structs, then RefreshWebofficeToken, answer the documented fields', async () => {
      const startedMs = Date.now();
      const generated = await client.call('GenerateWebofficeToken', {
        ProjectName: project,
        SourceURI: docs.docx,
        Permission: JSON.stringify(PERMISSION),
        User: JSON.stringify(USER),
        Watermark: JSON.stringify(WATERMARK),
      });
      const first = assertTokenPair(generated, startedMs);
      const url = new URL(generated.WebofficeURL);
      assert.equal(`${url.protocol}//${url.host}`, server.url, 'WebofficeURL starts with the public URL');
      assert.match(generated.WebofficeURL, new RegExp(`^${server.url}/office/w/[0-9a-f]{40}\\?_w_tokentype=1$`));

      // The structs went through the client as JSON text and were understood field by field.
      const session = await sessionOf(server, generated.WebofficeURL, first.AccessToken);
      assert.deepEqual(plain(session.Permission), PERMISSION);
      assert.deepEqual(plain(session.User), USER);
      assert.deepEqual(plain(session.Watermark), WATERMARK);
      assert.equal(session.Filename, 'report.docx');

      const refreshStartedMs = Date.now();
      const refreshed = await client.call('RefreshWebofficeToken', { ProjectName: project, AccessToken: first.AccessToken, RefreshToken: first.RefreshToken });
      const second = assertTokenPair(refreshed, refreshStartedMs);
      assert.notEqual(second.AccessToken, first.AccessToken);
      assert.notEqual(second.RefreshToken, first.RefreshToken);
      assert.ok(expiryNanos(second.AccessTokenExpiredTime) >= expiryNanos(first.AccessTokenExpiredTime));
      assert.notEqual(refreshed.RequestId, generated.RequestId);
      // The Generate options carry over to the new access token.
      const carried = await sessionOf(server, generated.WebofficeURL, second.AccessToken);
      assert.deepEqual(plain(carried.Permission), PERMISSION);
      assert.deepEqual(plain(carried.User), USER);
      assert.equal(carried.FileId, session.FileId);
    });

    test('WebofficeURL has the letter of the file family: s for .xlsx, p for .pptx, f for a read-only .pdf', async () => {
      for (const [doc, letter, permission] of [
        [docs.xlsx, 's', {}],
        [docs.pptx, 'p', {}],
        [docs.pdf, 'f', { Readonly: true }],
      ] as const) {
        const body = await client.call('GenerateWebofficeToken', { ProjectName: project, SourceURI: doc, Permission: JSON.stringify(permission) });
        assert.match(body.WebofficeURL, new RegExp(`^${server.url}/office/${letter}/[0-9a-f]{40}\\?_w_tokentype=1$`), `${doc} → ${letter}`);
      }
    });

    test('a missing SourceURI surfaces InvalidArgument (400) with the required-parameter message', async () => {
      await expectError(client, 'GenerateWebofficeToken', { ProjectName: project }, {
        code: 'InvalidArgument',
        statusCode: 400,
        message: 'The parameter SourceURI is required but not provided.',
      });
    });

    test('a project that does not exist surfaces ResourceNotFound (404)', async () => {
      await expectError(client, 'GenerateWebofficeToken', { ProjectName: `${project}_missing`, SourceURI: docs.docx }, { code: 'ResourceNotFound', statusCode: 404 });
      await expectError(client, 'GetProject', { ProjectName: `${project}_missing` }, { code: 'ResourceNotFound', statusCode: 404 });
    });

    test('a token pair that was never issued together surfaces InvalidToken (400)', async () => {
      const a = await client.call('GenerateWebofficeToken', { ProjectName: project, SourceURI: docs.docx });
      const b = await client.call('GenerateWebofficeToken', { ProjectName: project, SourceURI: docs.docx });
      await expectError(client, 'RefreshWebofficeToken', { ProjectName: project, AccessToken: a.AccessToken, RefreshToken: b.RefreshToken }, { code: 'InvalidToken', statusCode: 400 });
      await expectError(client, 'RefreshWebofficeToken', { ProjectName: project, AccessToken: 'f'.repeat(32), RefreshToken: '0'.repeat(32) }, { code: 'InvalidToken', statusCode: 400 });
      // Neither pair was harmed by the refusals (InvalidToken revokes nothing).
      await client.call('RefreshWebofficeToken', { ProjectName: project, AccessToken: a.AccessToken, RefreshToken: a.RefreshToken });
      await client.call('RefreshWebofficeToken', { ProjectName: project, AccessToken: b.AccessToken, RefreshToken: b.RefreshToken });
    });

    test('a wrong AccessKeySecret surfaces SignatureDoesNotMatch (403)', async () => {
      const wrong = createClient(variant, server, { AccessKeyId: server.root.AccessKeyId, AccessKeySecret: `${server.root.AccessKeySecret}x` });
      await expectError(wrong, 'GetProject', { ProjectName: project }, { code: 'SignatureDoesNotMatch', statusCode: 403 });
    });

    test('an unknown AccessKeyId surfaces InvalidAccessKeyId.NotFound (404)', async () => {
      const unknown = createClient(variant, server, { AccessKeyId: 'LTAI5tNoSuchKeyHere0000', AccessKeySecret: server.root.AccessKeySecret });
      await expectError(unknown, 'GetProject', { ProjectName: project }, { code: 'InvalidAccessKeyId.NotFound', statusCode: 404 });
    });

    test('a disabled AccessKey surfaces InvalidAccessKeyId.Inactive (400), even with its right secret', async () => {
      await expectError(createClient(variant, server, inactiveKey), 'GetProject', { ProjectName: project }, { code: 'InvalidAccessKeyId.Inactive', statusCode: 400 });
    });

    if (familyOf(variant) === 'pop-core') {
      test('flattened struct fields (Permission.Readonly=true, CredentialConfig.Chain.1.Role=…) are accepted', async () => {
        // pop-core flattens only arrays; dotted names are how a pop-core caller sends a struct field by field.
        const body = await client.call('GenerateWebofficeToken', {
          ProjectName: project,
          SourceURI: docs.pdf,
          'Permission.Readonly': 'true',
          'CredentialConfig.ServiceRole': CHAIN.ServiceRole,
          'CredentialConfig.Chain.1.AssumeRoleFor': server.root.AccountId,
          'CredentialConfig.Chain.1.Role': CHAIN.Role,
          'CredentialConfig.Chain.1.RoleType': 'user',
        });
        assert.match(body.WebofficeURL, /\/office\/f\/[0-9a-f]{40}\?_w_tokentype=1$/);
        assert.equal((await sessionOf(server, body.WebofficeURL, body.AccessToken)).Permission.Readonly, true);
        await expectError(client, 'GenerateWebofficeToken', { ProjectName: project, SourceURI: docs.pdf, 'Permission.Readonly': 'false' }, {
          code: 'InvalidArgument',
          statusCode: 400,
          message: /Permission.*Readonly must be true/,
        });
      });
    } else {
      test('nested objects, flattened by OpenApiUtil.query (Permission.Readonly=true, CredentialConfig.Chain.1.Role=…), are accepted', async () => {
        const credentialConfig = { ServiceRole: CHAIN.ServiceRole, Chain: [{ AssumeRoleFor: server.root.AccountId, Role: CHAIN.Role, RoleType: 'user' }] };
        const body = await client.call('GenerateWebofficeToken', {
          ProjectName: project,
          SourceURI: docs.pdf,
          Permission: { Readonly: true },
          User: { Id: 'flat7', Name: 'Bob' },
          CredentialConfig: credentialConfig,
        });
        assert.match(body.WebofficeURL, /\/office\/f\/[0-9a-f]{40}\?_w_tokentype=1$/);
        const session = await sessionOf(server, body.WebofficeURL, body.AccessToken);
        assert.equal(session.Permission.Readonly, true);
        assert.deepEqual(plain(session.User), { Id: 'flat7', Name: 'Bob' });
        // Refresh takes a flattened CredentialConfig too.
        await client.call('RefreshWebofficeToken', { ProjectName: project, AccessToken: body.AccessToken, RefreshToken: body.RefreshToken, CredentialConfig: credentialConfig });
        // The flattened fields are read, not ignored: a bad one is named with its flattened path.
        await expectError(
          client,
          'GenerateWebofficeToken',
          { ProjectName: project, SourceURI: docs.docx, CredentialConfig: { Chain: [{ Role: 'r', RoleType: 'robot' }] } },
          { code: 'InvalidArgument', statusCode: 400, message: /CredentialConfig\.Chain\.1\.RoleType/ },
        );
        await expectError(client, 'GenerateWebofficeToken', { ProjectName: project, SourceURI: docs.pdf, Permission: { Readonly: false } }, {
          code: 'InvalidArgument',
          statusCode: 400,
          message: /Permission.*Readonly must be true/,
        });
      });
    }
  });
});

describe('official clients of different accounts', () => {
  test("a project of another account is not found, through every client", async () => {
    const other = await createAccount(server.env);
    const owner = createClient('openapi-client ACS3-HMAC-SHA256 query', server, server.root);
    const name = `owned_${Math.random().toString(36).slice(2, 8)}`;
    await owner.call('CreateProject', { ProjectName: name });
    for (const variant of CLIENT_VARIANTS) {
      await expectError(createClient(variant, server, other), 'GetProject', { ProjectName: name }, { code: 'ResourceNotFound', statusCode: 404 });
    }
    // …while the owner still sees it.
    assert.equal((await owner.call('GetProject', { ProjectName: name })).Project.ProjectName, name);
  });
});
