import type { Operation } from '../../api/dispatcher.js';
import { authorize } from '../../access/authorize.js';
import { groupName, policyName, policyType, resource } from './ramViews.js';

export const attachPolicyToGroup: Operation = async (ctx) => {
  const type = policyType(ctx.params, true);
  const policy = policyName(ctx.params);
  const principal = groupName(ctx.params);
  await authorize(ctx, 'ram:AttachPolicyToGroup', resource(ctx, `group/${principal}`));
  await authorize(ctx, 'ram:AttachPolicyToGroup', resource(ctx, `policy/${policy}`));
  await ctx.services.ram.attachPolicy(ctx.caller.accountId, 'Group', principal, type, policy);
  return {};
};
