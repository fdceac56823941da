/**
 * Authorization chains (CredentialConfig), end to end: a project in account A opens a document in account B's
 * bucket. Roles and policies are set up with the official RAM client by each account's root; the IMM calls go
 * through the official IMM-calling clients, with CredentialConfig as JSON text (what the generated IMM SDK
 * sends, its "shrink" form). Every broken link of the chain refuses with Forbidden naming the hop; chains are
 * checked again at every Refresh; `imm-weboffice audit` lists the decisions and never a secret or a token.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createAccount, putDocument, runCli, startServer, type RootCredentials, type TestServer } from '../helpers/server.js';
import { createClient, describeError, type ClientVariant, type OfficialClient } from '../helpers/clients.js';
import { policy, ram, ramClient, sts, stsClient, trustPolicy, type RamClient } from '../helpers/cloudClients.js';
import { openDocument } from '../helpers/documentApi.js';

let server: TestServer;
let startedAt: string;
let A: RootCredentials;
let B: RootCredentials;
/** A third account, trusted by one of B's roles instead of A. */
let C: RootCredentials;
let ramA: RamClient;
let ramB: RamClient;
let immA: OfficialClient;
let bDoc: string;
let aDoc: string;

const PROJECT = 'P';
const IMM = 'imm.aliyuncs.com';
/** Every token, secret and security token this file sees: none may appear in the audit. */
const secrets: string[] = [];

before(async () => {
  startedAt = new Date().toISOString();
  server = await startServer();
  A = server.root;
  [B, C] = await Promise.all([createAccount(server.env), createAccount(server.env)]);
  secrets.push(A.AccessKeySecret, B.AccessKeySecret, C.AccessKeySecret);
  ramA = ramClient(server, A);
  ramB = ramClient(server, B);
  immA = createClient('pop-core POST', server, A);
  await immA.call('CreateProject', { ProjectName: PROJECT });
  [bDoc, aDoc] = await Promise.all([
    putDocument(server, B.AccountId, 'b-docs', 'shared/report.docx', "B's report"),
    putDocument(server, A.AccountId, 'a-docs', 'own/notes.docx', "A's notes"),
  ]);

  // B: ReaderForA, trusting account A, may read OSS.
  await createRole(ramB, 'ReaderForA', trustPolicy({ RAM: [`acs:ram::${A.AccountId}:root`] }), ['AliyunOSSReadOnlyAccess']);
  // A: ImmChain, trusting the IMM service, may assume roles.
  await createRole(ramA, 'ImmChain', trustPolicy({ Service: [IMM] }), ['AliyunSTSAssumeRoleAccess']);
});

after(async () => {
  await server?.stop();
});

async function createRole(client: RamClient, roleName: string, trust: string, systemPolicies: string[]): Promise<void> {
  await client.createRole(new ram.CreateRoleRequest({ roleName, assumeRolePolicyDocument: trust }));
  for (const policyName of systemPolicies) {
    await client.attachPolicyToRole(new ram.AttachPolicyToRoleRequest({ roleName, policyName, policyType: 'System' }));
  }
}

async function detach(client: RamClient, roleName: string, policyName: string): Promise<void> {
  await client.detachPolicyFromRole(new ram.DetachPolicyFromRoleRequest({ roleName, policyName, policyType: 'System' }));
}

async function attach(client: RamClient, roleName: string, policyName: string): Promise<void> {
  await client.attachPolicyToRole(new ram.AttachPolicyToRoleRequest({ roleName, policyName, policyType: 'System' }));
}

interface Hop {
  AssumeRoleFor?: string;
  Role?: string;
  RoleType?: string;
}
interface CredentialConfig {
  ServiceRole?: string;
  Policy?: string;
  Chain?: Hop[];
}

const hopToB = (role = 'ReaderForA'): Hop => ({ AssumeRoleFor: B.AccountId, Role: role, RoleType: 'user' });
const chainToB = (role = 'ReaderForA', serviceRole = 'ImmChain'): CredentialConfig => ({ ServiceRole: serviceRole, Chain: [hopToB(role)] });

interface TokenPair {
  AccessToken: string;
  RefreshToken: string;
  WebofficeURL?: string;
}

function remember<T extends Record<string, any>>(pair: T): T {
  for (const name of ['AccessToken', 'RefreshToken']) if (pair[name]) secrets.push(pair[name]);
  return pair;
}

