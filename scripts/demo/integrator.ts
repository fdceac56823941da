/**
 * A small integrator application, as a team using IMM writes one: its backend calls GenerateWebofficeToken
 * and RefreshWebofficeToken with an official client (@alicloud/pop-core), and its page — on an origin of its
 * own — loads the JS SDK from the service and hands it the token. `npm run demo` runs it; the browser tests
 * drive it in a real Chromium.
 *
 * The refresh token never reaches the browser: the backend keeps each session's pair under a random handle.
 * The page's own CSP allows scripts from itself and the service only, and frames of the service only (the SDK
 * must work under such a policy).
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Fastify from 'fastify';
import RPCClient from '@alicloud/pop-core';

/** What a view opens: the Generate parameters an integrator chooses (struct parameters as objects). */
export interface ViewOptions {
  title: string;
  sourceUri: string;
  projectName: string;
  permission?: Record<string, boolean>;
  user?: { Id?: string; Name?: string; Avatar?: string };
  watermark?: Record<string, string | number>;
  hidecmb?: boolean;
  previewPages?: number;
  /** Generate's NotifyTopicName (where saves are announced) and UserData (echoed in the announcement). */
  notifyTopicName?: string;
  userData?: string;
  /** Generate's Password, for a password-protected document. */
  password?: string;
}

export interface IntegratorOptions {
  /** The service (its IMM endpoint, also where the SDK and the WebOffice pages are). */
  serviceUrl: string;
  credentials: { AccessKeyId: string; AccessKeySecret: string };
  host?: string;
  port?: number;
}

interface Session {
  projectName: string;
  webofficeUrl: string;
  accessToken: string;
  refreshToken: string;
  /** When the access token runs out (ms since the epoch). */
  expiresAt: number;
}

export interface Integrator {
  url: string;
  /** Adds (or replaces) a view; open it at `${url}/view/${name}`. */
  addView(name: string, options: ViewOptions): void;
  /** Every access token this backend handed to a page (to look for them where they must not be). */
  readonly tokensHandedOut: ReadonlySet<string>;
  /** Refresh requests of the pages (counted as they arrive), those that succeeded, those refused by `failRefreshes`. */
  readonly refreshes: { requested: number; succeeded: number; refused: number };
  /** The next `count` refresh requests of the page answer 503 (a backend outage), without calling the service. */
  failRefreshes(count: number): void;
  /** Each refresh request waits this long before it is answered (a slow backend). */
  delayRefreshes(ms: number): void;
  close(): Promise<void>;
}

const PUBLIC_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../scripts/demo/public');

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Milliseconds left until an expiry: the `timeout` the SDK takes. */
function timeoutOf(expiresAt: number): number {
  return Math.max(1, expiresAt - Date.now());
}

