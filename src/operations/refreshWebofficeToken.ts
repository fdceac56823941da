import type { Operation } from './operation.js';
import { parseRefreshParameters, type WebofficeOptions } from '../tokens/webofficeOptions.js';
import { refreshSession } from '../tokens/webofficeSessions.js';
import { nowNanos } from '../tokens/time.js';
import { billableCallRecords } from './callRecords.js';
import { validateProjectName } from '../projects/projectName.js';
import { authorizeProject, checkProjectDocument, findProject } from './projectAccess.js';

/**
 * Rotates a token pair. The session's Generate options carry over, and its authorization chain is checked
 * again (a revoked role ends the session's refreshes); a CredentialConfig given here replaces the stored one.
 * A retry of the same pair (lost response) returns the same successor and is not billed again; any other reuse
 * of a spent refresh token revokes the session.
 */
export const refreshWebofficeToken: Operation = async (ctx) => {
  const { caller, services, log } = ctx;
  const { projectName, accessToken, refreshToken, credentialConfig } = parseRefreshParameters(ctx.params);
  const project = await findProject(ctx, validateProjectName(projectName));
  await authorizeProject(ctx, 'RefreshWebofficeToken', project.name);
  const now = nowNanos();
  let options: WebofficeOptions | undefined;
  let records: ReturnType<typeof billableCallRecords> | undefined;
  const { session, pair, outcome } = await refreshSession(services.sessions, services.tokenSettings, {
    projectId: project.id,
    accessToken,
    refreshToken,
    now,
    authorizeSession: async (current) => {
      const stored = JSON.parse(current.options) as WebofficeOptions;
      options = credentialConfig ? { ...stored, credentialConfig } : stored;
      await checkProjectDocument(ctx, project, options.source, options.credentialConfig);
      if (credentialConfig) await services.sessions.updateOptions(current.id, JSON.stringify(options));
    },
    // Billed once per rotation, in the rotation's transaction: a retried refresh writes nothing.
    records: (current) => (records = billableCallRecords(ctx, 'RefreshWebofficeToken', { project, options: options!, sessionId: current.id, now })),
    onReuse: (sessionId) => {
      log.warn({ event: 'token.reuse_detected', sessionId, projectId: project.id, accountId: caller.accountId }, 'spent refresh token presented again; session revoked');
      ctx.observe?.('token.reuse_detected');
    },
  });
  if (outcome === 'refreshed') records?.committed();
  const event = outcome === 'refreshed' ? 'token.refreshed' : 'token.retried';
  log.info({ event, sessionId: session.id, projectId: project.id }, `WebOffice token ${outcome}`);
  ctx.observe?.(event);
  return { ...pair };
};
