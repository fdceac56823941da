/**
 * The HTTP face, and the whole request lifecycle in one place:
 *   body (raw bytes kept) → parameters (query ∪ form) → Action/Version → request facts → signature → rate limits → operation → envelope.
 * Every reply is JSON; every error, including the framework's own, goes through `errorEnvelope`.
 */
import type { Duplex } from 'node:stream';
import Fastify, { LogController, type FastifyError, type FastifyReply, type FastifyRequest } from 'fastify';
import { ApiError } from './core/errors.js';
import { errorEnvelope, newRequestId } from './api/envelope.js';
import { readParameters } from './api/params.js';
import { requestFacts } from './api/requestFacts.js';
import { IMM_VERSION, resolveOperation } from './api/dispatcher.js';
import { enforceRateLimits } from './api/rateLimit.js';
import { httpsOptions, trustHops, withServerLimits } from './api/serverOptions.js';
import { frameworkError, requestAborted, storageUnavailable } from './api/errorMapping.js';
import { answerClientError, writeRawError } from './api/rawErrors.js';
import { createMetrics } from './metrics.js';
import { InFlightWork } from './api/inFlightWork.js';
import { withAuditTrail } from './access/auditTrail.js';
import { authenticate, type AuthenticationDeps } from './api/authenticate.js';
import { findCredential } from './access/credentials.js';
import type { Services } from './services.js';
import { methodNotAllowed, routeTable } from './api/routeTable.js';
import { RAW_BODY_TYPES, registerWebofficeRoutes, takesRawBody } from './weboffice/routes.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The resolved Action, for the access log. */
    action?: string;
    /** The Code of an error reply, for the metrics. */
    errorCode?: string;
    /** The known route a request with a method it does not serve asked for (its metrics label). */
    knownRoute?: string;
  }
  interface FastifyInstance {
    /** The requests' work still running: a graceful stop waits for it before closing the database. */
    inFlight: InFlightWork;
  }
}

