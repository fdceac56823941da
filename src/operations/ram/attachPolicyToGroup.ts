import { policyAttachment } from './policyAttachment.js';

export const attachPolicyToGroup = policyAttachment('AttachPolicyToGroup', 'Group', 'attach');
