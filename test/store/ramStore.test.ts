/**
 * The RAM store on both engines: uniqueness decided by the database, RAM's delete conflicts, the policy
 * version limit and rotation, what `policiesOf` hands the evaluator, the default role of every account
 * (also under concurrency), and System policies that are listed and attachable but never created or deleted.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { enginesUnderTest, type EngineUnderTest } from '../helpers/engines.js';
import { MAX_ATTACHED_POLICIES, MAX_GROUPS_PER_USER, ramStore, type RamStore } from '../../src/store/ram/index.js';
import { accountStore, newAccountId, type AccountStore } from '../../src/store/accounts.js';
import { DEFAULT_SERVICE_ROLE, SYSTEM_POLICIES } from '../../src/ram/systemPolicies.js';

const { engines, skipped } = await enginesUnderTest();
if (skipped) console.log(`# ${skipped}`);

const allow = (action: string) => JSON.stringify({ Version: '1', Statement: [{ Effect: 'Allow', Action: action, Resource: '*' }] });
const deny = (action: string) => JSON.stringify({ Version: '1', Statement: [{ Effect: 'Deny', Action: action, Resource: '*' }] });
const trust = JSON.stringify({ Version: '1', Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { RAM: ['acs:ram::1234567890123456:root'] } }] });
const user = (name: string) => ({ name, displayName: name, comments: '', email: '', mobilePhone: '' });

for (const engine of engines) {
  describe(`RAM store on ${engine.name}`, () => {
    let handle: Awaited<ReturnType<EngineUnderTest['open']>>;
    let ram: RamStore;
    let accounts: AccountStore;
    /** A fresh account per test, so tests do not see each other's entities. */
    const newAccount = async () => (await accounts.createAccount()).AccountId;

    before(async () => {
      handle = await engine.open();
      ram = ramStore(handle.db);
      accounts = accountStore(handle.db, randomBytes(32));
    });
    after(async () => {
      await handle.dispose();
    });

    test('duplicates are refused by the database, also when created at once', async () => {
      const account = await newAccount();
      assert.ok(await ram.createUser(account, user('alice')));
      assert.equal(await ram.createUser(account, user('alice')), undefined);
      const other = await newAccount();
      assert.ok(await ram.createUser(other, user('alice')), 'names are per account');

      const racing = await Promise.all(Array.from({ length: 6 }, () => ram.createUser(account, user('bob'))));
      assert.equal(racing.filter(Boolean).length, 1);

      assert.ok(await ram.createGroup(account, { name: 'devs', comments: '' }));
      assert.equal(await ram.createGroup(account, { name: 'devs', comments: '' }), undefined);
      assert.ok(await ram.createRole(account, { name: 'reader', description: '', trustPolicy: trust, maxSessionDuration: 3600 }));
      assert.equal(await ram.createRole(account, { name: 'reader', description: '', trustPolicy: trust, maxSessionDuration: 3600 }), undefined);
      const policies = await Promise.all(Array.from({ length: 4 }, () => ram.createPolicy(account, { name: 'P1', description: '', document: allow('imm:*') })));
      assert.equal(policies.filter(Boolean).length, 1);

      await ram.addUserToGroup(account, 'alice', 'devs');
      await assert.rejects(ram.addUserToGroup(account, 'alice', 'devs'), { code: 'EntityAlreadyExists.User.Group' });
      await ram.attachPolicy(account, 'User', 'alice', 'Custom', 'P1');
      await assert.rejects(ram.attachPolicy(account, 'User', 'alice', 'Custom', 'P1'), { code: 'EntityAlreadyExists.Policy.Attachment' });
      await assert.rejects(ram.attachPolicy(account, 'User', 'nobody', 'Custom', 'P1'), { code: 'EntityNotExist.User' });
      await assert.rejects(ram.attachPolicy(account, 'Role', 'reader', 'Custom', 'Missing'), { code: 'EntityNotExist.Policy' });
      await assert.rejects(ram.addUserToGroup(account, 'alice', 'nogroup'), { code: 'EntityNotExist.Group' });
      const left = await handle.db.selectFrom('ram_attachments').select('policy_name').where('account_id', '=', account).where('principal_name', 'in', ['nobody', 'reader']).execute();
      assert.deepEqual(left, [], 'a refused attachment leaves no row');
      assert.deepEqual((await ram.groupsOfUser(account, 'alice')).map((g) => g.name), ['devs']);
    });

    test('malformed documents are refused as MalformedPolicyDocument saying where', async () => {
      const account = await newAccount();
      await assert.rejects(ram.createPolicy(account, { name: 'Bad', description: '', document: '{"Version":"1","Statement":[{"Effect":"Allow","Action":"imm:*"}]}' }), (err: Error & { code?: string }) => {
        assert.equal(err.code, 'MalformedPolicyDocument');
        assert.match(err.message, /Statement\[0\]/);
        return true;
      });
      await assert.rejects(ram.createRole(account, { name: 'r', description: '', trustPolicy: allow('imm:*'), maxSessionDuration: 3600 }), { code: 'MalformedPolicyDocument' });
      assert.equal(await ram.findPolicy(account, 'Bad'), undefined);
    });

    test('RAM delete conflicts: users with keys, policies or groups; roles and policies still attached', async () => {
      const account = await newAccount();
      await ram.createUser(account, user('carol'));
      await ram.createGroup(account, { name: 'ops', comments: '' });
      await ram.createPolicy(account, { name: 'OpsPolicy', description: '', document: allow('imm:Get*') });
      const key = await accounts.addAccessKey(account, 'carol');
      await ram.admitUserAccessKey(account, 'carol', key.AccessKeyId);
      await ram.attachPolicy(account, 'User', 'carol', 'System', 'AliyunIMMReadOnlyAccess');
      await ram.addUserToGroup(account, 'carol', 'ops');

      await assert.rejects(ram.deleteUser(account, 'carol'), (err: Error & { code?: string }) => {
        assert.equal(err.code, 'DeleteConflict');
        assert.match(err.message, /AccessKey/);
        assert.match(err.message, /AliyunIMMReadOnlyAccess/);
        assert.match(err.message, /ops/);
        return true;
      });
      assert.ok(await ram.findUser(account, 'carol'), 'the refused delete was rolled back');

      assert.equal(await ram.deleteAccessKey(account, 'carol', key.AccessKeyId), true);
      assert.equal(await ram.deleteAccessKey(account, 'carol', key.AccessKeyId), false);
      await ram.detachPolicy(account, 'User', 'carol', 'System', 'AliyunIMMReadOnlyAccess');
      await assert.rejects(ram.detachPolicy(account, 'User', 'carol', 'System', 'AliyunIMMReadOnlyAccess'), { code: 'EntityNotExist.Policy.Attachment' });
      await assert.rejects(ram.deleteUser(account, 'carol'), { code: 'DeleteConflict' });
      await assert.rejects(ram.deleteGroup(account, 'ops'), { code: 'DeleteConflict' });
      assert.equal(await ram.removeUserFromGroup(account, 'carol', 'ops'), true);
      await ram.deleteUser(account, 'carol');
      assert.equal(await ram.findUser(account, 'carol'), undefined);
      await assert.rejects(ram.deleteUser(account, 'carol'), { code: 'EntityNotExist.User' });

      await ram.createRole(account, { name: 'worker', description: '', trustPolicy: trust, maxSessionDuration: 3600 });
      await ram.attachPolicy(account, 'Role', 'worker', 'Custom', 'OpsPolicy');
      await assert.rejects(ram.deleteRole(account, 'worker'), { code: 'DeleteConflict' });
      await assert.rejects(ram.deletePolicy(account, 'OpsPolicy'), (err: Error & { code?: string }) => err.code === 'DeleteConflict' && /Role worker/.test(err.message));
      await ram.detachPolicy(account, 'Role', 'worker', 'Custom', 'OpsPolicy');
      await ram.deleteRole(account, 'worker');
      await assert.rejects(ram.deleteRole(account, 'worker'), { code: 'EntityNotExist.Role' });

      await ram.createPolicyVersion(account, 'OpsPolicy', allow('imm:List*'), false);
      await assert.rejects(ram.deletePolicy(account, 'OpsPolicy'), (err: Error & { code?: string }) => err.code === 'DeleteConflict' && /v2/.test(err.message));
      await ram.deletePolicy(account, 'OpsPolicy', true);
      assert.equal(await ram.findPolicy(account, 'OpsPolicy'), undefined);
      const versions = await handle.db.selectFrom('ram_policy_versions').select('version_id').where('owner', '=', account).execute();
      assert.deepEqual(versions, []);
      await assert.rejects(ram.deletePolicy(account, 'OpsPolicy'), { code: 'EntityNotExist.Policy' });
    });

    test('CascadingDelete detaches the policy everywhere', async () => {
      const account = await newAccount();
      await ram.createUser(account, user('dave'));
      await ram.createGroup(account, { name: 'g', comments: '' });
      await ram.createPolicy(account, { name: 'Shared', description: '', document: allow('imm:*') });
      await ram.attachPolicy(account, 'User', 'dave', 'Custom', 'Shared');
      await ram.attachPolicy(account, 'Group', 'g', 'Custom', 'Shared');
      assert.equal((await ram.findPolicy(account, 'Shared', 'Custom'))?.attachmentCount, 2);
      await ram.deletePolicy(account, 'Shared', true);
      assert.deepEqual(await ram.listAttachments(account, 'User', 'dave'), []);
      assert.deepEqual(await ram.policiesOf(account, { type: 'User', name: 'dave' }), []);
      await ram.deleteUser(account, 'dave');
    });

    test('at most 5 versions: LimitExceeded, or the oldest non-default one rotated out', async () => {
      const account = await newAccount();
      await ram.createPolicy(account, { name: 'Versioned', description: 'd', document: allow('imm:A1') });
      for (let i = 2; i <= 5; i++) {
        const version = await ram.createPolicyVersion(account, 'Versioned', allow(`imm:A${i}`), false);
        assert.equal(version.versionId, `v${i}`);
        assert.equal(version.isDefault, false);
      }
      await assert.rejects(ram.createPolicyVersion(account, 'Versioned', allow('imm:A6'), true), { code: 'LimitExceeded.Policy.Version' });
      assert.equal((await ram.findPolicy(account, 'Versioned'))?.defaultVersion, 'v1', 'the refused version changed nothing');

      const rotated = await ram.createPolicyVersion(account, 'Versioned', allow('imm:A6'), true, 'DeleteOldestNonDefaultVersionWhenLimitExceeded');
      assert.equal(rotated.versionId, 'v6', 'the refused version was rolled back, its number too');
      const versions = await ram.listPolicyVersions(account, 'Versioned', 'Custom');
      assert.deepEqual(versions?.map((v) => v.versionId), ['v1', 'v3', 'v4', 'v5', 'v6'], 'v2, the oldest non-default, went; v1 was the default then');
      assert.deepEqual(versions?.filter((v) => v.isDefault).map((v) => v.versionId), ['v6']);
      const policy = await ram.findPolicy(account, 'Versioned');
      assert.equal(policy?.defaultVersion, 'v6');
      assert.equal(policy?.document, allow('imm:A6'));

      // Concurrent new versions are numbered one at a time and never exceed the limit.
      await ram.createPolicy(account, { name: 'Busy', description: '', document: allow('imm:B1') });
      const results = await Promise.allSettled(Array.from({ length: 8 }, (_, i) => ram.createPolicyVersion(account, 'Busy', allow(`imm:B${i + 2}`), false)));
      const created = results.filter((r) => r.status === 'fulfilled');
      assert.equal(created.length, 4);
      assert.ok(results.every((r) => r.status === 'fulfilled' || (r.reason as { code?: string }).code === 'LimitExceeded.Policy.Version'));
      assert.equal((await ram.listPolicyVersions(account, 'Busy', 'Custom'))?.length, 5);
    });

    test("policiesOf: the user's own and its groups' policies, each by its default version", async () => {
      const account = await newAccount();
      await ram.createUser(account, user('erin'));
      await ram.createGroup(account, { name: 'readers', comments: '' });
      await ram.createGroup(account, { name: 'others', comments: '' });
      await ram.addUserToGroup(account, 'erin', 'readers');
      await ram.createPolicy(account, { name: 'GroupPolicy', description: '', document: allow('imm:GetProject') });
      await ram.createPolicyVersion(account, 'GroupPolicy', deny('imm:*'), false);
      await ram.createPolicy(account, { name: 'NotMine', description: '', document: allow('imm:*') });
      await ram.attachPolicy(account, 'Group', 'readers', 'Custom', 'GroupPolicy');
      await ram.attachPolicy(account, 'Group', 'others', 'Custom', 'NotMine');
      await ram.attachPolicy(account, 'User', 'erin', 'System', 'AliyunIMMReadOnlyAccess');
      await ram.attachPolicy(account, 'User', 'erin', 'Custom', 'GroupPolicy'); // also directly: listed once

      const policies = await ram.policiesOf(account, { type: 'User', name: 'erin' });
      assert.deepEqual(policies.map((p) => `${p.type}:${p.name}`).sort(), ['Custom:GroupPolicy', 'System:AliyunIMMReadOnlyAccess']);
      const groupPolicy = policies.find((p) => p.name === 'GroupPolicy')!;
      assert.deepEqual(groupPolicy.document.Statement.map((s) => [s.Effect, s.Action]), [['Allow', ['imm:GetProject']]], 'v1, the default; v2 not');

      await ram.createPolicyVersion(account, 'GroupPolicy', deny('imm:Delete*'), true);
      const after = (await ram.policiesOf(account, { type: 'User', name: 'erin' })).find((p) => p.name === 'GroupPolicy')!;
      assert.deepEqual(after.document.Statement.map((s) => [s.Effect, s.Action]), [['Deny', ['imm:Delete*']]]);

      assert.deepEqual(await ram.policiesOf(account, { type: 'User', name: 'nobody' }), []);
      await ram.createRole(account, { name: 'erin', description: '', trustPolicy: trust, maxSessionDuration: 3600 });
      assert.deepEqual(await ram.policiesOf(account, { type: 'Role', name: 'erin' }), [], "a role does not get the same-named user's policies");
    });

    test('ensureDefaultRole: every account has it, once, with its policy, even when called at once', async () => {
      const created = await newAccount();
      const role = await ram.findRole(created, DEFAULT_SERVICE_ROLE.name);
      assert.ok(role, 'createAccount made the default role');
      assert.equal(role.trust_policy, DEFAULT_SERVICE_ROLE.trustPolicy);
      assert.deepEqual((await ram.policiesOf(created, { type: 'Role', name: DEFAULT_SERVICE_ROLE.name })).map((p) => p.name), [DEFAULT_SERVICE_ROLE.policy]);

      const ensured = newAccountId();
      await accounts.ensureAccount({ accountId: ensured, accessKey: { id: `LTAI${randomBytes(10).toString('hex')}`, secret: 's'.repeat(30) } });
      assert.ok(await ram.findRole(ensured, DEFAULT_SERVICE_ROLE.name), 'ensureAccount made it too');

      const bare = newAccountId();
      await handle.db.insertInto('accounts').values({ id: bare, created_at: new Date().toISOString() }).execute();
      const results = await Promise.all(Array.from({ length: 5 }, () => ram.ensureDefaultRole(bare)));
      assert.equal(results.filter(Boolean).length, 1, 'exactly one call created it');
      const roles = await handle.db.selectFrom('ram_roles').select('id').where('account_id', '=', bare).execute();
      assert.equal(roles.length, 1);
      assert.deepEqual(await ram.listAttachments(bare, 'Role', DEFAULT_SERVICE_ROLE.name).then((a) => a.map((x) => `${x.policyType}:${x.policyName}`)), [`System:${DEFAULT_SERVICE_ROLE.policy}`]);

      // A detached policy stays detached: ensureDefaultRole leaves an existing role as it is.
      await ram.detachPolicy(bare, 'Role', DEFAULT_SERVICE_ROLE.name, 'System', DEFAULT_SERVICE_ROLE.policy);
      assert.equal(await ram.ensureDefaultRole(bare), false);
      assert.deepEqual(await ram.listAttachments(bare, 'Role', DEFAULT_SERVICE_ROLE.name), []);
    });

    test('System policies are listed and attachable, but not creatable, changeable or deletable', async () => {
      const account = await newAccount();
      await ram.createPolicy(account, { name: 'Mine', description: 'custom', document: allow('imm:*') });
      const all = await ram.listPolicies(account, { maxItems: 1000 });
      const names = all.policies.map((p) => `${p.type}:${p.name}`);
      for (const name of SYSTEM_POLICIES.keys()) assert.ok(names.includes(`System:${name}`), name);
      assert.ok(names.includes('Custom:Mine'));
      assert.equal(all.isTruncated, false);
      assert.deepEqual((await ram.listPolicies(account, { maxItems: 1000, type: 'Custom' })).policies.map((p) => p.name), ['Mine']);
      assert.equal((await ram.listPolicies(account, { maxItems: 1000, type: 'System' })).policies.length, SYSTEM_POLICIES.size);

      // Paging through everything two at a time sees each policy exactly once.
      const seen: string[] = [];
      let marker: string | undefined;
      do {
        const page = await ram.listPolicies(account, { maxItems: 2, ...(marker ? { marker } : {}) });
        seen.push(...page.policies.map((p) => `${p.type}:${p.name}`));
        marker = page.isTruncated ? page.marker : undefined;
      } while (marker);
      assert.deepEqual(seen, names);

      const system = await ram.findPolicy(account, 'AliyunIMMFullAccess');
      assert.equal(system?.type, 'System');
      assert.equal(system?.document, SYSTEM_POLICIES.get('AliyunIMMFullAccess')!.document);
      assert.equal(await ram.findPolicy(account, 'AliyunIMMFullAccess', 'Custom'), undefined);

      await ram.createUser(account, user('frank'));
      await ram.attachPolicy(account, 'User', 'frank', 'System', 'AliyunIMMFullAccess');
      assert.equal((await ram.findPolicy(account, 'AliyunIMMFullAccess', 'System'))?.attachmentCount, 1);
      assert.deepEqual((await ram.listAttachments(account, 'User', 'frank')).map((a) => [a.policyType, a.policyName, a.defaultVersion]), [['System', 'AliyunIMMFullAccess', 'v1']]);
      await assert.rejects(ram.attachPolicy(account, 'User', 'frank', 'System', 'AliyunNoSuchPolicy'), { code: 'EntityNotExist.Policy' });
      await assert.rejects(ram.attachPolicy(account, 'User', 'frank', 'Custom', 'AliyunIMMFullAccess'), { code: 'EntityNotExist.Policy' });

      assert.equal(await ram.createPolicy(account, { name: 'AliyunIMMFullAccess', description: '', document: allow('imm:*') }), undefined);
      await assert.rejects(ram.deletePolicy(account, 'AliyunIMMFullAccess'), { code: 'InvalidParameter' });
      await assert.rejects(ram.createPolicyVersion(account, 'AliyunIMMFullAccess', allow('imm:*'), true), { code: 'InvalidParameter' });
      assert.ok(SYSTEM_POLICIES.has('AliyunIMMFullAccess'));
    });

    test('AccessKeys of users: at most 2, none for a missing user, scoped to their owner', async () => {
      const account = await newAccount();
      await ram.createUser(account, user('gina'));
      const keys = [];
      for (let i = 0; i < 3; i++) keys.push(await accounts.addAccessKey(account, 'gina'));
      await assert.rejects(ram.admitUserAccessKey(account, 'gina', keys[2].AccessKeyId), { code: 'LimitExceeded.User.AccessKey' });
      assert.equal(await accounts.findAccessKey(keys[2].AccessKeyId), undefined, 'the key beyond the limit is gone');
      await ram.admitUserAccessKey(account, 'gina', keys[0].AccessKeyId);
      await ram.admitUserAccessKey(account, 'gina', keys[1].AccessKeyId);
      assert.deepEqual((await ram.listAccessKeys(account, 'gina')).map((k) => k.accessKeyId).sort(), [keys[0].AccessKeyId, keys[1].AccessKeyId].sort());

      const orphan = await accounts.addAccessKey(account, 'ghost');
      await assert.rejects(ram.admitUserAccessKey(account, 'ghost', orphan.AccessKeyId), { code: 'EntityNotExist.User' });
      assert.equal(await accounts.findAccessKey(orphan.AccessKeyId), undefined, 'the refused key is gone');

      const root = await ram.listAccessKeys(account);
      assert.equal(root.length, 1, "the root's own key");
      assert.equal(root[0].userName, null);
      assert.equal(await ram.setAccessKeyStatus(account, undefined, keys[0].AccessKeyId, 'Inactive'), false, "a user's key is not the root's");
      assert.equal(await ram.setAccessKeyStatus(await newAccount(), 'gina', keys[0].AccessKeyId, 'Inactive'), false, "nor another account's");
      assert.equal(await ram.setAccessKeyStatus(account, 'gina', keys[0].AccessKeyId, 'Inactive'), true);
      assert.equal((await accounts.findAccessKey(keys[0].AccessKeyId))?.status, 'Inactive');
      assert.equal(await ram.deleteAccessKey(account, undefined, keys[1].AccessKeyId), false);
    });

    test('users page by marker, each exactly once', async () => {
      const account = await newAccount();
      const names = ['u-3', 'u.1', 'u_2', 'U4', 'u5'];
      for (const name of names) await ram.createUser(account, user(name));
      const seen: string[] = [];
      let marker: string | undefined;
      do {
        const page = await ram.listUsers(account, { maxItems: 2, ...(marker ? { marker } : {}) });
        assert.ok(page.users.length <= 2);
        seen.push(...page.users.map((u) => u.name));
        marker = page.isTruncated ? page.marker : undefined;
      } while (marker);
      assert.deepEqual([...seen].sort(), [...names].sort());
      await assert.rejects(ram.listUsers(account, { maxItems: 2, marker: '!!' }), { code: 'InvalidParameter' });
    });

    test('at most 10 custom policies attached to a user, a group or a role (LimitExceeded.<type>.Policy); a detach makes room', async () => {
      const account = await newAccount();
      assert.deepEqual(MAX_ATTACHED_POLICIES, { System: 20, Custom: 10 });
      await ram.createUser(account, user('heidi'));
      await ram.createGroup(account, { name: 'crowd', comments: '' });
      await ram.createRole(account, { name: 'busy', description: '', trustPolicy: trust, maxSessionDuration: 3600 });
      const names = Array.from({ length: MAX_ATTACHED_POLICIES.Custom + 1 }, (_, i) => `Capped${i}`);
      for (const name of names) await ram.createPolicy(account, { name, description: '', document: allow('imm:GetProject') });
      for (const [type, name, code] of [['User', 'heidi', 'LimitExceeded.User.Policy'], ['Group', 'crowd', 'LimitExceeded.Group.Policy'], ['Role', 'busy', 'LimitExceeded.Role.Policy']] as const) {
        for (const policy of names.slice(0, -1)) await ram.attachPolicy(account, type, name, 'Custom', policy);
        await assert.rejects(ram.attachPolicy(account, type, name, 'Custom', names.at(-1)!), (err: Error & { code?: string }) => {
          assert.equal(err.code, code);
          assert.match(err.message, /at most 20 system policies and 10 custom policies/);
          return true;
        });
        // System policies count apart from custom ones.
        await ram.attachPolicy(account, type, name, 'System', 'AliyunIMMReadOnlyAccess');
        assert.equal((await ram.listAttachments(account, type, name)).length, MAX_ATTACHED_POLICIES.Custom + 1, `${type}: the refused one left no row`);
        await ram.detachPolicy(account, type, name, 'Custom', names[0]!);
        await ram.attachPolicy(account, type, name, 'Custom', names.at(-1)!);
      }
    });

    test('concurrent attaches never exceed the limit: exactly as many succeed as there is room for', async () => {
      const account = await newAccount();
      await ram.createUser(account, user('ivan'));
      const names = Array.from({ length: MAX_ATTACHED_POLICIES.Custom + 6 }, (_, i) => `Racing${i}`);
      for (const name of names) await ram.createPolicy(account, { name, description: '', document: allow('imm:GetProject') });
      await ram.attachPolicy(account, 'User', 'ivan', 'Custom', names[0]!);
      const results = await Promise.allSettled(names.slice(1).map((name) => ram.attachPolicy(account, 'User', 'ivan', 'Custom', name)));
      assert.equal(results.filter((r) => r.status === 'fulfilled').length, MAX_ATTACHED_POLICIES.Custom - 1);
      assert.ok(results.every((r) => r.status === 'fulfilled' || (r.reason as { code?: string }).code === 'LimitExceeded.User.Policy'), JSON.stringify(results.filter((r) => r.status === 'rejected').map((r) => String((r as PromiseRejectedResult).reason))));
      assert.equal((await ram.listAttachments(account, 'User', 'ivan')).length, MAX_ATTACHED_POLICIES.Custom);
      assert.equal((await ram.policiesOf(account, { type: 'User', name: 'ivan' })).length, MAX_ATTACHED_POLICIES.Custom);
    });

    test('a user is in at most 10 groups (LimitExceeded.User.Group), also when added to many at once', async () => {
      const account = await newAccount();
      assert.equal(MAX_GROUPS_PER_USER, 10);
      await ram.createUser(account, user('judy'));
      await ram.createUser(account, user('karl'));
      const groups = Array.from({ length: MAX_GROUPS_PER_USER + 4 }, (_, i) => `team${i}`);
      for (const name of groups) await ram.createGroup(account, { name, comments: '' });
      for (const name of groups.slice(0, MAX_GROUPS_PER_USER)) await ram.addUserToGroup(account, 'judy', name);
      await assert.rejects(ram.addUserToGroup(account, 'judy', groups.at(-1)!), (err: Error & { code?: string }) => {
        assert.equal(err.code, 'LimitExceeded.User.Group');
        assert.match(err.message, /at most 10 groups/);
        return true;
      });
      assert.equal((await ram.groupsOfUser(account, 'judy')).length, MAX_GROUPS_PER_USER);

      const results = await Promise.allSettled(groups.map((name) => ram.addUserToGroup(account, 'karl', name)));
      assert.equal(results.filter((r) => r.status === 'fulfilled').length, MAX_GROUPS_PER_USER);
      assert.ok(results.every((r) => r.status === 'fulfilled' || (r.reason as { code?: string }).code === 'LimitExceeded.User.Group'));
      assert.equal((await ram.groupsOfUser(account, 'karl')).length, MAX_GROUPS_PER_USER);
    });

    test('a user deleted while being added to a group: never a member that does not exist', async () => {
      const account = await newAccount();
      await ram.createGroup(account, { name: 'race', comments: '' });
      for (let round = 0; round < 10; round++) {
        const name = `racer${round}`;
        await ram.createUser(account, user(name));
        await Promise.allSettled([ram.addUserToGroup(account, name, 'race'), ram.deleteUser(account, name)]);
        const exists = (await ram.findUser(account, name)) !== undefined;
        const member = (await handle.db.selectFrom('ram_group_members').select('user_name').where('account_id', '=', account).where('user_name', '=', name).execute()).length > 0;
        assert.ok(exists || !member, `round ${round}: a membership outlived its user`);
        if (member) await ram.removeUserFromGroup(account, name, 'race');
      }
    });
  });
}
