/** RAM (2015-05-01): Action name → operation. The dispatcher serves them under RAM_VERSION. */
import type { Operation } from '../operation.js';
import { addUserToGroup } from './addUserToGroup.js';
import { attachPolicyToGroup } from './attachPolicyToGroup.js';
import { attachPolicyToRole } from './attachPolicyToRole.js';
import { attachPolicyToUser } from './attachPolicyToUser.js';
import { createAccessKey } from './createAccessKey.js';
import { createGroup } from './createGroup.js';
import { createPolicy } from './createPolicy.js';
import { createPolicyVersion } from './createPolicyVersion.js';
import { createRole } from './createRole.js';
import { createUser } from './createUser.js';
import { deleteAccessKey } from './deleteAccessKey.js';
import { deleteGroup } from './deleteGroup.js';
import { deletePolicy } from './deletePolicy.js';
import { deletePolicyVersion } from './deletePolicyVersion.js';
import { deleteRole } from './deleteRole.js';
import { deleteUser } from './deleteUser.js';
import { detachPolicyFromGroup } from './detachPolicyFromGroup.js';
import { detachPolicyFromRole } from './detachPolicyFromRole.js';
import { detachPolicyFromUser } from './detachPolicyFromUser.js';
import { getGroup } from './getGroup.js';
import { getPolicy } from './getPolicy.js';
import { getPolicyVersion } from './getPolicyVersion.js';
import { getRole } from './getRole.js';
import { getUser } from './getUser.js';
import { listAccessKeys } from './listAccessKeys.js';
import { listGroups } from './listGroups.js';
import { listGroupsForUser } from './listGroupsForUser.js';
import { listPolicies } from './listPolicies.js';
import { listPoliciesForGroup } from './listPoliciesForGroup.js';
import { listPoliciesForRole } from './listPoliciesForRole.js';
import { listPoliciesForUser } from './listPoliciesForUser.js';
import { listPolicyVersions } from './listPolicyVersions.js';
import { listRoles } from './listRoles.js';
import { listUsers } from './listUsers.js';
import { removeUserFromGroup } from './removeUserFromGroup.js';
import { setDefaultPolicyVersion } from './setDefaultPolicyVersion.js';
import { updateAccessKey } from './updateAccessKey.js';

export const RAM_OPERATIONS: ReadonlyMap<string, Operation> = new Map<string, Operation>([
  ['AddUserToGroup', addUserToGroup],
  ['AttachPolicyToGroup', attachPolicyToGroup],
  ['AttachPolicyToRole', attachPolicyToRole],
  ['AttachPolicyToUser', attachPolicyToUser],
  ['CreateAccessKey', createAccessKey],
  ['CreateGroup', createGroup],
  ['CreatePolicy', createPolicy],
  ['CreatePolicyVersion', createPolicyVersion],
  ['CreateRole', createRole],
  ['CreateUser', createUser],
  ['DeleteAccessKey', deleteAccessKey],
  ['DeleteGroup', deleteGroup],
  ['DeletePolicy', deletePolicy],
  ['DeletePolicyVersion', deletePolicyVersion],
  ['DeleteRole', deleteRole],
  ['DeleteUser', deleteUser],
  ['DetachPolicyFromGroup', detachPolicyFromGroup],
  ['DetachPolicyFromRole', detachPolicyFromRole],
  ['DetachPolicyFromUser', detachPolicyFromUser],
  ['GetGroup', getGroup],
  ['GetPolicy', getPolicy],
  ['GetPolicyVersion', getPolicyVersion],
  ['GetRole', getRole],
  ['GetUser', getUser],
  ['ListAccessKeys', listAccessKeys],
  ['ListGroups', listGroups],
  ['ListGroupsForUser', listGroupsForUser],
  ['ListPolicies', listPolicies],
  ['ListPoliciesForGroup', listPoliciesForGroup],
  ['ListPoliciesForRole', listPoliciesForRole],
  ['ListPoliciesForUser', listPoliciesForUser],
  ['ListPolicyVersions', listPolicyVersions],
  ['ListRoles', listRoles],
  ['ListUsers', listUsers],
  ['RemoveUserFromGroup', removeUserFromGroup],
  ['SetDefaultPolicyVersion', setDefaultPolicyVersion],
  ['UpdateAccessKey', updateAccessKey],
]);
