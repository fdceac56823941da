import type { Operation } from '../operation.js';
import { principalArn } from '../../access/principal.js';

/** Who the credentials belong to. Needs no permission, as in the cloud. */
export const getCallerIdentity: Operation = async ({ caller }) => {
  const p = caller.principal;
  const base = { AccountId: p.accountId, Arn: principalArn(p), IdentityType: p.type };
  switch (p.type) {
    case 'Account':
      return { ...base, PrincipalId: p.accountId, UserId: p.accountId };
    case 'RAMUser':
      return { ...base, PrincipalId: p.userId, UserId: p.userId };
    case 'AssumedRoleUser':
      return { ...base, PrincipalId: `${p.roleId}:${p.sessionName}`, RoleId: p.roleId };
  }
};
