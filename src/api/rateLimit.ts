/**
 * Request rate limits, counted in fixed one-second windows in the database (so every node counts together):
 * per authenticated AccessKeyId (IMM_RATE_LIMIT_PER_KEY) and per project of an account
 * (IMM_RATE_LIMIT_PER_PROJECT, IMM actions with a ProjectName). Over a limit: 429 `Throttling.User` with
 * `x-acs-retry-after` = milliseconds until the window ends, which openapi-core reads into its ThrottlingError.
 */
import { ApiError } from '../core/errors.js';
import type { RateLimitScope, RateLimitStore } from '../store/rateLimits.js';

export const WINDOW_MS = 1000;

export interface RateLimits {
  perKey: number;
  perProject: number;
}

export interface RateLimitedRequest {
  accessKeyId: string;
  accountId: string;
  /** The ProjectName of an IMM action; undefined for other actions. */
  projectName?: string;
}

/** Counts the request against each enabled limit; throws `Throttling.User` when one is exceeded. */
export async function enforceRateLimits(
  store: RateLimitStore,
  limits: RateLimits,
  request: RateLimitedRequest,
  onThrottled: (scope: RateLimitScope) => void = () => {},
  nowMs = Date.now(),
): Promise<void> {
  const windowMs = Math.floor(nowMs / WINDOW_MS) * WINDOW_MS;
  const check = async (scope: RateLimitScope, key: string, limit: number, what: string) => {
    const count = await store.increment(scope, key, windowMs);
    if (count <= limit) return;
    const retryAfterMs = Math.max(1, windowMs + WINDOW_MS - nowMs);
    onThrottled(scope);
    throw new ApiError('Throttling.User', `more than ${limit} requests per second ${what}; retry after ${retryAfterMs} ms.`, {
      headers: { 'x-acs-retry-after': String(retryAfterMs) },
    });
  };
  if (limits.perKey > 0) await check('key', request.accessKeyId, limits.perKey, `with AccessKey ${request.accessKeyId} (IMM_RATE_LIMIT_PER_KEY)`);
  // A name longer than any valid one is refused by the operation anyway (and is not worth a counter row).
  const project = request.projectName;
  if (limits.perProject > 0 && project !== undefined && project !== '' && project.length <= 128) {
    await check('project', `${request.accountId}/${project}`, limits.perProject, `on project ${project} (IMM_RATE_LIMIT_PER_PROJECT)`);
  }
}