async function generate(config: CredentialConfig | undefined, options: { client?: OfficialClient; uri?: string } = {}): Promise<TokenPair> {
  const params: Record<string, unknown> = { ProjectName: PROJECT, SourceURI: options.uri ?? bDoc };
  if (config) params.CredentialConfig = JSON.stringify(config);
  return remember((await (options.client ?? immA).call('GenerateWebofficeToken', params)) as TokenPair);
}

async function refresh(pair: TokenPair, config?: CredentialConfig, client: OfficialClient = immA): Promise<TokenPair> {
  const params: Record<string, unknown> = { ProjectName: PROJECT, AccessToken: pair.AccessToken, RefreshToken: pair.RefreshToken };
  if (config) params.CredentialConfig = JSON.stringify(config);
  return remember((await client.call('RefreshWebofficeToken', params)) as TokenPair);
}

/** Expects the call to fail with `code`; returns what the library surfaced. */
async function expectError(call: () => Promise<unknown>, code: string, client: OfficialClient = immA) {
  try {
    const body = await call();
    assert.fail(`expected ${code}, got ${JSON.stringify(body)}`);
  } catch (err) {
    if (err instanceof assert.AssertionError) throw err;
    const surfaced = describeError(client.family, err);
    assert.equal(surfaced.code, code, `${surfaced.code}: ${surfaced.message}`);
    return surfaced;
  }
}

/** Forbidden (403) whose message matches every pattern given. */
async function expectForbidden(call: () => Promise<unknown>, ...patterns: RegExp[]) {
  const error = await expectError(call, 'Forbidden');
  assert.equal(error.statusCode, 403);
  assert.match(error.message, /^The document cannot be read: /);
  for (const pattern of patterns) assert.match(error.message, pattern);
  assert.ok(error.data?.AccessDeniedDetail, `AccessDeniedDetail in ${JSON.stringify(error.data)}`);
  return error;
}

/** WebOffice's file id: the SHA-1 of the document's oss:// URI. */
const sha1 = (text: string) => createHash('sha1').update(text).digest('hex');
const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const roleArnRe = (account: string, role: string) => escape(`acs:ram::${account}:role/${role}`);
const hop = (n: number, account: string, role: string) => new RegExp(`CredentialConfig hop ${n} \\((service )?role ${roleArnRe(account, role)}\\)`);

describe('a project of account A opens a document in account B\'s bucket', () => {
  test('Generate with CredentialConfig {ServiceRole ImmChain, Chain [ReaderForA of B]} opens B\'s document; Refresh works', async () => {
    for (const variant of ['pop-core POST', 'openapi-core ACS3-HMAC-SHA256 query', "openapi-client 'v2' form body"] as ClientVariant[]) {
      const client = createClient(variant, server, A);
      const pair = await generate(chainToB(), { client });
      assert.ok(pair.AccessToken && pair.RefreshToken, variant);
      // The document API answers for B's file (the file id names the object), as opened through the chain.
      const session = await openDocument(server, pair.WebofficeURL!, pair.AccessToken);
      assert.equal(session.status, 200, variant);
      assert.equal(session.body.FileId, sha1(bDoc), variant);
      assert.equal(session.body.Filename, 'report.docx', variant);
      const next = await refresh(pair, undefined, client);
      assert.notEqual(next.AccessToken, pair.AccessToken, variant);
      assert.equal((await openDocument(server, pair.WebofficeURL!, next.AccessToken)).body.FileId, sha1(bDoc), variant);
      // And again: the chain is checked at every refresh, and holds.
      await refresh(next, undefined, client);
    }
  });

  test("B's role may trust the ServiceRole's ARN instead of A's root: that service role passes, another of A's roles does not", async () => {
    await createRole(ramB, 'ReaderForImmChain', trustPolicy({ RAM: [`acs:ram::${A.AccountId}:role/ImmChain`] }), ['AliyunOSSReadOnlyAccess']);
    await createRole(ramA, 'ImmChainTwin', trustPolicy({ Service: [IMM] }), ['AliyunSTSAssumeRoleAccess']);
    const pair = await generate(chainToB('ReaderForImmChain'));
    assert.ok((await refresh(pair)).AccessToken);
    await expectForbidden(
      () => generate(chainToB('ReaderForImmChain', 'ImmChainTwin')),
      hop(1, B.AccountId, 'ReaderForImmChain'),
      new RegExp(`trust policy does not allow ${escape(`acs:ram::${A.AccountId}:assumed-role/ImmChainTwin/`)}`),
    );
  });

  test('up to 10 hops are followed (nine hops within A, then ReaderForA of B)', async () => {
    await createRole(ramA, 'Relay', trustPolicy({ RAM: [`acs:ram::${A.AccountId}:root`] }), ['AliyunSTSAssumeRoleAccess']);
    const relays: Hop[] = Array.from({ length: 9 }, () => ({ AssumeRoleFor: A.AccountId, Role: 'Relay', RoleType: 'user' }));
    const pair = await generate({ ServiceRole: 'ImmChain', Chain: [...relays, hopToB()] });
    assert.ok(pair.AccessToken);
  });
});

