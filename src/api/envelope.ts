import { randomUUID } from 'node:crypto';
import { ApiError, isDefinedHere } from '../core/errors.js';

/** RequestId as the cloud shapes it: an upper-case UUID. */
export function newRequestId(): string {
  return randomUUID().toUpperCase();
}

export interface ErrorEnvelope {
  RequestId: string;
  HostId: string;
  Code: string;
  Message: string;
  Recommend: string;
  AccessDeniedDetail?: ApiError['accessDeniedDetail'];
}

/**
 * The only place an error reply is built. An `ApiError` was raised on purpose and is shown as it is;
 * anything else is an unexpected failure, shown as `InternalError` (its details go to the log only).
 * `Recommend` is the cloud's troubleshooting link for the cloud's codes, and `errorDocsUrl`
 * (IMM_ERROR_DOCS_URL) for the codes defined here, which that site does not know.
 */
export function errorEnvelope(err: unknown, requestId: string, hostId: string, errorDocsUrl: string): { status: number; body: ErrorEnvelope } {
  const apiError = err instanceof ApiError ? err : new ApiError('InternalError');
  const body: ErrorEnvelope = {
    RequestId: requestId,
    HostId: hostId,
    Code: apiError.code,
    Message: apiError.message,
    Recommend: isDefinedHere(apiError.code) ? errorDocsUrl : `https://next.api.aliyun.com/troubleshoot?q=${encodeURIComponent(apiError.code)}&product=imm`,
  };
  if (apiError.accessDeniedDetail) body.AccessDeniedDetail = apiError.accessDeniedDetail;
  return { status: apiError.status, body };
}
