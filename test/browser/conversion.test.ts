/**
 * Every Office format through LibreOffice, in a real Chromium: a .docx, .xlsx, .pptx and legacy .doc, .xls and
 * .ppt are converted to PDF on the server and drawn by the page's PDF viewer with their text, the page showing
 * the conversion's progress while it waits; PreviewPages cuts the converted PDF; Export is refused without its
 * permission and with it carries the watermark; a damaged file, bytes that are not a document and a
 * password-protected document opened without (or with a wrong) password show clear states, and the node stays
 * healthy. Skipped, loudly, without Chromium or LibreOffice.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { browserSuite, launchBrowser } from './helpers/browser.js';
import { mountStatus, startStage, waitForState, webofficeFrame, type Stage } from './helpers/stage.js';
import { libreOfficeSuite, SOFFICE } from '../helpers/libreOffice.js';
import { encrypt, legacyCopy, makeDocx, makePptx, makeXlsx } from '../helpers/officeFixtures.js';
import { documentCall, newHolder } from '../helpers/documentApi.js';
import { pdfText } from '../helpers/pdfs.js';
import { makeDataDir } from '../helpers/server.js';

const READONLY = { Readonly: true };
const browser_ = browserSuite();
const libreOffice = libreOfficeSuite();

describe('documents converted by LibreOffice, in a real browser', { skip: browser_.skip ?? libreOffice.skip, timeout: 300_000 }, () => {
  let stage: Stage;
  let browser: Browser;
  let project: string;
  const documents = new Map<string, { content: Buffer; expect: string[] }>();
  let threePages: Buffer;
  let letter: Buffer;

  before(async () => {
    [stage, browser] = await Promise.all([startStage({ IMM_SOFFICE: SOFFICE! }), launchBrowser()]);
    project = await stage.project('conversions');
    const work = makeDataDir('imm-browser-fixtures-');
    letter = await makeDocx(['A letter for LibreOffice', 'Its second paragraph is shown as well.']);
    const sheet = makeXlsx({ Stock: [['Item', 'Count'], ['Pencils', 144]] });
    const deck = await makePptx(SOFFICE!, work, ['Slides from LibreOffice', 'The second slide']);
    documents.set('letter.docx', { content: letter, expect: ['A letter for LibreOffice', 'Its second paragraph is shown as well.'] });
    documents.set('stock.xlsx', { content: sheet, expect: ['Item', 'Pencils', '144'] });
    documents.set('deck.pptx', { content: deck, expect: ['Slides from LibreOffice', 'The second slide'] });
    documents.set('letter.doc', { content: await legacyCopy(SOFFICE!, work, 'letter.docx', letter, 'doc'), expect: ['A letter for LibreOffice'] });
    documents.set('stock.xls', { content: await legacyCopy(SOFFICE!, work, 'stock.xlsx', sheet, 'xls'), expect: ['Pencils', '144'] });
    documents.set('deck.ppt', { content: await legacyCopy(SOFFICE!, work, 'deck.pptx', deck, 'ppt'), expect: ['Slides from LibreOffice'] });
    threePages = await makeDocx(['Page one of three', 'Page two of three', 'Page three of three'], { pageBreaks: true });
  });
  after(async () => {
    await browser?.close();
    await stage?.close();
  });

  const ready = async () => {
    const response = await fetch(`${stage.server.url}/ready`);
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

  test('/ready says the node converts with LibreOffice', async () => {
    const { status, body } = await ready();
    assert.equal(status, 200);
    assert.equal(body.Converter, 'libreoffice');
    assert.match(stage.server.stdout() + stage.server.stderr(), /"converter":"libreoffice"/);
  });

  let first = true;
  for (const key of ['letter.docx', 'stock.xlsx', 'deck.pptx', 'letter.doc', 'stock.xls', 'deck.ppt']) {
    test(`${key}: converted on the server and drawn by the PDF viewer with its text`, async () => {
      const { content, expect } = documents.get(key)!;
      const url = stage.view(key, { sourceUri: await stage.put(key, content), projectName: project, permission: READONLY });
      const page = await stage.newPage(browser);
      await page.goto(url);
      if (first) {
        first = false;
        // The first conversion takes seconds (LibreOffice starts and makes its profile): the page says why it waits.
        await page.waitForFunction(() => /convert the document to PDF|Converting the document to PDF/.test(document.getElementById('office')?.innerText ?? ''), null, { timeout: 30_000, polling: 50 });
      }
      assert.equal(await waitForState(page, ['ready', 'error'], 60_000), 'ready', JSON.stringify(await mountStatus(page)));
      const frame = webofficeFrame(page);
      assert.equal(await frame.locator('.imm-document').getAttribute('data-viewer'), 'pdf');
      await frame.locator('.imm-pdf-page[data-rendered="true"]').first().waitFor();
      const shown = await frame.locator('.imm-document').innerText();
      for (const text of expect) assert.ok(shown.includes(text), `${key}: ${JSON.stringify(text)} is shown; the view holds ${JSON.stringify(shown)}`);
      await page.close();
    });
  }

  test('PreviewPages 1 shows one page of a three-page .docx: the server cuts the converted PDF', async () => {
    const { page, frame } = await stage.openView(browser, 'preview', {
      sourceUri: await stage.put('three-pages.docx', threePages),
      projectName: project,
      permission: READONLY,
      previewPages: 1,
    });
    await frame.locator('.imm-pdf-page[data-rendered="true"]').first().waitFor();
    assert.equal(await frame.locator('.imm-pdf-page').count(), 1);
    const shown = await frame.locator('.imm-document').innerText();
    assert.ok(shown.includes('Page one of three'), shown);
    assert.ok(!shown.includes('Page two of three') && !shown.includes('Page three of three'), shown);
    await page.close();
  });

  test('Export: not offered and refused by the server without the permission; with it, the PDF of a .docx carries the watermark', async () => {
    const sourceUri = await stage.put('export/letter.docx', letter);
    const watermark = { Type: 1, Value: 'Confidential-42', FillStyle: 'rgba(255, 0, 0, 0.5)' };
    const { page: refused, frame: refusedFrame } = await stage.openView(browser, 'no-export', { sourceUri, projectName: project, permission: { Readonly: true, Print: true }, watermark });
    assert.equal(await refusedFrame.locator('button[data-action="export"]').count(), 0, 'no export button');
    // The server refuses it too: the same access token, asked directly (a new holder takes the session over).
    const token = [...stage.integrator.tokensHandedOut].at(-1)!;
    const holder = newHolder();
    const file = refusedFrame.url();
    assert.equal((await documentCall(stage.server, file, { token, holder, path: '/open' })).status, 200);
    const denied = await documentCall(stage.server, file, { token, holder, path: '/export' });
    assert.equal(denied.status, 403);
    assert.equal(denied.body.Code, 'PermissionDenied');
    await refused.close();

    const { page, frame } = await stage.openView(browser, 'export', { sourceUri, projectName: project, permission: { Readonly: true, Print: true, Export: true }, watermark });
    const [download] = await Promise.all([page.waitForEvent('download'), frame.locator('button[data-action="export"]').click()]);
    assert.equal(download.suggestedFilename(), 'letter.pdf');
    const pages = await pdfText(fs.readFileSync(await download.path()));
    assert.ok(pages.length >= 1);
    assert.ok(pages[0].includes('A letter for LibreOffice'), pages[0]);
    for (const text of pages) assert.ok(text.includes('Confidential-42'), `the watermark is on every page: ${text}`);
    await page.close();
  });

  const openFailing = async (name: string, key: string, content: Buffer, password?: string) => {
    const url = stage.view(name, { sourceUri: await stage.put(key, content), projectName: project, permission: READONLY, ...(password !== undefined && { password }) });
    const page = await stage.newPage(browser);
    await page.goto(url);
    const state = await waitForState(page, ['ready', 'error'], 60_000).catch(async (error: Error) => {
      // What the page showed and what the server logged last, to tell why it never settled.
      throw new Error(`${error.message}\npage: ${JSON.stringify(await mountStatus(page))}\nserver: ${stage.server.stderr().slice(-3000)}`);
    });
    const status = await mountStatus(page);
    const documentShown = await webofficeFrame(page).locator('.imm-document').count();
    await page.close();
    return { state, message: status.message, documentShown };
  };

  test('a damaged .docx and random bytes named .docx show clear states, and the node stays healthy', async () => {
    const cut = await openFailing('cut', 'damaged/cut.docx', letter.subarray(0, Math.floor(letter.length / 2)));
    assert.equal(cut.state, 'error');
    assert.match(cut.message, /This document is damaged and cannot be shown\. .*cut short/);
    assert.equal(cut.documentShown, 0);
    const random = await openFailing('random', 'damaged/random.docx', randomBytes(8192));
    assert.equal(random.state, 'error');
    assert.match(random.message, /not what its name says.*not a Word document \(\.docx\)/);
    assert.equal((await ready()).status, 200, 'the node is still ready');
    const { page } = await stage.openView(browser, 'after-damage', { sourceUri: await stage.put('damaged/after.docx', letter), projectName: project, permission: READONLY });
    await page.close();
  });

  test('a password-protected .docx: without its password, or with a wrong one, a clear state; with it, its text', async () => {
    const locked = encrypt(await makeDocx(['Only for those who know the password']), 'open sesame');
    const without = await openFailing('locked-without', 'locked/report.docx', locked);
    assert.equal(without.state, 'error');
    assert.match(without.message, /protected by a password, and none was given/);
    assert.equal(without.documentShown, 0);
    const wrong = await openFailing('locked-wrong', 'locked/report.docx', locked, 'guess');
    assert.equal(wrong.state, 'error');
    assert.match(wrong.message, /password given for this document does not open it/);
    const { page, frame } = await stage.openView(browser, 'locked-right', { sourceUri: await stage.put('locked/report.docx', locked), projectName: project, permission: READONLY, password: 'open sesame' });
    await frame.locator('.imm-pdf-page[data-rendered="true"]').first().waitFor();
    assert.ok((await frame.locator('.imm-document').innerText()).includes('Only for those who know the password'));
    await page.close();
    assert.equal((await ready()).status, 200, 'the node is still ready');
  });

  test('no request carried a token in its URL; every document-API call had the headers; nothing broke the CSP', async () => {
    await stage.assertClean();
  });
});
