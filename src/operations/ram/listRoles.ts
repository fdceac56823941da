import type { Operation } from '../operation.js';
import { authorize } from '../../access/authorize.js';
import { page, paging, resource, roleView } from './ramViews.js';

export const listRoles: Operation = async (ctx) => {
  const paged = page(ctx.params);
  await authorize(ctx, 'ram:ListRoles', resource(ctx, '*'));
  const result = await ctx.services.ram.listRoles(ctx.caller.accountId, paged);
  // As in RAM, the listing leaves out the trust policies (GetRole shows them).
  const roles = result.roles.map((row) => {
    const { AssumeRolePolicyDocument: _trust, ...view } = roleView(row);
    return view;
  });
  return { ...paging(result), Roles: { Role: roles } };
};
