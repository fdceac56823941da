import type { Operation } from '../operation.js';
import { authorize } from '../../access/authorize.js';
import { policyName, required, resource } from './ramViews.js';

export const setDefaultPolicyVersion: Operation = async (ctx) => {
  const name = policyName(ctx.params);
  const versionId = required(ctx.params, 'VersionId');
  await authorize(ctx, 'ram:SetDefaultPolicyVersion', resource(ctx, `policy/${name}`));
  await ctx.services.ram.setDefaultPolicyVersion(ctx.caller.accountId, name, versionId);
  return {};
};
