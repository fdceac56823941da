/**
 * Real conversions with the LibreOffice installed on this machine: real .docx, .xlsx, .pptx and legacy .doc
 * and .ppt files (made by LibreOffice itself) become PDFs that parse; a password-protected .docx opens with
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
import { makeDataDir } from '../helpers/server.js';
import { ApiError } from '../../src/core/errors.js';
import { findSoffice } from '../../src/conversion/soffice.js';
import { CONVERSIONS_FOLDER } from '../../src/conversion/pdfCache.js';
import type { Services } from '../../src/services.js';

const soffice = findSoffice(undefined);
if (!soffice) {
  const message = 'LIBREOFFICE TESTS SKIPPED: no soffice on PATH — install libreoffice-core-nogui, -writer-nogui, -calc-nogui, -impress-nogui (see README)';
  if (process.env.IMM_REQUIRE_LIBREOFFICE === '1') throw new Error(`${message}; IMM_REQUIRE_LIBREOFFICE=1 requires them`);
  console.log(`# ${'!'.repeat(100)}\n# ${message}\n# ${'!'.repeat(100)}`);
}

const source = (filename: string, content: Buffer, password?: string) => ({
  etag: createHash('md5').update(content).digest('hex').toUpperCase(),
  filename,
  read: async () => content,
  ...(password === undefined ? {} : { password }),
});
const withCode = (code: string) => (err: unknown) => err instanceof ApiError && err.code === code;

const { engines, open, skipped } = await installationsUnderTest();
if (skipped) console.log(`# ${skipped}`);

describe('documents converted by LibreOffice', { skip: !soffice && 'no soffice on PATH' }, () => {
  const documents = new Map<string, Buffer>();
  let locked: Buffer;

  before(async () => {
    const work = makeDataDir('imm-fixtures-');
    documents.set('letter.docx', await makeDocx('A letter converted by LibreOffice'));
    documents.set('stock.xlsx', makeXlsx());
    documents.set('deck.pptx', await makePptx());
    documents.set('letter.doc', await legacyCopy(soffice!, work, 'letter.docx', documents.get('letter.docx')!, 'doc'));
    documents.set('deck.ppt', await legacyCopy(soffice!, work, 'deck.pptx', documents.get('deck.pptx')!, 'ppt'));
    locked = encrypt(await makeDocx('Only for those who know the password'), 'open sesame');
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

      test('real .docx, .xlsx, .pptx and legacy .doc and .ppt files become PDFs that parse', async () => {
        for (const [name, content] of documents) {
          const { pdf, pages } = await node.converter.convert(source(name, content));
          const parsed = await PDFDocument.load(pdf);
          assert.equal(parsed.getPageCount(), pages, name);
          assert.ok(pages >= 1, `${name} has pages`);
        }
        assert.equal((await node.converter.convert(source('deck.pptx', documents.get('deck.pptx')!))).pages, 2, 'one page per slide');
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
