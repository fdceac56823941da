/**
 * What the session's options do to the page, in a real Chromium: the text watermark is drawn over every page
 * (found by its colour in screenshots), the toolbar offers print / export / copy only when granted, Hidecmb
 * hides it, the viewer's name is shown, copy and print are refused when not granted, and export downloads the
 * PDF through fetch with the Bearer header.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, describe, test } from 'node:test';
import type { Browser, Frame, Page } from 'playwright-core';
import { PNG } from 'pngjs';
import { csvDocument, pdfDocument } from '../../scripts/demo/sampleDocuments.js';
import { browserSuite, launchBrowser } from './helpers/browser.js';
import { startStage, waitForState, webofficeFrame, type Stage } from './helpers/stage.js';

/** Pixels of a screenshot that are clearly the watermark's red (rgba(255, 0, 0, 0.6) over white or grey). */
async function redPixels(page: Page): Promise<number> {
  const png = PNG.sync.read(await page.screenshot());
  let count = 0;
  for (let i = 0; i < png.data.length; i += 4) {
    const [r, g, b] = [png.data[i], png.data[i + 1], png.data[i + 2]];
    if (r > 180 && g < 140 && b < 140) count++;
  }
  return count;
}

/** Whether a table cell of the view can be selected, and whether a copy event there is refused. */
function copyability(frame: Frame): Promise<{ userSelect: string; copyPrevented: boolean }> {
  return frame.evaluate(() => {
    const cell = document.querySelector('.imm-document td')!;
    const copy = new ClipboardEvent('copy', { bubbles: true, cancelable: true });
    cell.dispatchEvent(copy);
    return { userSelect: getComputedStyle(cell).userSelect, copyPrevented: copy.defaultPrevented };
  });
}

/** How the document container is displayed (under print media: whether it is printed). */
function printedDisplay(frame: Frame): Promise<string> {
  return frame.locator('.imm-document').evaluate((element) => getComputedStyle(element).display);
}

const WATERMARK = { Type: 1, Value: 'WATERMARK CHECK', FillStyle: 'rgba(255, 0, 0, 0.6)', Font: 'bold 28px sans-serif', Rotate: -0.5, Horizontal: 40, Vertical: 60 };

