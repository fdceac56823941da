import type { Operation } from '../operation.js';
import { authorize } from '../../access/authorize.js';
import { ApiError } from '../../core/errors.js';
import { groupName, groupView, resource, text } from './ramViews.js';

export const createGroup: Operation = async (ctx) => {
  const name = groupName(ctx.params);
  const comments = text(ctx.params, 'Comments', 128);
  await authorize(ctx, 'ram:CreateGroup', resource(ctx, `group/${name}`));
  const row = await ctx.services.ram.createGroup(ctx.caller.accountId, { name, comments });
  if (!row) throw new ApiError('EntityAlreadyExists.Group', name);
  return { Group: groupView(row) };
};
