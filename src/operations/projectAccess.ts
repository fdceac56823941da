/** What the IMM operations share: finding the caller's project, authorizing on it, reaching its documents. */
import { ApiError } from '../core/errors.js';
import type { OperationContext } from './operation.js';
import type { ProjectRow } from '../store/projects.js';
import { authorize, recordDecision, requestContext } from '../access/authorize.js';
import { checkDocumentAccess, type ChainDeps } from '../access/authorizationChain.js';
import { parsePolicyDocument } from '../ram/policyDocument.js';
import type { CredentialConfig, SourceLocation } from '../tokens/webofficeOptions.js';
import { checkDocument, openDocument } from '../documents/checkDocument.js';

export function projectArn(ctx: OperationContext, name: string): string {
  return `acs:imm:${ctx.services.config.region}:${ctx.caller.accountId}:project/${name}`;
}

/** The caller's project of that name, or `ResourceNotFound` (a project of another account is not found either). */
export async function findProject(ctx: OperationContext, name: string): Promise<ProjectRow> {
  const row = await ctx.services.projects.find(ctx.caller.accountId, name);
  if (!row) throw new ApiError('ResourceNotFound', `Project ${name}`);
  return row;
}

/** `imm:{Action}` on the project (or on `project/*` for listing). */
export async function authorizeProject(ctx: OperationContext, action: string, name: string): Promise<void> {
  await authorize(ctx, `imm:${action}`, projectArn(ctx, name));
}

/** Refresh's document check: the session's document is still there, and still readable through the chain. */
export async function checkProjectDocument(ctx: OperationContext, project: ProjectRow, source: SourceLocation, credentialConfig: CredentialConfig | undefined) {
  return checkDocument(ctx.services, source, readerThroughChain(ctx, project, source, credentialConfig));
}

/** Generate's: the same checks, and the document version the new session opens. */
export async function openProjectDocument(ctx: OperationContext, project: ProjectRow, source: SourceLocation, credentialConfig: CredentialConfig | undefined) {
  return openDocument(ctx.services, source, readerThroughChain(ctx, project, source, credentialConfig));
}

/** May the project read the bucket's documents, through its service role or authorization chain? */
function readerThroughChain(ctx: OperationContext, project: ProjectRow, source: SourceLocation, credentialConfig: CredentialConfig | undefined) {
  const { services } = ctx;
  const deps: ChainDeps = {
    findRole: async (accountId, name) => {
      const role = await services.ram.findRole(accountId, name);
      return role && { id: role.id, accountId, name: role.name, trustPolicy: parsePolicyDocument(role.trust_policy, 'trust') };
    },
    rolePolicies: (accountId, name) => services.ram.policiesOf(accountId, { type: 'Role', name }),
    onDecision: async ({ principal, action, resource, decision }) =>
      recordDecision(ctx.audit, { requestId: ctx.requestId, accountId: project.account_id, principal, principalType: 'AssumedRoleUser', action, resource, decision }),
  };
  return async (bucketOwner: string) => {
    await checkDocumentAccess(deps, {
      projectAccountId: project.account_id,
      projectServiceRole: project.service_role,
      credentialConfig,
      bucketOwner,
      bucket: source.bucket,
      key: source.key,
      context: requestContext(ctx.request, ctx.caller.accessKeyId),
    });
  };
}
