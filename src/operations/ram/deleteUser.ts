import type { Operation } from '../operation.js';
import { authorize } from '../../access/authorize.js';
import { resource, userName } from './ramViews.js';

/** RAM's rule: a user with AccessKeys, attached policies or group memberships is a DeleteConflict. */
export const deleteUser: Operation = async (ctx) => {
  const name = userName(ctx.params);
  await authorize(ctx, 'ram:DeleteUser', resource(ctx, `user/${name}`));
  await ctx.services.ram.deleteUser(ctx.caller.accountId, name);
  return {};
};
