import type { Operation } from '../operation.js';
import { authorize } from '../../access/authorize.js';
import { ApiError } from '../../core/errors.js';
import { groupName, resource, userName } from './ramViews.js';

export const removeUserFromGroup: Operation = async (ctx) => {
  const { caller, services } = ctx;
  const group = groupName(ctx.params);
  const user = userName(ctx.params);
  await authorize(ctx, 'ram:RemoveUserFromGroup', resource(ctx, `group/${group}`));
  await authorize(ctx, 'ram:RemoveUserFromGroup', resource(ctx, `user/${user}`));
  if (await services.ram.removeUserFromGroup(caller.accountId, user, group)) return {};
  if (!(await services.ram.findUser(caller.accountId, user))) throw new ApiError('EntityNotExist.User', user);
  if (!(await services.ram.findGroup(caller.accountId, group))) throw new ApiError('EntityNotExist.Group', group);
  throw new ApiError('EntityNotExist.Group', [], { message: `The user ${user} is not in the group ${group}.` });
};
