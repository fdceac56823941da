/**
 * From an AccessKeyId (and, for temporary credentials, its SecurityToken) to the signing secret and the
 * principal. Permanent keys belong to an account's root or to a RAM user; `STS.` keys come from AssumeRole.
 */
import { ApiError } from '../core/errors.js';
import { safeEqual } from '../core/safeEqual.js';
import { hashToken } from '../tokens/tokenValues.js';
import { parsePolicyDocument } from '../ram/policyDocument.js';
import type { Principal } from './principal.js';
import type { AccountStore } from '../store/accounts.js';
import type { StsStore } from '../store/sts.js';
import type { RamStore } from '../store/ram/index.js';

export const STS_KEY_PREFIX = 'STS.';
/** `CAIS` + 64 base64url characters (48 random bytes): the shape our SecurityTokens have. */
export const SECURITY_TOKEN_PATTERN = /^CAIS[A-Za-z0-9_-]{64}$/;

export interface CredentialDeps {
  accounts: AccountStore;
  sts: StsStore;
  ram: RamStore;
  nowMs(): number;
}

export async function findCredential(
  deps: CredentialDeps,
  accessKeyId: string,
  securityToken: string | undefined,
): Promise<{ status: 'Active' | 'Inactive'; secret: string; principal: Principal } | undefined> {
  if (accessKeyId.startsWith(STS_KEY_PREFIX)) return temporaryCredential(deps, accessKeyId, securityToken);
  const key = await deps.accounts.findAccessKey(accessKeyId);
  if (!key) return undefined;
  // A SecurityToken belongs with an STS key only: with a permanent key it cannot be the key's token.
  if (securityToken !== undefined) throw new ApiError('InvalidSecurityToken.MismatchWithAccessKey');
  if (!key.userName) return { status: key.status, secret: key.secret, principal: { type: 'Account', accountId: key.accountId, accessKeyId } };
  const user = await deps.ram.findUser(key.accountId, key.userName);
  if (!user) return undefined; // a key outliving its user is no key
  return {
    status: key.status,
    secret: key.secret,
    principal: { type: 'RAMUser', accountId: key.accountId, accessKeyId, userName: user.name, userId: user.id },
  };
}

async function temporaryCredential(deps: CredentialDeps, accessKeyId: string, securityToken: string | undefined) {
  if (securityToken === undefined) throw new ApiError('MissingSecurityToken');
  if (!SECURITY_TOKEN_PATTERN.test(securityToken)) throw new ApiError('InvalidSecurityToken.Malformed');
  const credential = await deps.sts.find(accessKeyId);
  if (!credential) return undefined;
  const tokenHash = hashToken(securityToken);
  if (!safeEqual(tokenHash, credential.token_hash)) {
    // A token we issued, but to another key; or one we never issued (altered or made up).
    throw new ApiError((await deps.sts.tokenExists(tokenHash)) ? 'InvalidSecurityToken.MismatchWithAccessKey' : 'InvalidSecurityToken.Malformed');
  }
  if (deps.nowMs() >= credential.expires_ms) throw new ApiError('InvalidSecurityToken.Expired');
  // A credential acts as the role that issued it, not as whatever now bears its name: once that role is
  // deleted (or deleted and made again, with a new id and maybe other permissions) the credential is over.
  // Refused as expired, the code the SDKs' credential providers answer by fetching new credentials.
  const role = await deps.ram.findRole(credential.account_id, credential.role_name);
  if (role?.id !== credential.role_id) {
    throw new ApiError('InvalidSecurityToken.Expired', [], {
      message: `Specified SecurityToken is expired: the role ${credential.role_name} that issued it was deleted or replaced; assume the role again.`,
    });
  }
  const principal: Principal = {
    type: 'AssumedRoleUser',
    accountId: credential.account_id,
    accessKeyId,
    roleName: credential.role_name,
    roleId: credential.role_id,
    sessionName: credential.session_name,
    ...(credential.session_policy ? { sessionPolicy: parsePolicyDocument(credential.session_policy, 'identity') } : {}),
  };
  return { status: 'Active' as const, secret: credential.secret, principal };
}
