/**
 * RAM users and their policies, end to end: the root manages users, keys, groups and policies through the
 * official `@alicloud/ram20150501` client; the users then call IMM through the official IMM-calling clients
 * (pop-core, openapi-client, openapi-core), and the policy engine decides — and explains its denials.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { putDocument, startServer, type TestServer } from '../helpers/server.js';
import { createClient, expectClientError, type ClientFamily, type ClientVariant, type Credentials, type OfficialClient } from '../helpers/clients.js';
import { createRamUser, expectCloudError, policy, ram, ramClient, type RamClient } from '../helpers/cloudClients.js';
import { rpcRequest } from '../helpers/signedHttp.js';
import { MAX_USER_AGENT_LENGTH } from '../../src/api/requestFacts.js';

let server: TestServer;
let account: string;
let root: RamClient;
let rootImm: OfficialClient;
let docUri: string;

const ALPHA = 'alpha';
const BETA = 'beta';
/** One variant per library: each surfaces errors (and AccessDeniedDetail) its own way. */
const FAMILY_VARIANTS: ClientVariant[] = ['pop-core POST', 'openapi-client ACS3-HMAC-SHA256 query', "openapi-core 'v2' query"];

before(async () => {
  server = await startServer();
  account = server.root.AccountId;
  root = ramClient(server, server.root);
  rootImm = createClient('pop-core POST', server, server.root);
  await rootImm.call('CreateProject', { ProjectName: BETA });
  docUri = await putDocument(server, account, 'ram-docs', 'report.docx', 'a report');
});

after(async () => {
  await server?.stop();
});

const projectArn = (name: string) => `acs:imm:*:${account}:project/${name}`;

const newUser = (name: string) => createRamUser(root, name, { displayName: `${name} display` });

async function createPolicy(name: string, document: string): Promise<void> {
  await root.createPolicy(new ram.CreatePolicyRequest({ policyName: name, policyDocument: document, description: `test policy ${name}` }));
}

async function attachToUser(userName: string, policyName: string, policyType: 'System' | 'Custom' = 'Custom'): Promise<void> {
  await root.attachPolicyToUser(new ram.AttachPolicyToUserRequest({ userName, policyName, policyType }));
}

/** A new user with one custom policy of this document attached. */
async function userWithPolicy(name: string, document: string): Promise<Credentials> {
  const credentials = await newUser(name);
  await createPolicy(`${name}-policy`, document);
  await attachToUser(name, `${name}-policy`);
  return credentials;
}

/** Calls and expects the library's error; returns it as the library surfaces it, plus its AccessDeniedDetail. */
async function expectImmError(client: OfficialClient, action: string, params: Record<string, unknown>, code: string) {
  const surfaced = await expectClientError(client, action, params, code);
  return { ...surfaced, detail: accessDeniedDetailOf(client.family, surfaced.error) };
}

/** Where each library carries AccessDeniedDetail: pop-core only in the parsed body, the openapi ones also on the error. */
function accessDeniedDetailOf(family: ClientFamily, err: unknown): Record<string, any> | undefined {
  const e = err as { accessDeniedDetail?: Record<string, any>; data?: Record<string, any> };
  if (family !== 'pop-core') {
    assert.deepEqual(e.accessDeniedDetail ?? undefined, e.data?.AccessDeniedDetail, `${family} surfaces the body's AccessDeniedDetail as err.accessDeniedDetail`);
  }
  return e.data?.AccessDeniedDetail;
}

const allowProject = (name: string, actions: string | string[] = 'imm:*') => ({ Effect: 'Allow', Action: actions, Resource: projectArn(name) });

