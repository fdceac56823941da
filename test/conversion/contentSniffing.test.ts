/**
 * The bytes are checked against the extension before LibreOffice sees them (it would turn random bytes named
 * .docx into a PDF of garbage): what is not of the named kind is `UnsupportedContent`, what is cut short or
 * damaged is `DocumentCorrupt`, and encryption is noticed. Pure: no LibreOffice needed.
 */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { inspectDocument } from '../../src/conversion/contentSniffing.js';
import { ApiError } from '../../src/core/errors.js';
import { encrypt, makeDocx, makeXlsx } from '../helpers/officeFixtures.js';
import { makePdf } from '../helpers/pdfs.js';

const refusedWith = (code: string, pattern?: RegExp) => (err: unknown) => {
  assert.ok(err instanceof ApiError, `an ApiError, got ${String(err)}`);
  assert.equal(err.code, code);
  if (pattern) assert.match(err.message, pattern);
  return true;
};

describe('inspecting a document before conversion', () => {
  let docx: Buffer;
  let xlsx: Buffer;
  before(async () => {
    [docx, xlsx] = [await makeDocx(['A letter']), makeXlsx({ Stock: [['Item', 'Count'], ['pens', 3]] })];
  });

  test('real OOXML documents are zips of their kind, not encrypted', () => {
    for (const [content, name] of [[docx, 'a.docx'], [xlsx, 'b.xlsx']] as const) {
      assert.deepEqual({ ...inspectDocument(content, name) }, { extension: name.split('.')[1], family: { docx: 'w', xlsx: 's' }[name.split('.')[1]], container: 'zip', encrypted: false });
    }
  });

  test('random bytes named .docx are refused as not a Word document', () => {
    assert.throws(() => inspectDocument(randomBytes(4096), 'report.docx'), refusedWith('UnsupportedContent', /report\.docx is not a Word document \(\.docx\)/));
  });

  test('a truncated .docx is refused as damaged (its zip directory is missing)', () => {
    assert.throws(() => inspectDocument(docx.subarray(0, Math.floor(docx.length / 2)), 'cut.docx'), refusedWith('DocumentCorrupt', /cut short/));
  });

  test('a damaged compound file (.doc) is refused as corrupt, and an empty file too', () => {
    const ole = Buffer.concat([Buffer.from('d0cf11e0a1b11ae1', 'hex'), randomBytes(600)]);
    assert.throws(() => inspectDocument(ole, 'old.doc'), refusedWith('DocumentCorrupt', /compound-file/));
    assert.throws(() => inspectDocument(Buffer.alloc(0), 'empty.xlsx'), refusedWith('DocumentCorrupt', /empty/));
  });

  test('a PDF, or a spreadsheet under a text name, is refused for what it is', async () => {
    const pdf = await makePdf(['a page']);
    assert.throws(() => inspectDocument(pdf, 'slides.pptx'), refusedWith('UnsupportedContent', /holds a PDF/));
    assert.throws(() => inspectDocument(xlsx, 'table.csv'), refusedWith('UnsupportedContent'));
    assert.throws(() => inspectDocument(docx, 'letter.rtf'), refusedWith('UnsupportedContent'));
  });

  test('text formats accept UTF-8, GBK and UTF-16 text, and refuse binary', () => {
    assert.equal(inspectDocument(Buffer.from('name,count\npens,3\n'), 'a.csv').container, 'text');
    assert.equal(inspectDocument(Buffer.from('c4e3bac3a3accac0bde70a', 'hex'), 'gbk.txt').container, 'text'); // 你好，世界 in GBK
    assert.equal(inspectDocument(Buffer.from('\ufeffhello', 'utf16le'), 'wide.txt').container, 'text');
    assert.throws(() => inspectDocument(randomBytes(2048), 'data.csv'), refusedWith('UnsupportedContent'));
  });

  test('an RTF file or Word HTML passes as .doc, RTF as .rtf', () => {
    assert.equal(inspectDocument(Buffer.from('{\\rtf1\\ansi Hello}'), 'a.doc').container, 'rtf');
    assert.equal(inspectDocument(Buffer.from('{\\rtf1\\ansi Hello}'), 'a.rtf').container, 'rtf');
    assert.equal(inspectDocument(Buffer.from('<html><body>Hello</body></html>'), 'a.doc').container, 'markup');
  });

  test('an encrypted .docx is an OLE container with encryption', () => {
    assert.deepEqual({ ...inspectDocument(encrypt(docx, 'secret'), 'locked.docx') }, { extension: 'docx', family: 'w', container: 'ole', encrypted: true });
  });

  test('no random bytes pass as an OOXML or binary presentation document', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 2048 }), fc.constantFrom('x.docx', 'x.xlsx', 'x.pptx', 'x.ppt', 'x.dps'), (bytes, name) => {
        assert.throws(() => inspectDocument(Buffer.from(bytes), name), (err: unknown) => err instanceof ApiError && ['UnsupportedContent', 'DocumentCorrupt'].includes(err.code));
      }),
    );
  });

  test('a file that is not converted (a PDF, no extension) is UnsupportedContent', () => {
    assert.throws(() => inspectDocument(Buffer.from('%PDF-1.7'), 'a.pdf'), refusedWith('UnsupportedContent', /not a document that is converted/));
    assert.throws(() => inspectDocument(Buffer.from('hello'), 'README'), refusedWith('UnsupportedContent'));
  });
});
