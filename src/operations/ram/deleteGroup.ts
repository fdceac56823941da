import type { Operation } from '../operation.js';
import { authorize } from '../../access/authorize.js';
import { groupName, resource } from './ramViews.js';

/** A group with members or attached policies is a DeleteConflict. */
export const deleteGroup: Operation = async (ctx) => {
  const name = groupName(ctx.params);
  await authorize(ctx, 'ram:DeleteGroup', resource(ctx, `group/${name}`));
  await ctx.services.ram.deleteGroup(ctx.caller.accountId, name);
  return {};
};
