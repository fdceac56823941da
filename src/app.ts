/**
 * The HTTP face, and the whole request lifecycle in one place:
 *   body (raw bytes kept) → parameters (query ∪ form) → Action/Version → signature → operation → envelope.
 * Every reply is JSON; every error, including the framework's own, goes through `errorEnvelope`.
 */
import type { Socket } from 'node:net';
import Fastify, { LogController, type FastifyError, type FastifyReply, type FastifyRequest } from 'fastify';
import { ApiError } from './api/errors.js';
import { errorEnvelope, newRequestId } from './api/envelope.js';
import { readParameters } from './api/params.js';
import { resolveOperation } from './api/dispatcher.js';
import { authenticate, type AuthenticationDeps } from './api/authenticate.js';
import { findCredential } from './access/credentials.js';
import type { Services } from './services.js';
import { hashToken } from './tokens/tokenValues.js';
import type { WebofficeOptions } from './tokens/webofficeOptions.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The resolved Action, for the access log. */
    action?: string;
  }
}

export function buildApp(services: Services) {
  const { config } = services;
  const app = Fastify({
    loggerInstance: services.log,
    // Access lines are written by the onResponse hook below: the default ones would print the URL, and
    // the SDKs put AccessToken and RefreshToken in the query string.
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'requestId' }),
    genReqId: () => newRequestId(),
    requestIdHeader: false,
    bodyLimit: config.bodyLimitBytes,
    requestTimeout: 30_000,
    connectionTimeout: 60_000,
    routerOptions: { maxParamLength: 200 },
    return503OnClosing: true,
    clientErrorHandler: answerClientError,
    // A URL the router cannot decode (e.g. `/%ZZ`) reaches neither a route nor the error handler.
    frameworkErrors: (error, request, reply) => {
      const plainReply = reply as unknown as FastifyReply; // the option's generics do not narrow here
      void sendError(error, request, plainReply.header('x-acs-request-id', request.id));
      // No hook runs for these replies: write their access line here (without the URL, which may hold tokens).
      request.log.info({ method: request.method, path: '(malformed)', status: plainReply.statusCode, ms: Math.round(plainReply.elapsedTime) }, 'request completed');
    },
  });

  // Only form bodies are accepted, kept as raw bytes: the ACS3 signature covers their exact hash.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));

  // Once stopping, a request still in flight is answered with `Connection: close`: otherwise its keep-alive
  // connection (the SDKs keep connections alive) would hold the process open for the keep-alive timeout.
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onSend', async (request, reply) => {
    reply.header('x-acs-request-id', request.id);
    if (closing) reply.header('connection', 'close');
  });
  app.addHook('onResponse', async (request, reply) => {
    request.log.info(
      { method: request.method, path: request.url.split('?')[0], action: request.action, status: reply.statusCode, ms: Math.round(reply.elapsedTime) },
      'request completed',
    );
  });

  const authDeps: AuthenticationDeps = {
    findAccessKey: (id, securityToken) => findCredential({ ...services, nowMs: () => Date.now() }, id, securityToken),
    rememberNonce: (id, nonce, expiresMs) => services.nonces.remember(id, nonce, expiresMs),
    nowMs: () => Date.now(),
  };

  const rpc = async (request: FastifyRequest, reply: FastifyReply) => {
    const rawBody = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
    const params = readParameters(request.raw.url ?? '/', rawBody);
    const { action, operation } = resolveOperation(params.all, request.headers);
    request.action = action;
    const caller = await authenticate({ method: request.method, pathname: '/', headers: request.headers, params, rawBody }, authDeps);
    const facts = { sourceIp: request.ip, secureTransport: request.protocol === 'https', userAgent: request.headers['user-agent'] ?? '' };
    const result = await operation({ params: params.all, caller, request: facts, requestId: request.id, services, log: request.log });
    return reply.send({ RequestId: request.id, ...result });
  };
  app.route({ method: ['GET', 'POST'], url: '/', handler: rpc });

  app.get('/health', async (request) => ({ RequestId: request.id, Status: 'OK', Region: config.region }));

  // What the WebOffice editor asks with an access token: is it (still) valid, and what may its user do.
  app.get('/weboffice/v1/session', async (request) => {
    const token = request.headers['x-weboffice-token'];
    if (typeof token !== 'string' || token === '') throw new ApiError('MissingParameter', 'x-weboffice-token');
    const found = await services.sessions.findByAccessHash(hashToken(token));
    const now = Date.now();
    if (!found || found.session.revokedAtMs !== null || now >= found.token.accessValidUntilMs) throw new ApiError('InvalidToken', [], { message: 'The access token is not valid (unknown, expired, replaced or revoked).' });
    const options = JSON.parse(found.session.options) as WebofficeOptions;
    return {
      RequestId: request.id,
      FileId: found.session.fileId,
      Filename: options.filename,
      SourceURI: options.sourceUri,
      Permission: options.permission,
      User: options.user,
      Watermark: options.watermark ?? { Type: 0 },
      PreviewPages: options.previewPages ?? 0,
      Hidecmb: options.hidecmb,
      CachePreview: options.cachePreview,
      AccessTokenValidUntil: new Date(found.token.accessValidUntilMs).toISOString(),
    };
  });

  app.setNotFoundHandler(async (request) => {
    const path = request.url.split('?')[0];
    if (path === '/') throw new ApiError('MethodNotAllowed', request.method);
    throw new ApiError('NotFound', path.slice(0, 200));
  });

  /** The one place an error becomes a reply: ours as raised, the framework's mapped, anything else a logged 500. */
  function sendError(error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
    const known = error instanceof ApiError ? error : (frameworkError(error, config.bodyLimitBytes) ?? storageUnavailable(error));
    if (known?.code === 'ServiceUnavailable') request.log.warn({ err: error, requestId: request.id }, 'database unavailable');
    if (!known) request.log.error({ err: error, requestId: request.id, action: request.action }, 'unexpected failure');
    const { status, body } = errorEnvelope(known ?? error, request.id, hostOf(request));
    if (known?.headers) reply.headers(known.headers);
    return reply.status(status).type('application/json; charset=utf-8').send(body);
  }
  app.setErrorHandler(async (error: FastifyError, request, reply) => sendError(error, request, reply));

  return app;
}

