import { randomBytes } from 'node:crypto';
import { ApiError } from '../../core/errors.js';
import type { Operation } from '../operation.js';
import { authorize, accessDeniedDetail, recordDecision, requestContext } from '../../access/authorize.js';
import { principalArn, principalDisplayName, principalTypeName } from '../../access/principal.js';
import { STS_KEY_PREFIX } from '../../access/credentials.js';
import { evaluateTrustPolicy } from '../../ram/evaluatePolicy.js';
import { MAX_SESSION_POLICY_LENGTH, MalformedPolicyDocumentError, parsePolicyDocument } from '../../ram/policyDocument.js';
import { ramArn } from '../../ram/systemPolicies.js';
import { newAccessKey } from '../../store/accounts.js';
import { hashToken } from '../../tokens/tokenValues.js';

const ROLE_ARN = /^acs:ram::(\d{16}):role\/([A-Za-z0-9._-]{1,64})$/;
const SESSION_NAME = /^[A-Za-z0-9._@-]{2,64}$/;
const MAX_DURATION_SECONDS = 3600;

/**
 * Temporary credentials for a role: the caller must be allowed `sts:AssumeRole` on it, and the role's trust
 * policy must trust the caller. An optional session `Policy` narrows what the credentials may do.
 */
export const assumeRole: Operation = async (ctx) => {
  const { params, caller, services } = ctx;
  if (!params.RoleArn) throw new ApiError('MissingParameter', 'RoleArn');
  if (!params.RoleSessionName) throw new ApiError('MissingParameter', 'RoleSessionName');
  const arn = ROLE_ARN.exec(params.RoleArn);
  if (!arn) throw new ApiError('InvalidParameter', [], { message: 'The parameter RoleArn is invalid: it must be acs:ram::{16-digit account}:role/{role name}.' });
  if (!SESSION_NAME.test(params.RoleSessionName)) {
    throw new ApiError('InvalidParameter', [], { message: "The parameter RoleSessionName is invalid: 2 to 64 letters, digits, '.', '@', '-' or '_'." });
  }
  const minimum = services.config.stsMinDurationSeconds;
  const duration = params.DurationSeconds ? Number(params.DurationSeconds) : MAX_DURATION_SECONDS;
  if (!/^\d+$/.test(params.DurationSeconds ?? '3600') || duration < minimum || duration > MAX_DURATION_SECONDS) {
    throw new ApiError('InvalidParameter', [], { message: `The parameter DurationSeconds is invalid: it must be an integer from ${minimum} to ${MAX_DURATION_SECONDS}.` });
  }
  const sessionPolicy = params.Policy ? sessionPolicyText(params.Policy) : null;

  const [, accountId, roleName] = arn;
  const roleArn = ramArn(accountId, `role/${roleName}`);
  await authorize(ctx, 'sts:AssumeRole', roleArn);
  const role = await services.ram.findRole(accountId, roleName);
  if (!role) throw new ApiError('EntityNotExist.Role', roleArn);
  if (duration > role.max_session_duration) {
    throw new ApiError('InvalidParameter', [], { message: `The parameter DurationSeconds is invalid: the role allows at most ${role.max_session_duration} seconds.` });
  }

  // The resource side: the role's trust policy must name the caller (or the caller's account).
  const callerArn = principalArn(caller.principal);
  const trust = evaluateTrustPolicy(parsePolicyDocument(role.trust_policy, 'trust'), { ram: callerArn }, requestContext(ctx.request, caller.accessKeyId), roleArn);
  recordDecision(ctx.audit, {
    requestId: ctx.requestId,
    accountId: caller.accountId,
    principal: callerArn,
    principalType: principalTypeName(caller.principal),
    action: 'sts:AssumeRole',
    resource: `${roleArn} (trust policy)`,
    decision: trust,
  });
  if (!trust.allowed) {
    throw new ApiError('Forbidden', [], {
      message: `You are not authorized to assume ${roleArn}: its trust policy does not allow ${callerArn} (${trust.noPermissionType}).`,
      accessDeniedDetail: accessDeniedDetail(
        { type: principalTypeName(caller.principal), display: principalDisplayName(caller.principal), arn: callerArn },
        'sts:AssumeRole',
        roleArn,
        trust,
        'TrustPolicy',
      ),
    });
  }

  const key = newAccessKey();
  const accessKeyId = STS_KEY_PREFIX + key.id.slice(4);
  const securityToken = `CAIS${randomBytes(48).toString('base64url')}`;
  const expiresMs = Math.floor(Date.now() / 1000) * 1000 + duration * 1000;
  await services.sts.create({
    access_key_id: accessKeyId,
    secret: key.secret,
    token_hash: hashToken(securityToken),
    account_id: accountId,
    role_name: role.name,
    role_id: role.id,
    session_name: params.RoleSessionName,
    session_policy: sessionPolicy,
    expires_ms: expiresMs,
    created_at: new Date().toISOString(),
  });
  ctx.log.info({ event: 'sts.assumed', role: roleArn, principal: callerArn, accessKeyId, expiresMs }, 'role assumed');
  return {
    Credentials: {
      AccessKeyId: accessKeyId,
      AccessKeySecret: key.secret,
      SecurityToken: securityToken,
      Expiration: new Date(expiresMs).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    },
    AssumedRoleUser: {
      Arn: ramArn(accountId, `assumed-role/${role.name}/${params.RoleSessionName}`),
      AssumedRoleId: `${role.id}:${params.RoleSessionName}`,
    },
    SourceIdentity: '',
  };
};

function sessionPolicyText(text: string): string {
  try {
    parsePolicyDocument(text, 'identity', MAX_SESSION_POLICY_LENGTH);
    return text;
  } catch (err) {
    if (err instanceof MalformedPolicyDocumentError) throw new ApiError('MalformedPolicyDocument', err.message);
    throw err;
  }
}
