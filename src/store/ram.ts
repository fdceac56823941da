/**
 * RAM identities and policies of each account: users (and their AccessKeys), groups, roles, custom policies
 * with their versions, and attachments. System policies are constants (ram/systemPolicies.ts), never stored:
 * they are listed and attached like custom ones but cannot be created, changed or deleted.
 *
 * Race safety, on both engines:
 * - unique constraints decide duplicates (insert … on conflict do nothing, then count the inserted rows);
 * - whoever deletes an entity deletes its row first and only then counts what still hangs on it, throwing
 *   (so rolling back) on a conflict;
 * - whoever adds something that hangs on an entity inserts first and then reads the entity with a lock that
 *   a delete of it waits for (`for key share` on PostgreSQL; SQLite runs one writer at a time anyway).
 * So a user cannot be deleted while a concurrent AddUserToGroup makes it a member, and no membership,
 * attachment or policy version is left pointing at something deleted.
 */
import { randomBytes, randomInt } from 'node:crypto';
import { PostgresAdapter, type Kysely, type Selectable, type SelectQueryBuilder, type Transaction } from 'kysely';
import type { Database, RamGroupsTable, RamPoliciesTable, RamPolicyVersionsTable, RamRolesTable, RamUsersTable } from './schema.js';
import { ApiError } from '../api/errors.js';
import { MalformedPolicyDocumentError, parsePolicyDocument, type PolicyKind } from '../ram/policyDocument.js';
import { DEFAULT_SERVICE_ROLE, SYSTEM_POLICIES, type SystemPolicy } from '../ram/systemPolicies.js';
import type { NamedPolicy } from '../ram/evaluatePolicy.js';

export type RamUserRow = Selectable<RamUsersTable>;
export type RamGroupRow = Selectable<RamGroupsTable>;
export type RamRoleRow = Selectable<RamRolesTable>;
export type RamPolicyRow = Selectable<RamPoliciesTable>;
export type RamPolicyVersionRow = Selectable<RamPolicyVersionsTable>;

export type PolicyType = 'System' | 'Custom';
export type PrincipalType = 'User' | 'Group' | 'Role';

/** A policy as RAM shows it, System or Custom alike; `document` is its default version's text. */
export interface PolicyRecord {
  name: string;
  type: PolicyType;
  description: string;
  defaultVersion: string;
  document: string;
  /** ISO 8601 times. */
  createdAt: string;
  updatedAt: string;
  defaultVersionCreatedAt: string;
  /** Attachments in the asking account. */
  attachmentCount: number;
}

export interface PolicyVersionRecord {
  versionId: string;
  document: string;
  isDefault: boolean;
  createdAt: string;
}

export interface AttachmentRecord {
  policyType: PolicyType;
  policyName: string;
  description: string;
  defaultVersion: string;
  attachedAt: string;
}

export interface AccessKeyInfo {
  accessKeyId: string;
  status: 'Active' | 'Inactive';
  createdAt: string;
  userName: string | null;
}

export interface GroupMembership extends RamGroupRow {
  joined_at: string;
}

export interface Page {
  /** Opaque, from the previous page's `marker`. */
  marker?: string;
  maxItems: number;
}

/** RAM's limits. */
export const MAX_POLICY_VERSIONS = 5;
export const MAX_USER_ACCESS_KEYS = 2;
export const ROTATE_OLDEST = 'DeleteOldestNonDefaultVersionWhenLimitExceeded';
/** The date System policies show (they are older than any account here). */
export const SYSTEM_POLICY_DATE = '2015-04-28T00:00:00.000Z';

/** Parses a document for storing: a malformed one is the caller's `MalformedPolicyDocument`, naming where. */
export function validatedDocument(text: string, kind: PolicyKind): string {
  try {
    parsePolicyDocument(text, kind);
    return text;
  } catch (err) {
    if (err instanceof MalformedPolicyDocumentError) throw new ApiError('MalformedPolicyDocument', err.message);
    throw err;
  }
}

