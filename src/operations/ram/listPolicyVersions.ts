import type { Operation } from '../operation.js';
import { authorize } from '../../access/authorize.js';
import { ApiError } from '../../core/errors.js';
import { policyName, policyType, policyVersionView, resource } from './ramViews.js';

export const listPolicyVersions: Operation = async (ctx) => {
  const name = policyName(ctx.params);
  const type = policyType(ctx.params, true);
  await authorize(ctx, 'ram:ListPolicyVersions', resource(ctx, `policy/${name}`));
  const versions = await ctx.services.ram.listPolicyVersions(ctx.caller.accountId, name, type);
  if (!versions) throw new ApiError('EntityNotExist.Policy', name);
  return { PolicyVersions: { PolicyVersion: versions.map(policyVersionView) } };
};