export async function startIntegrator(options: IntegratorOptions): Promise<Integrator> {
  const serviceOrigin = new URL(options.serviceUrl).origin;
  const client = new RPCClient({
    accessKeyId: options.credentials.AccessKeyId,
    accessKeySecret: options.credentials.AccessKeySecret,
    endpoint: options.serviceUrl,
    apiVersion: '2020-09-30',
  });
  const call = (action: string, params: Record<string, string>) =>
    client.request<Record<string, string>>(action, params, { method: 'POST', formatParams: false, timeout: 30_000 });

  const views = new Map<string, ViewOptions>();
  const sessions = new Map<string, Session>();
  const tokensHandedOut = new Set<string>();
  const refreshes = { requested: 0, succeeded: 0, refused: 0 };
  let refusals = 0;
  let refreshDelayMs = 0;
  const pageScript = fs.readFileSync(path.join(PUBLIC_DIR, 'integrator-page.js'), 'utf8');
  const pageStyles = fs.readFileSync(path.join(PUBLIC_DIR, 'integrator-page.css'), 'utf8');

  const app = Fastify({ logger: false });
  const csp = [
    "default-src 'self'",
    `script-src 'self' ${serviceOrigin}`,
    `frame-src ${serviceOrigin}`,
    "style-src 'self'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
  ].join('; ');

  app.get('/', async (_request, reply) => {
    const links = [...views].map(([name, view]) => `<li><a href="/view/${encodeURIComponent(name)}">${escapeHtml(view.title)}</a></li>`).join('\n');
    return reply
      .header('content-security-policy', csp)
      .type('text/html; charset=utf-8')
      .send(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>WebOffice demo</title><link rel="stylesheet" href="/integrator-page.css"></head>
<body class="index"><h1>WebOffice demo</h1><p>An integrator's page on its own origin, opening documents of the service at ${escapeHtml(serviceOrigin)} with the JS SDK.</p><ul>${links}</ul></body></html>`);
  });

  // `?session=HANDLE` opens the view with the access token of an open session again: a second holder of the
  // same token, which takes the document over from the first.
  app.get<{ Params: { name: string } }>('/view/:name', async (request, reply) => {
    const view = views.get(request.params.name);
    if (!view) return reply.status(404).send('no such view');
    return reply
      .header('content-security-policy', csp)
      .header('cache-control', 'no-store')
      .type('text/html; charset=utf-8')
      .send(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(view.title)}</title><link rel="stylesheet" href="/integrator-page.css"></head>
<body>
<header><strong>Integrator app</strong> <span>${escapeHtml(view.title)}</span> <a id="same-token" target="_blank">open with the same token in another tab</a></header>
<div id="office" class="office"></div>
<aside><h2>SDK events</h2><ol id="events"></ol></aside>
<script src="${serviceOrigin}/sdk/aliyun-web-office-sdk.min.js"></script>
<script src="/integrator-page.js" data-view="${escapeHtml(request.params.name)}"></script>
</body></html>`);
  });

  app.get('/integrator-page.js', async (_request, reply) => reply.type('text/javascript; charset=utf-8').header('cache-control', 'no-store').send(pageScript));
  app.get('/integrator-page.css', async (_request, reply) => reply.type('text/css; charset=utf-8').send(pageStyles));

  // The backend's Generate: a new session for the view.
  app.post<{ Params: { name: string } }>('/api/views/:name/token', async (request, reply) => {
    const view = views.get(request.params.name);
    if (!view) return reply.status(404).send({ message: 'no such view' });
    const params: Record<string, string> = { ProjectName: view.projectName, SourceURI: view.sourceUri };
    if (view.permission) params.Permission = JSON.stringify(view.permission);
    if (view.user) params.User = JSON.stringify(view.user);
    if (view.watermark) params.Watermark = JSON.stringify(view.watermark);
    if (view.hidecmb !== undefined) params.Hidecmb = String(view.hidecmb);
    if (view.previewPages !== undefined) params.PreviewPages = String(view.previewPages);
    if (view.notifyTopicName !== undefined) params.NotifyTopicName = view.notifyTopicName;
    if (view.userData !== undefined) params.UserData = view.userData;
    if (view.password !== undefined) params.Password = view.password;
    const token = await call('GenerateWebofficeToken', params);
    const handle = randomBytes(16).toString('hex');
    const expiresAt = Date.parse(token.AccessTokenExpiredTime);
    sessions.set(handle, { projectName: view.projectName, webofficeUrl: token.WebofficeURL, accessToken: token.AccessToken, refreshToken: token.RefreshToken, expiresAt });
    tokensHandedOut.add(token.AccessToken);
    return { Handle: handle, WebofficeURL: token.WebofficeURL, AccessToken: token.AccessToken, Timeout: timeoutOf(expiresAt) };
  });

  // The session's current access token, as it is, for a second page: the same token, another holder.
  app.post<{ Params: { handle: string } }>('/api/sessions/:handle/token', async (request, reply) => {
    const session = sessions.get(request.params.handle);
    if (!session) return reply.status(404).send({ message: 'no such session' });
    return { Handle: request.params.handle, WebofficeURL: session.webofficeUrl, AccessToken: session.accessToken, Timeout: timeoutOf(session.expiresAt) };
  });

  // The backend's Refresh, which the SDK's refreshToken callback calls.
  app.post<{ Params: { handle: string } }>('/api/sessions/:handle/refresh', async (request, reply) => {
    refreshes.requested++;
    if (refreshDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, refreshDelayMs));
    if (refusals > 0) {
      refusals--;
      refreshes.refused++;
      return reply.status(503).send({ message: 'the backend is unavailable' });
    }
    const session = sessions.get(request.params.handle);
    if (!session) return reply.status(404).send({ message: 'no such session' });
    const info = await call('RefreshWebofficeToken', { ProjectName: session.projectName, AccessToken: session.accessToken, RefreshToken: session.refreshToken });
    Object.assign(session, { accessToken: info.AccessToken, refreshToken: info.RefreshToken, expiresAt: Date.parse(info.AccessTokenExpiredTime) });
    tokensHandedOut.add(info.AccessToken);
    refreshes.succeeded++;
    return { AccessToken: info.AccessToken, Timeout: timeoutOf(session.expiresAt) };
  });

  app.setErrorHandler((error, _request, reply) => {
    const e = error as { code?: string; message: string };
    reply.status(502).send({ message: e.code ? `${e.code}: ${e.message}` : e.message });
  });

  const address = await app.listen({ host: options.host ?? '127.0.0.1', port: options.port ?? 0 });
  return {
    url: address.replace('[::1]', 'localhost'),
    addView: (name, view) => void views.set(name, view),
    tokensHandedOut,
    refreshes,
    failRefreshes: (count) => void (refusals = count),
    delayRefreshes: (ms) => void (refreshDelayMs = ms),
    close: () => app.close(),
  };
}
