/**
 * The paths this server serves, with the methods each allows, so that a known path asked with another method
 * is answered `405 MethodNotAllowed` with `Allow` — never `404`. Fastify's router sends such a request to the
 * not-found handler, which asks `match`; one table serves both, so the two cannot disagree.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiError } from '../core/errors.js';

export type ServedMethod = 'GET' | 'POST' | 'PUT';
export type RouteHandler = (request: FastifyRequest, reply: FastifyReply) => unknown;

/** The part of a Fastify instance the table registers routes with. */
export interface Router {
  route(options: { method: ServedMethod; url: string; handler: RouteHandler; bodyLimit?: number }): unknown;
}

export interface KnownRoute {
  /** The Fastify pattern, also the metrics label of the route. */
  url: string;
  /** The `Allow` header's value (GET brings HEAD, which Fastify answers for every GET route). */
  allow: string;
}

export interface RouteTable {
  /**
   * Registers `handlers` for `url` (a Fastify pattern: `:param` segments, a final `*`); `bodyLimits` raises the
   * body limit of a method's route above IMM_BODY_LIMIT.
   */
  serve(url: string, handlers: Partial<Record<ServedMethod, RouteHandler>>, bodyLimits?: Partial<Record<ServedMethod, number>>): void;
  /** The known route that `path` (without the query string) matches, if any. */
  match(path: string): KnownRoute | undefined;
}

export function routeTable(app: Router): RouteTable {
  const known: (KnownRoute & { pattern: RegExp })[] = [];
  return {
    serve(url, handlers, bodyLimits = {}) {
      const methods = (['GET', 'POST', 'PUT'] as const).filter((method) => handlers[method] !== undefined);
      for (const method of methods) app.route({ method, url, handler: handlers[method]!, ...(bodyLimits[method] && { bodyLimit: bodyLimits[method] }) });
      const allow = methods.flatMap((method) => (method === 'GET' ? ['GET', 'HEAD'] : [method])).join(', ');
      known.push({ url, allow, pattern: patternOf(url) });
    },
    match(path) {
      const route = known.find((entry) => entry.pattern.test(path));
      return route && { url: route.url, allow: route.allow };
    },
  };
}

/** `405 MethodNotAllowed` naming the method and what the path allows, with the `Allow` header (RFC 9110 §15.5.6). */
export function methodNotAllowed(method: string, allow: string): ApiError {
  return new ApiError('MethodNotAllowed', [method.slice(0, 32), allow], { headers: { allow } });
}

/** `/a/:b/*` → `^/a/[^/]+/.*$`; the parameters' own rules are the handlers' business. */
function patternOf(url: string): RegExp {
  const source = url
    .split('/')
    .map((segment) => (segment.startsWith(':') ? '[^/]+' : segment === '*' ? '.*' : segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('/');
  return new RegExp(`^${source}$`);
}
