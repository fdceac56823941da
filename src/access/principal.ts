/** Who signed a request, as RAM sees it. */
import { ramArn } from '../ram/systemPolicies.js';
import type { PolicyDocument } from '../ram/policyDocument.js';

export type Principal =
  | { type: 'Account'; accountId: string; accessKeyId: string }
  | { type: 'RAMUser'; accountId: string; accessKeyId: string; userName: string; userId: string }
  | {
      type: 'AssumedRoleUser';
      accountId: string;
      accessKeyId: string;
      roleName: string;
      roleId: string;
      sessionName: string;
      /** The session policy given to AssumeRole: it narrows what the role's policies allow. */
      sessionPolicy?: PolicyDocument;
    };

/** The principal's ARN, as written in trust policies and audit records. */
export function principalArn(p: Principal): string {
  switch (p.type) {
    case 'Account':
      return ramArn(p.accountId, 'root');
    case 'RAMUser':
      return ramArn(p.accountId, `user/${p.userName}`);
    case 'AssumedRoleUser':
      return ramArn(p.accountId, `assumed-role/${p.roleName}/${p.sessionName}`);
  }
}

/** How AccessDeniedDetail names the principal type (the cloud's words). */
export function principalTypeName(p: Principal): string {
  return p.type === 'Account' ? 'Account' : p.type === 'RAMUser' ? 'SubUser' : 'AssumedRoleUser';
}

export function principalDisplayName(p: Principal): string {
  switch (p.type) {
    case 'Account':
      return p.accountId;
    case 'RAMUser':
      return p.userName;
    case 'AssumedRoleUser':
      return `${p.roleName}:${p.sessionName}`;
  }
}

/** The authenticated signer of a request: its key, its account, the principal it acts as and how it signed. */
export interface Caller {
  accessKeyId: string;
  accountId: string;
  principal: Principal;
  /** `CommandLine`: the CLI acting as an account's root on the same data, with no request to sign. */
  signature: 'RPC-HMAC-SHA1' | 'ACS3-HMAC-SHA256' | 'ACS3-HMAC-SM3' | 'CommandLine';
}
