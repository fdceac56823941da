/**
 * The page renders each format's text in a real Chromium, inside an integrator's page of another origin that
 * uses the JS SDK exactly as an IMM integrator's page does; formats that need the server-side converter say
 * so; a long PDF is drawn a page at a time. No request carries a token in its URL, and nothing breaks the
 * page's strict CSP (pdf.js and the bundles run under it).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { csvDocument, docxDocument, pdfDocument, textDocument, xlsxDocument } from '../../scripts/demo/sampleDocuments.js';
import { browserSuite, launchBrowser } from './helpers/browser.js';
import { mountStatus, startStage, waitForState, webofficeFrame, type Stage } from './helpers/stage.js';

const READONLY = { Readonly: true };

describe('the page renders documents in a real browser', browserSuite(), () => {
  let stage: Stage;
  let browser: Browser;
  let project: string;

  before(async () => {
    [stage, browser] = await Promise.all([startStage(), launchBrowser()]);
    project = await stage.project('viewers');
  });
  after(async () => {
    await browser?.close();
    await stage?.close();
  });

  const formats: Array<{ key: string; make: () => Promise<Buffer> | Buffer; expect: string[] }> = [
    { key: 'report.pdf', make: () => pdfDocument([['Quarterly report', 'Revenue grew in every region.']]), expect: ['Quarterly report', 'Revenue grew in every region.'] },
    { key: 'letter.docx', make: () => docxDocument(['Dear reader', 'This paragraph came from a docx file.']), expect: ['Dear reader', 'This paragraph came from a docx file.'] },
    {
      key: 'budget.xlsx',
      make: () => xlsxDocument({ Costs: [['Item', 'Amount'], ['Servers', 1200]], Second: [['Only on the second sheet']] }),
      expect: ['Item', 'Amount', 'Servers', '1200'],
    },
    { key: 'notes.txt', make: () => textDocument('First line of the notes\n<b>not markup</b>\n'), expect: ['First line of the notes', '<b>not markup</b>'] },
    { key: 'people.csv', make: () => csvDocument([['Name', 'City'], ['Alice', 'Hangzhou, Zhejiang']]), expect: ['Name', 'City', 'Alice', 'Hangzhou, Zhejiang'] },
  ];

  for (const format of formats) {
    test(`${format.key}: its text is shown, and the SDK says the view is ready`, async () => {
      const url = stage.view(format.key, { sourceUri: await stage.put(format.key, await format.make()), projectName: project, permission: READONLY });
      const page = await stage.newPage(browser);
      await page.goto(url);
      assert.equal(await waitForState(page, ['ready', 'error']), 'ready', JSON.stringify(await mountStatus(page)));
      const shown = await webofficeFrame(page).locator('.imm-document').innerText();
      for (const text of format.expect) assert.ok(shown.includes(text), `${JSON.stringify(text)} is shown; the view holds ${JSON.stringify(shown)}`);
      if (format.key.endsWith('.txt')) assert.equal(await webofficeFrame(page).locator('.imm-document b').count(), 0, 'text is never parsed as markup');
      await page.close();
    });
  }

  test('a spreadsheet shows each sheet as a tab', async () => {
    const { page, frame } = await stage.openView(browser, 'sheets', {
      sourceUri: await stage.put('sheets.xlsx', xlsxDocument({ First: [['on the first sheet']], Second: [['on the second sheet']] })),
      projectName: project,
      permission: READONLY,
    });
    assert.ok((await frame.locator('.imm-document').innerText()).includes('on the first sheet'));
    await frame.getByRole('tab', { name: 'Second' }).click();
    await frame.getByText('on the second sheet').waitFor();
    assert.ok(!(await frame.locator('.imm-document').innerText()).includes('on the first sheet'));
    await page.close();
  });

  test('PreviewPages keeps a .docx to its first pages (the server cuts only PDFs)', async () => {
    const paragraphs = ['Page one', 'Page two', 'Page three', 'Page four'];
    const { page, frame } = await stage.openView(browser, 'preview-pages', {
      sourceUri: await stage.put('four-pages.docx', await docxDocument(paragraphs, { pageBreaks: true })),
      projectName: project,
      permission: READONLY,
      previewPages: 2,
    });
    const shown = await frame.locator('.imm-document').innerText();
    assert.ok(shown.includes('Page one') && shown.includes('Page two'), shown);
    assert.ok(!shown.includes('Page three') && !shown.includes('Page four'), shown);
    assert.match(shown, /first 2 of 4 pages/);
    await page.close();
  });

  test('a failure of the service while opening is tried again, and the document opens', async () => {
    const url = stage.view('flaky', { sourceUri: await stage.put('flaky.txt', textDocument('Opened on the second try')), projectName: project, permission: READONLY });
    const page = await stage.newPage(browser);
    let opens = 0;
    // The first open meets a service that is briefly unavailable.
    await page.route(/\/office\/api\/v1\/files\/[0-9a-f]{40}\/open$/, (route) =>
      ++opens === 1 ? route.fulfill({ status: 503, contentType: 'application/json', body: JSON.stringify({ Code: 'ServiceUnavailable', Message: 'busy' }) }) : route.continue(),
    );
    await page.goto(url);
    assert.equal(await waitForState(page, ['ready', 'error']), 'ready');
    assert.equal(opens, 2);
    assert.ok((await webofficeFrame(page).locator('.imm-document').innerText()).includes('Opened on the second try'));
    await page.close();
  });

  test('a format that needs the server-side converter says so, in words, instead of a broken page', async () => {
    const url = stage.view('slides', { sourceUri: await stage.put('slides.pptx', Buffer.from('a presentation')), projectName: project, permission: READONLY });
    const page = await stage.newPage(browser);
    await page.goto(url);
    assert.equal(await waitForState(page, ['ready', 'error']), 'error');
    const status = await mountStatus(page);
    assert.match(status.message, /\.pptx documents can be shown only by the server-side converter/);
    const frame = webofficeFrame(page);
    assert.match(await frame.locator('.imm-message').innerText(), /server-side converter/);
    assert.equal(await frame.locator('.imm-document').count(), 0);
    await page.close();
  });

  test('a long PDF is drawn a page at a time, as its pages scroll into view', async () => {
    const pages = Array.from({ length: 40 }, (_, i) => [`Page ${i + 1} of the long document`]);
    const { page, frame } = await stage.openView(browser, 'long', { sourceUri: await stage.put('long.pdf', await pdfDocument(pages)), projectName: project, permission: READONLY });
    assert.equal(await frame.locator('.imm-pdf-page').count(), 40, 'every page has its place');
    const drawnAtFirst = await frame.locator('.imm-pdf-page[data-rendered="true"]').count();
    assert.ok(drawnAtFirst >= 1 && drawnAtFirst < 10, `only the first pages are drawn at first (${drawnAtFirst})`);
    assert.equal(await frame.locator('[data-page-number="40"] canvas').count(), 0, 'the last page is not drawn yet');

    await frame.locator('[data-page-number="40"]').scrollIntoViewIfNeeded();
    await frame.locator('[data-page-number="40"][data-rendered="true"]').waitFor({ timeout: 30_000 });
    assert.ok((await frame.locator('[data-page-number="40"]').innerText()).includes('Page 40 of the long document'));
    const drawnAfter = await frame.locator('.imm-pdf-page[data-rendered="true"]').count();
    assert.ok(drawnAfter < 40, `pages passed over quickly need not all be drawn (${drawnAfter})`);
    await page.close();
  });

  test('no request of any page carried a token in its URL; every document-API call had the Bearer and holder headers; nothing broke the CSP', async () => {
    await stage.assertClean();
  });
});
