/**
 * What other code's errors mean in our catalog: the framework's 4xx, an aborted request, an unreachable
 * database. Anything not recognised here stays unknown and becomes a logged 500 InternalError.
 */
import type { FastifyError, FastifyRequest } from 'fastify';
import { ApiError } from '../core/errors.js';
import { DatabaseUnreachable, isUnansweredQuery } from '../store/database.js';

/** Fastify's own 4xx errors about the request (body too large, bad media type, bad length…) in our codes. */
export function frameworkError(error: FastifyError, bodyLimitBytes: number): ApiError | undefined {
  if (typeof error.code !== 'string' || !error.code.startsWith('FST_') || !error.statusCode || error.statusCode >= 500) return undefined;
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      // Fastify's message ("Request body is too large") does not say the limit; the configuration does.
      return new ApiError('RequestEntityTooLarge', String(bodyLimitBytes));
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return error.statusCode === 415 ? new ApiError('UnsupportedMediaType', 'of this request') : new ApiError('MalformedRequest', error.message);
    case 'FST_ERR_BAD_URL':
      // Its message quotes the whole URL, query string (and any token in it) included.
      return new ApiError('MalformedRequest', 'the URL is not validly percent-encoded');
    default:
      return new ApiError('MalformedRequest', error.message.replace(/[^\x20-\x7e]/g, '?').slice(0, 200));
  }
}

/**
 * The request stream itself failed: the client closed or reset the connection before its body was complete
 * (then this reply reaches no one). Its ECONNRESET is the client's, not a lost database connection.
 */
export function requestAborted(error: Error, request: FastifyRequest): ApiError | undefined {
  return request.raw.errored === error ? new ApiError('MalformedRequest', 'the connection closed before the request body was complete') : undefined;
}

/**
 * The database is down, unreachable or locked beyond the busy timeout: a retryable 503, not a bug. Any failure
 * to get a connection is that (`DatabaseUnreachable`, whatever its code); the rest are failures of a
 * connection already in hand.
 */
export function storageUnavailable(error: Error & { code?: string }): ApiError | undefined {
  if (error instanceof DatabaseUnreachable) return new ApiError('ServiceUnavailable');
  const code = error.code ?? '';
  // 57P01/57P02: the connection was ended under the query (administrator command, crash of another backend);
  // 57014: the statement timeout fired (PostgreSQL's counterpart of SQLITE_BUSY after the busy timeout);
  // 25P03: PostgreSQL ended a transaction left idle too long (its node stalled or was cut off).
  const transient = ['SQLITE_BUSY', 'SQLITE_LOCKED', 'ECONNRESET', 'ETIMEDOUT', '57P01', '57P02', '57014', '08006', '25P03'];
  // pg's own errors carry no code: a connection lost mid-query, a query on a pooled client whose connection
  // broke mid-transaction ("… is not queryable"), and a query never answered.
  const unreachable = /Connection terminated|is not queryable/.test(error.message) || isUnansweredQuery(error);
  return transient.includes(code) || unreachable ? new ApiError('ServiceUnavailable') : undefined;
}
