import type { Operation } from '../operation.js';
import { authorize } from '../../access/authorize.js';
import { ApiError } from '../../core/errors.js';
import { validatedDocument } from '../../store/ram/index.js';
import { policyDocument, policyName, policyView, resource, text } from './ramViews.js';

export const createPolicy: Operation = async (ctx) => {
  const { params, caller, services } = ctx;
  const name = policyName(params);
  const document = validatedDocument(policyDocument(params), 'identity');
  const description = text(params, 'Description', 1024);
  await authorize(ctx, 'ram:CreatePolicy', resource(ctx, `policy/${name}`));
  const record = await services.ram.createPolicy(caller.accountId, { name, description, document });
  if (!record) throw new ApiError('EntityAlreadyExists.Policy', name);
  const { PolicyName, PolicyType, Description, DefaultVersion, CreateDate } = policyView(record);
  return { Policy: { PolicyName, PolicyType, Description, DefaultVersion, CreateDate } };
};
