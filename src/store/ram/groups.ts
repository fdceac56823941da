/** RAM groups and their members. */
import { ApiError } from '../../core/errors.js';
import { attachedPolicyNames, inserted, MAX_GROUPS_PER_USER, pageByName, randomBase62, type GroupMembership, type Page, type RamContext, type RamGroupRow } from './shared.js';

export function ramGroups({ db, inTransaction, principalExists, principalLocked }: RamContext) {
  return {
    async createGroup(accountId: string, group: { name: string; comments: string }): Promise<RamGroupRow | undefined> {
      const row: RamGroupRow = { id: `g-${randomBase62(16)}`, account_id: accountId, name: group.name, comments: group.comments, created_at: new Date().toISOString() };
      const result = await db.insertInto('ram_groups').values(row).onConflict((oc) => oc.columns(['account_id', 'name']).doNothing()).executeTakeFirst();
      return inserted(result) ? row : undefined;
    },

    async findGroup(accountId: string, name: string): Promise<RamGroupRow | undefined> {
      return db.selectFrom('ram_groups').selectAll().where('account_id', '=', accountId).where('name', '=', name).executeTakeFirst();
    },

    async listGroups(accountId: string, page: Page): Promise<{ groups: RamGroupRow[]; isTruncated: boolean; marker?: string }> {
      const { items, ...rest } = await pageByName(page, (after, limit) => {
        let query = db.selectFrom('ram_groups').selectAll().where('account_id', '=', accountId);
        if (after !== undefined) query = query.where('name', '>', after);
        return query.orderBy('name').limit(limit).execute();
      });
      return { groups: items, ...rest };
    },

    /** A group with members or attached policies cannot be deleted. */
    async deleteGroup(accountId: string, name: string): Promise<void> {
      await inTransaction(async (trx) => {
        const deleted = await trx.deleteFrom('ram_groups').where('account_id', '=', accountId).where('name', '=', name).executeTakeFirst();
        if (Number(deleted.numDeletedRows) !== 1) throw new ApiError('EntityNotExist.Group', name);
        const members = await trx.selectFrom('ram_group_members').select('user_name').where('account_id', '=', accountId).where('group_name', '=', name).execute();
        const policies = await attachedPolicyNames(trx, accountId, 'Group', name);
        const reasons = [
          members.length ? `members (${members.map((m) => m.user_name).join(', ')})` : '',
          policies.length ? `attached policies (${policies.join(', ')})` : '',
        ].filter(Boolean);
        if (reasons.length) throw new ApiError('DeleteConflict', `The group ${name} still has ${reasons.join(' and ')}; remove them first.`);
      });
    },

    /**
     * EntityAlreadyExists.User.Group when already a member; the user and the group must exist; a user is in at
     * most MAX_GROUPS_PER_USER groups (LimitExceeded.User.Group), counted with the user locked.
     */
    async addUserToGroup(accountId: string, userName: string, groupName: string): Promise<void> {
      await inTransaction(async (trx) => {
        const result = await trx
          .insertInto('ram_group_members')
          .values({ account_id: accountId, group_name: groupName, user_name: userName, joined_at: new Date().toISOString() })
          .onConflict((oc) => oc.columns(['account_id', 'group_name', 'user_name']).doNothing())
          .executeTakeFirst();
        if (!(await principalLocked(trx, accountId, 'User', userName))) throw new ApiError('EntityNotExist.User', userName);
        if (!(await principalExists(trx, accountId, 'Group', groupName))) throw new ApiError('EntityNotExist.Group', groupName);
        if (!inserted(result)) throw new ApiError('EntityAlreadyExists.User.Group', [userName, groupName]);
        const groups = await trx
          .selectFrom('ram_group_members')
          .select((eb) => eb.fn.countAll<number>().as('count'))
          .where('account_id', '=', accountId)
          .where('user_name', '=', userName)
          .executeTakeFirstOrThrow();
        if (Number(groups.count) > MAX_GROUPS_PER_USER) throw new ApiError('LimitExceeded.User.Group');
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
  };
}
