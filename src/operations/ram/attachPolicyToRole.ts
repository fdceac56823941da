import { policyAttachment } from './policyAttachment.js';

export const attachPolicyToRole = policyAttachment('AttachPolicyToRole', 'Role', 'attach');
