import { policyAttachment } from './policyAttachment.js';

export const detachPolicyFromUser = policyAttachment('DetachPolicyFromUser', 'User', 'detach');
