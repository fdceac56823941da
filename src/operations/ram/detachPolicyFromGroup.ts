import { policyAttachment } from './policyAttachment.js';

export const detachPolicyFromGroup = policyAttachment('DetachPolicyFromGroup', 'Group', 'detach');