describe('a RAM user limited to one project', () => {
  let user: Credentials;

  before(async () => {
    user = await userWithPolicy('alpha-user', policy(allowProject(ALPHA)));
  });

  test('may CreateProject and GetProject on alpha, and Generate and Refresh tokens there (every library)', async () => {
    const pop = createClient('pop-core POST', server, user);
    const created = await pop.call('CreateProject', { ProjectName: ALPHA });
    assert.equal(created.Project.ProjectName, ALPHA);
    for (const variant of FAMILY_VARIANTS) {
      const client = createClient(variant, server, user);
      const got = await client.call('GetProject', { ProjectName: ALPHA });
      assert.equal(got.Project.ProjectName, ALPHA, variant);
      const generated = await client.call('GenerateWebofficeToken', { ProjectName: ALPHA, SourceURI: docUri });
      assert.ok(generated.AccessToken && generated.RefreshToken && generated.WebofficeURL, `${variant}: ${JSON.stringify(generated)}`);
      const refreshed = await client.call('RefreshWebofficeToken', { ProjectName: ALPHA, AccessToken: generated.AccessToken, RefreshToken: generated.RefreshToken });
      assert.ok(refreshed.AccessToken, variant);
      assert.notEqual(refreshed.AccessToken, generated.AccessToken, variant);
    }
  });

  test('is refused on project beta: Forbidden 403 with AccessDeniedDetail (ImplicitDeny, the action called, SubUser), in every library', async () => {
    for (const variant of FAMILY_VARIANTS) {
      const client = createClient(variant, server, user);
      for (const [action, params] of [
        ['GetProject', { ProjectName: BETA }],
        ['GenerateWebofficeToken', { ProjectName: BETA, SourceURI: docUri }],
      ] as const) {
        const error = await expectImmError(client, action, params, 'Forbidden');
        assert.equal(error.statusCode, 403, `${variant} ${action}`);
        assert.ok(error.detail, `${variant} ${action}: no AccessDeniedDetail in ${JSON.stringify(error.data)}`);
        assert.equal(error.detail.NoPermissionType, 'ImplicitDeny');
        assert.equal(error.detail.AuthAction, `imm:${action}`);
        assert.equal(error.detail.AuthPrincipalType, 'SubUser');
        assert.equal(error.detail.AuthPrincipalDisplayName, 'alpha-user');
        assert.equal(error.detail.PolicyType, 'AccountLevelIdentityBasedPolicy');
        const diagnostic = JSON.parse(Buffer.from(error.detail.EncodedDiagnosticMessage, 'base64').toString('utf8'));
        assert.equal(diagnostic.action, `imm:${action}`);
        assert.match(diagnostic.resource, new RegExp(`^acs:imm:[^:]+:${account}:project/${BETA}$`));
        assert.equal(diagnostic.principal, `acs:ram::${account}:user/alpha-user`);
        assert.match(error.message, new RegExp(`user/alpha-user may not imm:${action} on .*project/${BETA}`));
      }
    }
  });

  test('the root, for comparison, is allowed on beta (the root of an account needs no policy)', async () => {
    const got = await rootImm.call('GetProject', { ProjectName: BETA });
    assert.equal(got.Project.ProjectName, BETA);
  });
});

describe('explicit Deny beats AliyunIMMFullAccess', () => {
  // A function: `account` is known only once the server has started.
  const denyGetBeta = () => policy({ Effect: 'Deny', Action: 'imm:GetProject', Resource: projectArn(BETA) });

  test('a Deny attached to the user directly refuses with ExplicitDeny, and nothing else changes', async () => {
    const user = await newUser('deny-direct');
    await attachToUser('deny-direct', 'AliyunIMMFullAccess', 'System');
    const client = createClient('openapi-client ACS3-HMAC-SHA256 query', server, user);
    assert.equal((await client.call('GetProject', { ProjectName: BETA })).Project.ProjectName, BETA);

    await createPolicy('deny-get-beta-direct', denyGetBeta());
    await attachToUser('deny-direct', 'deny-get-beta-direct');
    const error = await expectImmError(client, 'GetProject', { ProjectName: BETA }, 'Forbidden');
    assert.equal(error.statusCode, 403);
    assert.equal(error.detail?.NoPermissionType, 'ExplicitDeny');
    assert.equal(error.detail?.AuthAction, 'imm:GetProject');
    const diagnostic = JSON.parse(Buffer.from(error.detail!.EncodedDiagnosticMessage, 'base64').toString('utf8'));
    assert.deepEqual(
      { name: diagnostic.matched?.policyName, type: diagnostic.matched?.policyType, effect: diagnostic.matched?.effect },
      { name: 'deny-get-beta-direct', type: 'Custom', effect: 'Deny' },
    );
    // What the Deny does not cover, AliyunIMMFullAccess still allows.
    assert.equal((await client.call('ListProjects', {})).Projects.some((p: { ProjectName: string }) => p.ProjectName === BETA), true);
    await client.call('GenerateWebofficeToken', { ProjectName: BETA, SourceURI: docUri });
  });

  test('a Deny reaching the user through a group (CreateGroup, AddUserToGroup, AttachPolicyToGroup) refuses with ExplicitDeny', async () => {
    const user = await newUser('deny-via-group');
    await attachToUser('deny-via-group', 'AliyunIMMFullAccess', 'System');
    const client = createClient("openapi-core 'v2' query", server, user);
    assert.equal((await client.call('GetProject', { ProjectName: BETA })).Project.ProjectName, BETA);

    await root.createGroup(new ram.CreateGroupRequest({ groupName: 'no-beta' }));
    await root.addUserToGroup(new ram.AddUserToGroupRequest({ groupName: 'no-beta', userName: 'deny-via-group' }));
    await createPolicy('deny-get-beta-group', denyGetBeta());
    await root.attachPolicyToGroup(new ram.AttachPolicyToGroupRequest({ groupName: 'no-beta', policyName: 'deny-get-beta-group', policyType: 'Custom' }));

    const error = await expectImmError(client, 'GetProject', { ProjectName: BETA }, 'Forbidden');
    assert.equal(error.statusCode, 403);
    assert.equal(error.detail?.NoPermissionType, 'ExplicitDeny');
    assert.equal(error.detail?.AuthPrincipalType, 'SubUser');
  });
});