describe('each broken link refuses with Forbidden naming the hop', () => {
  test('no CredentialConfig: the project\'s default service role (of account A) cannot read B\'s bucket', async () => {
    // The same service role reads A's own bucket: what worked before chains keeps working.
    assert.ok((await generate(undefined, { uri: aDoc })).AccessToken);
    const error = await expectForbidden(
      () => generate(undefined),
      new RegExp(`bucket b-docs belongs to account ${B.AccountId}`),
      new RegExp(escape(`acs:ram::${A.AccountId}:assumed-role/AliyunIMMDefaultRole/`)),
      new RegExp(`is of account ${A.AccountId}`),
    );
    assert.equal(error.data?.AccessDeniedDetail.AuthAction, 'oss:GetObject');
  });

  test('a ServiceRole that does not trust the IMM service: hop 0', async () => {
    await createRole(ramA, 'NotForImm', trustPolicy({ RAM: [`acs:ram::${A.AccountId}:root`] }), ['AliyunSTSAssumeRoleAccess']);
    const error = await expectForbidden(() => generate(chainToB('ReaderForA', 'NotForImm')), hop(0, A.AccountId, 'NotForImm'), /trust policy does not allow imm\.aliyuncs\.com/);
    assert.equal(error.data?.AccessDeniedDetail.PolicyType, 'TrustPolicy');
    assert.equal(error.data?.AccessDeniedDetail.AuthAction, 'sts:AssumeRole');
  });

  test('a ServiceRole that does not exist: hop 0', async () => {
    await expectForbidden(() => generate(chainToB('ReaderForA', 'NoSuchServiceRole')), hop(0, A.AccountId, 'NoSuchServiceRole'), /the role does not exist/);
  });

  test('a ServiceRole lacking sts:AssumeRole: hop 1 (it may not assume the chain role)', async () => {
    await createRole(ramA, 'ImmNoAssume', trustPolicy({ Service: [IMM] }), ['AliyunIMMFullAccess']);
    const error = await expectForbidden(
      () => generate(chainToB('ReaderForA', 'ImmNoAssume')),
      hop(1, B.AccountId, 'ReaderForA'),
      new RegExp(`${escape(`acs:ram::${A.AccountId}:assumed-role/ImmNoAssume/`)}\\S+ may not sts:AssumeRole`),
    );
    assert.equal(error.data?.AccessDeniedDetail.NoPermissionType, 'ImplicitDeny');
  });

  test('a Chain role that does not exist: hop 1', async () => {
    await expectForbidden(() => generate(chainToB('NoSuchRole')), hop(1, B.AccountId, 'NoSuchRole'), /the role does not exist/);
  });

  test('a Chain role whose trust policy does not name account A: hop 1', async () => {
    await createRole(ramB, 'ReaderForC', trustPolicy({ RAM: [`acs:ram::${C.AccountId}:root`] }), ['AliyunOSSReadOnlyAccess']);
    const error = await expectForbidden(
      () => generate(chainToB('ReaderForC')),
      hop(1, B.AccountId, 'ReaderForC'),
      new RegExp(`trust policy does not allow ${escape(`acs:ram::${A.AccountId}:assumed-role/ImmChain/`)}`),
    );
    assert.equal(error.data?.AccessDeniedDetail.PolicyType, 'TrustPolicy');
  });

  test('a Chain role in the wrong account (AssumeRoleFor names A, where no such role exists): hop 1', async () => {
    await expectForbidden(() => generate({ ServiceRole: 'ImmChain', Chain: [{ AssumeRoleFor: A.AccountId, Role: 'ReaderForA' }] }), hop(1, A.AccountId, 'ReaderForA'), /does not exist/);
  });

  test('a last role lacking oss:GetObject (only AliyunIMMFullAccess): the last identity may not oss:GetObject', async () => {
    await createRole(ramB, 'ImmOnlyForA', trustPolicy({ RAM: [`acs:ram::${A.AccountId}:root`] }), ['AliyunIMMFullAccess']);
    const error = await expectForbidden(
      () => generate(chainToB('ImmOnlyForA')),
      new RegExp(`last identity ${escape(`acs:ram::${B.AccountId}:assumed-role/ImmOnlyForA/`)}\\S+ may not oss:GetObject on ${escape(`acs:oss:*:${B.AccountId}:b-docs/shared/report.docx`)}`),
    );
    assert.equal(error.data?.AccessDeniedDetail.AuthAction, 'oss:GetObject');
    assert.equal(error.data?.AccessDeniedDetail.NoPermissionType, 'ImplicitDeny');
  });

  test("a chain ending in A's own role cannot read B's bucket (the wrong account), though the role may read OSS", async () => {
    await createRole(ramA, 'AReader', trustPolicy({ RAM: [`acs:ram::${A.AccountId}:root`] }), ['AliyunOSSReadOnlyAccess']);
    // The same chain reads A's own bucket.
    assert.ok((await generate({ ServiceRole: 'ImmChain', Chain: [{ AssumeRoleFor: A.AccountId, Role: 'AReader' }] }, { uri: aDoc })).AccessToken);
    await expectForbidden(
      () => generate({ ServiceRole: 'ImmChain', Chain: [{ AssumeRoleFor: A.AccountId, Role: 'AReader' }] }),
      new RegExp(`bucket b-docs belongs to account ${B.AccountId}`),
      new RegExp(`${escape(`acs:ram::${A.AccountId}:assumed-role/AReader/`)}\\S+ is of account ${A.AccountId}`),
    );
  });

  test('a CredentialConfig.Policy narrows the service role: a Deny of oss:GetObject refuses what the role allows', async () => {
    await createRole(ramA, 'ImmReader', trustPolicy({ Service: [IMM] }), ['AliyunOSSReadOnlyAccess', 'AliyunSTSAssumeRoleAccess']);
    // Without the Policy, the service role reads A's document itself.
    assert.ok((await generate({ ServiceRole: 'ImmReader' }, { uri: aDoc })).AccessToken);
    const denyRead = policy({ Effect: 'Allow', Action: '*', Resource: '*' }, { Effect: 'Deny', Action: 'oss:GetObject', Resource: '*' });
    const error = await expectForbidden(
      () => generate({ ServiceRole: 'ImmReader', Policy: denyRead }, { uri: aDoc }),
      new RegExp(`${escape(`acs:ram::${A.AccountId}:assumed-role/ImmReader/`)}\\S+ may not oss:GetObject .*\\(ExplicitDeny\\)`),
    );
    assert.equal(error.data?.AccessDeniedDetail.PolicyType, 'SessionPolicy');
    // A Policy allowing only OSS also takes sts:AssumeRole away from the service role: the chain breaks at hop 1.
    const ossOnly = policy({ Effect: 'Allow', Action: 'oss:*', Resource: '*' });
    await expectForbidden(() => generate({ ...chainToB('ReaderForA', 'ImmReader'), Policy: ossOnly }), hop(1, B.AccountId, 'ReaderForA'), /may not sts:AssumeRole/);
    // The same chain without the Policy works.
    assert.ok((await generate(chainToB('ReaderForA', 'ImmReader'))).AccessToken);
  });

  test('a CredentialConfig.Policy of more than 2048 characters (a session policy, as for AssumeRole) is InvalidArgument; 2048 is accepted', async () => {
    const allowAll = policy({ Effect: 'Allow', Action: '*', Resource: '*' });
    const error = await expectError(() => generate({ ...chainToB(), Policy: allowAll.padEnd(2049, ' ') }), 'InvalidArgument');
    assert.equal(error.statusCode, 400);
    assert.match(error.message, /CredentialConfig\.Policy.*2049 characters long, more than the limit of 2048/);
    assert.ok((await generate({ ...chainToB(), Policy: allowAll.padEnd(2048, ' ') })).AccessToken);
  });

  test('11 hops is InvalidArgument naming CredentialConfig.Chain', async () => {
    const chain = Array.from({ length: 11 }, () => hopToB());
    const error = await expectError(() => generate({ ServiceRole: 'ImmChain', Chain: chain }), 'InvalidArgument');
    assert.equal(error.statusCode, 400);
    assert.match(error.message, /CredentialConfig\.Chain.*at most 10 hops/);
  });
});

