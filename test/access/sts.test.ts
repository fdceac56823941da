/**
 * STS end to end: roles are made with the official RAM client, assumed with the official STS client
 * (`@alicloud/sts20150401`), and the temporary credentials are used for IMM calls through every official
 * IMM-calling client — the classic RPC signature (SecurityToken parameter) and ACS3 (x-acs-security-token
 * header). The server runs with IMM_STS_MIN_DURATION=1 so credentials can be made to expire in a test.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { putDocument, startServer, type TestServer } from '../helpers/server.js';
import { CLIENT_VARIANTS, createClient, expectClientError, type ClientVariant, type Credentials, type OfficialClient } from '../helpers/clients.js';
import { createRamUser, expectCloudError, policy, ram, ramClient, sts, stsClient, trustPolicy, type RamClient, type StsClient } from '../helpers/cloudClients.js';

let server: TestServer;
let account: string;
let rootRam: RamClient;
let rootSts: StsClient;
let docUri: string;

const PROJECT = 'sts-project';
const OTHER_PROJECT = 'sts-other';
const ROLE = 'ImmOperator';
/** The classic RPC signature (SecurityToken parameter) and ACS3 (x-acs-security-token header), from two libraries each. */
const SIGNATURE_FORMS: ClientVariant[] = ['pop-core POST', "openapi-core 'v2' query", 'openapi-core ACS3-HMAC-SHA256 query', 'openapi-client ACS3-HMAC-SHA256 query'];

before(async () => {
  server = await startServer({ IMM_STS_MIN_DURATION: '1' });
  account = server.root.AccountId;
  rootRam = ramClient(server, server.root);
  rootSts = stsClient(server, server.root);
  const rootImm = createClient('pop-core POST', server, server.root);
  await rootImm.call('CreateProject', { ProjectName: PROJECT });
  await rootImm.call('CreateProject', { ProjectName: OTHER_PROJECT });
  docUri = await putDocument(server, account, 'sts-docs', 'plan.docx', 'a plan');
  await rootRam.createRole(new ram.CreateRoleRequest({ roleName: ROLE, assumeRolePolicyDocument: trustPolicy({ RAM: [`acs:ram::${account}:root`] }) }));
  await rootRam.attachPolicyToRole(new ram.AttachPolicyToRoleRequest({ roleName: ROLE, policyName: 'AliyunIMMFullAccess', policyType: 'System' }));
});

after(async () => {
  await server?.stop();
});

const roleArn = (name: string, owner = account) => `acs:ram::${owner}:role/${name}`;

interface StsCredentials extends Required<Credentials> {
  Expiration: string;
}

async function assume(client: StsClient, request: { roleName?: string; session?: string; durationSeconds?: number; policy?: string } = {}) {
  const response = await client.assumeRole(
    new sts.AssumeRoleRequest({
      roleArn: roleArn(request.roleName ?? ROLE),
      roleSessionName: request.session ?? 'test-session',
      ...(request.durationSeconds !== undefined ? { durationSeconds: request.durationSeconds } : {}),
      ...(request.policy !== undefined ? { policy: request.policy } : {}),
    }),
  );
  return response.body!;
}

async function assumeCredentials(client: StsClient = rootSts, request: Parameters<typeof assume>[1] = {}): Promise<StsCredentials> {
  const c = (await assume(client, request)).credentials!;
  return { AccessKeyId: c.accessKeyId!, AccessKeySecret: c.accessKeySecret!, SecurityToken: c.securityToken!, Expiration: c.expiration! };
}

const expectImmError = expectClientError;

const newUser = (name: string, systemPolicies: string[]) => createRamUser(rootRam, name, { systemPolicies });

