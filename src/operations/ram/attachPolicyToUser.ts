import { policyAttachment } from './policyAttachment.js';

export const attachPolicyToUser = policyAttachment('AttachPolicyToUser', 'User', 'attach');
