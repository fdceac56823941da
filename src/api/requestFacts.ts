/**
 * What authorization knows of the HTTP request: the client's address and scheme (as the trusted proxies tell
 * them) and its User-Agent, the values of `acs:SourceIp`, `acs:SecureTransport` and `acs:UserAgent`.
 */
import type { FastifyRequest } from 'fastify';
import { ApiError } from '../core/errors.js';
import type { RequestFacts } from '../access/authorize.js';

/**
 * The longest User-Agent accepted. Policies match it with `StringLike` patterns of up to a document's length,
 * in work proportional to its length; the SDKs send well under 200 characters.
 */
export const MAX_USER_AGENT_LENGTH = 1024;

export function requestFacts(request: FastifyRequest): RequestFacts {
  const userAgent = request.headers['user-agent'] ?? '';
  if (userAgent.length > MAX_USER_AGENT_LENGTH) {
    throw new ApiError('MalformedRequest', `the User-Agent header is ${userAgent.length} characters long, more than ${MAX_USER_AGENT_LENGTH}`);
  }
  return { sourceIp: request.ip, secureTransport: request.protocol === 'https', userAgent };
}
