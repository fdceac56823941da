import type { Operation } from '../operation.js';
import { authorize } from '../../access/authorize.js';
import { ApiError } from '../../core/errors.js';
import { policyName, policyType, policyVersionView, required, resource } from './ramViews.js';

export const getPolicyVersion: Operation = async (ctx) => {
  const name = policyName(ctx.params);
  const type = policyType(ctx.params, true);
  const versionId = required(ctx.params, 'VersionId');
  await authorize(ctx, 'ram:GetPolicyVersion', resource(ctx, `policy/${name}`));
  const versions = await ctx.services.ram.listPolicyVersions(ctx.caller.accountId, name, type);
  if (!versions) throw new ApiError('EntityNotExist.Policy', name);
  const version = versions.find((v) => v.versionId === versionId);
  if (!version) throw new ApiError('EntityNotExist.Policy', [], { message: `The policy ${name} has no version ${versionId}.` });
  return { PolicyVersion: policyVersionView(version) };
};
