/**
 * The stage of a browser suite: a real service (its own process, data and engine), a project and bucket of
 * its root account, and the integrator app on another port (another origin) whose backend calls Generate and
 * Refresh with the official pop-core client — what an IMM integrator runs. Also the watchers every browser
 * test keeps on its pages: every request URL (no token may ever be in one) and every Content-Security-Policy
 * complaint of the console.
 */
import assert from 'node:assert/strict';
import type { Browser, BrowserContext, Frame, Page } from 'playwright-core';
import { startIntegrator, type Integrator, type ViewOptions } from '../../../scripts/demo/integrator.js';
import { popClient, type PopClient } from '../../helpers/popClient.js';
import { putDocument, startServer, type TestServer } from '../../helpers/server.js';

/** The view states, as the SDK names them (the mount's data-state and the events). */
export type State = 'loading' | 'ready' | 'refreshing' | 'expired' | 'revoked' | 'superseded' | 'error';

export interface Stage {
  server: TestServer;
  integrator: Integrator;
  client: PopClient;
  /** Creates a project of the root account; returns its name. */
  project(name: string): Promise<string>;
  /** Puts a document into the stage's bucket; returns its oss:// URI. */
  put(key: string, content: Buffer): Promise<string>;
  /** Adds a view of the integrator app; returns the address of its page. */
  view(name: string, options: Omit<ViewOptions, 'title'> & { title?: string }): string;
  /** A browser page with the watchers on. */
  newPage(browser: Browser | BrowserContext): Promise<Page>;
  /** Adds a view, opens it in a new page and waits until it is ready; the page and its WebOffice frame. */
  openView(browser: Browser, name: string, options: Omit<ViewOptions, 'title'>): Promise<{ page: Page; frame: Frame }>;
  /** Every URL any watched page (its frames and workers too) requested. */
  readonly requestUrls: string[];
  /** The headers of every document-API request (`/office/api/…`). */
  readonly apiRequestHeaders: Promise<Record<string, string>>[];
  readonly cspComplaints: string[];
  /**
   * Asserts no request URL held a token the backend handed out, every document-API request carried the Bearer
   * and holder headers, and the console had no CSP complaint and the pages no uncaught error.
   */
  assertClean(): Promise<void>;
  close(): Promise<void>;
}

const BUCKET = 'browser-docs';

export async function startStage(env: Record<string, string> = {}): Promise<Stage> {
  const server = await startServer(env);
  const client = popClient(server, server.root);
  const integrator = await startIntegrator({ serviceUrl: server.url, credentials: server.root });
  const requestUrls: string[] = [];
  const apiRequestHeaders: Promise<Record<string, string>>[] = [];
  const cspComplaints: string[] = [];
  const stage: Stage = {
    server,
    integrator,
    client,
    async project(name) {
      await client.call('CreateProject', { ProjectName: name });
      return name;
    },
    put: (key, content) => putDocument(server, server.root.AccountId, BUCKET, key, content),
    view(name, options) {
      integrator.addView(name, { title: name, ...options });
      return `${integrator.url}/view/${encodeURIComponent(name)}`;
    },
    async newPage(browser) {
      const page = await browser.newPage({ viewport: { width: 1100, height: 800 } });
      // Every frame (the WebOffice page's too) reports each CSP violation on the console.
      await page.addInitScript(() => {
        document.addEventListener('securitypolicyviolation', (event) =>
          console.error(`Content-Security-Policy violation in ${location.origin}: ${event.violatedDirective} (${event.blockedURI})`),
        );
      });
      page.on('request', (request) => {
        requestUrls.push(request.url());
        if (new URL(request.url()).pathname.startsWith('/office/api/')) apiRequestHeaders.push(request.allHeaders());
      });
      page.on('console', (message) => {
        if (/Content[- ]Security[- ]Policy|Refused to/i.test(message.text())) cspComplaints.push(message.text());
      });
      page.on('pageerror', (error) => void cspComplaints.push(`page error: ${error.message}`));
      return page;
    },
    async openView(browser, name, options) {
      const page = await stage.newPage(browser);
      await page.goto(stage.view(name, options));
      await waitForState(page, 'ready');
      return { page, frame: webofficeFrame(page) };
    },
    requestUrls,
    apiRequestHeaders,
    cspComplaints,
    async assertClean() {
      assert.ok(requestUrls.length > 0, 'the pages made requests');
      assert.ok(integrator.tokensHandedOut.size > 0, 'the backend handed out tokens');
      for (const url of requestUrls) {
        for (const token of integrator.tokensHandedOut) assert.ok(!url.includes(token), `a token was in the URL ${url}`);
        assert.doesNotMatch(url, /token=|accesstoken/i, `a token parameter in ${url}`);
      }
      assert.ok(apiRequestHeaders.length > 0, 'the pages called the document API');
      for (const headers of await Promise.all(apiRequestHeaders)) {
        assert.match(headers.authorization ?? '', /^Bearer [0-9a-f]{32}$/, 'every document-API call carries the access token in Authorization');
        assert.match(headers['x-weboffice-holder'] ?? '', /^[0-9a-f]{32}$/, 'every document-API call carries the holder id');
      }
      assert.deepEqual(cspComplaints, [], 'no Content-Security-Policy complaint, no uncaught page error');
    },
    async close() {
      await integrator.close();
      await server.stop();
    },
  };
  return stage;
}

/** The frame of the WebOffice page inside an integrator's page. */
export function webofficeFrame(page: Page): Frame {
  const frame = page.frames().find((f) => /\/office\/[wspf]\/[0-9a-f]{40}/.test(f.url()));
  assert.ok(frame, 'the integrator page holds the WebOffice page in a frame');
  return frame;
}

/** Waits until the SDK's mount element (`#office` of the integrator page) shows one of `states`; returns it. */
export async function waitForState(page: Page, states: State | State[], timeout = 30_000): Promise<State> {
  const wanted = Array.isArray(states) ? states : [states];
  const handle = await page.waitForFunction((list) => {
    const state = document.getElementById('office')?.dataset.state;
    return state !== undefined && (list as string[]).includes(state) ? state : false;
  }, wanted, { timeout, polling: 100 });
  return (await handle.jsonValue()) as State;
}

/** What the mount element shows: its state and its visible message. */
export async function mountStatus(page: Page): Promise<{ state: string | undefined; message: string; events: string }> {
  return page.evaluate(() => {
    const mount = document.getElementById('office')!;
    const status = mount.querySelector<HTMLElement>('.imm-weboffice-status');
    return { state: mount.dataset.state, message: status?.innerText ?? '', events: document.getElementById('events')!.innerText };
  });
}
