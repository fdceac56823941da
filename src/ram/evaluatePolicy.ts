/**
 * The RAM policy evaluator: pure functions over parsed documents (see policyDocument.ts) and a request.
 * No clock and no network: the current time, source IP and the like arrive as condition keys in the context,
 * so a decision is reproducible from its inputs (and auditable).
 */
import {
  CONDITION_OPERATORS,
  ipInRange,
  parseConditionBool,
  parseConditionDate,
  parseConditionNumber,
  parseIpAddress,
  parseIpRange,
  type ConditionBlock,
  type ConditionOperator,
  type PolicyDocument,
  type PolicyStatement,
} from './policyDocument.js';
import { matchesWildcard } from './wildcard.js';

/** Condition keys of a request; names are compared case-insensitively. An undefined value is a missing key. */
export interface RequestContext {
  'acs:SourceIp'?: string;
  /** ISO 8601. */
  'acs:CurrentTime'?: string;
  'acs:SecureTransport'?: 'true' | 'false';
  /** Absent for AccessKey calls, as in the cloud (so a Deny on `false` does not fire for them). */
  'acs:MFAPresent'?: 'true' | 'false';
  'acs:AccessId'?: string;
  'acs:UserAgent'?: string;
  [key: string]: string | undefined;
}

export interface AuthorizationRequest {
  action: string;
  resource: string;
  context: RequestContext;
}

export type PolicyType = 'System' | 'Custom' | 'Session';

export interface NamedPolicy {
  name: string;
  type: PolicyType;
  document: PolicyDocument;
}

export interface MatchedStatement {
  policyName: string;
  policyType: PolicyType;
  statementIndex: number;
  effect: 'Allow' | 'Deny';
}

export interface Decision {
  allowed: boolean;
  noPermissionType?: 'ImplicitDeny' | 'ExplicitDeny';
  /** The deciding statement: the Deny that denied, or the identity-policy Allow that allowed. */
  matched?: MatchedStatement;
  /** Implicit deny because a session policy did not allow the request. */
  deniedBySessionPolicy?: boolean;
}

/** Name reported in `matched` for trust-policy decisions (a role's trust policy has no name of its own). */
export const TRUST_POLICY_NAME = 'AssumeRolePolicyDocument';

/**
 * Explicit Deny anywhere (session or identity policies) > Allow > implicit deny. When `sessionPolicies` is
 * given (even an empty array, which allows nothing) the request must also be allowed by one of them: the
 * session policy can only narrow what the identity may do, never widen it.
 */
export function evaluatePolicies(
  request: AuthorizationRequest,
  identityPolicies: NamedPolicy[],
  sessionPolicies?: NamedPolicy[],
): Decision {
  // Session policies first: RAM checks the assumed role's session policy before identity policies, so a Deny
  // in both is reported as the session's.
  const deny = firstApplying(sessionPolicies ?? [], 'Deny', request) ?? firstApplying(identityPolicies, 'Deny', request);
  if (deny) return { allowed: false, noPermissionType: 'ExplicitDeny', matched: deny };

  if (sessionPolicies !== undefined && !firstApplying(sessionPolicies, 'Allow', request)) {
    return { allowed: false, noPermissionType: 'ImplicitDeny', deniedBySessionPolicy: true };
  }
  const allow = firstApplying(identityPolicies, 'Allow', request);
  if (allow) return { allowed: true, matched: allow };
  return { allowed: false, noPermissionType: 'ImplicitDeny' };
}

function firstApplying(
  policies: NamedPolicy[],
  effect: 'Allow' | 'Deny',
  request: AuthorizationRequest,
): MatchedStatement | undefined {
  for (const policy of policies) {
    const index = policy.document.Statement.findIndex((s) => s.Effect === effect && statementApplies(s, request));
    if (index >= 0) return { policyName: policy.name, policyType: policy.type, statementIndex: index, effect };
  }
  return undefined;
}

/** Does the statement cover this action, resource and context (regardless of its Effect)? */
export function statementApplies(statement: PolicyStatement, request: AuthorizationRequest): boolean {
  return (
    actionMatches(statement, request.action) &&
    resourceMatches(statement, request.resource) &&
    conditionsHold(statement.Condition, request.context)
  );
}

function actionMatches(statement: PolicyStatement, action: string): boolean {
  const matches = (pattern: string) => matchesWildcard(pattern, action, { caseInsensitive: true });
  if (statement.Action) return statement.Action.some(matches);
  if (statement.NotAction) return !statement.NotAction.some(matches);
  return false; // a statement naming no action covers nothing (the parser never produces one)
}

function resourceMatches(statement: PolicyStatement, resource: string): boolean {
  const matches = (pattern: string) => matchesWildcard(pattern, resource);
  if (statement.Resource) return statement.Resource.some(matches);
  if (statement.NotResource) return !statement.NotResource.some(matches);
  return true; // only trust policies omit the resource: it is the role itself
}

// ---------------------------------------------------------------------------------------------------------
// Conditions.

/**
 * Every operator and every key within it must hold (AND); any one of a key's values may match (OR). A missing
 * key fails the condition, except for negated operators, which hold when the value matches none of theirs.
 */
export function conditionsHold(condition: ConditionBlock | undefined, context: RequestContext): boolean {
  if (condition === undefined) return true;
  for (const [operatorName, keys] of Object.entries(condition)) {
    const operator = CONDITION_OPERATORS.get(operatorName);
    if (operator === undefined) return false; // unparsed input only: an unknown test never holds
    for (const [key, expected] of Object.entries(keys)) {
      if (!keyHolds(operator, lookup(context, key), expected)) return false;
    }
  }
  return true;
}

