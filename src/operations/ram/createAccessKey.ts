import type { Operation } from '../operation.js';
import { authorize } from '../../access/authorize.js';
import { ApiError } from '../../core/errors.js';
import { optionalUserName, ramTime, requireRoot, resource } from './ramViews.js';

/** For UserName (at most 2 keys each); without it, a key of the account's root, which only the root may add. */
export const createAccessKey: Operation = async (ctx) => {
  const { caller, services } = ctx;
  const name = optionalUserName(ctx.params);
  if (name === undefined) requireRoot(ctx, 'CreateAccessKey');
  await authorize(ctx, 'ram:CreateAccessKey', resource(ctx, name === undefined ? 'root' : `user/${name}`));
  if (name !== undefined && !(await services.ram.findUser(caller.accountId, name))) throw new ApiError('EntityNotExist.User', name);
  const key = await services.accounts.addAccessKey(caller.accountId, name);
  if (name !== undefined) await services.ram.admitUserAccessKey(caller.accountId, name, key.AccessKeyId);
  const stored = (await services.ram.listAccessKeys(caller.accountId, name)).find((k) => k.accessKeyId === key.AccessKeyId);
  return {
    AccessKey: {
      AccessKeyId: key.AccessKeyId,
      AccessKeySecret: key.AccessKeySecret,
      Status: stored?.status ?? 'Active',
      CreateDate: ramTime(stored?.createdAt ?? new Date().toISOString()),
    },
  };
};
