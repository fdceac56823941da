/**
 * Is the caller allowed `action` on `resource`? The account's root always is (on its own resources); RAM
 * users and assumed roles only as their policies say, a session policy narrowing a role further. Every
 * decision is recorded in the audit; a denial explains itself in `AccessDeniedDetail`.
 */
import { ApiError, type AccessDeniedDetail } from '../core/errors.js';
import { evaluatePolicies, type Decision, type NamedPolicy, type RequestContext } from '../ram/evaluatePolicy.js';
import { principalArn, principalDisplayName, principalTypeName, type Caller, type Principal } from './principal.js';
import type { RamStore } from '../store/ram/index.js';
import type { AuditTrail } from './auditTrail.js';

/** What an authorization needs of the request being served (an operation's context has all of it). */
export interface AuthorizationContext {
  caller: Caller;
  request: RequestFacts;
  requestId: string;
  /** Where this request's decisions are kept until they are written. */
  audit: AuditTrail;
  services: { ram: RamStore };
}

export interface RequestFacts {
  sourceIp: string;
  secureTransport: boolean;
  userAgent: string;
}

/** The condition keys a request carries. `acs:MFAPresent` is absent: AccessKey calls have no MFA (as in the cloud). */
export function requestContext(facts: RequestFacts, accessKeyId: string, now = new Date()): RequestContext {
  return {
    'acs:SourceIp': facts.sourceIp,
    'acs:CurrentTime': now.toISOString(),
    'acs:SecureTransport': facts.secureTransport ? 'true' : 'false',
    'acs:AccessId': accessKeyId,
    'acs:UserAgent': facts.userAgent,
  };
}

/** The identity policies (and session policies, for an assumed role) that decide for `principal`. */
export async function policiesFor(ram: RamStore, principal: Principal): Promise<{ identity: NamedPolicy[]; session?: NamedPolicy[] }> {
  switch (principal.type) {
    case 'Account':
      return { identity: [] };
    case 'RAMUser':
      return { identity: await ram.policiesOf(principal.accountId, { type: 'User', name: principal.userName }) };
    case 'AssumedRoleUser': {
      const identity = await ram.policiesOf(principal.accountId, { type: 'Role', name: principal.roleName });
      return principal.sessionPolicy ? { identity, session: [{ name: 'SessionPolicy', type: 'Session', document: principal.sessionPolicy }] } : { identity };
    }
  }
}

export async function decide(ram: RamStore, principal: Principal, action: string, resource: string, context: RequestContext): Promise<Decision> {
  // The root of an account holds every permission of its own identity (resource owners decide the rest).
  if (principal.type === 'Account') return { allowed: true };
  const { identity, session } = await policiesFor(ram, principal);
  return evaluatePolicies({ action, resource, context }, identity, session);
}

/** Keeps a decision in the request's audit trail (written with the call's effect, or when the call ends). */
export function recordDecision(
  audit: AuditTrail,
  entry: { requestId: string; accountId: string; principal: string; principalType: string; action: string; resource: string; decision: Decision; rootAccount?: boolean },
): void {
  const now = new Date();
  const { decision } = entry;
  audit.add({
    at: now.toISOString(),
    at_ms: now.getTime(),
    request_id: entry.requestId,
    account_id: entry.accountId,
    principal: entry.principal,
    principal_type: entry.principalType,
    action: entry.action,
    resource: entry.resource,
    decision: decision.allowed ? 'Allow' : 'Deny',
    reason: decision.allowed ? (entry.rootAccount ? 'AccountRoot' : 'Allow') : (decision.noPermissionType ?? 'ImplicitDeny'),
    matched_statement: decision.matched ? `${decision.matched.policyType}:${decision.matched.policyName}#Statement[${decision.matched.statementIndex}]` : '',
  });
}

export function accessDeniedDetail(principal: { type: string; display: string; arn: string }, action: string, resource: string, decision: Decision, policyType?: string): AccessDeniedDetail {
  const noPermissionType = decision.noPermissionType ?? 'ImplicitDeny';
  const diagnostic = { action, resource, principal: principal.arn, noPermissionType, matched: decision.matched ?? null };
  return {
    AuthAction: action,
    AuthPrincipalType: principal.type,
    AuthPrincipalDisplayName: principal.display,
    PolicyType:
      policyType ??
      (decision.deniedBySessionPolicy || decision.matched?.policyType === 'Session' ? 'SessionPolicy' : 'AccountLevelIdentityBasedPolicy'),
    NoPermissionType: noPermissionType,
    EncodedDiagnosticMessage: Buffer.from(JSON.stringify(diagnostic), 'utf8').toString('base64'),
  };
}

/** Authorizes the calling principal; throws `Forbidden` with `AccessDeniedDetail` when denied. */
export async function authorize(ctx: AuthorizationContext, action: string, resource: string): Promise<void> {
  const { principal } = ctx.caller;
  const decision = await decide(ctx.services.ram, principal, action, resource, requestContext(ctx.request, ctx.caller.accessKeyId));
  const arn = principalArn(principal);
  recordDecision(ctx.audit, {
    requestId: ctx.requestId,
    accountId: principal.accountId,
    principal: arn,
    principalType: principalTypeName(principal),
    action,
    resource,
    decision,
    rootAccount: principal.type === 'Account',
  });
  if (decision.allowed) return;
  const detail = accessDeniedDetail({ type: principalTypeName(principal), display: principalDisplayName(principal), arn }, action, resource, decision);
  throw new ApiError('Forbidden', [], {
    message: `You are not authorized to do this action: ${arn} may not ${action} on ${resource} (${detail.NoPermissionType}).`,
    accessDeniedDetail: detail,
  });
}
