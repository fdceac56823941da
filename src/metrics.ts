/**
 * Prometheus metrics of one app instance, in its own registry (never prom-client's global one). Labels are
 * bounded: actions come from the dispatcher's table, codes from the error catalog. Nothing here ever holds a
 * token, a secret or a request parameter value.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Services } from './services.js';

export type TokenEvent = 'token.refreshed' | 'token.retried' | 'token.reuse_detected';

export function createMetrics(services: Pick<Services, 'database' | 'sessions'>) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });

  const requests = new Counter({
    name: 'imm_requests_total',
    help: 'Requests answered, by Action (or path, outside the RPC endpoint) and Code (OK for success).',
    labelNames: ['action', 'code'] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'imm_request_duration_seconds',
    help: 'Time to answer a request, by Action (or path).',
    labelNames: ['action'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const refreshes = new Counter({
    name: 'imm_token_refreshes_total',
    help: 'Successful RefreshWebofficeToken calls: refreshed = a new pair, retried = the same successor again.',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  const reuse = new Counter({
    name: 'imm_token_reuse_detected_total',
    help: 'Spent refresh tokens presented again outside the retry rules (each revoked its session).',
    registers: [registry],
  });
  const throttled = new Counter({
    name: 'imm_throttled_requests_total',
    help: 'Requests refused with Throttling.User, by limit (key or project).',
    labelNames: ['limit'] as const,
    registers: [registry],
  });
  refreshes.inc({ outcome: 'refreshed' }, 0);
  refreshes.inc({ outcome: 'retried' }, 0);
  throttled.inc({ limit: 'key' }, 0);
  throttled.inc({ limit: 'project' }, 0);

  new Gauge({
    name: 'imm_live_sessions',
    help: 'WebOffice sessions that can still be refreshed (not revoked, last refresh token unexpired), in the shared database.',
    registers: [registry],
    async collect() {
      try {
        this.set(await services.sessions.countLive(Date.now()));
      } catch {
        // Database unreachable: keep the last value; /ready reports the outage.
      }
    },
  });

  const pool = services.database.pool;
  if (pool) {
    new Gauge({
      name: 'imm_db_pool_connections',
      help: 'PostgreSQL connection pool of this process: total and idle connections, and requests waiting for one.',
      labelNames: ['state'] as const,
      registers: [registry],
      collect() {
        this.set({ state: 'total' }, pool.totalCount);
        this.set({ state: 'idle' }, pool.idleCount);
        this.set({ state: 'waiting' }, pool.waitingCount);
      },
    });
  }

  return {
    registry,
    /** One answered request. */
    request(action: string, code: string, seconds: number): void {
      requests.inc({ action, code });
      duration.observe({ action }, seconds);
    },
    /** A token event of the operations (the same names as their log lines). */
    tokenEvent(event: TokenEvent): void {
      if (event === 'token.reuse_detected') reuse.inc();
      else refreshes.inc({ outcome: event === 'token.refreshed' ? 'refreshed' : 'retried' });
    },
    throttled(limit: 'key' | 'project'): void {
      throttled.inc({ limit });
    },
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
