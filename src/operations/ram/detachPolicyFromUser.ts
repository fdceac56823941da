import type { Operation } from '../../api/dispatcher.js';
import { authorize } from '../../access/authorize.js';
import { userName, policyName, policyType, resource } from './ramViews.js';

export const detachPolicyFromUser: Operation = async (ctx) => {
  const type = policyType(ctx.params, true);
  const policy = policyName(ctx.params);
  const principal = userName(ctx.params);
  await authorize(ctx, 'ram:DetachPolicyFromUser', resource(ctx, `user/${principal}`));
  await authorize(ctx, 'ram:DetachPolicyFromUser', resource(ctx, `policy/${policy}`));
  await ctx.services.ram.detachPolicy(ctx.caller.accountId, 'User', principal, type, policy);
  return {};
};
