import type { Operation } from '../operation.js';
import { authorize } from '../../access/authorize.js';
import { groupName, policyName, policyType, resource, roleName, userName } from './ramViews.js';

type PrincipalType = 'User' | 'Group' | 'Role';

const principalNameOf: Record<PrincipalType, (params: Record<string, string>) => string> = { User: userName, Group: groupName, Role: roleName };

/**
 * The six Attach/Detach actions differ only in the principal type and the direction. RAM authorizes them on
 * both resources: the principal, then the policy.
 */
export function policyAttachment(action: string, principalType: PrincipalType, direction: 'attach' | 'detach'): Operation {
  return async (ctx) => {
    const type = policyType(ctx.params, true);
    const policy = policyName(ctx.params);
    const principal = principalNameOf[principalType](ctx.params);
    await authorize(ctx, `ram:${action}`, resource(ctx, `${principalType.toLowerCase()}/${principal}`));
    await authorize(ctx, `ram:${action}`, resource(ctx, `policy/${policy}`));
    const { ram } = ctx.services;
    await (direction === 'attach' ? ram.attachPolicy : ram.detachPolicy)(ctx.caller.accountId, principalType, principal, type, policy);
    return {};
  };
}