describe('conditions decide', () => {
  // The test server listens on 127.0.0.1, so every request it sees comes from 127.0.0.1.
  test('IpAddress on acs:SourceIp: 127.0.0.1/32 allows, 10.0.0.0/8 refuses (ImplicitDeny)', async () => {
    const condition = (cidr: string) => ({ ...allowProject(BETA), Condition: { IpAddress: { 'acs:SourceIp': cidr } } });
    const local = await userWithPolicy('ip-local', policy(condition('127.0.0.1/32')));
    const tenNet = await userWithPolicy('ip-ten', policy(condition('10.0.0.0/8')));
    assert.equal((await createClient('pop-core GET', server, local).call('GetProject', { ProjectName: BETA })).Project.ProjectName, BETA);
    const error = await expectImmError(createClient('pop-core GET', server, tenNet), 'GetProject', { ProjectName: BETA }, 'Forbidden');
    assert.equal(error.detail?.NoPermissionType, 'ImplicitDeny');
    // And as a Deny: NotIpAddress 10.0.0.0/8 fires for 127.0.0.1.
    const fenced = await userWithPolicy(
      'ip-fenced',
      policy(allowProject(BETA), { Effect: 'Deny', Action: 'imm:*', Resource: '*', Condition: { NotIpAddress: { 'acs:SourceIp': ['10.0.0.0/8'] } } }),
    );
    const denied = await expectImmError(createClient('pop-core GET', server, fenced), 'GetProject', { ProjectName: BETA }, 'Forbidden');
    assert.equal(denied.detail?.NoPermissionType, 'ExplicitDeny');
  });

  test(`StringLike on acs:UserAgent decides with the User-Agent sent; one over ${MAX_USER_AGENT_LENGTH} characters is refused (MalformedRequest) before any policy is evaluated`, async () => {
    const agent = await userWithPolicy('ua-user', policy({ ...allowProject(BETA), Condition: { StringLike: { 'acs:UserAgent': '*ua-probe*' } } }));
    const getBeta = (userAgent: string) => rpcRequest(server, agent, { ProjectName: BETA }, { action: 'GetProject', headers: { 'user-agent': userAgent } });
    assert.equal(MAX_USER_AGENT_LENGTH, 1024);
    assert.equal((await getBeta('sdk ua-probe/1')).status, 200);
    assert.equal((await getBeta('other sdk')).status, 403);
    assert.equal((await getBeta('ua-probe'.padEnd(MAX_USER_AGENT_LENGTH, 'x'))).status, 200, 'exactly the limit is accepted');
    for (const length of [MAX_USER_AGENT_LENGTH + 1, 15_000]) {
      const refused = await getBeta('ua-probe'.padEnd(length, 'x'));
      assert.equal(refused.status, 400, `${length} characters`);
      assert.equal(refused.json?.Code, 'MalformedRequest');
      assert.match(refused.json?.Message, new RegExp(`User-Agent header is ${length} characters long, more than ${MAX_USER_AGENT_LENGTH}`));
    }
  });

  test('DateLessThan / DateGreaterThan on acs:CurrentTime: a window around now allows, a past or future one refuses', async () => {
    const past = '2001-01-01T00:00:00Z';
    const future = '2999-01-01T00:00:00+08:00';
    const dated = (operator: string, time: string) => ({ ...allowProject(BETA), Condition: { [operator]: { 'acs:CurrentTime': time } } });
    const cases: [string, Record<string, unknown>, boolean][] = [
      ['date-before-future', dated('DateLessThan', future), true],
      ['date-before-past', dated('DateLessThan', past), false],
      ['date-after-past', dated('DateGreaterThan', past), true],
      ['date-after-future', dated('DateGreaterThan', future), false],
      // Operators AND: after the past AND before the future is now.
      ['date-window', { ...allowProject(BETA), Condition: { DateGreaterThan: { 'acs:CurrentTime': past }, DateLessThan: { 'acs:CurrentTime': future } } }, true],
    ];
    for (const [name, statement, allowed] of cases) {
      const client = createClient('openapi-core ACS3-HMAC-SHA256 query', server, await userWithPolicy(name, policy(statement)));
      if (allowed) {
        assert.equal((await client.call('GetProject', { ProjectName: BETA })).Project.ProjectName, BETA, name);
      } else {
        const error = await expectImmError(client, 'GetProject', { ProjectName: BETA }, 'Forbidden');
        assert.equal(error.detail?.NoPermissionType, 'ImplicitDeny', name);
      }
    }
  });
});

