import type { OperationContext } from './operation.js';
import type { ProjectRow } from '../store/projects.js';
import type { WebofficeOptions } from '../tokens/webofficeOptions.js';
import { formatNanos, nanosToMillis, type Nanos } from '../tokens/time.js';

/** One billable call (spec §9): enough to compute either of IMM's billing models. */
export async function recordUsage(
  ctx: OperationContext,
  operation: 'GenerateWebofficeToken' | 'RefreshWebofficeToken',
  call: { project: ProjectRow; options: WebofficeOptions; sessionId: string; now: Nanos },
): Promise<void> {
  const { project, options, sessionId, now } = call;
  await ctx.services.usage.record({
    account_id: ctx.caller.accountId,
    project_id: project.id,
    project_name: project.name,
    operation,
    at: formatNanos(now),
    at_ms: nanosToMillis(now),
    readonly: options.permission.Readonly ? 1 : 0,
    cache_preview: options.cachePreview ? 1 : 0,
    user_id: options.user.Id ?? '',
    session_id: sessionId,
  });
}
