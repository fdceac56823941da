/**
 * Every route of the WebOffice side, on the same origin as the API: the page, its built files, the JS-SDK and
 * the document API. Errors go through the app's one error handler (the envelope), like everything else.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiError } from '../core/errors.js';
import type { RouteTable } from '../api/routeTable.js';
import type { Services } from '../services.js';
import { BROWSER_BUILD_DIR, builtFiles, type BuiltFile } from './assets.js';
import { documentApi, MAX_SAVE_BYTES } from './documentApi.js';
import { pageHtml, pageSecurityHeaders } from './page.js';

const FAMILIES = new Set(['w', 's', 'p', 'f']);
const FILE_ID = /^[0-9a-f]{40}$/;
const SDK_FILES = new Set(['aliyun-web-office-sdk.min.js', 'aliyun-web-office-sdk.d.ts']);

export function registerWebofficeRoutes(routes: RouteTable, services: Services, buildDir = BROWSER_BUILD_DIR): void {
  const pageFiles = builtFiles(`${buildDir}/page`);
  const sdkFiles = builtFiles(`${buildDir}/sdk`);
  const pageHeaders = pageSecurityHeaders(services.config.frameAncestors);
  const notFound = (request: FastifyRequest) => new ApiError('NotFound', request.url.split('?')[0].slice(0, 200));

  // Before the page's pattern, which `/office/assets/x` matches too: the more specific route comes first.
  routes.serve('/office/assets/*', {
    GET: async (request, reply) => {
      const file = await pageFiles.read((request.params as { '*': string })['*']);
      if (!file) throw notFound(request);
      return sendBuilt(request, reply.header('cache-control', 'public, max-age=300'), file);
    },
  });

  // The page: static, no document data, no token needed (`_w_tokentype=1` in the query is WPS's "token via SDK").
  routes.serve('/office/:family/:fileId', {
    GET: async (request, reply) => {
      const { family, fileId } = request.params as { family: string; fileId: string };
      if (!FAMILIES.has(family) || !FILE_ID.test(fileId)) throw notFound(request);
      if (!(await pageFiles.read('page.js'))) {
        throw new ApiError('ServiceUnavailable', [], { message: 'The WebOffice page is not built on this server; run npm run build.' });
      }
      const withStyles = (await pageFiles.read('page.css')) !== undefined;
      return reply.headers(pageHeaders).type('text/html; charset=utf-8').send(pageHtml(withStyles));
    },
  });

  // The SDK is loaded by integrators' pages, from any origin.
  routes.serve('/sdk/:name', {
    GET: async (request, reply) => {
      const { name } = request.params as { name: string };
      const file = SDK_FILES.has(name) ? await sdkFiles.read(name) : undefined;
      if (!file) throw notFound(request);
      reply.headers({ 'access-control-allow-origin': '*', 'cross-origin-resource-policy': 'cross-origin', 'cache-control': 'public, max-age=3600' });
      return sendBuilt(request, reply, file);
    },
  });

  const api = documentApi(services);
  const files = '/office/api/v1/files/:fileId';
  routes.serve(files, { GET: api.info });
  routes.serve(`${files}/open`, { POST: api.open });
  routes.serve(`${files}/content`, { GET: api.content, PUT: api.save }, { PUT: MAX_SAVE_BYTES });
  routes.serve(`${files}/versions`, { GET: api.versions });
  routes.serve(`${files}/export`, { GET: api.export });
}

/** The media types of a saved document's bytes (a save may send any of them). */
export const RAW_BODY_TYPES = ['application/octet-stream', 'text/plain', 'text/csv'];

/** Whether the route (its Fastify pattern) takes a document's raw bytes as its body: only the save. */
export function takesRawBody(url: string | undefined): boolean {
  return url === '/office/api/v1/files/:fileId/content';
}

/** A built file with its ETag; `304` when the browser has it already. */
function sendBuilt(request: FastifyRequest, reply: FastifyReply, file: BuiltFile) {
  reply.headers({ etag: file.etag, 'x-content-type-options': 'nosniff' });
  if (request.headers['if-none-match'] === file.etag) return reply.status(304).send();
  return reply.type(file.contentType).send(file.bytes);
}
