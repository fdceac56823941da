import type { Operation } from '../operation.js';
import { authorize } from '../../access/authorize.js';
import { policyName, required, resource } from './ramViews.js';

/** The default version cannot be deleted (DeleteConflict). */
export const deletePolicyVersion: Operation = async (ctx) => {
  const name = policyName(ctx.params);
  const versionId = required(ctx.params, 'VersionId');
  await authorize(ctx, 'ram:DeletePolicyVersion', resource(ctx, `policy/${name}`));
  await ctx.services.ram.deletePolicyVersion(ctx.caller.accountId, name, versionId);
  return {};
};
