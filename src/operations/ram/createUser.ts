import type { Operation } from '../operation.js';
import { authorize } from '../../access/authorize.js';
import { ApiError } from '../../core/errors.js';
import { email, invalidParameter, mobilePhone, resource, text, userName, userView } from './ramViews.js';

export const createUser: Operation = async (ctx) => {
  const { params, caller, services } = ctx;
  const name = userName(params);
  const displayName = text(params, 'DisplayName', 128) || name;
  if (!displayName.trim()) throw invalidParameter('DisplayName', 'it must not be blank');
  const comments = text(params, 'Comments', 128);
  const user = { name, displayName, comments, email: email(params), mobilePhone: mobilePhone(params) };
  await authorize(ctx, 'ram:CreateUser', resource(ctx, `user/${name}`));
  const row = await services.ram.createUser(caller.accountId, user);
  if (!row) throw new ApiError('EntityAlreadyExists.User', name);
  const { UpdateDate: _updated, ...view } = userView(row);
  return { User: view };
};
