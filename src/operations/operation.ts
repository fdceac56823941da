/** What every operation receives and returns: the contract between the dispatcher and the files beside this one. */
import type { FastifyBaseLogger } from 'fastify';
import type { Caller } from '../access/principal.js';
import type { RequestFacts } from '../access/authorize.js';
import type { AuditTrail } from '../access/auditTrail.js';
import type { Services } from '../services.js';
import type { TokenEvent } from '../metrics.js';

export interface OperationContext {
  params: Record<string, string>;
  caller: Caller;
  /** Facts about the request that policy conditions look at (source IP, TLS, user agent). */
  request: RequestFacts;
  requestId: string;
  /** This request's authorization decisions, until they are written (see AuditTrail). */
  audit: AuditTrail;
  services: Services;
  log: FastifyBaseLogger;
  /** Counts a token event in the metrics (beside its log line). */
  observe?: (event: TokenEvent) => void;
}

/** An operation returns the response body without RequestId (the envelope adds it). */
export type Operation = (ctx: OperationContext) => Promise<Record<string, unknown>>;
