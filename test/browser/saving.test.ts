/**
 * Editing and saving in the page, in a real Chromium, with short tokens (IMM_ACCESS_TOKEN_TTL=10 s, so the SDK
 * refreshes 2.5 s before expiry): a .txt edited after the first automatic refresh and saved with `ins.save()`
 * arrives as a new version, its notification reaches a test receiver signed, the SDK's `save` event reports it,
 * and History lists and opens both versions; a stale save is 409 and the page offers to reload the newer
 * version; a .csv is an editable grid; Readonly shows no editor and the server refuses its save; other formats
 * say they are view-only.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, Frame, Page } from 'playwright-core';
import { csvDocument, textDocument, xlsxDocument } from '../../scripts/demo/sampleDocuments.js';
import { browserSuite, launchBrowser } from './helpers/browser.js';
import { mountStatus, startStage, type Stage } from './helpers/stage.js';
import { startNotifyReceiver, type NotifyReceiver } from '../helpers/notifyReceiver.js';
import { documentCall, newHolder } from '../helpers/documentApi.js';

const TTL_SECONDS = 10;
const SECRET = 'a shared secret for the test receiver';

async function eventually(condition: () => boolean, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** `ins.save()` of the integrator page: its result, or the code and message it rejected with. */
function saveFromSdk(page: Page): Promise<{ result?: string; code?: string; message?: string }> {
  return page.evaluate(async () => {
    const ins = (window as unknown as { weboffice: { save(): Promise<{ result: string }> } }).weboffice;
    try {
      return await ins.save();
    } catch (error) {
      return { code: (error as { code?: string }).code, message: (error as Error).message };
    }
  });
}

const editorText = (frame: Frame) => frame.locator('textarea.imm-text-editor').inputValue();

