import type { Operation } from '../operation.js';
import { authorize } from '../../access/authorize.js';
import { ApiError } from '../../core/errors.js';
import { invalidParameter, optionalUserName, required, requireRoot, resource } from './ramViews.js';

export const updateAccessKey: Operation = async (ctx) => {
  const { params, caller, services } = ctx;
  const accessKeyId = required(params, 'UserAccessKeyId');
  const status = required(params, 'Status');
  if (status !== 'Active' && status !== 'Inactive') throw invalidParameter('Status', 'it must be Active or Inactive');
  const name = optionalUserName(params);
  if (name === undefined) requireRoot(ctx, 'UpdateAccessKey');
  await authorize(ctx, 'ram:UpdateAccessKey', resource(ctx, name === undefined ? 'root' : `user/${name}`));
  if (name !== undefined && !(await services.ram.findUser(caller.accountId, name))) throw new ApiError('EntityNotExist.User', name);
  if (!(await services.ram.setAccessKeyStatus(caller.accountId, name, accessKeyId, status))) {
    throw new ApiError('EntityNotExist.User.AccessKey', [accessKeyId, name ?? 'root']);
  }
  return {};
};
