import type { Operation } from '../operation.js';
import { authorize } from '../../access/authorize.js';
import { groupName, resource, userName } from './ramViews.js';

export const addUserToGroup: Operation = async (ctx) => {
  const group = groupName(ctx.params);
  const user = userName(ctx.params);
  await authorize(ctx, 'ram:AddUserToGroup', resource(ctx, `group/${group}`));
  await authorize(ctx, 'ram:AddUserToGroup', resource(ctx, `user/${user}`));
  await ctx.services.ram.addUserToGroup(ctx.caller.accountId, user, group);
  return {};
};