describe('chains are checked at every Refresh', () => {
  test('B detaching the policy from its role ends the session\'s refreshes (Forbidden); attaching it again restores them', async () => {
    await createRole(ramB, 'RevocableForA', trustPolicy({ RAM: [`acs:ram::${A.AccountId}:root`] }), ['AliyunOSSReadOnlyAccess']);
    const pair = await generate(chainToB('RevocableForA'));
    const next = await refresh(pair);

    await detach(ramB, 'RevocableForA', 'AliyunOSSReadOnlyAccess');
    await expectForbidden(() => refresh(next), new RegExp(`${escape(`acs:ram::${B.AccountId}:assumed-role/RevocableForA/`)}\\S+ may not oss:GetObject`));
    // The refused refresh spent nothing: once B grants again, the same pair refreshes.
    await attach(ramB, 'RevocableForA', 'AliyunOSSReadOnlyAccess');
    assert.ok((await refresh(next)).AccessToken);
  });

  test('B deleting the role ends the session\'s refreshes: hop 1, the role does not exist', async () => {
    await createRole(ramB, 'DeletableForA', trustPolicy({ RAM: [`acs:ram::${A.AccountId}:root`] }), ['AliyunOSSReadOnlyAccess']);
    const pair = await generate(chainToB('DeletableForA'));
    await detach(ramB, 'DeletableForA', 'AliyunOSSReadOnlyAccess');
    await ramB.deleteRole(new ram.DeleteRoleRequest({ roleName: 'DeletableForA' }));
    await expectForbidden(() => refresh(pair), hop(1, B.AccountId, 'DeletableForA'), /the role does not exist/);
  });

  test('A revoking its service role\'s sts:AssumeRole ends the refreshes too: hop 1', async () => {
    await createRole(ramA, 'ImmChainRevocable', trustPolicy({ Service: [IMM] }), ['AliyunSTSAssumeRoleAccess']);
    const pair = await generate(chainToB('ReaderForA', 'ImmChainRevocable'));
    await detach(ramA, 'ImmChainRevocable', 'AliyunSTSAssumeRoleAccess');
    await expectForbidden(() => refresh(pair), hop(1, B.AccountId, 'ReaderForA'), /may not sts:AssumeRole/);
  });

  test('a Refresh with a new valid CredentialConfig replaces the stored one for that and later refreshes; a broken one replaces nothing', async () => {
    await createRole(ramB, 'FirstForA', trustPolicy({ RAM: [`acs:ram::${A.AccountId}:root`] }), ['AliyunOSSReadOnlyAccess']);
    await createRole(ramB, 'SecondForA', trustPolicy({ RAM: [`acs:ram::${A.AccountId}:root`] }), ['AliyunOSSReadOnlyAccess']);
    const first = await generate(chainToB('FirstForA'));

    // A broken CredentialConfig on Refresh is refused, and the stored chain stays.
    await expectForbidden(() => refresh(first, chainToB('NoSuchRole')), hop(1, B.AccountId, 'NoSuchRole'));
    const second = await refresh(first, chainToB('SecondForA'));

    // FirstForA no longer matters: revoking it does not stop the refreshes.
    await detach(ramB, 'FirstForA', 'AliyunOSSReadOnlyAccess');
    const third = await refresh(second);
    // SecondForA does: revoking it does.
    await detach(ramB, 'SecondForA', 'AliyunOSSReadOnlyAccess');
    await expectForbidden(() => refresh(third), new RegExp(`${escape(`acs:ram::${B.AccountId}:assumed-role/SecondForA/`)}\\S+ may not oss:GetObject`));
  });

  test('a Refresh without CredentialConfig of a session generated without one still uses the default service role', async () => {
    const pair = await generate(undefined, { uri: aDoc });
    assert.ok((await refresh(pair)).AccessToken);
  });
});