function keyHolds(operator: ConditionOperator, actual: string | undefined, expected: string[]): boolean {
  if (actual === undefined) return operator.negated;
  const matchesAny = expected.some((value) => valueMatches(operator, actual, value));
  return operator.negated ? !matchesAny : matchesAny;
}

function lookup(context: RequestContext, key: string): string | undefined {
  const wanted = key.toLowerCase();
  for (const [name, value] of Object.entries(context)) {
    if (value !== undefined && name.toLowerCase() === wanted) return value;
  }
  return undefined;
}

/** The positive relation between the request's value and one policy value; malformed values never match. */
function valueMatches(operator: ConditionOperator, actual: string, expected: string): boolean {
  switch (operator.kind) {
    case 'String':
      if (operator.relation === 'like') return matchesWildcard(expected, actual);
      if (operator.relation === 'eqIgnoreCase') return actual.toLowerCase() === expected.toLowerCase();
      return actual === expected;
    case 'Numeric':
      return compare(operator, parseConditionNumber(actual), parseConditionNumber(expected));
    case 'Date':
      return compare(operator, parseConditionDate(actual), parseConditionDate(expected));
    case 'Bool': {
      const [a, e] = [parseConditionBool(actual), parseConditionBool(expected)];
      return a !== undefined && a === e;
    }
    case 'IpAddress': {
      const [address, range] = [parseIpAddress(actual), parseIpRange(expected)];
      return address !== undefined && range !== undefined && ipInRange(address, range);
    }
  }
}

/** `actual <relation> expected`, e.g. DateLessThan holds when the request's time is before the policy's. */
function compare(operator: ConditionOperator, actual: number | undefined, expected: number | undefined): boolean {
  if (actual === undefined || expected === undefined) return false;
  switch (operator.relation) {
    case 'lt':
      return actual < expected;
    case 'le':
      return actual <= expected;
    case 'gt':
      return actual > expected;
    case 'ge':
      return actual >= expected;
    default:
      return actual === expected;
  }
}

// ---------------------------------------------------------------------------------------------------------
// Trust policies.

export interface TrustPrincipal {
  /** acs:ram::{account}:root | user/{name} | role/{name} | assumed-role/{role}/{session}. */
  ram?: string;
  /** A cloud service, e.g. imm.aliyuncs.com. */
  service?: string;
}

/**
 * May `principal` call sts:AssumeRole on the role whose trust policy this is? Same precedence as identity
 * policies (Deny > Allow > implicit deny), with the statement's Principal as an extra match. `roleArn`, when
 * given, is checked against Resource/NotResource (rare in trust policies; ignored when absent).
 */
export function evaluateTrustPolicy(
  document: PolicyDocument,
  principal: TrustPrincipal,
  context: RequestContext,
  roleArn?: string,
): Decision {
  const request: AuthorizationRequest = { action: 'sts:AssumeRole', resource: roleArn ?? '', context };
  const applies = (s: PolicyStatement) =>
    principalMatches(s.Principal, principal) &&
    actionMatches(s, request.action) &&
    (roleArn === undefined || resourceMatches(s, roleArn)) &&
    conditionsHold(s.Condition, context);
  const find = (effect: 'Allow' | 'Deny'): MatchedStatement | undefined => {
    const index = document.Statement.findIndex((s) => s.Effect === effect && applies(s));
    return index < 0 ? undefined : { policyName: TRUST_POLICY_NAME, policyType: 'Custom', statementIndex: index, effect };
  };
  const deny = find('Deny');
  if (deny) return { allowed: false, noPermissionType: 'ExplicitDeny', matched: deny };
  const allow = find('Allow');
  if (allow) return { allowed: true, matched: allow };
  return { allowed: false, noPermissionType: 'ImplicitDeny' };
}

function principalMatches(listed: PolicyStatement['Principal'], caller: TrustPrincipal): boolean {
  if (listed === undefined) return false;
  if (listed === '*') return caller.ram !== undefined;
  const { ram, service } = caller;
  if (ram !== undefined && listed.RAM?.some((entry) => ramEntryMatches(entry, ram))) return true;
  if (service !== undefined && listed.Service?.some((entry) => entry.toLowerCase() === service.toLowerCase())) {
    return true;
  }
  return false; // Federated principals assume roles through SAML/OIDC, not AssumeRole
}

interface RamArn {
  account: string;
  resource: string; // root | user/x | role/x | assumed-role/x/session
  role?: string; // the role behind an assumed-role session
}

function parseRamArn(arn: string): RamArn | undefined {
  const m = /^acs:ram::([^:]+):(.+)$/.exec(arn);
  if (!m) return undefined;
  const role = /^assumed-role\/([^/]+)\/.+$/.exec(m[2]!)?.[1];
  return { account: m[1]!, resource: m[2]!, ...(role !== undefined ? { role } : {}) };
}

/**
 * `acs:ram::{account}:root` (or the bare account ID) trusts every identity of that account — the account then
 * decides with its own policies who may assume. A role ARN also matches that role's sessions, which is what
 * role chaining presents. Names compare exactly: RAM user and role names are case-sensitive here (`Admin` and
 * `admin` are two users), so a trust policy naming one must not admit the other.
 */
function ramEntryMatches(entry: string, callerArn: string): boolean {
  if (entry === '*') return true;
  const caller = parseRamArn(callerArn);
  if (caller === undefined) return false;
  if (/^\d+$/.test(entry)) return caller.account === entry;
  const listed = parseRamArn(entry);
  if (listed === undefined || listed.account !== caller.account) return false;
  if (listed.resource === 'root') return true;
  if (listed.resource === caller.resource) return true;
  return caller.role !== undefined && listed.resource === `role/${caller.role}`;
}
