import type { Services } from './services.js';

export interface SweepResult {
  nonces: number;
  sessions: number;
  usageRecords: number;
  stsCredentials: number;
  auditRecords: number;
  rateLimitWindows: number;
  notifications: number;
}

/**
 * Deletes what has served its time, so nothing grows without bound:
 * - signature nonces past their timestamp + 15 minutes (a replay is refused by the timestamp check then);
 * - sessions (with all their token pairs) whose last refresh token expired more than IMM_SESSION_RETENTION ago;
 * - usage records and audit records older than IMM_USAGE_RETENTION_DAYS;
 * - temporary (STS) credentials once expired (a request with them is refused from then on anyway);
 * - rate-limit windows that ended more than a minute ago (only the current second's counts matter);
 * - notifications delivered (or given up) more than IMM_SESSION_RETENTION ago.
 */
export async function sweep(services: Services, nowMs = Date.now()): Promise<SweepResult> {
  const { config } = services;
  return {
    nonces: await services.nonces.deleteExpired(nowMs),
    sessions: await services.sessions.deleteExpiredSessions(nowMs - config.sessionRetentionMs),
    usageRecords: await services.usage.deleteBefore(nowMs - config.usageRetentionMs),
    stsCredentials: await services.sts.deleteExpired(nowMs - config.sessionRetentionMs),
    auditRecords: await services.audit.deleteBefore(nowMs - config.usageRetentionMs),
    rateLimitWindows: await services.rateLimits.deleteBefore(nowMs - 60_000),
    notifications: await services.notificationOutbox.deleteSettledBefore(nowMs - config.sessionRetentionMs),
  };
}

/** Runs `sweep` every IMM_SWEEP_INTERVAL; returns the function that stops it. */
export function startSweeper(services: Services): () => void {
  let running = false;
  const timer = setInterval(async () => {
    if (running) return;
    running = true;
    try {
      const swept = await sweep(services);
      if (Object.values(swept).some((count) => count > 0)) services.log.info({ event: 'sweep', ...swept }, 'expired data swept');
    } catch (err) {
      services.log.error({ err, event: 'sweep.failed' }, 'sweeping expired data failed; will retry');
    } finally {
      running = false;
    }
  }, services.config.sweepIntervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
