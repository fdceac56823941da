/**
 * Policies as RAM shows them: System policies (constants, never stored: listed and attached like custom ones
 * but never created, changed or deleted) and each account's custom policies with their versions.
 */
import { ApiError } from '../../core/errors.js';
import { SYSTEM_POLICIES, type SystemPolicy } from '../../ram/systemPolicies.js';
import {
  decodePolicyMarker,
  encodeMarker,
  inserted,
  MAX_POLICY_VERSIONS,
  ROTATE_OLDEST,
  sortVersions,
  SYSTEM_POLICY_DATE,
  validatedDocument,
  type Page,
  type PolicyRecord,
  type PolicyType,
  type PolicyVersionRecord,
  type RamContext,
  type RamPolicyRow,
} from './shared.js';

export function ramPolicies({ db, inTransaction }: RamContext) {
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
  };
}