describe("a Deny on a folder of a bucket cannot be bypassed by another spelling of the key", () => {
  const PRIVATE_PROJECT = 'Q';
  // Each resolves to private/x.docx on a file system; RAM sees the key as written.
  const aliases = ['./private/x.docx', './/private/x.docx', 'private//x.docx', 'private/./x.docx', 'private/x.docx/'];
  const denyPrivate = { Effect: 'Deny', Action: 'oss:GetObject', Resource: 'acs:oss:*:*:a-docs/private/*' };
  const open = (project: string, key: string, config?: CredentialConfig) =>
    immA.call('GenerateWebofficeToken', {
      ProjectName: project,
      SourceURI: `oss://a-docs/${key}`,
      Filename: 'x.docx', // so that the key itself is what is judged, trailing '/' included
      ...(config && { CredentialConfig: JSON.stringify(config) }),
    });

  /** The plain key is an explicit deny; every alias is InvalidArgument naming SourceURI (before: 200, the bypass). */
  async function expectNoBypass(project: string, config: CredentialConfig | undefined, policyType: string) {
    remember(await open(project, 'public/y.docx', config)); // the Deny covers only private/
    const denied = await expectForbidden(() => open(project, 'private/x.docx', config), /may not oss:GetObject .*\(ExplicitDeny\)/);
    assert.equal(denied.data?.AccessDeniedDetail.PolicyType, policyType);
    for (const alias of aliases) {
      const error = await expectError(async () => remember(await open(project, alias, config)), 'InvalidArgument');
      assert.equal(error.statusCode, 400, alias);
      assert.match(error.message, /^The parameter SourceURI is invalid: the object name /, alias);
    }
  }

  before(async () => {
    await Promise.all([
      putDocument(server, A.AccountId, 'a-docs', 'private/x.docx', 'private'),
      putDocument(server, A.AccountId, 'a-docs', 'public/y.docx', 'public'),
    ]);
  });

  test("in CredentialConfig.Policy", async () => {
    await createRole(ramA, 'ImmOssReader', trustPolicy({ Service: [IMM] }), ['AliyunOSSReadOnlyAccess']);
    await expectNoBypass(PROJECT, { ServiceRole: 'ImmOssReader', Policy: policy({ Effect: 'Allow', Action: '*', Resource: '*' }, denyPrivate) }, 'SessionPolicy');
  });

  test("in a policy of the project's service role", async () => {
    await createRole(ramA, 'ImmNoPrivate', trustPolicy({ Service: [IMM] }), ['AliyunOSSReadOnlyAccess']);
    await ramA.createPolicy(new ram.CreatePolicyRequest({ policyName: 'DenyPrivate', policyDocument: policy(denyPrivate) }));
    await ramA.attachPolicyToRole(new ram.AttachPolicyToRoleRequest({ roleName: 'ImmNoPrivate', policyName: 'DenyPrivate', policyType: 'Custom' }));
    await immA.call('CreateProject', { ProjectName: PRIVATE_PROJECT, ServiceRole: 'ImmNoPrivate' });
    await expectNoBypass(PRIVATE_PROJECT, undefined, 'AccountLevelIdentityBasedPolicy');
  });
});

