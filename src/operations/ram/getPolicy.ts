import type { Operation } from '../operation.js';
import { authorize } from '../../access/authorize.js';
import { ApiError } from '../../core/errors.js';
import { policyName, policyType, policyView, ramTime, resource } from './ramViews.js';

/** PolicyType may be left out: a custom policy of that name, else the System one. */
export const getPolicy: Operation = async (ctx) => {
  const name = policyName(ctx.params);
  const type = policyType(ctx.params, false);
  await authorize(ctx, 'ram:GetPolicy', resource(ctx, `policy/${name}`));
  const record = await ctx.services.ram.findPolicy(ctx.caller.accountId, name, type);
  if (!record) throw new ApiError('EntityNotExist.Policy', name);
  return {
    Policy: { ...policyView(record), PolicyDocument: record.document },
    DefaultPolicyVersion: { VersionId: record.defaultVersion, IsDefaultVersion: true, PolicyDocument: record.document, CreateDate: ramTime(record.defaultVersionCreatedAt) },
  };
};
