/** RAM users and their AccessKeys (the keys themselves, sealed, are the accounts store's). */
import { ApiError } from '../../core/errors.js';
import { attachedPolicyNames, inserted, MAX_USER_ACCESS_KEYS, newNumericId, pageByName, type AccessKeyInfo, type Page, type RamContext, type RamUserRow } from './shared.js';

export function ramUsers({ db, inTransaction, principalExists }: RamContext) {
  return {
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
      const { items, ...rest } = await pageByName(page, (after, limit) => {
        let query = db.selectFrom('ram_users').selectAll().where('account_id', '=', accountId);
        if (after !== undefined) query = query.where('name', '>', after);
        return query.orderBy('name').limit(limit).execute();
      });
      return { users: items, ...rest };
    },

    /** RAM's rule: a user with AccessKeys, attached policies or group memberships cannot be deleted. */
    async deleteUser(accountId: string, name: string): Promise<void> {
      await inTransaction(async (trx) => {
        const deleted = await trx.deleteFrom('ram_users').where('account_id', '=', accountId).where('name', '=', name).executeTakeFirst();
        if (Number(deleted.numDeletedRows) !== 1) throw new ApiError('EntityNotExist.User', name);
        const keys = await trx.selectFrom('access_keys').select('id').where('account_id', '=', accountId).where('user_name', '=', name).execute();
        const policies = await attachedPolicyNames(trx, accountId, 'User', name);
        const groups = await trx.selectFrom('ram_group_members').select('group_name').where('account_id', '=', accountId).where('user_name', '=', name).execute();
        const reasons = [
          keys.length ? `${keys.length} AccessKey(s)` : '',
          policies.length ? `attached policies (${policies.join(', ')})` : '',
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
  };
}
