import type { Operation } from '../operation.js';
import { authorize } from '../../access/authorize.js';
import { ApiError } from '../../core/errors.js';
import { attachmentView, groupName, resource } from './ramViews.js';

/** The policies attached to the group itself. */
export const listPoliciesForGroup: Operation = async (ctx) => {
  const name = groupName(ctx.params);
  await authorize(ctx, 'ram:ListPoliciesForGroup', resource(ctx, `group/${name}`));
  if (!(await ctx.services.ram.findGroup(ctx.caller.accountId, name))) throw new ApiError('EntityNotExist.Group', name);
  const attachments = await ctx.services.ram.listAttachments(ctx.caller.accountId, 'Group', name);
  return { Policies: { Policy: attachments.map(attachmentView) } };
};
