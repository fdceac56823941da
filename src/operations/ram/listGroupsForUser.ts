import type { Operation } from '../operation.js';
import { authorize } from '../../access/authorize.js';
import { ApiError } from '../../core/errors.js';
import { ramTime, resource, userName } from './ramViews.js';

export const listGroupsForUser: Operation = async (ctx) => {
  const name = userName(ctx.params);
  await authorize(ctx, 'ram:ListGroupsForUser', resource(ctx, `user/${name}`));
  if (!(await ctx.services.ram.findUser(ctx.caller.accountId, name))) throw new ApiError('EntityNotExist.User', name);
  const groups = await ctx.services.ram.groupsOfUser(ctx.caller.accountId, name);
  return { Groups: { Group: groups.map((g) => ({ GroupId: g.id, GroupName: g.name, Comments: g.comments, JoinDate: ramTime(g.joined_at) })) } };
};
