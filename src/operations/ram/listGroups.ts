import type { Operation } from '../operation.js';
import { authorize } from '../../access/authorize.js';
import { groupView, page, paging, ramTime, resource } from './ramViews.js';

export const listGroups: Operation = async (ctx) => {
  const paged = page(ctx.params);
  await authorize(ctx, 'ram:ListGroups', resource(ctx, '*'));
  const result = await ctx.services.ram.listGroups(ctx.caller.accountId, paged);
  return { ...paging(result), Groups: { Group: result.groups.map((g) => ({ ...groupView(g), UpdateDate: ramTime(g.created_at) })) } };
};