describe('policy changes take effect at once', () => {
  test('CreatePolicyVersion with SetAsDefault=true changes the decision immediately (SetAsDefault=false does not)', async () => {
    const user = await userWithPolicy('versioned', policy(allowProject(ALPHA)));
    const client = createClient('pop-core POST', server, user);
    await expectImmError(client, 'GetProject', { ProjectName: BETA }, 'Forbidden');

    const v2 = await root.createPolicyVersion(
      new ram.CreatePolicyVersionRequest({ policyName: 'versioned-policy', policyDocument: policy(allowProject(BETA)), setAsDefault: false }),
    );
    assert.equal(v2.body!.policyVersion!.versionId, 'v2');
    assert.equal(v2.body!.policyVersion!.isDefaultVersion, false);
    await expectImmError(client, 'GetProject', { ProjectName: BETA }, 'Forbidden');

    const v3 = await root.createPolicyVersion(
      new ram.CreatePolicyVersionRequest({ policyName: 'versioned-policy', policyDocument: policy(allowProject(BETA)), setAsDefault: true }),
    );
    assert.equal(v3.body!.policyVersion!.versionId, 'v3');
    assert.equal(v3.body!.policyVersion!.isDefaultVersion, true);
    assert.equal((await client.call('GetProject', { ProjectName: BETA })).Project.ProjectName, BETA);
    // v3 allows beta only: alpha is now refused.
    await expectImmError(client, 'GetProject', { ProjectName: ALPHA }, 'Forbidden');

    const got = await root.getPolicy(new ram.GetPolicyRequest({ policyName: 'versioned-policy', policyType: 'Custom' }));
    assert.equal(got.body!.policy!.defaultVersion, 'v3');
    assert.equal(got.body!.defaultPolicyVersion!.versionId, 'v3');
  });

  test('DetachPolicyFromUser removes the access the policy gave', async () => {
    const user = await userWithPolicy('detached', policy(allowProject(BETA)));
    const client = createClient("openapi-client 'v2' form body", server, user);
    assert.equal((await client.call('GetProject', { ProjectName: BETA })).Project.ProjectName, BETA);
    await root.detachPolicyFromUser(new ram.DetachPolicyFromUserRequest({ userName: 'detached', policyName: 'detached-policy', policyType: 'Custom' }));
    const error = await expectImmError(client, 'GetProject', { ProjectName: BETA }, 'Forbidden');
    assert.equal(error.detail?.NoPermissionType, 'ImplicitDeny');
    const listed = await root.listPoliciesForUser(new ram.ListPoliciesForUserRequest({ userName: 'detached' }));
    assert.deepEqual(listed.body!.policies!.policy!, []);
  });

  test('UpdateAccessKey Status=Inactive refuses the key (InvalidAccessKeyId.Inactive) in both signature forms; Active restores it', async () => {
    const user = await userWithPolicy('inactive-key', policy(allowProject(BETA)));
    const classic = createClient('pop-core POST', server, user);
    const acs3 = createClient('openapi-core ACS3-HMAC-SHA256 query', server, user);
    await classic.call('GetProject', { ProjectName: BETA });

    await root.updateAccessKey(new ram.UpdateAccessKeyRequest({ userName: 'inactive-key', userAccessKeyId: user.AccessKeyId, status: 'Inactive' }));
    for (const client of [classic, acs3]) {
      const error = await expectImmError(client, 'GetProject', { ProjectName: BETA }, 'InvalidAccessKeyId.Inactive');
      assert.equal(error.statusCode, 400, client.variant);
    }
    const keys = await root.listAccessKeys(new ram.ListAccessKeysRequest({ userName: 'inactive-key' }));
    assert.deepEqual(
      keys.body!.accessKeys!.accessKey!.map((k) => [k.accessKeyId, k.status]),
      [[user.AccessKeyId, 'Inactive']],
    );

    await root.updateAccessKey(new ram.UpdateAccessKeyRequest({ userName: 'inactive-key', userAccessKeyId: user.AccessKeyId, status: 'Active' }));
    assert.equal((await acs3.call('GetProject', { ProjectName: BETA })).Project.ProjectName, BETA);
  });
});

