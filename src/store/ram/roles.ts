/** RAM roles, and the default service role every account gets. */
import { ApiError } from '../../core/errors.js';
import { DEFAULT_SERVICE_ROLE } from '../../ram/systemPolicies.js';
import { attachedPolicyNames, inserted, newNumericId, pageByName, validatedDocument, type Page, type RamContext, type RamRoleRow } from './shared.js';

export function ramRoles({ db, inTransaction }: RamContext) {
  return {
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
      const { items, ...rest } = await pageByName(page, (after, limit) => {
        let query = db.selectFrom('ram_roles').selectAll().where('account_id', '=', accountId);
        if (after !== undefined) query = query.where('name', '>', after);
        return query.orderBy('name').limit(limit).execute();
      });
      return { roles: items, ...rest };
    },

    /** A role with attached policies cannot be deleted. */
    async deleteRole(accountId: string, name: string): Promise<void> {
      await inTransaction(async (trx) => {
        const deleted = await trx.deleteFrom('ram_roles').where('account_id', '=', accountId).where('name', '=', name).executeTakeFirst();
        if (Number(deleted.numDeletedRows) !== 1) throw new ApiError('EntityNotExist.Role', name);
        const policies = await attachedPolicyNames(trx, accountId, 'Role', name);
        if (policies.length) {
          throw new ApiError('DeleteConflict', `The role ${name} still has attached policies (${policies.join(', ')}); detach them first.`);
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
  };
}
