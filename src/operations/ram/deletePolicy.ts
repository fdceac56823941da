import type { Operation } from '../operation.js';
import { authorize } from '../../access/authorize.js';
import { bool, policyName, resource } from './ramViews.js';

/** CascadingDelete=true detaches the policy everywhere and deletes its other versions too. */
export const deletePolicy: Operation = async (ctx) => {
  const name = policyName(ctx.params);
  const cascading = bool(ctx.params, 'CascadingDelete', false);
  await authorize(ctx, 'ram:DeletePolicy', resource(ctx, `policy/${name}`));
  await ctx.services.ram.deletePolicy(ctx.caller.accountId, name, cascading);
  return {};
};