/** Fastify's own 4xx errors about the request (body too large, bad media type, bad length…) in our codes. */
function frameworkError(error: FastifyError, bodyLimitBytes: number): ApiError | undefined {
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

/** The database is down, unreachable or locked beyond the busy timeout: a retryable 503, not a bug. */
function storageUnavailable(error: Error & { code?: string }): ApiError | undefined {
  const code = error.code ?? '';
  const transient = ['SQLITE_BUSY', 'SQLITE_LOCKED', 'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', '57P01', '57P02', '57P03', '53300', '08006', '08001'];
  const unreachable = /Connection terminated|timeout exceeded when trying to connect/.test(error.message);
  return transient.includes(code) || unreachable ? new ApiError('ServiceUnavailable') : undefined;
}

function hostOf(request: FastifyRequest): string {
  const host = request.headers.host;
  return typeof host === 'string' && host.length <= 255 ? host : 'imm-weboffice';
}

/**
 * What Node's HTTP parser refuses (malformed request line, oversized headers) never reaches Fastify; answer
 * it in the same envelope rather than with a bare 400.
 */
function answerClientError(error: Error & { code?: string }, socket: Socket): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const tooLarge = error.code === 'HPE_HEADER_OVERFLOW';
  const timedOut = error.code === 'ERR_HTTP_REQUEST_TIMEOUT';
  const apiError = tooLarge
    ? new ApiError('MalformedRequest', 'the request headers are too large')
    : timedOut
      ? new ApiError('RequestTimeout')
      : new ApiError('MalformedRequest', 'the HTTP request is malformed');
  const requestId = newRequestId();
  const { body } = errorEnvelope(apiError, requestId, 'imm-weboffice');
  const status = tooLarge ? 431 : apiError.status;
  const payload = JSON.stringify(body);
  socket.end(
    `HTTP/1.1 ${status} ${tooLarge ? 'Request Header Fields Too Large' : timedOut ? 'Request Timeout' : 'Bad Request'}\r\n` +
      `Content-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(payload)}\r\nx-acs-request-id: ${requestId}\r\nConnection: close\r\n\r\n${payload}`,
  );
}