describe('the RAM API through its official client', () => {
  test('CreatePolicy with an unknown condition operator is MalformedPolicyDocument naming where', async () => {
    const bad = policy(allowProject(ALPHA), { ...allowProject(BETA), Condition: { StringEqualz: { 'acs:UserAgent': 'x' } } });
    const error = await expectCloudError(root.createPolicy(new ram.CreatePolicyRequest({ policyName: 'bad-operator', policyDocument: bad })), 'MalformedPolicyDocument', 400);
    assert.match(error.message, /Statement\[1\]\.Condition\.StringEqualz/);
    assert.match(error.message, /unknown condition operator/);
    // Wrong case is named as such.
    const wrongCase = policy({ ...allowProject(BETA), Condition: { ipaddress: { 'acs:SourceIp': '127.0.0.1' } } });
    const caseError = await expectCloudError(root.createPolicy(new ram.CreatePolicyRequest({ policyName: 'bad-case', policyDocument: wrongCase })), 'MalformedPolicyDocument', 400);
    assert.match(caseError.message, /Statement\[0\]\.Condition\.ipaddress.*"IpAddress"/);
    // Nothing was created.
    await expectCloudError(root.getPolicy(new ram.GetPolicyRequest({ policyName: 'bad-operator', policyType: 'Custom' })), 'EntityNotExist.Policy', 404);
  });

  test('GetUser, ListUsers, ListPolicies, ListPoliciesForUser and GetPolicy fill the fields of the client models', async () => {
    await userWithPolicy('shape-user', policy(allowProject(ALPHA, ['imm:GetProject', 'imm:GenerateWebofficeToken'])));
    await attachToUser('shape-user', 'AliyunIMMReadOnlyAccess', 'System');

    const got = await root.getUser(new ram.GetUserRequest({ userName: 'shape-user' }));
    assert.equal(got.statusCode, 200);
    assert.match(got.body!.requestId!, /^[0-9A-F-]{36}$/);
    const user = got.body!.user!;
    assert.equal(user.userName, 'shape-user');
    assert.equal(user.displayName, 'shape-user display');
    assert.match(user.userId!, /^\d+$/);
    assert.match(user.createDate!, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    assert.match(user.updateDate!, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);

    const users = await root.listUsers(new ram.ListUsersRequest({ maxItems: 1000 }));
    assert.equal(users.body!.isTruncated, false);
    const listed = users.body!.users!.user!.find((u) => u.userName === 'shape-user');
    assert.ok(listed, 'ListUsers lists shape-user');
    assert.equal(listed.userId, user.userId);
    assert.equal(listed.displayName, 'shape-user display');
    assert.ok(users.body!.users!.user!.some((u) => u.userName === 'alpha-user'));

    const policies = await root.listPolicies(new ram.ListPoliciesRequest({ maxItems: 1000 }));
    const byName = new Map(policies.body!.policies!.policy!.map((p) => [p.policyName, p]));
    for (const name of ['AliyunIMMFullAccess', 'AliyunIMMReadOnlyAccess', 'AliyunOSSReadOnlyAccess', 'AliyunSTSAssumeRoleAccess']) {
      assert.equal(byName.get(name)?.policyType, 'System', name);
    }
    const custom = byName.get('shape-user-policy');
    assert.ok(custom, 'ListPolicies lists the custom policy');
    assert.equal(custom.policyType, 'Custom');
    assert.equal(custom.defaultVersion, 'v1');
    assert.equal(custom.description, 'test policy shape-user-policy');
    assert.equal(custom.attachmentCount, 1);
    assert.match(custom.createDate!, /Z$/);
    const customOnly = await root.listPolicies(new ram.ListPoliciesRequest({ policyType: 'Custom', maxItems: 1000 }));
    assert.ok(customOnly.body!.policies!.policy!.every((p) => p.policyType === 'Custom'));

    const attached = await root.listPoliciesForUser(new ram.ListPoliciesForUserRequest({ userName: 'shape-user' }));
    const attachments = attached.body!.policies!.policy!;
    assert.deepEqual(attachments.map((p) => [p.policyName, p.policyType]).sort(), [
      ['AliyunIMMReadOnlyAccess', 'System'],
      ['shape-user-policy', 'Custom'],
    ]);
    for (const a of attachments) {
      assert.match(a.attachDate!, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/, a.policyName);
      assert.ok(a.defaultVersion, a.policyName);
    }

    const fetched = await root.getPolicy(new ram.GetPolicyRequest({ policyName: 'shape-user-policy', policyType: 'Custom' }));
    const p = fetched.body!.policy!;
    assert.equal(p.policyName, 'shape-user-policy');
    assert.equal(p.policyType, 'Custom');
    assert.equal(p.defaultVersion, 'v1');
    assert.deepEqual(JSON.parse(p.policyDocument!), JSON.parse(policy(allowProject(ALPHA, ['imm:GetProject', 'imm:GenerateWebofficeToken']))));
    const version = fetched.body!.defaultPolicyVersion!;
    assert.equal(version.versionId, 'v1');
    assert.equal(version.isDefaultVersion, true);
    assert.equal(version.policyDocument, p.policyDocument);
    const system = await root.getPolicy(new ram.GetPolicyRequest({ policyName: 'AliyunIMMFullAccess', policyType: 'System' }));
    assert.equal(system.body!.policy!.policyType, 'System');
    assert.match(system.body!.policy!.policyDocument!, /imm:\*/);
  });

  test('AttachPolicyToUser beyond 10 custom policies is LimitExceeded.User.Policy (409); AddUserToGroup beyond 10 groups LimitExceeded.User.Group', async () => {
    await newUser('collector');
    for (let i = 0; i < 11; i++) await createPolicy(`collected-${i}`, policy(allowProject(ALPHA, 'imm:GetProject')));
    for (let i = 0; i < 10; i++) await attachToUser('collector', `collected-${i}`);
    const error = await expectCloudError(root.attachPolicyToUser(new ram.AttachPolicyToUserRequest({ userName: 'collector', policyName: 'collected-10', policyType: 'Custom' })), 'LimitExceeded.User.Policy', 409);
    assert.match(error.message, /at most 20 system policies and 10 custom policies/);
    const listed = (await root.listPoliciesForUser(new ram.ListPoliciesForUserRequest({ userName: 'collector' }))).body!.policies!.policy!;
    assert.equal(listed.length, 10);

    for (let i = 0; i < 11; i++) await root.createGroup(new ram.CreateGroupRequest({ groupName: `club-${i}` }));
    for (let i = 0; i < 10; i++) await root.addUserToGroup(new ram.AddUserToGroupRequest({ userName: 'collector', groupName: `club-${i}` }));
    await expectCloudError(root.addUserToGroup(new ram.AddUserToGroupRequest({ userName: 'collector', groupName: 'club-10' })), 'LimitExceeded.User.Group', 409);
  });

  test('a RAM user without RAM permissions cannot manage RAM (Forbidden naming the ram: action)', async () => {
    const user = await userWithPolicy('no-ram', policy(allowProject(ALPHA)));
    const error = await expectCloudError(ramClient(server, user).createUser(new ram.CreateUserRequest({ userName: 'sneaky' })), 'Forbidden', 403);
    assert.equal(error.accessDeniedDetail?.AuthAction, 'ram:CreateUser');
    assert.equal(error.accessDeniedDetail?.NoPermissionType, 'ImplicitDeny');
  });
});
