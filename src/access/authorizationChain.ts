/**
 * How IMM reaches a document: as the project's service role, or through an authorization chain
 * (`CredentialConfig`): assume `ServiceRole` in the caller's account (narrowed by `Policy`), then each `Chain`
 * role in turn, each hop allowed by the role's trust policy and by the previous identity's `sts:AssumeRole`
 * permission; the last identity must be allowed `oss:GetObject` on the object, and be of the account that owns
 * the bucket (OSS needs its owner's grant). Spec §3; every hop's decision is reported for the audit.
 */
import { ApiError } from '../core/errors.js';
import { evaluatePolicies, evaluateTrustPolicy, type Decision, type NamedPolicy, type RequestContext } from '../ram/evaluatePolicy.js';
import { MAX_SESSION_POLICY_LENGTH, MalformedPolicyDocumentError, parsePolicyDocument, type PolicyDocument } from '../ram/policyDocument.js';
import { IMM_SERVICE_PRINCIPAL, ramArn } from '../ram/systemPolicies.js';
import type { CredentialConfig } from '../tokens/webofficeOptions.js';
import { accessDeniedDetail } from './authorize.js';

export const MAX_CHAIN_HOPS = 10;
/** The session name IMM's assumed roles carry in their ARN. */
export const IMM_SESSION_NAME = 'imm-weboffice';

export interface ChainRole {
  id: string;
  accountId: string;
  name: string;
  trustPolicy: PolicyDocument;
}

export interface ChainDeps {
  findRole(accountId: string, name: string): Promise<ChainRole | undefined>;
  rolePolicies(accountId: string, name: string): Promise<NamedPolicy[]>;
  /** Called with every decision made on the way, allowed or not. */
  onDecision(entry: { principal: string; action: string; resource: string; decision: Decision }): Promise<void>;
}

export interface DocumentAccess {
  projectAccountId: string;
  projectServiceRole: string;
  credentialConfig?: CredentialConfig;
  bucketOwner: string;
  bucket: string;
  key: string;
  context: RequestContext;
}

interface Identity {
  accountId: string;
  roleName: string;
  arn: string;
  policies: NamedPolicy[];
  session?: NamedPolicy[];
}

/** Resolves the chain; returns the ARN of the identity that reads the document, or throws `Forbidden` naming the hop. */
export async function checkDocumentAccess(deps: ChainDeps, access: DocumentAccess): Promise<string> {
  const config = access.credentialConfig;
  const serviceRole = config?.ServiceRole ?? access.projectServiceRole;
  const sessionPolicy = config?.Policy ? parseSessionPolicy(config.Policy) : undefined;

  // Hop 0: IMM itself assumes the service role; only the role's trust policy decides.
  let identity = await assumeRole(deps, access, 0, { service: IMM_SERVICE_PRINCIPAL }, undefined, access.projectAccountId, serviceRole);
  if (sessionPolicy) identity.session = [{ name: 'CredentialConfig.Policy', type: 'Session', document: sessionPolicy }];

  const chain = config?.Chain ?? [];
  if (chain.length > MAX_CHAIN_HOPS) throw new ApiError('InvalidArgument', `The parameter CredentialConfig.Chain is invalid: at most ${MAX_CHAIN_HOPS} hops.`);
  for (const [index, hop] of chain.entries()) {
    identity = await assumeRole(deps, access, index + 1, { ram: identity.arn }, identity, hop.AssumeRoleFor ?? identity.accountId, hop.Role ?? '');
  }

  const objectArn = `acs:oss:*:${access.bucketOwner}:${access.bucket}/${access.key}`;
  const read = evaluatePolicies({ action: 'oss:GetObject', resource: objectArn, context: access.context }, identity.policies, identity.session);
  await deps.onDecision({ principal: identity.arn, action: 'oss:GetObject', resource: objectArn, decision: read });
  if (!read.allowed) throw denied(`the last identity ${identity.arn} may not oss:GetObject on ${objectArn} (${read.noPermissionType})`, identity.arn, 'oss:GetObject', objectArn, read);
  if (identity.accountId !== access.bucketOwner) {
    const reason = `the bucket ${access.bucket} belongs to account ${access.bucketOwner}, but the last identity ${identity.arn} is of account ${identity.accountId}; end the chain with a role of the bucket's account`;
    throw denied(reason, identity.arn, 'oss:GetObject', objectArn, { allowed: false, noPermissionType: 'ImplicitDeny' });
  }
  return identity.arn;
}

async function assumeRole(
  deps: ChainDeps,
  access: DocumentAccess,
  hop: number,
  principal: { service?: string; ram?: string },
  previous: Identity | undefined,
  accountId: string,
  roleName: string,
): Promise<Identity> {
  const roleArn = ramArn(accountId, `role/${roleName}`);
  const where = hop === 0 ? `CredentialConfig hop 0 (service role ${roleArn})` : `CredentialConfig hop ${hop} (role ${roleArn})`;
  const role = await deps.findRole(accountId, roleName);
  if (!role) throw denied(`${where}: the role does not exist`, previous?.arn ?? IMM_SERVICE_PRINCIPAL, 'sts:AssumeRole', roleArn, { allowed: false, noPermissionType: 'ImplicitDeny' });

  if (previous) {
    // The identity so far must itself be allowed to assume the next role.
    const allowed = evaluatePolicies({ action: 'sts:AssumeRole', resource: roleArn, context: access.context }, previous.policies, previous.session);
    await deps.onDecision({ principal: previous.arn, action: 'sts:AssumeRole', resource: roleArn, decision: allowed });
    if (!allowed.allowed) throw denied(`${where}: ${previous.arn} may not sts:AssumeRole on it (${allowed.noPermissionType})`, previous.arn, 'sts:AssumeRole', roleArn, allowed);
  }
  const trusted = evaluateTrustPolicy(role.trustPolicy, principal, access.context, roleArn);
  const who = principal.service ?? principal.ram ?? '';
  await deps.onDecision({ principal: who, action: 'sts:AssumeRole', resource: roleArn, decision: trusted });
  if (!trusted.allowed) throw denied(`${where}: its trust policy does not allow ${who} to assume it (${trusted.noPermissionType})`, who, 'sts:AssumeRole', roleArn, trusted, 'TrustPolicy');

  return {
    accountId,
    roleName,
    arn: ramArn(accountId, `assumed-role/${roleName}/${IMM_SESSION_NAME}`),
    policies: await deps.rolePolicies(accountId, roleName),
  };
}

function parseSessionPolicy(text: string): PolicyDocument {
  try {
    return parsePolicyDocument(text, 'identity', MAX_SESSION_POLICY_LENGTH);
  } catch (err) {
    if (err instanceof MalformedPolicyDocumentError) throw new ApiError('InvalidArgument', `The parameter CredentialConfig.Policy is invalid: ${err.message}.`);
    throw err;
  }
}

function denied(reason: string, principal: string, action: string, resource: string, decision: Decision, policyType?: string): ApiError {
  return new ApiError('Forbidden', [], {
    message: `The document cannot be read: ${reason}.`,
    accessDeniedDetail: accessDeniedDetail({ type: 'AssumedRoleUser', display: principal, arn: principal }, action, resource, decision, policyType),
  });
}
