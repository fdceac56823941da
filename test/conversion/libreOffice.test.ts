/**
 * Real conversions with the LibreOffice installed on this machine: real .docx, .xlsx, .pptx and legacy .doc,
 * .xls and .ppt files (made by LibreOffice itself) become PDFs that parse and carry their text; a password-protected .docx opens with
 * its password, is refused without it or with a wrong one, and its PDF is kept sealed. Skipped, loudly, where
 * `soffice` is missing — unless IMM_REQUIRE_LIBREOFFICE=1 (CI), which makes that a failure. Both engines.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { PDFDocument } from 'pdf-lib';
import { installationsUnderTest, type Installation } from '../helpers/installations.js';
import { encrypt, legacyCopy, makeDocx, makePptx, makeXlsx } from '../helpers/officeFixtures.js';
import { libreOfficeSuite, SOFFICE as soffice } from '../helpers/libreOffice.js';
import { pdfText } from '../helpers/pdfs.js';
import { makeDataDir } from '../helpers/server.js';
import { ApiError } from '../../src/core/errors.js';
import { CONVERSIONS_FOLDER } from '../../src/conversion/pdfCache.js';
import type { Services } from '../../src/services.js';

const source = (filename: string, content: Buffer, password?: string) => ({
  etag: createHash('md5').update(content).digest('hex').toUpperCase(),
  filename,
  read: async () => content,
  ...(password === undefined ? {} : { password }),
});
const withCode = (code: string) => (err: unknown) => err instanceof ApiError && err.code === code;

const { engines, open, skipped } = await installationsUnderTest();
if (skipped) console.log(`# ${skipped}`);

describe('documents converted by LibreOffice', libreOfficeSuite(), () => {
  /** Each document and a text its PDF must show. */
  const documents = new Map<string, { content: Buffer; text: string }>();
  let locked: Buffer;

  before(async () => {
    const work = makeDataDir('imm-fixtures-');
    const docx = await makeDocx(['A letter converted by LibreOffice']);
    const xlsx = makeXlsx({ Stock: [['Item', 'Count'], ['pencils', 3]] });
    const pptx = await makePptx(soffice!, work, ['First slide shown', 'Second slide shown']);
    documents.set('letter.docx', { content: docx, text: 'A letter converted by LibreOffice' });
    documents.set('stock.xlsx', { content: xlsx, text: 'pencils' });
    documents.set('deck.pptx', { content: pptx, text: 'First slide shown' });
    documents.set('letter.doc', { content: await legacyCopy(soffice!, work, 'letter.docx', docx, 'doc'), text: 'A letter converted by LibreOffice' });
    documents.set('stock.xls', { content: await legacyCopy(soffice!, work, 'stock.xlsx', xlsx, 'xls'), text: 'pencils' });
    documents.set('deck.ppt', { content: await legacyCopy(soffice!, work, 'deck.pptx', pptx, 'ppt'), text: 'Second slide shown' });
    locked = encrypt(await makeDocx(['Only for those who know the password']), 'open sesame');
  });

  for (const engine of engines) {
    describe(`on ${engine}`, () => {
      let installation: Installation;
      let node: Services;
      before(async () => {
        installation = await open(engine);
        node = await installation.node({ IMM_SOFFICE: soffice! });
      });
      after(async () => {
        await installation.dispose();
      });

      test('real .docx, .xlsx, .pptx and legacy .doc, .xls and .ppt files become PDFs that parse and show their text', async () => {
        for (const [name, { content, text }] of documents) {
          const { pdf, pages } = await node.converter.convert(source(name, content));
          const parsed = await PDFDocument.load(pdf);
          assert.equal(parsed.getPageCount(), pages, name);
          assert.ok(pages >= 1, `${name} has pages`);
          const shown = (await pdfText(pdf)).join(' ');
          assert.ok(shown.includes(text), `${name}: ${JSON.stringify(text)} in ${JSON.stringify(shown)}`);
        }
        assert.equal((await node.converter.convert(source('deck.pptx', documents.get('deck.pptx')!.content))).pages, 2, 'one page per slide');
      });

      test('a protected .docx opens with its password; without one, or with a wrong one, a clear error', async () => {
        await assert.rejects(node.converter.convert(source('locked.docx', locked)), withCode('DocumentPasswordRequired'));
        await assert.rejects(node.converter.convert(source('locked.docx', locked, 'guess')), withCode('DocumentPasswordIncorrect'));
        const { pdf, pages } = await node.converter.convert(source('locked.docx', locked, 'open sesame'));
        assert.equal((await PDFDocument.load(pdf)).getPageCount(), pages);
        // Kept sealed: the file is no PDF, and reading it back needs the password again.
        const kept = fs.readFileSync(path.join(installation.env.IMM_DATA_DIR, 'oss', CONVERSIONS_FOLDER, `${source('x', locked).etag}.pdf`));
        assert.notEqual(kept.subarray(0, 5).toString('latin1'), '%PDF-');
        assert.ok(!kept.includes(pdf.subarray(0, 64)), 'no part of the PDF in the clear');
        await assert.rejects(node.converter.convert(source('locked.docx', locked)), withCode('DocumentPasswordRequired'));
        await assert.rejects(node.converter.convert(source('locked.docx', locked, 'guess')), withCode('DocumentPasswordIncorrect'));
        assert.ok((await node.converter.convert(source('locked.docx', locked, 'open sesame'))).pdf.equals(pdf));
      });
    });
  }
});
