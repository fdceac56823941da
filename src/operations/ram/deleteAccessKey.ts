import type { Operation } from '../operation.js';
import { authorize } from '../../access/authorize.js';
import { ApiError } from '../../core/errors.js';
import { optionalUserName, required, requireRoot, resource } from './ramViews.js';

export const deleteAccessKey: Operation = async (ctx) => {
  const { params, caller, services } = ctx;
  const accessKeyId = required(params, 'UserAccessKeyId');
  const name = optionalUserName(params);
  if (name === undefined) requireRoot(ctx, 'DeleteAccessKey');
  await authorize(ctx, 'ram:DeleteAccessKey', resource(ctx, name === undefined ? 'root' : `user/${name}`));
  if (name !== undefined && !(await services.ram.findUser(caller.accountId, name))) throw new ApiError('EntityNotExist.User', name);
  if (!(await services.ram.deleteAccessKey(caller.accountId, name, accessKeyId))) {
    throw new ApiError('EntityNotExist.User.AccessKey', [accessKeyId, name ?? 'root']);
  }
  return {};
};