export function ramStore(db: Kysely<Database>) {
  const postgres = db.getExecutor().adapter instanceof PostgresAdapter;

  /** A read that a concurrent delete of the row waits for (and that waits for one); plain on SQLite. */
  function locked<DB, TB extends keyof DB, O>(query: SelectQueryBuilder<DB, TB, O>): SelectQueryBuilder<DB, TB, O> {
    return postgres ? query.forKeyShare() : query;
  }

  /** Runs `fn` in a transaction, or in the one `db` already is (ensureDefaultRole inside createAccount). */
  function inTransaction<T>(fn: (trx: Kysely<Database>) => Promise<T>): Promise<T> {
    return db.isTransaction ? fn(db) : db.transaction().execute((trx: Transaction<Database>) => fn(trx));
  }

  async function principalExists(trx: Kysely<Database>, accountId: string, type: PrincipalType, name: string): Promise<boolean> {
    const table = type === 'User' ? 'ram_users' : type === 'Group' ? 'ram_groups' : 'ram_roles';
    const row = await locked(trx.selectFrom(table).select('id').where('account_id', '=', accountId).where('name', '=', name)).executeTakeFirst();
    return row !== undefined;
  }

  function principalMissing(type: PrincipalType, name: string): ApiError {
    return new ApiError(type === 'User' ? 'EntityNotExist.User' : type === 'Group' ? 'EntityNotExist.Group' : 'EntityNotExist.Role', name);
  }

  async function attachmentCounts(accountId: string, policyType?: PolicyType, names?: string[]): Promise<Map<string, number>> {
    if (names && names.length === 0) return new Map();
    let query = db
      .selectFrom('ram_attachments')
      .select(['policy_type', 'policy_name', (eb) => eb.fn.countAll<number | string>().as('count')])
      .where('account_id', '=', accountId);
    if (policyType) query = query.where('policy_type', '=', policyType);
    if (names) query = query.where('policy_name', 'in', names);
    const rows = await query.groupBy(['policy_type', 'policy_name']).execute();
    return new Map(rows.map((r) => [`${r.policy_type}:${r.policy_name}`, Number(r.count)]));
  }

  function systemRecord(policy: SystemPolicy, attachmentCount: number): PolicyRecord {
    return {
      name: policy.name,
      type: 'System',
      description: policy.description,
      defaultVersion: 'v1',
      document: policy.document,
      createdAt: SYSTEM_POLICY_DATE,
      updatedAt: SYSTEM_POLICY_DATE,
      defaultVersionCreatedAt: SYSTEM_POLICY_DATE,
      attachmentCount,
    };
  }

  async function customRecords(accountId: string, rows: RamPolicyRow[]): Promise<PolicyRecord[]> {
    if (rows.length === 0) return [];
    const names = rows.map((r) => r.name);
    const versions = await db
      .selectFrom('ram_policy_versions as v')
      .innerJoin('ram_policies as p', (join) => join.onRef('p.owner', '=', 'v.owner').onRef('p.name', '=', 'v.policy_name').onRef('p.default_version', '=', 'v.version_id'))
      .select(['v.policy_name', 'v.document', 'v.created_at'])
      .where('v.owner', '=', accountId)
      .where('v.policy_name', 'in', names)
      .execute();
    const byName = new Map(versions.map((v) => [v.policy_name, v]));
    const counts = await attachmentCounts(accountId, 'Custom', names);
    return rows.map((row) => {
      const version = byName.get(row.name);
      return {
        name: row.name,
        type: 'Custom' as const,
        description: row.description,
        defaultVersion: row.default_version,
        document: version?.document ?? '',
        createdAt: row.created_at,
        updatedAt: row.updated_at,
        defaultVersionCreatedAt: version?.created_at ?? row.created_at,
        attachmentCount: counts.get(`Custom:${row.name}`) ?? 0,
      };
    });
  }

  function refuseSystem(name: string, what: string): void {
    if (SYSTEM_POLICIES.has(name)) {
      throw new ApiError('InvalidParameter', 'PolicyName', { message: `The policy ${name} is a system policy: system policies cannot be ${what}.` });
    }
  }

  return {
    // ------------------------------------------------------------------------------------------------ users

    /** Undefined when the name is taken in the account. */
    async createUser(
      accountId: string,
      user: { name: string; displayName: string; comments: string; email: string; mobilePhone: string },
    ): Promise<RamUserRow | undefined> {
      const now = new Date().toISOString();
      const row: RamUserRow = {
        id: newNumericId(),
        account_id: accountId,
        name: user.name,
        display_name: user.displayName,
        comments: user.comments,
        email: user.email,
        mobile_phone: user.mobilePhone,
        created_at: now,
        updated_at: now,
      };
      const result = await db.insertInto('ram_users').values(row).onConflict((oc) => oc.columns(['account_id', 'name']).doNothing()).executeTakeFirst();
      return inserted(result) ? row : undefined;
    },

    async findUser(accountId: string, name: string): Promise<RamUserRow | undefined> {
      return db.selectFrom('ram_users').selectAll().where('account_id', '=', accountId).where('name', '=', name).executeTakeFirst();
    },

    /** By name; `marker` continues after the previous page. */
    async listUsers(accountId: string, page: Page): Promise<{ users: RamUserRow[]; isTruncated: boolean; marker?: string }> {
      let query = db.selectFrom('ram_users').selectAll().where('account_id', '=', accountId);
      if (page.marker) query = query.where('name', '>', decodeMarker(page.marker));
      const rows = await query.orderBy('name').limit(page.maxItems + 1).execute();
      const users = rows.slice(0, page.maxItems);
      const isTruncated = rows.length > page.maxItems;
      return { users, isTruncated, ...(isTruncated ? { marker: encodeMarker(users.at(-1)!.name) } : {}) };
    },

    /** RAM's rule: a user with AccessKeys, attached policies or group memberships cannot be deleted. */
    async deleteUser(accountId: string, name: string): Promise<void> {
      await inTransaction(async (trx) => {
        const deleted = await trx.deleteFrom('ram_users').where('account_id', '=', accountId).where('name', '=', name).executeTakeFirst();
        if (Number(deleted.numDeletedRows) !== 1) throw new ApiError('EntityNotExist.User', name);
        const keys = await trx.selectFrom('access_keys').select('id').where('account_id', '=', accountId).where('user_name', '=', name).execute();
        const policies = await trx
          .selectFrom('ram_attachments')
          .select('policy_name')
          .where('account_id', '=', accountId)
          .where('principal_type', '=', 'User')
          .where('principal_name', '=', name)
          .execute();
        const groups = await trx.selectFrom('ram_group_members').select('group_name').where('account_id', '=', accountId).where('user_name', '=', name).execute();
        const reasons = [
          keys.length ? `${keys.length} AccessKey(s)` : '',
          policies.length ? `attached policies (${policies.map((p) => p.policy_name).join(', ')})` : '',
          groups.length ? `group memberships (${groups.map((g) => g.group_name).join(', ')})` : '',
        ].filter(Boolean);
        if (reasons.length) {
          throw new ApiError('DeleteConflict', `The user ${name} still has ${reasons.join(', ')}; delete its AccessKeys, detach its policies and remove it from its groups first.`);
        }
      });
    },

    // ------------------------------------------------------------------------------------- access keys

    /** The keys of a user, or (`userName` undefined) of the account's root. Never the secrets. */
    async listAccessKeys(accountId: string, userName?: string): Promise<AccessKeyInfo[]> {
      let query = db.selectFrom('access_keys').select(['id', 'status', 'created_at', 'user_name']).where('account_id', '=', accountId);
      query = userName === undefined ? query.where('user_name', 'is', null) : query.where('user_name', '=', userName);
      const rows = await query.orderBy('created_at').orderBy('id').execute();
      return rows.map((r) => ({ accessKeyId: r.id, status: r.status, createdAt: r.created_at, userName: r.user_name }));
    },

    /**
     * Called right after a user's key was inserted (accounts.addAccessKey): keeps it only if the user still
     * exists and has at most MAX_USER_ACCESS_KEYS keys; otherwise deletes it again and throws. Together with
     * deleteUser (delete first, then count keys) no key outlives its user.
     */
    async admitUserAccessKey(accountId: string, userName: string, accessKeyId: string): Promise<void> {
      const refusal = await inTransaction(async (trx) => {
        const refuse = async (error: ApiError) => {
          await trx.deleteFrom('access_keys').where('id', '=', accessKeyId).execute();
          return error;
        };
        if (!(await principalExists(trx, accountId, 'User', userName))) return refuse(new ApiError('EntityNotExist.User', userName));
        const keys = await trx.selectFrom('access_keys').select('id').where('account_id', '=', accountId).where('user_name', '=', userName).execute();
        if (keys.length > MAX_USER_ACCESS_KEYS) return refuse(new ApiError('LimitExceeded.User.AccessKey'));
        return undefined;
      });
      if (refusal) throw refusal;
    },

    /** Scoped to the account and the owner (`userName` undefined = the root); false when no such key. */
    async setAccessKeyStatus(accountId: string, userName: string | undefined, accessKeyId: string, status: 'Active' | 'Inactive'): Promise<boolean> {
      let query = db.updateTable('access_keys').set({ status }).where('id', '=', accessKeyId).where('account_id', '=', accountId);
      query = userName === undefined ? query.where('user_name', 'is', null) : query.where('user_name', '=', userName);
      return Number((await query.executeTakeFirst()).numUpdatedRows) === 1;
    },

    async deleteAccessKey(accountId: string, userName: string | undefined, accessKeyId: string): Promise<boolean> {
      let query = db.deleteFrom('access_keys').where('id', '=', accessKeyId).where('account_id', '=', accountId);
      query = userName === undefined ? query.where('user_name', 'is', null) : query.where('user_name', '=', userName);
      return Number((await query.executeTakeFirst()).numDeletedRows) === 1;
    },

    // ----------------------------------------------------------------------------------------------- groups

    async createGroup(accountId: string, group: { name: string; comments: string }): Promise<RamGroupRow | undefined> {
      const row: RamGroupRow = { id: `g-${randomBase62(16)}`, account_id: accountId, name: group.name, comments: group.comments, created_at: new Date().toISOString() };
      const result = await db.insertInto('ram_groups').values(row).onConflict((oc) => oc.columns(['account_id', 'name']).doNothing()).executeTakeFirst();
      return inserted(result) ? row : undefined;
    },

    async findGroup(accountId: string, name: string): Promise<RamGroupRow | undefined> {
      return db.selectFrom('ram_groups').selectAll().where('account_id', '=', accountId).where('name', '=', name).executeTakeFirst();
    },

    async listGroups(accountId: string, page: Page): Promise<{ groups: RamGroupRow[]; isTruncated: boolean; marker?: string }> {
      let query = db.selectFrom('ram_groups').selectAll().where('account_id', '=', accountId);
      if (page.marker) query = query.where('name', '>', decodeMarker(page.marker));
      const rows = await query.orderBy('name').limit(page.maxItems + 1).execute();
      const groups = rows.slice(0, page.maxItems);
      const isTruncated = rows.length > page.maxItems;
      return { groups, isTruncated, ...(isTruncated ? { marker: encodeMarker(groups.at(-1)!.name) } : {}) };
    },

    /** A group with members or attached policies cannot be deleted. */
    async deleteGroup(accountId: string, name: string): Promise<void> {
      await inTransaction(async (trx) => {
        const deleted = await trx.deleteFrom('ram_groups').where('account_id', '=', accountId).where('name', '=', name).executeTakeFirst();
        if (Number(deleted.numDeletedRows) !== 1) throw new ApiError('EntityNotExist.Group', name);
        const members = await trx.selectFrom('ram_group_members').select('user_name').where('account_id', '=', accountId).where('group_name', '=', name).execute();
        const policies = await trx
          .selectFrom('ram_attachments')
          .select('policy_name')
          .where('account_id', '=', accountId)
          .where('principal_type', '=', 'Group')
          .where('principal_name', '=', name)
          .execute();
        const reasons = [
          members.length ? `members (${members.map((m) => m.user_name).join(', ')})` : '',
          policies.length ? `attached policies (${policies.map((p) => p.policy_name).join(', ')})` : '',
        ].filter(Boolean);
        if (reasons.length) throw new ApiError('DeleteConflict', `The group ${name} still has ${reasons.join(' and ')}; remove them first.`);
      });
    },

    /** EntityAlreadyExists.User.Group when already a member; the user and the group must exist. */
    async addUserToGroup(accountId: string, userName: string, groupName: string): Promise<void> {
      await inTransaction(async (trx) => {
        const result = await trx
          .insertInto('ram_group_members')
          .values({ account_id: accountId, group_name: groupName, user_name: userName, joined_at: new Date().toISOString() })
          .onConflict((oc) => oc.columns(['account_id', 'group_name', 'user_name']).doNothing())
          .executeTakeFirst();
        if (!(await principalExists(trx, accountId, 'User', userName))) throw new ApiError('EntityNotExist.User', userName);
        if (!(await principalExists(trx, accountId, 'Group', groupName))) throw new ApiError('EntityNotExist.Group', groupName);
        if (!inserted(result)) throw new ApiError('EntityAlreadyExists.User.Group', [userName, groupName]);
      });
    },

    async removeUserFromGroup(accountId: string, userName: string, groupName: string): Promise<boolean> {
      const result = await db
        .deleteFrom('ram_group_members')
        .where('account_id', '=', accountId)
        .where('group_name', '=', groupName)
        .where('user_name', '=', userName)
        .executeTakeFirst();
      return Number(result.numDeletedRows) === 1;
    },

    /** The groups a user is in, by name, with when it joined. */
    async groupsOfUser(accountId: string, userName: string): Promise<GroupMembership[]> {
      return db
        .selectFrom('ram_group_members as m')
        .innerJoin('ram_groups as g', (join) => join.onRef('g.account_id', '=', 'm.account_id').onRef('g.name', '=', 'm.group_name'))
        .selectAll('g')
        .select('m.joined_at')
        .where('m.account_id', '=', accountId)
        .where('m.user_name', '=', userName)
        .orderBy('g.name')
        .execute();
    },

    // ------------------------------------------------------------------------------------------------ roles

    /** Undefined when the name is taken. The trust policy is validated (MalformedPolicyDocument). */
    async createRole(
      accountId: string,
      role: { name: string; description: string; trustPolicy: string; maxSessionDuration: number },
    ): Promise<RamRoleRow | undefined> {
      const now = new Date().toISOString();
      const row: RamRoleRow = {
        id: newNumericId(),
        account_id: accountId,
        name: role.name,
        description: role.description,
        trust_policy: validatedDocument(role.trustPolicy, 'trust'),
        max_session_duration: role.maxSessionDuration,
        created_at: now,
        updated_at: now,
      };
      const result = await db.insertInto('ram_roles').values(row).onConflict((oc) => oc.columns(['account_id', 'name']).doNothing()).executeTakeFirst();
      return inserted(result) ? row : undefined;
    },

    async findRole(accountId: string, name: string): Promise<RamRoleRow | undefined> {
      return db.selectFrom('ram_roles').selectAll().where('account_id', '=', accountId).where('name', '=', name).executeTakeFirst();
    },

    async listRoles(accountId: string, page: Page): Promise<{ roles: RamRoleRow[]; isTruncated: boolean; marker?: string }> {
      let query = db.selectFrom('ram_roles').selectAll().where('account_id', '=', accountId);
      if (page.marker) query = query.where('name', '>', decodeMarker(page.marker));
      const rows = await query.orderBy('name').limit(page.maxItems + 1).execute();
      const roles = rows.slice(0, page.maxItems);
      const isTruncated = rows.length > page.maxItems;
      return { roles, isTruncated, ...(isTruncated ? { marker: encodeMarker(roles.at(-1)!.name) } : {}) };
    },

    /** A role with attached policies cannot be deleted. */
    async deleteRole(accountId: string, name: string): Promise<void> {
      await inTransaction(async (trx) => {
        const deleted = await trx.deleteFrom('ram_roles').where('account_id', '=', accountId).where('name', '=', name).executeTakeFirst();
        if (Number(deleted.numDeletedRows) !== 1) throw new ApiError('EntityNotExist.Role', name);
        const policies = await trx
          .selectFrom('ram_attachments')
          .select('policy_name')
          .where('account_id', '=', accountId)
          .where('principal_type', '=', 'Role')
          .where('principal_name', '=', name)
          .execute();
        if (policies.length) {
          throw new ApiError('DeleteConflict', `The role ${name} still has attached policies (${policies.map((p) => p.policy_name).join(', ')}); detach them first.`);
        }
      });
    },

    /**
     * Creates the account's AliyunIMMDefaultRole, with its system policy attached, unless a role of that name
     * exists (then it is left as it is, even if its policy was detached on purpose). Idempotent; concurrent
     * callers are decided by the unique constraint. Runs inside the caller's transaction when given one.
     * True when this call created it.
     */
    async ensureDefaultRole(accountId: string): Promise<boolean> {
      return inTransaction(async (trx) => {
        const now = new Date().toISOString();
        const result = await trx
          .insertInto('ram_roles')
          .values({
            id: newNumericId(),
            account_id: accountId,
            name: DEFAULT_SERVICE_ROLE.name,
            description: DEFAULT_SERVICE_ROLE.description,
            trust_policy: DEFAULT_SERVICE_ROLE.trustPolicy,
            max_session_duration: 3600,
            created_at: now,
            updated_at: now,
          })
          .onConflict((oc) => oc.columns(['account_id', 'name']).doNothing())
          .executeTakeFirst();
        if (!inserted(result)) return false;
        await trx
          .insertInto('ram_attachments')
          .values({ account_id: accountId, principal_type: 'Role', principal_name: DEFAULT_SERVICE_ROLE.name, policy_type: 'System', policy_name: DEFAULT_SERVICE_ROLE.policy, attached_at: now })
          .onConflict((oc) => oc.columns(['account_id', 'principal_type', 'principal_name', 'policy_type', 'policy_name']).doNothing())
          .execute();
        return true;
      });
    },

    // --------------------------------------------------------------------------------------------- policies

    /**
     * A custom policy with its document as default version v1. Undefined when the name is taken; a System
     * policy's name counts as taken. The document is validated (MalformedPolicyDocument).
     */
    async createPolicy(accountId: string, policy: { name: string; description: string; document: string }): Promise<PolicyRecord | undefined> {
      const document = validatedDocument(policy.document, 'identity');
      if (SYSTEM_POLICIES.has(policy.name)) return undefined;
      const now = new Date().toISOString();
      return inTransaction(async (trx) => {
        const result = await trx
          .insertInto('ram_policies')
          .values({ owner: accountId, name: policy.name, description: policy.description, default_version: 'v1', next_version: 2, created_at: now, updated_at: now })
          .onConflict((oc) => oc.columns(['owner', 'name']).doNothing())
          .executeTakeFirst();
        if (!inserted(result)) return undefined;
        await trx.insertInto('ram_policy_versions').values({ owner: accountId, policy_name: policy.name, version_id: 'v1', document, created_at: now }).execute();
        return {
          name: policy.name,
          type: 'Custom' as const,
          description: policy.description,
          defaultVersion: 'v1',
          document,
          createdAt: now,
          updatedAt: now,
          defaultVersionCreatedAt: now,
          attachmentCount: 0,
        };
      });
    },

    /** Without `type`, a custom policy of that name, else a System one. */
    async findPolicy(accountId: string, name: string, type?: PolicyType): Promise<PolicyRecord | undefined> {
      if (type !== 'System') {
        const row = await db.selectFrom('ram_policies').selectAll().where('owner', '=', accountId).where('name', '=', name).executeTakeFirst();
        if (row) return (await customRecords(accountId, [row]))[0];
        if (type === 'Custom') return undefined;
      }
      const system = SYSTEM_POLICIES.get(name);
      if (!system) return undefined;
      const counts = await attachmentCounts(accountId, 'System', [name]);
      return systemRecord(system, counts.get(`System:${name}`) ?? 0);
    },

    /** System policies (by name) then the account's custom ones (by name); `marker` continues a listing. */
    async listPolicies(accountId: string, options: Page & { type?: PolicyType }): Promise<{ policies: PolicyRecord[]; isTruncated: boolean; marker?: string }> {
      const after = options.marker ? decodePolicyMarker(options.marker) : undefined;
      const wanted = options.maxItems + 1;
      const found: PolicyRecord[] = [];
      if (options.type !== 'Custom' && after?.type !== 'Custom') {
        const names = [...SYSTEM_POLICIES.keys()].sort().filter((n) => after === undefined || n > after.name).slice(0, wanted);
        const counts = await attachmentCounts(accountId, 'System', names);
        found.push(...names.map((n) => systemRecord(SYSTEM_POLICIES.get(n)!, counts.get(`System:${n}`) ?? 0)));
      }
      if (options.type !== 'System' && found.length < wanted) {
        let query = db.selectFrom('ram_policies').selectAll().where('owner', '=', accountId);
        if (after?.type === 'Custom') query = query.where('name', '>', after.name);
        const rows = await query.orderBy('name').limit(wanted - found.length).execute();
        found.push(...(await customRecords(accountId, rows)));
      }
      const policies = found.slice(0, options.maxItems);
      const isTruncated = found.length > options.maxItems;
      const last = policies.at(-1);
      return { policies, isTruncated, ...(isTruncated && last ? { marker: encodeMarker(`${last.type}:${last.name}`) } : {}) };
    },

    /**
     * DeleteConflict while the policy is attached or has versions besides the default one, unless
     * `cascading` (RAM's CascadingDelete): then it is detached everywhere and every version goes with it.
     */
    async deletePolicy(accountId: string, name: string, cascading = false): Promise<void> {
      refuseSystem(name, 'deleted');
      await inTransaction(async (trx) => {
        const deleted = await trx.deleteFrom('ram_policies').where('owner', '=', accountId).where('name', '=', name).returning('default_version').executeTakeFirst();
        if (!deleted) throw new ApiError('EntityNotExist.Policy', name);
        const attachments = trx
          .selectFrom('ram_attachments')
          .select(['principal_type', 'principal_name'])
          .where('account_id', '=', accountId)
          .where('policy_type', '=', 'Custom')
          .where('policy_name', '=', name);
        if (!cascading) {
          const attached = await attachments.execute();
          const versions = await trx
            .selectFrom('ram_policy_versions')
            .select('version_id')
            .where('owner', '=', accountId)
            .where('policy_name', '=', name)
            .where('version_id', '<>', deleted.default_version)
            .execute();
          const reasons = [
            attached.length ? `it is attached to ${attached.map((a) => `${a.principal_type} ${a.principal_name}`).join(', ')}` : '',
            versions.length ? `it has versions besides the default one (${sortVersions(versions.map((v) => v.version_id)).join(', ')})` : '',
          ].filter(Boolean);
          if (reasons.length) throw new ApiError('DeleteConflict', `The policy ${name} cannot be deleted: ${reasons.join(' and ')}; detach it and delete those versions first, or set CascadingDelete=true.`);
        }
        await trx.deleteFrom('ram_attachments').where('account_id', '=', accountId).where('policy_type', '=', 'Custom').where('policy_name', '=', name).execute();
        await trx.deleteFrom('ram_policy_versions').where('owner', '=', accountId).where('policy_name', '=', name).execute();
      });
    },

    /**
     * A new version (v2, v3, … never reused). At most MAX_POLICY_VERSIONS: beyond, LimitExceeded.Policy.Version,
     * or with RotateStrategy DeleteOldestNonDefaultVersionWhenLimitExceeded the oldest non-default one goes.
     */
    async createPolicyVersion(accountId: string, name: string, documentText: string, setAsDefault: boolean, rotateStrategy?: string): Promise<PolicyVersionRecord> {
      refuseSystem(name, 'changed');
      const document = validatedDocument(documentText, 'identity');
      const now = new Date().toISOString();
      return inTransaction(async (trx) => {
        // The update comes first: it locks the policy row, so versions of one policy are numbered one at a time.
        const policy = await trx
          .updateTable('ram_policies')
          .set((eb) => ({ next_version: eb('next_version', '+', 1), updated_at: now }))
          .where('owner', '=', accountId)
          .where('name', '=', name)
          .returning(['next_version', 'default_version'])
          .executeTakeFirst();
        if (!policy) throw new ApiError('EntityNotExist.Policy', name);
        const versionId = `v${policy.next_version - 1}`;
        await trx.insertInto('ram_policy_versions').values({ owner: accountId, policy_name: name, version_id: versionId, document, created_at: now }).execute();
        const versions = sortVersions(
          (await trx.selectFrom('ram_policy_versions').select('version_id').where('owner', '=', accountId).where('policy_name', '=', name).execute()).map((v) => v.version_id),
        );
        if (versions.length > MAX_POLICY_VERSIONS) {
          const oldest = versions.find((v) => v !== policy.default_version && v !== versionId);
          if (rotateStrategy !== ROTATE_OLDEST || oldest === undefined) throw new ApiError('LimitExceeded.Policy.Version');
          await trx.deleteFrom('ram_policy_versions').where('owner', '=', accountId).where('policy_name', '=', name).where('version_id', '=', oldest).execute();
        }
        if (setAsDefault) await trx.updateTable('ram_policies').set({ default_version: versionId }).where('owner', '=', accountId).where('name', '=', name).execute();
        return { versionId, document, isDefault: setAsDefault, createdAt: now };
      });
    },

    /** Versions oldest first; System policies have their one v1. Undefined when there is no such policy. */
    async listPolicyVersions(accountId: string, name: string, type: PolicyType): Promise<PolicyVersionRecord[] | undefined> {
      if (type === 'System') {
        const system = SYSTEM_POLICIES.get(name);
        return system && [{ versionId: 'v1', document: system.document, isDefault: true, createdAt: SYSTEM_POLICY_DATE }];
      }
      const policy = await db.selectFrom('ram_policies').select('default_version').where('owner', '=', accountId).where('name', '=', name).executeTakeFirst();
      if (!policy) return undefined;
      const rows = await db.selectFrom('ram_policy_versions').selectAll().where('owner', '=', accountId).where('policy_name', '=', name).execute();
      const order = sortVersions(rows.map((r) => r.version_id));
      rows.sort((a, b) => order.indexOf(a.version_id) - order.indexOf(b.version_id));
      return rows.map((r) => ({ versionId: r.version_id, document: r.document, isDefault: r.version_id === policy.default_version, createdAt: r.created_at }));
    },

    async setDefaultPolicyVersion(accountId: string, name: string, versionId: string): Promise<void> {
      refuseSystem(name, 'changed');
      await inTransaction(async (trx) => {
        const updated = await trx
          .updateTable('ram_policies')
          .set({ default_version: versionId, updated_at: new Date().toISOString() })
          .where('owner', '=', accountId)
          .where('name', '=', name)
          .executeTakeFirst();
        if (Number(updated.numUpdatedRows) !== 1) throw new ApiError('EntityNotExist.Policy', name);
        const version = await trx.selectFrom('ram_policy_versions').select('version_id').where('owner', '=', accountId).where('policy_name', '=', name).where('version_id', '=', versionId).executeTakeFirst();
        if (!version) throw new ApiError('EntityNotExist.Policy', [], { message: `The policy ${name} has no version ${versionId}.` });
      });
    },

    /** The default version cannot be deleted (DeleteConflict). */
    async deletePolicyVersion(accountId: string, name: string, versionId: string): Promise<void> {
      refuseSystem(name, 'changed');
      await inTransaction(async (trx) => {
        // Touching the policy row first locks it against a concurrent SetDefaultPolicyVersion.
        const policy = await trx
          .updateTable('ram_policies')
          .set({ updated_at: new Date().toISOString() })
          .where('owner', '=', accountId)
          .where('name', '=', name)
          .returning('default_version')
          .executeTakeFirst();
        if (!policy) throw new ApiError('EntityNotExist.Policy', name);
        if (policy.default_version === versionId) throw new ApiError('DeleteConflict', `The version ${versionId} is the default version of the policy ${name}; set another default first.`);
        const deleted = await trx.deleteFrom('ram_policy_versions').where('owner', '=', accountId).where('policy_name', '=', name).where('version_id', '=', versionId).executeTakeFirst();
        if (Number(deleted.numDeletedRows) !== 1) throw new ApiError('EntityNotExist.Policy', [], { message: `The policy ${name} has no version ${versionId}.` });
      });
    },

    // ------------------------------------------------------------------------------------------ attachments

    /** EntityAlreadyExists.Policy.Attachment when attached already; the principal and the policy must exist. */
    async attachPolicy(accountId: string, principalType: PrincipalType, principalName: string, policyType: PolicyType, policyName: string): Promise<void> {
      await inTransaction(async (trx) => {
        const result = await trx
          .insertInto('ram_attachments')
          .values({ account_id: accountId, principal_type: principalType, principal_name: principalName, policy_type: policyType, policy_name: policyName, attached_at: new Date().toISOString() })
          .onConflict((oc) => oc.columns(['account_id', 'principal_type', 'principal_name', 'policy_type', 'policy_name']).doNothing())
          .executeTakeFirst();
        if (!(await principalExists(trx, accountId, principalType, principalName))) throw principalMissing(principalType, principalName);
        const policyExists =
          policyType === 'System'
            ? SYSTEM_POLICIES.has(policyName)
            : (await locked(trx.selectFrom('ram_policies').select('name').where('owner', '=', accountId).where('name', '=', policyName)).executeTakeFirst()) !== undefined;
        if (!policyExists) throw new ApiError('EntityNotExist.Policy', policyName);
        if (!inserted(result)) throw new ApiError('EntityAlreadyExists.Policy.Attachment', [policyName, `${principalType} ${principalName}`]);
      });
    },

    /** EntityNotExist.Policy.Attachment when not attached (the principal missing: EntityNotExist.<type>). */
    async detachPolicy(accountId: string, principalType: PrincipalType, principalName: string, policyType: PolicyType, policyName: string): Promise<void> {
      const result = await db
        .deleteFrom('ram_attachments')
        .where('account_id', '=', accountId)
        .where('principal_type', '=', principalType)
        .where('principal_name', '=', principalName)
        .where('policy_type', '=', policyType)
        .where('policy_name', '=', policyName)
        .executeTakeFirst();
      if (Number(result.numDeletedRows) === 1) return;
      if (!(await principalExists(db, accountId, principalType, principalName))) throw principalMissing(principalType, principalName);
      throw new ApiError('EntityNotExist.Policy.Attachment', [policyName, `${principalType} ${principalName}`]);
    },

    /** The policies attached directly to a principal (not through its groups), by attach date. */
    async listAttachments(accountId: string, principalType: PrincipalType, principalName: string): Promise<AttachmentRecord[]> {
      const rows = await db
        .selectFrom('ram_attachments')
        .selectAll()
        .where('account_id', '=', accountId)
        .where('principal_type', '=', principalType)
        .where('principal_name', '=', principalName)
        .orderBy('attached_at')
        .orderBy('policy_name')
        .execute();
      const customNames = rows.filter((r) => r.policy_type === 'Custom').map((r) => r.policy_name);
      const custom = customNames.length
        ? await db.selectFrom('ram_policies').select(['name', 'description', 'default_version']).where('owner', '=', accountId).where('name', 'in', customNames).execute()
        : [];
      const customByName = new Map(custom.map((c) => [c.name, c]));
      return rows.flatMap((r): AttachmentRecord[] => {
        const info =
          r.policy_type === 'System'
            ? SYSTEM_POLICIES.get(r.policy_name) && { description: SYSTEM_POLICIES.get(r.policy_name)!.description, defaultVersion: 'v1' }
            : customByName.get(r.policy_name) && { description: customByName.get(r.policy_name)!.description, defaultVersion: customByName.get(r.policy_name)!.default_version };
        return info ? [{ policyType: r.policy_type, policyName: r.policy_name, ...info, attachedAt: r.attached_at }] : [];
      });
    },

    /**
     * What decides for a principal: a user's own policies and those of its groups, or a role's; each by its
     * default version, parsed. Each policy once, even when attached several ways.
     */
    async policiesOf(accountId: string, principal: { type: 'User'; name: string } | { type: 'Role'; name: string }): Promise<NamedPolicy[]> {
      let query = db.selectFrom('ram_attachments').select(['policy_type', 'policy_name']).where('account_id', '=', accountId);
      if (principal.type === 'Role') {
        query = query.where('principal_type', '=', 'Role').where('principal_name', '=', principal.name);
      } else {
        const groups = db.selectFrom('ram_group_members').select('group_name').where('account_id', '=', accountId).where('user_name', '=', principal.name);
        query = query.where((eb) =>
          eb.or([
            eb.and([eb('principal_type', '=', 'User'), eb('principal_name', '=', principal.name)]),
            eb.and([eb('principal_type', '=', 'Group'), eb('principal_name', 'in', groups)]),
          ]),
        );
      }
      const attachments = await query.execute();
      const systemNames = [...new Set(attachments.filter((a) => a.policy_type === 'System').map((a) => a.policy_name))].sort();
      const customNames = [...new Set(attachments.filter((a) => a.policy_type === 'Custom').map((a) => a.policy_name))].sort();
      const policies: NamedPolicy[] = [];
      for (const name of systemNames) {
        const system = SYSTEM_POLICIES.get(name);
        if (system) policies.push({ name, type: 'System', document: parseStored(system.document, `System policy ${name}`) });
      }
      if (customNames.length) {
        const versions = await db
          .selectFrom('ram_policy_versions as v')
          .innerJoin('ram_policies as p', (join) => join.onRef('p.owner', '=', 'v.owner').onRef('p.name', '=', 'v.policy_name').onRef('p.default_version', '=', 'v.version_id'))
          .select(['v.policy_name', 'v.document'])
          .where('v.owner', '=', accountId)
          .where('v.policy_name', 'in', customNames)
          .orderBy('v.policy_name')
          .execute();
        for (const v of versions) policies.push({ name: v.policy_name, type: 'Custom', document: parseStored(v.document, `Custom policy ${v.policy_name}`) });
      }
      return policies;
    },
  };
}