export function buildApp(services: Services) {
  const { config } = services;
  const metrics = createMetrics(services);
  const app = Fastify({
    // An HTTPS server's requests and replies are node's IncomingMessage/ServerResponse too: keep the HTTP typing.
    ...(withServerLimits(httpsOptions(config), config) as object),
    // Whose X-Forwarded-For / X-Forwarded-Proto to believe: request.ip and request.protocol (acs:SourceIp,
    // acs:SecureTransport) come from them only for these proxies. A hop count trusts that many proxies.
    trustProxy: typeof config.trustProxy === 'number' ? trustHops(config.trustProxy) : config.trustProxy,
    loggerInstance: services.log,
    // Access lines are written by the onResponse hook below: the default ones would print the URL, and
    // the SDKs put AccessToken and RefreshToken in the query string.
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'requestId' }),
    genReqId: () => newRequestId(),
    requestIdHeader: false,
    bodyLimit: config.bodyLimitBytes,
    requestTimeout: config.requestTimeoutMs,
    connectionTimeout: 60_000,
    // Longer than a load balancer's usual idle timeout (60 s), so that the balancer, not this server, closes an
    // idle kept-alive connection: never one the balancer has just reused for a new request.
    keepAliveTimeout: 72_000,
    routerOptions: { maxParamLength: 200 },
    // While stopping, a request that reached this node is served (with `Connection: close`, below): answering it
    // with the framework's own 503 would break the envelope, and its work can still be done.
    return503OnClosing: false,
    clientErrorHandler: (error, socket) => answerClientError(error, socket, config.errorDocsUrl),
    // A URL the router cannot decode (e.g. `/%ZZ`) reaches neither a route nor the error handler.
    frameworkErrors: (error, request, reply) => {
      const plainReply = reply as unknown as FastifyReply; // the option's generics do not narrow here
      void sendError(error, request, plainReply.header('x-acs-request-id', request.id));
      // No hook runs for these replies: write their access line here (without the URL, which may hold tokens).
      request.log.info({ method: request.method, path: '(malformed)', status: plainReply.statusCode, ms: Math.round(plainReply.elapsedTime) }, 'request completed');
    },
  });

  // Node answers these itself, outside Fastify, and not in our envelope: an `Expect` other than 100-continue
  // (a bare 417; ignoring it is allowed, RFC 9110 §10.1.1) and CONNECT (the connection dropped without a word).
  app.server.on('checkExpectation', app.routing);
  app.server.on('connect', (_request, socket: Duplex) => writeRawError(socket, methodNotAllowed('CONNECT', 'a method the path serves'), 405, 'Method Not Allowed', config.errorDocsUrl));
  // HTTP/1.1 requires Host (RFC 9112 §3.2). Node's own check (off, see withServerLimits) answers a bare 400.
  // (The hooks on every request take a callback rather than being async: no promise and microtask each.)
  app.addHook('onRequest', (request, _reply, done) => {
    done(request.raw.httpVersion === '1.1' && request.headers.host === undefined ? new ApiError('MalformedRequest', 'the Host header is missing') : undefined);
  });

  // Only form bodies are accepted, kept as raw bytes: the ACS3 signature covers their exact hash.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
  // A document's bytes, only where a route takes them (a WebOffice save); anywhere else 415, as before.
  app.addContentTypeParser(RAW_BODY_TYPES, { parseAs: 'buffer' }, (request, body, done) =>
    takesRawBody(request.routeOptions.url) ? done(null, body) : done(Object.assign(new Error('unsupported media type'), { code: 'FST_ERR_CTP_INVALID_MEDIA_TYPE', statusCode: 415 })),
  );

  // Once stopping, a request still in flight is answered with `Connection: close`: otherwise its keep-alive
  // connection (the SDKs keep connections alive) would hold the process open for the keep-alive timeout.
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onSend', (request, reply, payload, done) => {
    reply.header('x-acs-request-id', request.id);
    if (closing) reply.header('connection', 'close');
    done(null, payload);
  });
  app.addHook('onResponse', (request, reply, done) => {
    const code = request.errorCode ?? (reply.statusCode < 400 ? 'OK' : String(reply.statusCode));
    metrics.request(request.action ?? request.routeOptions.url ?? request.knownRoute ?? '(unmatched)', code, reply.elapsedTime / 1000);
    request.log.info(
      { method: request.method, path: request.url.split('?')[0], action: request.action, status: reply.statusCode, ms: Math.round(reply.elapsedTime) },
      'request completed',
    );
    done();
  });

  const authDeps: AuthenticationDeps = {
    findAccessKey: (id, securityToken) => findCredential({ ...services, nowMs: () => Date.now() }, id, securityToken),
    rememberNonce: (id, nonce, expiresMs) => services.nonces.remember(id, nonce, expiresMs),
    nowMs: () => Date.now(),
  };

  const inFlight = new InFlightWork();
  app.decorate('inFlight', inFlight);

  const rpc = (request: FastifyRequest, reply: FastifyReply) => inFlight.run(() => serveRpc(request, reply));
  const serveRpc = async (request: FastifyRequest, reply: FastifyReply) => {
    const rawBody = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
    const params = readParameters(request.raw.url ?? '/', rawBody);
    const { action, version, operation } = resolveOperation(params.all, request.headers);
    request.action = action;
    const facts = requestFacts(request);
    // SQLite: has any process changed keys, RAM, projects or buckets since the last request? (see store/readCache.ts)
    await services.caches.sync();
    const caller = await authenticate({ method: request.method, pathname: '/', headers: request.headers, params, rawBody }, authDeps);
    await enforceRateLimits(
      services.rateLimits,
      { perKey: config.rateLimitPerKey, perProject: config.rateLimitPerProject },
      { accessKeyId: caller.accessKeyId, accountId: caller.accountId, projectName: version === IMM_VERSION ? params.all.ProjectName : undefined },
      (scope) => metrics.throttled(scope),
    );
    const observe = metrics.tokenEvent;
    const result = await withAuditTrail(services.audit, (audit) =>
      operation({ params: params.all, caller, request: facts, requestId: request.id, audit, services, log: request.log, observe }),
    );
    return reply.send({ RequestId: request.id, ...result });
  };
  // Every served path goes through the table, so a known path asked with another method is a 405, not a 404.
  const routes = routeTable(app);
  routes.serve('/', { GET: rpc, POST: rpc });

  routes.serve('/health', { GET: async (request) => ({ RequestId: request.id, Status: 'OK', Region: config.region }) });

  // Readiness for a load balancer: can this node reach the database (within a second)? And which documents it
  // converts: `libreoffice` (every listed format, to PDF) or `none` (the page's own viewers only).
  routes.serve('/ready', {
    GET: async (request) => {
      await databaseReachable(services, 1000);
      const { converter, concurrency, waiting, running } = services.converter.status();
      return { RequestId: request.id, Status: 'OK', Converter: converter, Conversions: { Concurrency: concurrency, Waiting: waiting, Running: running } };
    },
  });

  // Prometheus text format. Unauthenticated like /health: it holds counts only, never a token or a secret.
  routes.serve('/metrics', { GET: async (_request, reply) => reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()) });

  // The WebOffice page, its files, the JS-SDK and the document API (src/weboffice/).
  registerWebofficeRoutes(routes, services);

  app.setNotFoundHandler(async (request) => {
    const path = request.url.split('?')[0];
    const known = routes.match(path);
    if (known) {
      request.knownRoute = known.url;
      throw methodNotAllowed(request.method, known.allow);
    }
    throw new ApiError('NotFound', path.slice(0, 200));
  });

  /** The one place an error becomes a reply: ours as raised, the framework's mapped, anything else a logged 500. */
  function sendError(error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
    const known = error instanceof ApiError ? error : (frameworkError(error, request.routeOptions.bodyLimit ?? config.bodyLimitBytes) ?? requestAborted(error, request) ?? storageUnavailable(error));
    if (known?.code === 'ServiceUnavailable') request.log.warn({ err: error, requestId: request.id }, 'database unavailable');
    if (!known) request.log.error({ err: error, requestId: request.id, action: request.action }, 'unexpected failure');
    const { status, body } = errorEnvelope(known ?? error, request.id, hostOf(request), config.errorDocsUrl);
    if (known?.headers) reply.headers(known.headers);
    // Fastify closes the connection after a body error while the client may still be sending: the client then
    // gets a TCP reset and may lose this very reply. Kept alive, Node reads and discards the rest of the body
    // (never buffered; for at most IMM_REQUEST_TIMEOUT) and the client reads its 413.
    if (known?.code === 'RequestEntityTooLarge') reply.removeHeader('connection');
    request.errorCode = known?.code ?? 'InternalError';
    return reply.status(status).type('application/json; charset=utf-8').send(body);
  }
  app.setErrorHandler(async (error: FastifyError, request, reply) => sendError(error, request, reply));

  return app;
}

/** A trivial query that reads the database; 503 when it fails or takes longer than `timeoutMs`. */
async function databaseReachable(services: Services, timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    await Promise.race([services.database.db.selectFrom('accounts').select('id').limit(1).execute(), timeout]);
  } catch (err) {
    throw new ApiError('ServiceUnavailable', [], { message: `The database is not reachable: ${(err as Error).message.replace(/[^\x20-\x7e]/g, '?').slice(0, 200)}.` });
  } finally {
    clearTimeout(timer);
  }
}

function hostOf(request: FastifyRequest): string {
  const host = request.headers.host;
  return typeof host === 'string' && host !== '' && host.length <= 255 ? host : 'imm-weboffice';
}
