import type { Operation } from '../api/dispatcher.js';
import { parseRefreshParameters, type WebofficeOptions } from '../tokens/webofficeOptions.js';
import { refreshSession } from '../tokens/webofficeSessions.js';
import { formatNanos, nanosToMillis, nowNanos } from '../tokens/time.js';
import { findProject } from './findProject.js';

/**
 * Rotates a token pair. The session's Generate options carry over. A retry of the same pair (lost response)
 * returns the same successor and is not billed again; any other reuse of a spent refresh token revokes the
 * session.
 */
export const refreshWebofficeToken: Operation = async ({ params, caller, services, log }) => {
  const { projectName, accessToken, refreshToken } = parseRefreshParameters(params);
  const project = await findProject(services, caller.accountId, projectName);
  const now = nowNanos();
  const { session, pair, outcome } = await refreshSession(services.sessions, services.tokenSettings, {
    projectId: project.id,
    accessToken,
    refreshToken,
    now,
    onReuse: (sessionId) =>
      log.warn({ event: 'token.reuse_detected', sessionId, projectId: project.id, accountId: caller.accountId }, 'spent refresh token presented again; session revoked'),
  });
  if (outcome === 'refreshed') {
    const options = JSON.parse(session.options) as WebofficeOptions;
    await services.usage.record({
      account_id: caller.accountId,
      project_id: project.id,
      project_name: project.name,
      operation: 'RefreshWebofficeToken',
      at: formatNanos(now),
      at_ms: nanosToMillis(now),
      readonly: options.permission.Readonly ? 1 : 0,
      cache_preview: options.cachePreview ? 1 : 0,
      user_id: options.user.Id ?? '',
      session_id: session.id,
    });
  }
  log.info({ event: outcome === 'refreshed' ? 'token.refreshed' : 'token.retried', sessionId: session.id, projectId: project.id }, `WebOffice token ${outcome}`);
  return { ...pair };
};
