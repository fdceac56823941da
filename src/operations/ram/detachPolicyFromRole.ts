import { policyAttachment } from './policyAttachment.js';

export const detachPolicyFromRole = policyAttachment('DetachPolicyFromRole', 'Role', 'detach');