describe('the page applies the session permissions and watermark', browserSuite(), () => {
  let stage: Stage;
  let browser: Browser;
  let project: string;
  let pdf: string;
  let csv: string;

  before(async () => {
    [stage, browser] = await Promise.all([startStage(), launchBrowser()]);
    project = await stage.project('permissions');
    const pages = [1, 2, 3].map((n) => [`Watermarked page ${n}`, 'Plain black text on white.']);
    [pdf, csv] = await Promise.all([stage.put('three.pdf', await pdfDocument(pages)), stage.put('table.csv', csvDocument([['Name'], ['Alice']]))]);
  });
  after(async () => {
    await browser?.close();
    await stage?.close();
  });

  test('the text watermark is visible over the document, over every page, and absent without one', async () => {
    const { page: marked, frame } = await stage.openView(browser, 'marked', { sourceUri: pdf, projectName: project, permission: { Readonly: true }, watermark: WATERMARK });
    assert.ok((await redPixels(marked)) > 500, 'the watermark colour is in the screenshot');

    // The overlay spans every page and lies above them, letting the pointer through.
    const layout = await frame.evaluate(() => {
      const overlay = document.querySelector<HTMLElement>('.imm-watermark')!;
      const box = overlay.getBoundingClientRect();
      const pages = [...document.querySelectorAll('.imm-pdf-page')].map((p) => p.getBoundingClientRect());
      return {
        covers: pages.every((p) => p.top >= box.top && p.bottom <= box.bottom && p.left >= box.left && p.right <= box.right),
        pages: pages.length,
        pointerEvents: getComputedStyle(overlay).pointerEvents,
        zIndex: Number(getComputedStyle(overlay).zIndex),
      };
    });
    assert.deepEqual({ covers: layout.covers, pages: layout.pages, pointerEvents: layout.pointerEvents }, { covers: true, pages: 3, pointerEvents: 'none' });
    assert.ok(layout.zIndex > 0);
    await frame.locator('[data-page-number="3"]').scrollIntoViewIfNeeded();
    await frame.locator('[data-page-number="3"][data-rendered="true"]').waitFor();
    assert.ok((await redPixels(marked)) > 500, 'the watermark is over the last page too');

    const { page: plain } = await stage.openView(browser, 'plain', { sourceUri: pdf, projectName: project, permission: { Readonly: true } });
    assert.equal(await redPixels(plain), 0, 'without a watermark there is none of its colour');
    await Promise.all([marked.close(), plain.close()]);
  });

  test('the toolbar offers only what is granted, and shows who is viewing', async () => {
    const avatar = `${stage.integrator.url}/avatar.png`;
    const page = await stage.newPage(browser);
    await page.goto(
      stage.view('print-copy', { sourceUri: pdf, projectName: project, permission: { Readonly: true, Print: true, Copy: true }, user: { Id: 'u1', Name: 'Alice', Avatar: avatar } }),
    );
    await waitForState(page, 'ready');
    const frame = webofficeFrame(page);
    assert.deepEqual(await frame.locator('.imm-toolbar button').evaluateAll((buttons) => buttons.map((b) => (b as HTMLElement).dataset.action)), ['print', 'copy']);
    assert.equal(await frame.locator('.imm-user-name').innerText(), 'Alice');
    assert.equal(await frame.locator('.imm-avatar').getAttribute('src'), avatar);

    const { page: none, frame: noneFrame } = await stage.openView(browser, 'nothing-granted', { sourceUri: csv, projectName: project, permission: { Readonly: true }, user: { Id: 'u2', Name: 'Bob' } });
    assert.equal(await noneFrame.locator('.imm-toolbar button').count(), 0);
    assert.equal(await noneFrame.locator('.imm-user-name').innerText(), 'Bob');
    await Promise.all([page.close(), none.close()]);
  });

  test('Hidecmb hides the toolbar', async () => {
    const { page, frame } = await stage.openView(browser, 'hidden-toolbar', { sourceUri: csv, projectName: project, permission: { Readonly: true, Print: true, Export: true, Copy: true }, hidecmb: true });
    assert.equal(await frame.locator('.imm-toolbar').count(), 0);
    assert.ok((await frame.locator('.imm-document').innerText()).includes('Alice'));
    await page.close();
  });

  test('without Copy the view cannot be selected or copied; without Print the printout is empty', async () => {
    const { page, frame } = await stage.openView(browser, 'no-copy', { sourceUri: csv, projectName: project, permission: { Readonly: true } });
    assert.deepEqual(await copyability(frame), { userSelect: 'none', copyPrevented: true });
    await page.emulateMedia({ media: 'print' });
    assert.equal(await printedDisplay(frame), 'none');
    await page.close();

    const { page: granted, frame: grantedFrame } = await stage.openView(browser, 'copy', { sourceUri: csv, projectName: project, permission: { Readonly: true, Copy: true, Print: true } });
    assert.deepEqual(await copyability(grantedFrame), { userSelect: 'auto', copyPrevented: false });
    await granted.emulateMedia({ media: 'print' });
    assert.notEqual(await printedDisplay(grantedFrame), 'none');
    await granted.close();
  });

  test('export downloads the PDF the document API makes, fetched with the Bearer header', async () => {
    const { page, frame } = await stage.openView(browser, 'export', { sourceUri: csv, projectName: project, permission: { Readonly: true, Print: true, Export: true } });
    const [download, exportRequest] = await Promise.all([
      page.waitForEvent('download'),
      page.waitForRequest((request) => request.url().endsWith('/export')),
      frame.locator('button[data-action="export"]').click(),
    ]);
    assert.match((await exportRequest.allHeaders()).authorization ?? '', /^Bearer [0-9a-f]{32}$/);
    assert.equal(download.suggestedFilename(), 'table.pdf');
    assert.match(download.url(), /^blob:/);
    const bytes = fs.readFileSync(await download.path());
    assert.equal(bytes.subarray(0, 5).toString('latin1'), '%PDF-');
    await page.close();
  });

  test('no request carried a token in its URL; every document-API call had the headers; nothing broke the CSP', async () => {
    await stage.assertClean();
  });
});
