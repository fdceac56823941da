import type { Operation } from '../operation.js';
import { authorize } from '../../access/authorize.js';
import { ApiError } from '../../core/errors.js';
import { attachmentView, roleName, resource } from './ramViews.js';

/** The policies attached to the role itself. */
export const listPoliciesForRole: Operation = async (ctx) => {
  const name = roleName(ctx.params);
  await authorize(ctx, 'ram:ListPoliciesForRole', resource(ctx, `role/${name}`));
  if (!(await ctx.services.ram.findRole(ctx.caller.accountId, name))) throw new ApiError('EntityNotExist.Role', name);
  const attachments = await ctx.services.ram.listAttachments(ctx.caller.accountId, 'Role', name);
  return { Policies: { Policy: attachments.map(attachmentView) } };
};