describe('editing and saving in the page', browserSuite(), () => {
  let stage: Stage;
  let browser: Browser;
  let receiver: NotifyReceiver;
  let project: string;

  before(async () => {
    receiver = await startNotifyReceiver(SECRET);
    [stage, browser] = await Promise.all([
      startStage({ IMM_ACCESS_TOKEN_TTL: String(TTL_SECONDS), IMM_NOTIFY_TOPICS: `doc-saves=${receiver.url}`, IMM_NOTIFY_SECRET: SECRET }),
      launchBrowser(),
    ]);
    project = await stage.project('saving');
  });
  after(async () => {
    await browser?.close();
    await stage?.close();
    await receiver?.close();
  });

  test('a text edit saved after the first refresh is a new version, announced signed; History shows and opens both', async () => {
    const uri = await stage.put('notes.txt', textDocument('The first line\n'));
    const view = { sourceUri: uri, projectName: project, permission: { Readonly: false, History: true }, user: { Id: 'u5', Name: 'Erin' }, notifyTopicName: 'doc-saves', userData: 'case-42' };
    const { page, frame } = await stage.openView(browser, 'notes', view);
    const firstToken = [...stage.integrator.tokensHandedOut].at(-1)!;
    const puts: Promise<Record<string, string>>[] = [];
    page.on('request', (request) => void (request.method() === 'PUT' && puts.push(request.allHeaders())));
    assert.equal(await editorText(frame), 'The first line\n');

    const refreshed = stage.integrator.refreshes.succeeded;
    await eventually(() => stage.integrator.refreshes.succeeded > refreshed, 'the SDK refreshed the token');
    const edited = 'The first line\nA second line, written after a refresh\n';
    await frame.locator('textarea.imm-text-editor').fill(edited);
    assert.deepEqual(await saveFromSdk(page), { result: 'ok' });

    const [put] = await Promise.all(puts);
    assert.notEqual(put.authorization, `Bearer ${firstToken}`, 'saved with the refreshed token');
    assert.match(put['if-match'], /^"[0-9A-F]{32}"$/);
    const delivered = await receiver.waitFor((event) => event.SourceURI === uri && event.Version === 2);
    assert.ok(delivered.signed, 'the notification verifies with the configured secret');
    assert.deepEqual([delivered.event.ProjectName, delivered.event.User.Id, delivered.event.UserData, delivered.event.Size], [project, 'u5', 'case-42', Buffer.byteLength(edited)]);
    assert.match((await mountStatus(page)).events, /save: ok \(version 2\)/);
    assert.match(await frame.locator('.imm-notice').innerText(), /Saved as a new version/);
    assert.deepEqual(await saveFromSdk(page), { result: 'nochange' }, 'nothing edited since');

    await frame.locator('button[data-action="history"]').click();
    const items = frame.locator('.imm-history-list li');
    await items.first().waitFor();
    assert.deepEqual(await items.evaluateAll((list) => list.map((li) => (li as HTMLElement).dataset.version)), ['2', '1']);
    await frame.locator('.imm-history-list li[data-version="1"] button').click();
    await frame.locator('.imm-history-preview[data-version="1"]').waitFor();
    const one = await frame.locator('.imm-history-preview').innerText();
    assert.match(one, /The first line/);
    assert.doesNotMatch(one, /second line/);
    await frame.locator('.imm-history-list li[data-version="2"] button').click();
    await frame.locator('.imm-history-preview[data-version="2"]').waitFor();
    assert.match(await frame.locator('.imm-history-preview').innerText(), /A second line, written after a refresh/);
    await page.close();
  });

  test('a stale save gets 409: the page offers to reload the newer version, and saving after reloading works', async () => {
    const uri = await stage.put('shared.txt', textDocument('Shared notes\n'));
    const view = { sourceUri: uri, projectName: project, permission: { Readonly: false } };
    const alice = await stage.openView(browser, 'shared-alice', view);
    const bob = await stage.openView(browser, 'shared-bob', view);
    const responses: number[] = [];
    alice.page.on('response', (response) => void (response.request().method() === 'PUT' && responses.push(response.status())));

    await bob.frame.locator('textarea.imm-text-editor').fill('Shared notes\nBob saved first\n');
    assert.deepEqual(await saveFromSdk(bob.page), { result: 'ok' });
    await alice.frame.locator('textarea.imm-text-editor').fill('Shared notes\nAlice was too late\n');
    const stale = await saveFromSdk(alice.page);
    assert.equal(stale.code, 'VersionConflict', JSON.stringify(stale));
    assert.deepEqual(responses, [409]);
    const banner = alice.frame.locator('.imm-conflict');
    await banner.waitFor();
    assert.match(await banner.innerText(), /Someone saved a newer version/);
    assert.match((await mountStatus(alice.page)).events, /save: conflict/);

    await banner.locator('button.imm-reload').click();
    await banner.waitFor({ state: 'hidden' });
    assert.equal(await editorText(alice.frame), 'Shared notes\nBob saved first\n');
    await alice.frame.locator('textarea.imm-text-editor').fill('Shared notes\nBob saved first\nAlice after reloading\n');
    await alice.frame.locator('button[data-action="save"]').click();
    await alice.frame.locator('.imm-notice', { hasText: 'Saved as a new version' }).waitFor();
    assert.deepEqual(responses, [409, 200]);
    await Promise.all([alice.page.close(), bob.page.close()]);
  });

  test('a .csv is an editable grid; the saved version is the edited table', async () => {
    const uri = await stage.put('people.csv', csvDocument([['Name', 'City'], ['Alice', 'Hangzhou']]));
    const { page, frame } = await stage.openView(browser, 'people', { sourceUri: uri, projectName: project, permission: { Readonly: false, History: true } });
    await frame.locator('input[aria-label="B2"]').fill('Shanghai, China');
    await frame.locator('button[data-action="save"]').click();
    await frame.locator('.imm-notice', { hasText: 'Saved as a new version' }).waitFor();
    await frame.locator('button[data-action="history"]').click();
    await frame.locator('.imm-history-list li[data-version="2"] button').click();
    await frame.locator('.imm-history-preview[data-version="2"] td', { hasText: 'Shanghai, China' }).waitFor();
    await page.close();
  });

  test('Readonly: no editor, ins.save() is nochange, and the server refuses a save with its token (403)', async () => {
    const uri = await stage.put('fixed.txt', textDocument('Read, not written\n'));
    const { page, frame } = await stage.openView(browser, 'fixed', { sourceUri: uri, projectName: project, permission: { Readonly: true } });
    assert.equal(await frame.locator('textarea').count(), 0);
    assert.equal(await frame.locator('button[data-action="save"]').count(), 0);
    assert.deepEqual(await saveFromSdk(page), { result: 'nochange' });
    const token = [...stage.integrator.tokensHandedOut].at(-1)!;
    const webofficeUrl = frame.url();
    const holder = newHolder();
    assert.equal((await documentCall(stage.server, webofficeUrl, { token, holder, path: '/open' })).status, 200);
    const refused = await documentCall(stage.server, webofficeUrl, { token, holder, path: '/content', method: 'PUT', body: 'overwritten', headers: { 'content-type': 'text/plain', 'if-match': '"00000000000000000000000000000000"' } });
    assert.equal(refused.status, 403, JSON.stringify(refused.body));
    assert.equal(refused.body.Code, 'PermissionDenied');
    await page.close();
  });

  test('other formats stay view-only, and the page says so when Readonly is false', async () => {
    const uri = await stage.put('figures.xlsx', xlsxDocument({ Figures: [['Year', 'Total'], ['2026', 7]] }));
    const { page, frame } = await stage.openView(browser, 'figures', { sourceUri: uri, projectName: project, permission: { Readonly: false } });
    assert.match(await frame.locator('.imm-view-only').innerText(), /\.xlsx documents are view-only here/);
    assert.equal(await frame.locator('button[data-action="save"]').count(), 0);
    assert.equal(await frame.locator('input.imm-cell, textarea').count(), 0);
    await page.close();
  });

  test('no request carried a token in its URL; every document-API call had the headers; nothing broke the CSP', async () => {
    await stage.assertClean();
  });
});
