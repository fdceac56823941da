import type { Operation } from '../operation.js';
import { authorize } from '../../access/authorize.js';
import { ApiError } from '../../core/errors.js';
import { resource, roleName, roleView } from './ramViews.js';

export const getRole: Operation = async (ctx) => {
  const name = roleName(ctx.params);
  await authorize(ctx, 'ram:GetRole', resource(ctx, `role/${name}`));
  const row = await ctx.services.ram.findRole(ctx.caller.accountId, name);
  if (!row) throw new ApiError('EntityNotExist.Role', name);
  return { Role: roleView(row) };
};
