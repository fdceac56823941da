import type { Operation } from '../../api/dispatcher.js';
import { authorize } from '../../access/authorize.js';
import { groupName, policyName, policyType, resource } from './ramViews.js';

export const detachPolicyFromGroup: Operation = async (ctx) => {
  const type = policyType(ctx.params, true);
  const policy = policyName(ctx.params);
  const principal = groupName(ctx.params);
  await authorize(ctx, 'ram:DetachPolicyFromGroup', resource(ctx, `group/${principal}`));
  await authorize(ctx, 'ram:DetachPolicyFromGroup', resource(ctx, `policy/${policy}`));
  await ctx.services.ram.detachPolicy(ctx.caller.accountId, 'Group', principal, type, policy);
  return {};
};
