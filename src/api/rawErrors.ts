/**
 * Errors answered outside Fastify, straight on the socket: what Node's HTTP parser refuses or times out, and
 * CONNECT. Still in our envelope, then the connection is closed.
 */
import type { Duplex } from 'node:stream';
import { ApiError } from '../core/errors.js';
import { errorEnvelope, newRequestId } from './envelope.js';

/**
 * What Node's HTTP parser refuses (malformed request line, oversized headers) or times out (IMM_REQUEST_TIMEOUT)
 * never reaches Fastify; answer it in the same envelope rather than with a bare 400.
 */
export function answerClientError(error: Error & { code?: string }, socket: Duplex, errorDocsUrl: string): void {
  const tooLarge = error.code === 'HPE_HEADER_OVERFLOW';
  const timedOut = error.code === 'ERR_HTTP_REQUEST_TIMEOUT';
  const apiError = tooLarge
    ? new ApiError('MalformedRequest', 'the request headers are too large')
    : timedOut
      ? new ApiError('RequestTimeout')
      : new ApiError('MalformedRequest', 'the HTTP request is malformed');
  writeRawError(socket, apiError, tooLarge ? 431 : apiError.status, tooLarge ? 'Request Header Fields Too Large' : timedOut ? 'Request Timeout' : 'Bad Request', errorDocsUrl);
}

/** Sockets answered by writeRawError: Node reports every further byte of a broken request again. */
const answered = new WeakSet<Duplex>();
/** How long an answered connection is still read (and its bytes discarded) before it is closed. */
const LINGER_MS = 5_000;

/** Our envelope written straight on a socket that Node took away from Fastify, then the connection closed. */
export function writeRawError(socket: Duplex, apiError: ApiError, status: number, reason: string, errorDocsUrl: string): void {
  if (answered.has(socket)) return;
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  answered.add(socket);
  const requestId = newRequestId();
  const { body } = errorEnvelope(apiError, requestId, 'imm-weboffice', errorDocsUrl);
  const payload = JSON.stringify(body);
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\n` +
      `Content-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(payload)}\r\nx-acs-request-id: ${requestId}\r\nConnection: close\r\n\r\n${payload}`,
  );
  // Lingering close: the client may still be sending (a 100 KB URL, a body). Closed with its bytes unread, the
  // connection would be reset by the kernel and the client could lose this very reply. So the rest is read and
  // discarded until the client closes its side (then the socket closes by itself) or LINGER_MS have passed.
  socket.resume();
  setTimeout(() => socket.destroy(), LINGER_MS).unref();
}