describe('AssumeRole', () => {
  test('CreateRole and GetRole show the role with its ARN and trust policy', async () => {
    const role = (await rootRam.getRole(new ram.GetRoleRequest({ roleName: ROLE }))).body!.role!;
    assert.equal(role.roleName, ROLE);
    assert.equal(role.arn, roleArn(ROLE));
    assert.match(role.roleId!, /^\d+$/);
    assert.equal(role.maxSessionDuration, 3600);
    assert.deepEqual(JSON.parse(role.assumeRolePolicyDocument!).Statement[0].Principal, { RAM: [`acs:ram::${account}:root`] });
    const attached = (await rootRam.listPoliciesForRole(new ram.ListPoliciesForRoleRequest({ roleName: ROLE }))).body!.policies!.policy!;
    assert.deepEqual(attached.map((p) => p.policyName), ['AliyunIMMFullAccess']);
  });

  test('by the root: Credentials {STS.* key, secret, SecurityToken, Expiration} and AssumedRoleUser {Arn, AssumedRoleId}', async () => {
    const before = Date.now();
    const body = await assume(rootSts, { session: 'root-session', durationSeconds: 1800 });
    const c = body.credentials!;
    assert.match(c.accessKeyId!, /^STS\.[A-Za-z0-9]+$/);
    assert.ok(c.accessKeySecret && c.accessKeySecret.length >= 20, 'a secret');
    assert.ok(c.securityToken && c.securityToken.length >= 40, 'a security token');
    assert.match(c.expiration!, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    const expires = Date.parse(c.expiration!);
    assert.ok(expires >= before + 1799_000 && expires <= Date.now() + 1800_000, `Expiration ${c.expiration} is 1800 s from now`);
    const roleId = (await rootRam.getRole(new ram.GetRoleRequest({ roleName: ROLE }))).body!.role!.roleId!;
    assert.equal(body.assumedRoleUser!.arn, `acs:ram::${account}:assumed-role/${ROLE}/root-session`);
    assert.equal(body.assumedRoleUser!.assumedRoleId, `${roleId}:root-session`);
    assert.match(body.requestId!, /^[0-9A-F-]{36}$/);
    // Each AssumeRole mints new credentials.
    const again = (await assume(rootSts, { session: 'root-session' })).credentials!;
    assert.notEqual(again.accessKeyId, c.accessKeyId);
    assert.notEqual(again.securityToken, c.securityToken);
    // Without DurationSeconds: 3600 s.
    assert.ok(Math.abs(Date.parse(again.expiration!) - Date.now() - 3600_000) < 5_000, `default Expiration ${again.expiration}`);
  });

  test('GetCallerIdentity with the STS credentials says AssumedRoleUser (and Account for the root, RAMUser for a user)', async () => {
    const credentials = await assumeCredentials(rootSts, { session: 'who-am-i' });
    const identity = (await stsClient(server, credentials).getCallerIdentity()).body!;
    assert.equal(identity.identityType, 'AssumedRoleUser');
    assert.equal(identity.accountId, account);
    assert.equal(identity.arn, `acs:ram::${account}:assumed-role/${ROLE}/who-am-i`);
    const roleId = (await rootRam.getRole(new ram.GetRoleRequest({ roleName: ROLE }))).body!.role!.roleId!;
    assert.equal(identity.roleId, roleId);
    assert.equal(identity.principalId, `${roleId}:who-am-i`);

    const rootIdentity = (await rootSts.getCallerIdentity()).body!;
    assert.equal(rootIdentity.identityType, 'Account');
    assert.equal(rootIdentity.arn, `acs:ram::${account}:root`);
    const user = await newUser('caller-user', []);
    const userIdentity = (await stsClient(server, user).getCallerIdentity()).body!;
    assert.equal(userIdentity.identityType, 'RAMUser');
    assert.equal(userIdentity.arn, `acs:ram::${account}:user/caller-user`);
  });

  test('by a RAM user with AliyunSTSAssumeRoleAccess succeeds; without it Forbidden (ImplicitDeny on sts:AssumeRole)', async () => {
    const allowed = await newUser('assumer', ['AliyunSTSAssumeRoleAccess']);
    const body = await assume(stsClient(server, allowed), { session: 'by-user' });
    assert.equal(body.assumedRoleUser!.arn, `acs:ram::${account}:assumed-role/${ROLE}/by-user`);
    // The role's trust policy names the account's root, which trusts every identity the account allows.
    const creds = body.credentials!;
    const imm = createClient('pop-core POST', server, { AccessKeyId: creds.accessKeyId!, AccessKeySecret: creds.accessKeySecret!, SecurityToken: creds.securityToken! });
    assert.equal((await imm.call('GetProject', { ProjectName: PROJECT })).Project.ProjectName, PROJECT);

    const refused = await newUser('non-assumer', ['AliyunIMMFullAccess']);
    const error = await expectCloudError(assume(stsClient(server, refused), { session: 'by-user' }), 'Forbidden', 403);
    assert.equal(error.accessDeniedDetail?.AuthAction, 'sts:AssumeRole');
    assert.equal(error.accessDeniedDetail?.NoPermissionType, 'ImplicitDeny');
    assert.equal(error.accessDeniedDetail?.AuthPrincipalType, 'SubUser');
    assert.match(error.message, new RegExp(`user/non-assumer may not sts:AssumeRole on acs:ram::${account}:role/${ROLE}`));
  });

  test('a role whose trust policy does not name the caller refuses: Forbidden (TrustPolicy)', async () => {
    await rootRam.createRole(
      new ram.CreateRoleRequest({ roleName: 'TrustsSomeoneElse', assumeRolePolicyDocument: trustPolicy({ RAM: [`acs:ram::${account}:user/somebody`] }) }),
    );
    await rootRam.createRole(new ram.CreateRoleRequest({ roleName: 'TrustsOnlyImm', assumeRolePolicyDocument: trustPolicy({ Service: ['imm.aliyuncs.com'] }) }));
    for (const name of ['TrustsSomeoneElse', 'TrustsOnlyImm']) {
      const error = await expectCloudError(assume(rootSts, { roleName: name }), 'Forbidden', 403);
      assert.equal(error.accessDeniedDetail?.PolicyType, 'TrustPolicy', name);
      assert.equal(error.accessDeniedDetail?.AuthAction, 'sts:AssumeRole', name);
      assert.match(error.message, new RegExp(`trust policy does not allow acs:ram::${account}:root`), name);
    }
    // A role that does not exist.
    await expectCloudError(assume(rootSts, { roleName: 'NoSuchRole' }), 'EntityNotExist.Role', 404);
  });

  test('DurationSeconds out of range is InvalidParameter naming DurationSeconds', async () => {
    for (const durationSeconds of [0, 3601, 43200]) {
      const error = await expectCloudError(assume(rootSts, { durationSeconds }), 'InvalidParameter', 400);
      assert.match(error.message, /DurationSeconds/, String(durationSeconds));
    }
    // At the bounds of this server (IMM_STS_MIN_DURATION=1): accepted.
    await assume(rootSts, { durationSeconds: 1 });
    await assume(rootSts, { durationSeconds: 3600 });
  });

  test('DurationSeconds below 900 is InvalidParameter on a server with the default minimum', async () => {
    const plain = await startServer();
    try {
      const plainRam = ramClient(plain, plain.root);
      await plainRam.createRole(new ram.CreateRoleRequest({ roleName: ROLE, assumeRolePolicyDocument: trustPolicy({ RAM: [`acs:ram::${plain.root.AccountId}:root`] }) }));
      const plainSts = stsClient(plain, plain.root);
      const request = (durationSeconds: number) =>
        plainSts.assumeRole(new sts.AssumeRoleRequest({ roleArn: roleArn(ROLE, plain.root.AccountId), roleSessionName: 'bounds', durationSeconds }));
      const error = await expectCloudError(request(899), 'InvalidParameter', 400);
      assert.match(error.message, /DurationSeconds.*900 to 3600/);
      assert.ok((await request(900)).body!.credentials!.accessKeyId);
    } finally {
      await plain.stop();
    }
  });
});

describe('temporary credentials on IMM calls', () => {
  test('work with every official client: SecurityToken parameter (classic RPC) and x-acs-security-token header (ACS3)', async () => {
    const credentials = await assumeCredentials(rootSts, { session: 'imm-caller' });
    for (const variant of CLIENT_VARIANTS) {
      const client = createClient(variant, server, credentials);
      assert.equal((await client.call('GetProject', { ProjectName: PROJECT })).Project.ProjectName, PROJECT, variant);
    }
    for (const variant of SIGNATURE_FORMS) {
      const client = createClient(variant, server, credentials);
      const generated = await client.call('GenerateWebofficeToken', { ProjectName: PROJECT, SourceURI: docUri });
      const refreshed = await client.call('RefreshWebofficeToken', { ProjectName: PROJECT, AccessToken: generated.AccessToken, RefreshToken: generated.RefreshToken });
      assert.ok(refreshed.AccessToken && refreshed.AccessToken !== generated.AccessToken, variant);
    }
    // The same credentials identify as the assumed-role session.
    const identity = (await stsClient(server, credentials).getCallerIdentity()).body!;
    assert.equal(identity.arn, `acs:ram::${account}:assumed-role/${ROLE}/imm-caller`);
  });

  test('a session Policy narrows what the role allows: allowed by the role, denied by the session policy is Forbidden (SessionPolicy)', async () => {
    const onlyGetProject = policy({ Effect: 'Allow', Action: 'imm:GetProject', Resource: `acs:imm:*:${account}:project/${PROJECT}` });
    const credentials = await assumeCredentials(rootSts, { session: 'narrowed', policy: onlyGetProject });
    // Without a session policy, the role allows all of this (the previous test).
    for (const variant of SIGNATURE_FORMS) {
      const client = createClient(variant, server, credentials);
      assert.equal((await client.call('GetProject', { ProjectName: PROJECT })).Project.ProjectName, PROJECT, variant);
      const otherProject = await expectImmError(client, 'GetProject', { ProjectName: OTHER_PROJECT }, 'Forbidden');
      assert.equal(otherProject.statusCode, 403, variant);
      const generate = await expectImmError(client, 'GenerateWebofficeToken', { ProjectName: PROJECT, SourceURI: docUri }, 'Forbidden');
      const detail = generate.data?.AccessDeniedDetail;
      assert.equal(detail?.AuthAction, 'imm:GenerateWebofficeToken', variant);
      assert.equal(detail?.AuthPrincipalType, 'AssumedRoleUser', variant);
      assert.equal(detail?.AuthPrincipalDisplayName, `${ROLE}:narrowed`, variant);
      assert.equal(detail?.PolicyType, 'SessionPolicy', variant);
      assert.equal(detail?.NoPermissionType, 'ImplicitDeny', variant);
    }
    // A session policy cannot widen: allowing ram:* does not give the role RAM permissions.
    const widening = await assumeCredentials(rootSts, { session: 'widening', policy: policy({ Effect: 'Allow', Action: '*', Resource: '*' }) });
    const error = await expectCloudError(ramClient(server, widening).listUsers(new ram.ListUsersRequest({})), 'Forbidden', 403);
    assert.equal(error.accessDeniedDetail?.AuthAction, 'ram:ListUsers');
    assert.equal(error.accessDeniedDetail?.PolicyType, 'AccountLevelIdentityBasedPolicy');
    // A Deny in the session policy is an explicit deny.
    const denying = await assumeCredentials(rootSts, {
      session: 'denying',
      policy: policy({ Effect: 'Allow', Action: 'imm:*', Resource: '*' }, { Effect: 'Deny', Action: 'imm:GetProject', Resource: '*' }),
    });
    const denied = await expectImmError(createClient('pop-core GET', server, denying), 'GetProject', { ProjectName: PROJECT }, 'Forbidden');
    assert.equal(denied.data?.AccessDeniedDetail?.NoPermissionType, 'ExplicitDeny');
    assert.equal(denied.data?.AccessDeniedDetail?.PolicyType, 'SessionPolicy');
  });

  test('a session Policy of more than 2048 characters is MalformedPolicyDocument (the cloud\'s limit); 2048 is accepted', async () => {
    const allowGet = policy({ Effect: 'Allow', Action: 'imm:GetProject', Resource: '*' });
    const error = await expectCloudError(assume(rootSts, { session: 'long-policy', policy: allowGet.padEnd(2049, ' ') }), 'MalformedPolicyDocument', 400);
    assert.match(error.message, /2049 characters long, more than the limit of 2048/);
    const credentials = await assumeCredentials(rootSts, { session: 'long-policy', policy: allowGet.padEnd(2048, ' ') });
    assert.equal((await createClient('pop-core POST', server, credentials).call('GetProject', { ProjectName: PROJECT })).Project.ProjectName, PROJECT);
  });

  test('credentials of DurationSeconds=2 expire: InvalidSecurityToken.Expired (400) in both signature forms', async () => {
    // Expiration is counted from the whole second: start just after one, so the credentials live ~2 s, not ~1 s.
    await sleep(1000 - (Date.now() % 1000) + 20);
    const credentials = await assumeCredentials(rootSts, { session: 'short-lived', durationSeconds: 2 });
    const expires = Date.parse(credentials.Expiration);
    assert.ok(expires - Date.now() <= 2_000, `Expiration ${credentials.Expiration} is at most 2 s away`);
    for (const variant of SIGNATURE_FORMS) {
      assert.equal((await createClient(variant, server, credentials).call('GetProject', { ProjectName: PROJECT })).Project.ProjectName, PROJECT, variant);
    }
    await sleep(Math.max(0, expires - Date.now()) + 300);
    for (const variant of SIGNATURE_FORMS) {
      const error = await expectImmError(createClient(variant, server, credentials), 'GetProject', { ProjectName: PROJECT }, 'InvalidSecurityToken.Expired');
      assert.equal(error.statusCode, 400, variant);
    }
    await expectCloudError(stsClient(server, credentials).getCallerIdentity(), 'InvalidSecurityToken.Expired', 400);
  });

  test('an STS key without its SecurityToken is MissingSecurityToken (400) in both signature forms', async () => {
    const { SecurityToken: _token, ...keyOnly } = await assumeCredentials(rootSts, { session: 'no-token' });
    for (const variant of SIGNATURE_FORMS) {
      const error = await expectImmError(createClient(variant, server, keyOnly), 'GetProject', { ProjectName: PROJECT }, 'MissingSecurityToken');
      assert.equal(error.statusCode, 400, variant);
    }
  });

  test('the SecurityToken of another STS key is InvalidSecurityToken.MismatchWithAccessKey (400) in both signature forms', async () => {
    const mine = await assumeCredentials(rootSts, { session: 'mine' });
    const theirs = await assumeCredentials(rootSts, { session: 'theirs' });
    const crossed = { AccessKeyId: mine.AccessKeyId, AccessKeySecret: mine.AccessKeySecret, SecurityToken: theirs.SecurityToken };
    for (const variant of SIGNATURE_FORMS) {
      const error = await expectImmError(createClient(variant, server, crossed), 'GetProject', { ProjectName: PROJECT }, 'InvalidSecurityToken.MismatchWithAccessKey');
      assert.equal(error.statusCode, 400, variant);
    }
    // A SecurityToken sent with a permanent (root) key cannot be that key's token either.
    const rootWithToken = { ...server.root, SecurityToken: mine.SecurityToken };
    await expectImmError(createClient('pop-core POST', server, rootWithToken), 'GetProject', { ProjectName: PROJECT }, 'InvalidSecurityToken.MismatchWithAccessKey');
    // Both credentials still work with their own tokens.
    await createClient('pop-core POST', server, mine).call('GetProject', { ProjectName: PROJECT });
    await createClient('openapi-core ACS3-HMAC-SHA256 query', server, theirs).call('GetProject', { ProjectName: PROJECT });
  });

  test('an altered SecurityToken is InvalidSecurityToken.Malformed (400) in both signature forms', async () => {
    const credentials = await assumeCredentials(rootSts, { session: 'altered' });
    const token = credentials.SecurityToken;
    const flipped = token.slice(0, 10) + (token[10] === 'A' ? 'B' : 'A') + token.slice(11);
    const alterations = [flipped, token.slice(0, -1), `${token}x`, 'not-a-token'];
    for (const SecurityToken of alterations) {
      assert.notEqual(SecurityToken, token);
      for (const variant of SIGNATURE_FORMS) {
        const error = await expectImmError(createClient(variant, server, { ...credentials, SecurityToken }), 'GetProject', { ProjectName: PROJECT }, 'InvalidSecurityToken.Malformed');
        assert.equal(error.statusCode, 400, `${variant} ${SecurityToken}`);
      }
    }
    // The genuine token still works.
    await createClient('pop-core POST', server, credentials).call('GetProject', { ProjectName: PROJECT });
  });
});

describe('temporary credentials are bound to the role that issued them', () => {
  const EPHEMERAL = 'EphemeralRole';
  const createEphemeral = async (systemPolicy: string) => {
    await rootRam.createRole(new ram.CreateRoleRequest({ roleName: EPHEMERAL, assumeRolePolicyDocument: trustPolicy({ RAM: [`acs:ram::${account}:root`] }) }));
    await rootRam.attachPolicyToRole(new ram.AttachPolicyToRoleRequest({ roleName: EPHEMERAL, policyName: systemPolicy, policyType: 'System' }));
    return (await rootRam.getRole(new ram.GetRoleRequest({ roleName: EPHEMERAL }))).body!.role!.roleId!;
  };
  const deleteEphemeral = async (systemPolicy: string) => {
    await rootRam.detachPolicyFromRole(new ram.DetachPolicyFromRoleRequest({ roleName: EPHEMERAL, policyName: systemPolicy, policyType: 'System' }));
    await rootRam.deleteRole(new ram.DeleteRoleRequest({ roleName: EPHEMERAL }));
  };
  /** Every use of `credentials` is refused at authentication, with the code SDKs answer by fetching new credentials. */
  const expectRefused = async (credentials: Credentials, why: string) => {
    for (const variant of SIGNATURE_FORMS) {
      const error = await expectImmError(createClient(variant, server, credentials), 'GetProject', { ProjectName: PROJECT }, 'InvalidSecurityToken.Expired');
      assert.equal(error.statusCode, 400, `${variant} ${why}`);
      assert.match(error.message, new RegExp(`role ${EPHEMERAL} that issued .* was deleted or replaced`), `${variant} ${why}`);
    }
    // Even the call that needs no permission at all.
    await expectCloudError(stsClient(server, credentials).getCallerIdentity(), 'InvalidSecurityToken.Expired', 400);
  };

  test('after DeleteRole they are refused (InvalidSecurityToken.Expired), GetCallerIdentity too; a role made again under that name does not revive them', async () => {
    const firstId = await createEphemeral('AliyunIMMFullAccess');
    const credentials = await assumeCredentials(rootSts, { roleName: EPHEMERAL, session: 'outlived' });
    for (const variant of SIGNATURE_FORMS) {
      assert.equal((await createClient(variant, server, credentials).call('GetProject', { ProjectName: PROJECT })).Project.ProjectName, PROJECT, variant);
    }
    assert.equal((await stsClient(server, credentials).getCallerIdentity()).body!.roleId, firstId);

    await deleteEphemeral('AliyunIMMFullAccess');
    await expectRefused(credentials, 'after DeleteRole');

    // The same name again, with other permissions: the old credentials do not take them on.
    const secondId = await createEphemeral('AliyunRAMFullAccess');
    assert.notEqual(secondId, firstId);
    await expectRefused(credentials, 'after the role was replaced');
    await expectCloudError(ramClient(server, credentials).listUsers(new ram.ListUsersRequest({})), 'InvalidSecurityToken.Expired', 400);

    // New credentials of the new role are its own, and work.
    const fresh = await assumeCredentials(rootSts, { roleName: EPHEMERAL, session: 'fresh' });
    assert.equal((await stsClient(server, fresh).getCallerIdentity()).body!.roleId, secondId);
    assert.ok((await ramClient(server, fresh).listUsers(new ram.ListUsersRequest({}))).body!.users);
    await deleteEphemeral('AliyunRAMFullAccess');
  });
});

describe('trust policies name principals exactly', () => {
  test('a role trusting user/TrustedCase is not assumable by the distinct user trustedcase (names are case-sensitive)', async () => {
    const trusted = await newUser('TrustedCase', ['AliyunSTSAssumeRoleAccess']);
    const lookalike = await newUser('trustedcase', ['AliyunSTSAssumeRoleAccess']);
    await rootRam.createRole(new ram.CreateRoleRequest({ roleName: 'TrustsOneUser', assumeRolePolicyDocument: trustPolicy({ RAM: [`acs:ram::${account}:user/TrustedCase`] }) }));

    const body = await assume(stsClient(server, trusted), { roleName: 'TrustsOneUser', session: 'the-trusted' });
    assert.equal(body.assumedRoleUser!.arn, `acs:ram::${account}:assumed-role/TrustsOneUser/the-trusted`);
    const error = await expectCloudError(assume(stsClient(server, lookalike), { roleName: 'TrustsOneUser', session: 'the-lookalike' }), 'Forbidden', 403);
    assert.equal(error.accessDeniedDetail?.PolicyType, 'TrustPolicy');
    assert.match(error.message, new RegExp(`trust policy does not allow acs:ram::${account}:user/trustedcase`));
  });

  test('a role trusting role/Chained is not assumable by sessions of the distinct role chained', async () => {
    for (const name of ['Chained', 'chained']) {
      await rootRam.createRole(new ram.CreateRoleRequest({ roleName: name, assumeRolePolicyDocument: trustPolicy({ RAM: [`acs:ram::${account}:root`] }) }));
      await rootRam.attachPolicyToRole(new ram.AttachPolicyToRoleRequest({ roleName: name, policyName: 'AliyunSTSAssumeRoleAccess', policyType: 'System' }));
    }
    await rootRam.createRole(new ram.CreateRoleRequest({ roleName: 'TrustsChained', assumeRolePolicyDocument: trustPolicy({ RAM: [`acs:ram::${account}:role/Chained`] }) }));
    const chained = await assumeCredentials(rootSts, { roleName: 'Chained', session: 'hop' });
    const lowerChained = await assumeCredentials(rootSts, { roleName: 'chained', session: 'hop' });
    assert.ok((await assume(stsClient(server, chained), { roleName: 'TrustsChained', session: 'second-hop' })).credentials!.accessKeyId);
    await expectCloudError(assume(stsClient(server, lowerChained), { roleName: 'TrustsChained', session: 'second-hop' }), 'Forbidden', 403);
  });
});
