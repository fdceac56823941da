import type { Operation } from '../operation.js';
import { authorize } from '../../access/authorize.js';
import { ApiError } from '../../core/errors.js';
import { accessKeyView, optionalUserName, requireRoot, resource } from './ramViews.js';

export const listAccessKeys: Operation = async (ctx) => {
  const { caller, services } = ctx;
  const name = optionalUserName(ctx.params);
  if (name === undefined) requireRoot(ctx, 'ListAccessKeys');
  await authorize(ctx, 'ram:ListAccessKeys', resource(ctx, name === undefined ? 'root' : `user/${name}`));
  if (name !== undefined && !(await services.ram.findUser(caller.accountId, name))) throw new ApiError('EntityNotExist.User', name);
  const keys = await services.ram.listAccessKeys(caller.accountId, name);
  return { AccessKeys: { AccessKey: keys.map(accessKeyView) } };
};
