import type { Operation } from '../operation.js';
import { authorize } from '../../access/authorize.js';
import { ApiError } from '../../core/errors.js';
import { validatedDocument } from '../../store/ram/index.js';
import { integer, policyDocument, resource, roleName, roleView, text } from './ramViews.js';

/** MaxSessionDuration 3600–43200 seconds (default 3600); the trust policy must be valid ('trust' grammar). */
export const createRole: Operation = async (ctx) => {
  const { params, caller, services } = ctx;
  const name = roleName(params);
  const trustPolicy = validatedDocument(policyDocument(params, 'AssumeRolePolicyDocument'), 'trust');
  const description = text(params, 'Description', 1024);
  const maxSessionDuration = integer(params, 'MaxSessionDuration', 3600, 43200, 3600);
  await authorize(ctx, 'ram:CreateRole', resource(ctx, `role/${name}`));
  const row = await services.ram.createRole(caller.accountId, { name, description, trustPolicy, maxSessionDuration });
  if (!row) throw new ApiError('EntityAlreadyExists.Role', name);
  const { UpdateDate: _updated, ...view } = roleView(row);
  return { Role: view };
};
