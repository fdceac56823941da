import type { Operation } from '../operation.js';
import { authorize } from '../../access/authorize.js';
import { ApiError } from '../../core/errors.js';
import { groupName, groupView, ramTime, resource } from './ramViews.js';

export const getGroup: Operation = async (ctx) => {
  const name = groupName(ctx.params);
  await authorize(ctx, 'ram:GetGroup', resource(ctx, `group/${name}`));
  const row = await ctx.services.ram.findGroup(ctx.caller.accountId, name);
  if (!row) throw new ApiError('EntityNotExist.Group', name);
  return { Group: { ...groupView(row), UpdateDate: ramTime(row.created_at) } };
};
