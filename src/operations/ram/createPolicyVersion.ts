import type { Operation } from '../operation.js';
import { authorize } from '../../access/authorize.js';
import { ROTATE_OLDEST, validatedDocument } from '../../store/ram/index.js';
import { bool, invalidParameter, policyDocument, policyName, policyVersionView, resource } from './ramViews.js';

export const createPolicyVersion: Operation = async (ctx) => {
  const { params } = ctx;
  const name = policyName(params);
  const document = validatedDocument(policyDocument(params), 'identity');
  const setAsDefault = bool(params, 'SetAsDefault', false);
  const rotate = params.RotateStrategy || 'None';
  if (rotate !== 'None' && rotate !== ROTATE_OLDEST) throw invalidParameter('RotateStrategy', `it must be None or ${ROTATE_OLDEST}`);
  await authorize(ctx, 'ram:CreatePolicyVersion', resource(ctx, `policy/${name}`));
  const version = await ctx.services.ram.createPolicyVersion(ctx.caller.accountId, name, document, setAsDefault, rotate);
  return { PolicyVersion: policyVersionView(version) };
};
