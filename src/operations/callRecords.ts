import type { OperationContext } from './operation.js';
import type { ProjectRow } from '../store/projects.js';
import type { CallRecords } from '../store/callRecords.js';
import type { WebofficeOptions } from '../tokens/webofficeOptions.js';
import { formatNanos, nanosToMillis, type Nanos } from '../tokens/time.js';

/**
 * What a billable call (spec §9) leaves behind: its usage record — enough to compute either of IMM's billing
 * models — and the authorization decisions made so far in the request. The store writes them in the call's
 * own transaction; `committed` then tells the request's audit trail that they are written.
 */
export function billableCallRecords(
  ctx: OperationContext,
  operation: 'GenerateWebofficeToken' | 'RefreshWebofficeToken',
  call: { project: ProjectRow; options: WebofficeOptions; sessionId: string; now: Nanos },
): CallRecords & { committed(): void } {
  const { project, options, sessionId, now } = call;
  const audit = ctx.audit.pending();
  return {
    usage: {
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
    },
    audit,
    committed: () => ctx.audit.markWritten(audit),
  };
}
