import type { Operation } from '../operation.js';
import { authorize } from '../../access/authorize.js';
import { ApiError } from '../../core/errors.js';
import { attachmentView, userName, resource } from './ramViews.js';

/** The policies attached to the user itself (not those it has through its groups). */
export const listPoliciesForUser: Operation = async (ctx) => {
  const name = userName(ctx.params);
  await authorize(ctx, 'ram:ListPoliciesForUser', resource(ctx, `user/${name}`));
  if (!(await ctx.services.ram.findUser(ctx.caller.accountId, name))) throw new ApiError('EntityNotExist.User', name);
  const attachments = await ctx.services.ram.listAttachments(ctx.caller.accountId, 'User', name);
  return { Policies: { Policy: attachments.map(attachmentView) } };
};
