import type { Operation } from '../operation.js';
import { authorize } from '../../access/authorize.js';
import { resource, roleName } from './ramViews.js';

/** A role with attached policies is a DeleteConflict. */
export const deleteRole: Operation = async (ctx) => {
  const name = roleName(ctx.params);
  await authorize(ctx, 'ram:DeleteRole', resource(ctx, `role/${name}`));
  await ctx.services.ram.deleteRole(ctx.caller.accountId, name);
  return {};
};
