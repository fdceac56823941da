import type { Operation } from '../operation.js';
import { authorize } from '../../access/authorize.js';
import { page, paging, policyType, policyView, resource } from './ramViews.js';

/** System policies first, then the account's custom ones; PolicyType narrows to one kind. */
export const listPolicies: Operation = async (ctx) => {
  const paged = page(ctx.params);
  const type = policyType(ctx.params, false);
  await authorize(ctx, 'ram:ListPolicies', resource(ctx, '*'));
  const result = await ctx.services.ram.listPolicies(ctx.caller.accountId, { ...paged, ...(type ? { type } : {}) });
  return { ...paging(result), Policies: { Policy: result.policies.map(policyView) } };
};
