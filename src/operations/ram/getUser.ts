import type { Operation } from '../operation.js';
import { authorize } from '../../access/authorize.js';
import { ApiError } from '../../core/errors.js';
import { resource, userName, userView } from './ramViews.js';

export const getUser: Operation = async (ctx) => {
  const name = userName(ctx.params);
  await authorize(ctx, 'ram:GetUser', resource(ctx, `user/${name}`));
  const row = await ctx.services.ram.findUser(ctx.caller.accountId, name);
  if (!row) throw new ApiError('EntityNotExist.User', name);
  return { User: userView(row) };
};
