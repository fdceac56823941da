import type { Operation } from '../operation.js';
import { authorize } from '../../access/authorize.js';
import { page, paging, resource, userView } from './ramViews.js';

export const listUsers: Operation = async (ctx) => {
  const paged = page(ctx.params);
  await authorize(ctx, 'ram:ListUsers', resource(ctx, '*'));
  const result = await ctx.services.ram.listUsers(ctx.caller.accountId, paged);
  return { ...paging(result), Users: { User: result.users.map(userView) } };
};
