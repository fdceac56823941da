/** Which policies are attached to which users, groups and roles, and what decides for a principal. */
import { ApiError } from '../../core/errors.js';
import { SYSTEM_POLICIES } from '../../ram/systemPolicies.js';
import type { NamedPolicy } from '../../ram/evaluatePolicy.js';
import { inserted, MAX_ATTACHED_POLICIES, parseStored, principalMissing, type AttachmentRecord, type PolicyType, type PrincipalType, type RamContext } from './shared.js';

export function ramAttachments({ db, inTransaction, locked, principalExists, principalLocked }: RamContext) {
  return {
    /**
     * EntityAlreadyExists.Policy.Attachment when attached already; the principal and the policy must exist; at
     * most MAX_ATTACHED_POLICIES of each type per principal (LimitExceeded.<type>.Policy), counted with the
     * principal locked, so concurrent attaches cannot pass the limit together.
     */
    async attachPolicy(accountId: string, principalType: PrincipalType, principalName: string, policyType: PolicyType, policyName: string): Promise<void> {
      await inTransaction(async (trx) => {
        const result = await trx
          .insertInto('ram_attachments')
          .values({ account_id: accountId, principal_type: principalType, principal_name: principalName, policy_type: policyType, policy_name: policyName, attached_at: new Date().toISOString() })
          .onConflict((oc) => oc.columns(['account_id', 'principal_type', 'principal_name', 'policy_type', 'policy_name']).doNothing())
          .executeTakeFirst();
        if (!(await principalLocked(trx, accountId, principalType, principalName))) throw principalMissing(principalType, principalName);
        const policyExists =
          policyType === 'System'
            ? SYSTEM_POLICIES.has(policyName)
            : (await locked(trx.selectFrom('ram_policies').select('name').where('owner', '=', accountId).where('name', '=', policyName)).executeTakeFirst()) !== undefined;
        if (!policyExists) throw new ApiError('EntityNotExist.Policy', policyName);
        if (!inserted(result)) throw new ApiError('EntityAlreadyExists.Policy.Attachment', [policyName, `${principalType} ${principalName}`]);
        const attached = await trx
          .selectFrom('ram_attachments')
          .select((eb) => eb.fn.countAll<number>().as('count'))
          .where('account_id', '=', accountId)
          .where('principal_type', '=', principalType)
          .where('principal_name', '=', principalName)
          .where('policy_type', '=', policyType)
          .executeTakeFirstOrThrow();
        if (Number(attached.count) > MAX_ATTACHED_POLICIES[policyType]) throw new ApiError(`LimitExceeded.${principalType}.Policy`);
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
