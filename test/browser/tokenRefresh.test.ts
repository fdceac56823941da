/**
 * The JS SDK keeps the view's access token alive, in a real Chromium, with short tokens
 * (IMM_ACCESS_TOKEN_TTL=10 s, so the SDK refreshes 2.5 s before expiry): the integrator's backend refreshes
 * through RefreshWebofficeToken with pop-core, the SDK hands each new token to the page by postMessage, and the
 * view stays; a failed refresh is retried while the token still works; callers asking while a refresh is in
 * flight share it; a refresh that keeps failing ends in `expired`, in words.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { textDocument } from '../../scripts/demo/sampleDocuments.js';
import { browserSuite, launchBrowser } from './helpers/browser.js';
import { mountStatus, startStage, waitForState, webofficeFrame, type Stage } from './helpers/stage.js';

const TTL_SECONDS = 10;

/** Waits (polling, as the test cannot be told) until `condition` holds. */
async function eventually(condition: () => boolean, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('the SDK refreshes the access token before it expires', browserSuite(), () => {
  let stage: Stage;
  let browser: Browser;
  let url: string;

  before(async () => {
    [stage, browser] = await Promise.all([startStage({ IMM_ACCESS_TOKEN_TTL: String(TTL_SECONDS) }), launchBrowser()]);
    const project = await stage.project('refresh');
    url = stage.view('notes', { sourceUri: await stage.put('notes.txt', textDocument('Notes that stay open')), projectName: project, permission: { Readonly: true } });
  });
  after(async () => {
    await browser?.close();
    await stage?.close();
  });

  async function openNotes(): Promise<Page> {
    const page = await stage.newPage(browser);
    await page.goto(url);
    await waitForState(page, 'ready');
    return page;
  }

  async function stillShown(page: Page): Promise<void> {
    const status = await mountStatus(page);
    assert.equal(status.state, 'ready', JSON.stringify(status));
    assert.doesNotMatch(status.events, /expired|error/);
    assert.ok((await webofficeFrame(page).locator('.imm-document').innerText()).includes('Notes that stay open'));
  }

  test('several refreshes, each token handed to the page, and the view stays open past many lifetimes', async () => {
    const page = await openNotes();
    const headersBefore = stage.apiRequestHeaders.length;
    const start = stage.integrator.refreshes.succeeded;
    await eventually(() => stage.integrator.refreshes.succeeded >= start + 3, 'three refreshes');
    // Three refreshes take more than two lifetimes of the first token: the page can only still poll because
    // it was handed each new token.
    await waitForState(page, 'ready');
    await stillShown(page);
    const bearers = new Set((await Promise.all(stage.apiRequestHeaders.slice(headersBefore))).map((headers) => headers.authorization));
    assert.ok(bearers.size >= 3, `the page called the document API with each new token (${bearers.size} tokens)`);
    assert.match((await mountStatus(page)).events, /refreshing: Renewing your access/);
    await page.close();
  });

  test('a failed refresh is retried, with backoff, while the current token still works', async () => {
    const page = await openNotes();
    const { refused, succeeded } = stage.integrator.refreshes;
    stage.integrator.failRefreshes(1);
    await eventually(() => stage.integrator.refreshes.refused === refused + 1 && stage.integrator.refreshes.succeeded > succeeded, 'a refused refresh, then a successful one');
    await waitForState(page, 'ready');
    await stillShown(page);
    await page.close();
  });

  test('callers asking while a refresh is in flight share that one refresh', async () => {
    const page = await openNotes();
    stage.integrator.delayRefreshes(2_000);
    try {
      await waitForState(page, 'refreshing');
      const requested = stage.integrator.refreshes.requested;
      // Waking up (tab shown again, back online) asks the SDK to refresh when one is due, as it is now.
      await page.evaluate(() => {
        for (let i = 0; i < 5; i++) document.dispatchEvent(new Event('visibilitychange'));
        window.dispatchEvent(new Event('online'));
      });
      await waitForState(page, 'ready');
      assert.equal(stage.integrator.refreshes.requested, requested, 'no second refresh request while one was in flight');
    } finally {
      stage.integrator.delayRefreshes(0);
    }
    await stillShown(page);
    await page.close();
  });

  test('a refresh that keeps failing ends in expired, in words, the document gone; a new token brings it back', async () => {
    const page = await openNotes();
    stage.integrator.failRefreshes(Number.MAX_SAFE_INTEGER);
    const frame = webofficeFrame(page);
    try {
      await waitForState(page, 'expired');
      assert.match((await mountStatus(page)).message, /Your access to this document has expired/);
      await frame.locator('.imm-message', { hasText: 'has expired' }).waitFor();
      assert.equal(await frame.locator('.imm-document').count(), 0, 'the document is out of the page');
    } finally {
      stage.integrator.failRefreshes(0);
    }
    // The integrator hands over a fresh token (its backend refreshed the session): the view opens again.
    const handle = new URL((await page.locator('#same-token').getAttribute('href'))!, stage.integrator.url).searchParams.get('session');
    const fresh = (await (await fetch(`${stage.integrator.url}/api/sessions/${handle}/refresh`, { method: 'POST' })).json()) as { AccessToken: string; Timeout: number };
    await page.evaluate(({ token, timeout }) => (window as unknown as { weboffice: { setToken(info: object): void } }).weboffice.setToken({ token, timeout }), {
      token: fresh.AccessToken,
      timeout: fresh.Timeout,
    });
    await waitForState(page, 'ready');
    assert.ok((await frame.locator('.imm-document').innerText()).includes('Notes that stay open'));
    await page.close();
  });

  test('no request carried a token in its URL; every document-API call had the headers; nothing broke the CSP', async () => {
    await stage.assertClean();
  });
});