describe('audit', () => {
  test('`imm-weboffice audit --since T --json` lists allow and deny decisions with principal, action, resource and matched statement; no secret, no token', async () => {
    // Temporary credentials of A also call through a chain, so their secret and token are in play too.
    await createRole(ramA, 'AppRole', trustPolicy({ RAM: [`acs:ram::${A.AccountId}:root`] }), ['AliyunIMMFullAccess']);
    const assumed = (await stsClient(server, A).assumeRole(new sts.AssumeRoleRequest({ roleArn: `acs:ram::${A.AccountId}:role/AppRole`, roleSessionName: 'audited-app' }))).body!.credentials!;
    secrets.push(assumed.accessKeySecret!, assumed.securityToken!);
    const app = createClient('openapi-core ACS3-HMAC-SHA256 query', server, { AccessKeyId: assumed.accessKeyId!, AccessKeySecret: assumed.accessKeySecret!, SecurityToken: assumed.securityToken! });
    const pair = await generate(chainToB(), { client: app });
    await refresh(pair, undefined, app);

    const [text, table, future] = await Promise.all([
      runCli(server.env, ['audit', '--since', startedAt, '--json']),
      runCli(server.env, ['audit', '--since', startedAt]),
      runCli(server.env, ['audit', '--since', new Date(Date.now() + 60_000).toISOString(), '--json']),
    ]);
    const rows = JSON.parse(text) as Record<string, string>[];
    assert.ok(rows.length > 20, `${rows.length} decisions`);
    for (const row of rows) {
      for (const field of ['Time', 'Decision', 'Reason', 'Principal', 'Action', 'Resource', 'Statement']) assert.equal(typeof row[field], 'string', `${field} of ${JSON.stringify(row)}`);
      assert.ok(row.Time >= startedAt, `${row.Time} is not before --since ${startedAt}`);
      assert.ok(['Allow', 'Deny'].includes(row.Decision));
    }
    const find = (predicate: (row: Record<string, string>) => boolean, what: string) => {
      const row = rows.find(predicate);
      assert.ok(row, `no audit row for ${what}`);
      return row;
    };

    // The app's own call, by its assumed-role session, allowed by AliyunIMMFullAccess.
    find(
      (r) =>
        r.Principal === `acs:ram::${A.AccountId}:assumed-role/AppRole/audited-app` &&
        r.Action === 'imm:GenerateWebofficeToken' &&
        r.Decision === 'Allow' &&
        r.Statement === 'System:AliyunIMMFullAccess#Statement[0]' &&
        /^acs:imm:[^:]+:\d+:project\/P$/.test(r.Resource),
      'the app generating on project P',
    );
    // Hop 0: IMM assumes ImmChain, allowed by its trust policy.
    find(
      (r) => r.Principal === IMM && r.Action === 'sts:AssumeRole' && r.Resource === `acs:ram::${A.AccountId}:role/ImmChain` && r.Decision === 'Allow' && /AssumeRolePolicyDocument#Statement\[0\]$/.test(r.Statement),
      'IMM assuming ImmChain',
    );
    // Hop 1: ImmChain's session may assume ReaderForA (AliyunSTSAssumeRoleAccess), and B's trust policy allows it.
    find(
      (r) => r.Principal.startsWith(`acs:ram::${A.AccountId}:assumed-role/ImmChain/`) && r.Action === 'sts:AssumeRole' && r.Resource === `acs:ram::${B.AccountId}:role/ReaderForA` && r.Statement === 'System:AliyunSTSAssumeRoleAccess#Statement[0]',
      'ImmChain assuming ReaderForA',
    );
    // The read itself.
    find(
      (r) =>
        r.Principal.startsWith(`acs:ram::${B.AccountId}:assumed-role/ReaderForA/`) &&
        r.Action === 'oss:GetObject' &&
        r.Resource === `acs:oss:*:${B.AccountId}:b-docs/shared/report.docx` &&
        r.Decision === 'Allow' &&
        r.Statement === 'System:AliyunOSSReadOnlyAccess#Statement[0]',
      'ReaderForA reading the document',
    );
    // Denials: implicit (ImmOnlyForA may not read), explicit (the CredentialConfig.Policy Deny), trust (NotForImm).
    find((r) => r.Decision === 'Deny' && r.Reason === 'ImplicitDeny' && r.Action === 'oss:GetObject' && r.Principal.includes(':assumed-role/ImmOnlyForA/'), 'ImmOnlyForA refused');
    find(
      (r) => r.Decision === 'Deny' && r.Reason === 'ExplicitDeny' && r.Action === 'oss:GetObject' && r.Principal.includes(':assumed-role/ImmReader/') && r.Statement === 'Session:CredentialConfig.Policy#Statement[1]',
      'the CredentialConfig.Policy Deny',
    );
    find((r) => r.Decision === 'Deny' && r.Principal === IMM && r.Resource === `acs:ram::${A.AccountId}:role/NotForImm`, 'NotForImm not trusting IMM');
    // The root's calls are recorded as allowed for being the account's root.
    find((r) => r.Principal === `acs:ram::${A.AccountId}:root` && r.Action === 'imm:GenerateWebofficeToken' && r.Reason === 'AccountRoot', 'the root generating');

    // No secret and no token, in the JSON or in the table.
    assert.match(table, /oss:GetObject/);
    assert.ok(secrets.length >= 20, `${secrets.length} secrets collected`);
    for (const secret of secrets) {
      assert.ok(!text.includes(secret), `the audit JSON contains a secret or token (${secret.slice(0, 6)}…)`);
      assert.ok(!table.includes(secret), `the audit table contains a secret or token (${secret.slice(0, 6)}…)`);
    }

    // --since filters: nothing is older than a time in the future.
    assert.deepEqual(JSON.parse(future), []);
  });
});