export type RamStore = ReturnType<typeof ramStore>;

// ---------------------------------------------------------------------------------------------------------

function inserted(result: { numInsertedOrUpdatedRows?: bigint }): boolean {
  return Number(result.numInsertedOrUpdatedRows ?? 0n) === 1;
}

/** A stored document failed to parse (a stricter parser since it was stored?): never skip it silently. */
function parseStored(text: string, what: string) {
  try {
    return parsePolicyDocument(text, 'identity');
  } catch (err) {
    throw new Error(`${what} no longer parses: ${(err as Error).message}`);
  }
}

/** `v10` after `v9`. */
function sortVersions(ids: string[]): string[] {
  return [...ids].sort((a, b) => Number(a.slice(1)) - Number(b.slice(1)));
}

export function encodeMarker(value: string): string {
  return Buffer.from(value, 'utf8').toString('base64url');
}

function decodeMarker(marker: string): string {
  const value = /^[A-Za-z0-9_-]{1,400}$/.test(marker) ? Buffer.from(marker, 'base64url').toString('utf8') : '';
  if (!/^[A-Za-z0-9._:-]{1,140}$/.test(value)) {
    throw new ApiError('InvalidParameter', 'Marker', { message: 'The parameter Marker is invalid: it must be a Marker returned by the previous page of this listing.' });
  }
  return value;
}

function decodePolicyMarker(marker: string): { type: PolicyType; name: string } {
  const value = decodeMarker(marker);
  const m = /^(System|Custom):(.+)$/.exec(value);
  if (!m) throw new ApiError('InvalidParameter', 'Marker', { message: 'The parameter Marker is invalid: it must be a Marker returned by the previous page of ListPolicies.' });
  return { type: m[1] as PolicyType, name: m[2] };
}

/** 16 digits, like RAM's user and role ids. */
function newNumericId(): string {
  return String(randomInt(1, 10)) + Array.from({ length: 15 }, () => randomInt(0, 10)).join('');
}

const BASE62 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

function randomBase62(length: number): string {
  let out = '';
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      if (byte < 248 && out.length < length) out += BASE62[byte % 62];
    }
  }
  return out;
}
