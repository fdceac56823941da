import type { Operation } from '../../api/dispatcher.js';
import { authorize } from '../../access/authorize.js';
import { roleName, policyName, policyType, resource } from './ramViews.js';

export const attachPolicyToRole: Operation = async (ctx) => {
  const type = policyType(ctx.params, true);
  const policy = policyName(ctx.params);
  const principal = roleName(ctx.params);
  await authorize(ctx, 'ram:AttachPolicyToRole', resource(ctx, `role/${principal}`));
  await authorize(ctx, 'ram:AttachPolicyToRole', resource(ctx, `policy/${policy}`));
  await ctx.services.ram.attachPolicy(ctx.caller.accountId, 'Role', principal, type, policy);
  return {};
};
