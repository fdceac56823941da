/**
 * How a view ends, and whom it listens to, in a real Chromium: deleting the project shuts the open page out
 * (`revoked`), a second holder of the same token supersedes the first (`superseded`), each in words a person
 * understands and with the document gone from the DOM; the page takes a token only from its parent window,
 * and the SDK takes state only from its own iframe.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { pdfDocument, textDocument } from '../../scripts/demo/sampleDocuments.js';
import { browserSuite, launchBrowser } from './helpers/browser.js';
import { mountStatus, startStage, waitForState, webofficeFrame, type Stage } from './helpers/stage.js';

describe('the view is shut out when its session ends, and hears only its own windows', browserSuite(), () => {
  let stage: Stage;
  let browser: Browser;
  let notes: string;

  before(async () => {
    [stage, browser] = await Promise.all([startStage(), launchBrowser()]);
    notes = await stage.put('notes.txt', textDocument('The document being read'));
  });
  after(async () => {
    await browser?.close();
    await stage?.close();
  });

  test('deleting the project shuts the open page out: revoked, in words, the document removed', async () => {
    const project = await stage.project('to-delete');
    const { page, frame } = await stage.openView(browser, 'revoked', { sourceUri: await stage.put('report.pdf', await pdfDocument([['A report about to be withdrawn']])), projectName: project, permission: { Readonly: true } });
    assert.ok((await frame.locator('.imm-document').innerText()).includes('A report about to be withdrawn'));

    await stage.client.call('DeleteProject', { ProjectName: project });
    await waitForState(page, 'revoked');
    const status = await mountStatus(page);
    assert.match(status.message, /Access to this document has been withdrawn/);
    assert.match(status.events, /revoked: Access to this document has been withdrawn/);
    assert.match(await frame.locator('.imm-message').innerText(), /withdrawn/);
    assert.equal(await frame.locator('.imm-document, .imm-toolbar').count(), 0, 'the document is out of the DOM');
    assert.ok(!(await frame.locator('body').innerText()).includes('A report about to be withdrawn'));
    await page.close();
  });

  test('a second holder of the same token supersedes the first, which says why and drops the document', async () => {
    const project = await stage.project('shared-token');
    const { page: first } = await stage.openView(browser, 'superseded', { sourceUri: notes, projectName: project, permission: { Readonly: true } });
    const sameToken = await first.locator('#same-token').getAttribute('href');
    assert.ok(sameToken);

    const second = await stage.newPage(browser);
    await second.goto(new URL(sameToken, stage.integrator.url).href);
    await waitForState(second, 'ready');
    await waitForState(first, 'superseded');
    const status = await mountStatus(first);
    assert.match(status.message, /opened in another window or tab with the same access/);
    const firstFrame = webofficeFrame(first);
    assert.equal(await firstFrame.locator('.imm-document').count(), 0, 'the document is out of the first page');
    assert.match(await firstFrame.locator('.imm-message').innerText(), /another window or tab/);

    // The second page keeps the document.
    assert.equal((await mountStatus(second)).state, 'ready');
    assert.ok((await webofficeFrame(second).locator('.imm-document').innerText()).includes('The document being read'));
    await Promise.all([first.close(), second.close()]);
  });

  test('the SDK ignores state posted by any window but its iframe; save() answers nochange', async () => {
    const project = await stage.project('forged-state');
    const { page } = await stage.openView(browser, 'forged-state', { sourceUri: notes, projectName: project, permission: { Readonly: true } });
    const saved = await page.evaluate(async () => {
      window.postMessage({ source: 'imm-weboffice', type: 'state', state: 'revoked', message: 'forged' }, '*');
      // The page answers save() through the iframe, after the forged message was delivered.
      return (window as unknown as { weboffice: { save(): Promise<unknown> } }).weboffice.save();
    });
    assert.deepEqual(saved, { result: 'nochange' });
    const status = await mountStatus(page);
    assert.equal(status.state, 'ready');
    assert.doesNotMatch(status.events, /forged/);
    await page.close();
  });

  test('the page takes a token only from its parent window', async () => {
    const project = await stage.project('foreign-token');
    stage.view('foreign-token', { sourceUri: notes, projectName: project, permission: { Readonly: true } });
    const response = await fetch(`${stage.integrator.url}/api/views/foreign-token/token`, { method: 'POST' });
    const issued = (await response.json()) as { WebofficeURL: string; AccessToken: string; Timeout: number };

    // An integrator page without the SDK embeds the WebOffice page; another window of the same origin (a popup
    // it opened) posts a token to that frame.
    const page = await stage.newPage(browser);
    const opens: string[] = [];
    page.on('request', (request) => void (request.url().endsWith('/open') && opens.push(request.url())));
    await page.goto(`${stage.integrator.url}/`);
    await page.evaluate(
      (src) =>
        new Promise((resolve) => {
          const frame = document.createElement('iframe');
          frame.addEventListener('load', resolve);
          frame.src = src;
          document.body.append(frame);
        }),
      issued.WebofficeURL,
    );
    const frame = webofficeFrame(page);
    await frame.locator('.imm-message', { hasText: 'Waiting for the application' }).waitFor();
    const [popup] = await Promise.all([page.waitForEvent('popup'), page.evaluate((href) => void window.open(href), `${stage.integrator.url}/`)]);
    await popup.waitForLoadState();
    const forged = randomBytes(16).toString('hex');
    await popup.evaluate((token) => window.opener.frames[0].postMessage({ source: 'imm-weboffice', type: 'token', token, timeout: 60_000 }, '*'), forged);
    // Give the frame ample time to (wrongly) act on it: opening would be a POST …/open.
    await popup.evaluate(() => new Promise((resolve) => setTimeout(resolve, 2_000)));
    assert.equal(opens.length, 0, 'a token from a window that is not the parent is ignored');
    assert.match(await frame.locator('.imm-message').innerText(), /Waiting for the application/);

    // The parent's token is taken.
    const [open] = await Promise.all([
      page.waitForRequest((request) => request.url().endsWith('/open')),
      page.evaluate(({ token, timeout, origin }) => window.frames[0].postMessage({ source: 'imm-weboffice', type: 'token', token, timeout }, origin), {
        token: issued.AccessToken,
        timeout: issued.Timeout,
        origin: new URL(issued.WebofficeURL).origin,
      }),
    ]);
    assert.equal((await open.allHeaders()).authorization, `Bearer ${issued.AccessToken}`);
    await frame.locator('.imm-document', { hasText: 'The document being read' }).waitFor();
    await Promise.all([popup.close(), page.close()]);
  });

  test('no request carried a token in its URL; every document-API call had the headers; nothing broke the CSP', async () => {
    await stage.assertClean();
  });
});
