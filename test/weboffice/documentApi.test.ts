/**
 * What the document API serves once the token checks pass, through a real server, called as a browser calls it:
 * info, the bytes of the opened version (never as HTML), PreviewPages cutting a PDF, Export refused without
 * its permission, and exported PDFs carrying the watermark on every page. Fixtures are made here (pdf-lib).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { putDocument, startServer, type TestServer } from '../helpers/server.js';
import { popClient, type Params, type PopClient } from '../helpers/popClient.js';
import { documentCall, newHolder, type DocumentPath, type DocumentReply } from '../helpers/documentApi.js';
import { makePdf, pageCount, pdfText } from '../helpers/pdfs.js';

const PROJECT = 'documents';
const BUCKET = 'documents-bucket';
const md5 = (bytes: string | Buffer) => createHash('md5').update(bytes).digest('hex').toUpperCase();

let server: TestServer;
let client: PopClient;
const PAGES = ['Page one of five', 'Page two of five', 'Page three of five', 'Page four of five', 'Page five of five'];
let pdfBytes: Buffer;

before(async () => {
  server = await startServer();
  client = popClient(server, server.root);
  await client.call('CreateProject', { ProjectName: PROJECT });
  pdfBytes = await makePdf(PAGES);
});

after(async () => {
  await server?.stop();
});

const put = (key: string, content: string | Buffer) => putDocument(server, server.root.AccountId, BUCKET, key, content);

/** Generate for `uri`, then open it as a page: every later call of `session` goes as that page. */
async function openSession(uri: string, params: Params = {}) {
  const pair = await client.call<Record<string, string>>('GenerateWebofficeToken', { ProjectName: PROJECT, SourceURI: uri, ...params });
  const holder = newHolder();
  const call = (path: DocumentPath) => documentCall(server, pair.WebofficeURL, { token: pair.AccessToken, holder, path });
  const opened = await call('/open');
  assert.equal(opened.status, 200, JSON.stringify(opened.body));
  return { pair, info: opened.body, call };
}

function assertError(reply: DocumentReply, status: number, code: string, message?: RegExp): void {
  assert.equal(reply.status, status, JSON.stringify(reply.body));
  assert.equal(reply.body.Code, code);
  if (message) assert.match(reply.body.Message, message);
}

describe('info', () => {
  test('open and info carry what Generate set: name, size, version, family, user, permission, watermark, preview pages, hidecmb, expiry, viewer', async () => {
    const uri = await put('info/plan.txt', 'the plan');
    const watermark = { Type: 1, Value: 'Internal', FillStyle: 'rgba(255, 0, 0, 0.3)', Rotate: 0.5 };
    const { pair, info, call } = await openSession(uri, {
      Filename: 'Plan 2027.txt',
      User: { Id: 'u7', Name: 'Chen_Li', Avatar: 'https://example.com/chen.png' },
      Permission: { Readonly: true, Copy: true },
      Watermark: watermark,
      PreviewPages: 3,
      Hidecmb: true,
    });
    const { RequestId, ...rest } = info;
    assert.match(RequestId, /^[0-9A-F-]{36}$/);
    assert.deepEqual(rest, {
      FileId: /\/office\/w\/([0-9a-f]{40})/.exec(pair.WebofficeURL)![1],
      Filename: 'Plan 2027.txt',
      Extension: 'txt',
      Family: 'w',
      Size: 8,
      Version: 1,
      ETag: md5('the plan'),
      User: { Id: 'u7', Name: 'Chen_Li', Avatar: 'https://example.com/chen.png' },
      Permission: { Readonly: true, Rename: false, History: false, Copy: true, Export: false, Print: false },
      // The fields Generate left out are filled with the documented defaults, so page and export draw alike.
      Watermark: { ...watermark, Font: 'bold 20px Serif', Horizontal: 50, Vertical: 100 },
      PreviewPages: 3,
      Hidecmb: true,
      CachePreview: false,
      AccessTokenExpiredTime: pair.AccessTokenExpiredTime,
      Viewer: 'text',
    });
    const again = await call('');
    assert.equal(again.status, 200);
    assert.deepEqual({ ...again.body, RequestId: RequestId }, info);
    assert.equal(again.headers.get('cache-control'), 'private, no-store');
  });

  test('without a watermark, user name or preview limit: Watermark {Type 0}, Name Unknown, PreviewPages 0; each format has its viewer', async () => {
    const cases: [string, string, string][] = [
      ['viewers/a.pdf', 'pdf', 'f'], ['viewers/a.docx', 'docx', 'w'], ['viewers/a.xlsx', 'xlsx', 's'], ['viewers/a.csv', 'csv', 's'],
      ['viewers/a.txt', 'text', 'w'], ['viewers/a.doc', 'converter-needed', 'w'], ['viewers/a.pptx', 'converter-needed', 'p'],
    ];
    for (const [key, viewer, family] of cases) {
      const { info } = await openSession(await put(key, 'x'), { Permission: { Readonly: true } });
      assert.equal(info.Viewer, viewer, key);
      assert.equal(info.Family, family, key);
      assert.deepEqual(info.Watermark, { Type: 0 });
      assert.equal(info.User.Name, 'Unknown');
      assert.match(info.User.Id, /^[A-Za-z0-9]{1,15}$/);
      assert.equal(info.PreviewPages, 0);
    }
  });

  test('versions lists every version, newest first, with Permission.History; without it 403', async () => {
    const uri = await put('versions/a.txt', 'v');
    await put('versions/a.txt', 'v2');
    const { call } = await openSession(uri, { Permission: { History: true } });
    const reply = await call('/versions');
    assert.equal(reply.status, 200);
    assert.deepEqual(reply.body.Versions.map((v: { Version: number; ETag: string; Size: number }) => [v.Version, v.ETag, v.Size]), [[2, md5('v2'), 2], [1, md5('v'), 1]]);
    assertError(await (await openSession(uri)).call('/versions'), 403, 'PermissionDenied', /History/);
  });
});

describe('content', () => {
  test('the bytes of the opened version with its ETag, as an attachment of their own type, never as HTML', async () => {
    const html = '<!doctype html><html><body><script>alert(document.cookie)</script></body></html>';
    for (const [key, type] of [['content/page.txt', 'text/plain; charset=utf-8'], ['content/table.csv', 'text/csv; charset=utf-8']]) {
      const { call } = await openSession(await put(key, html));
      const reply = await call('/content');
      assert.equal(reply.status, 200);
      assert.equal(reply.bytes.toString('utf8'), html);
      assert.equal(reply.headers.get('content-type'), type);
      assert.equal(reply.headers.get('etag'), `"${md5(html)}"`);
      assert.equal(reply.headers.get('x-content-type-options'), 'nosniff');
      assert.equal(reply.headers.get('cache-control'), 'private, no-store');
      assert.match(reply.headers.get('content-disposition') ?? '', /^attachment; /);
      assert.match(reply.headers.get('content-security-policy') ?? '', /sandbox/);
    }
    const docx = await openSession(await put('content/report.docx', 'PK-not-really'));
    const reply = await docx.call('/content');
    assert.equal(reply.headers.get('content-type'), 'application/vnd.openxmlformats-officedocument.wordprocessingml.document');
    assert.equal(reply.bytes.toString(), 'PK-not-really');
  });

  test('after an upload, the earlier session still names its version and reads its bytes (every version is kept); the next session gets the new one', async () => {
    const uri = await put('content/draft.txt', 'first draft');
    const first = await openSession(uri);
    assert.equal((await first.call('/content')).bytes.toString(), 'first draft');
    await put('content/draft.txt', 'second draft');
    const info = await first.call('');
    assert.equal(info.body.Version, 1);
    assert.equal(info.body.ETag, md5('first draft'));
    const kept = await first.call('/content');
    assert.deepEqual([kept.status, kept.bytes.toString(), kept.headers.get('etag')], [200, 'first draft', `"${md5('first draft')}"`]);
    const second = await openSession(uri);
    assert.equal(second.info.Version, 2);
    assert.equal((await second.call('/content')).bytes.toString(), 'second draft');
  });

  test('a format that needs a converter is 409 ConverterRequired for content and export', async () => {
    const { call } = await openSession(await put('content/old.doc', 'binary word'), { Permission: { Export: true, Print: true } });
    assertError(await call('/content'), 409, 'ConverterRequired', /\.doc/);
    assertError(await call('/export'), 409, 'ConverterRequired', /\.doc/);
  });
});

describe('PreviewPages', () => {
  test('a PDF is served with only its first PreviewPages pages; the text of the others is nowhere in the bytes', async () => {
    const uri = await put('preview/five.pdf', pdfBytes);
    const { call } = await openSession(uri, { Permission: { Readonly: true }, PreviewPages: 2 });
    const reply = await call('/content');
    assert.equal(reply.status, 200);
    assert.equal(reply.headers.get('content-type'), 'application/pdf');
    assert.equal(await pageCount(reply.bytes), 2);
    assert.deepEqual(await pdfText(reply.bytes), PAGES.slice(0, 2));
    assert.notEqual(reply.headers.get('etag'), `"${md5(pdfBytes)}"`, 'the cut has an ETag of its own');
  });

  test('a PDF within its PreviewPages, or without any, is served whole, byte for byte', async () => {
    const uri = await put('preview/whole.pdf', pdfBytes);
    for (const params of [{}, { PreviewPages: 5 }, { PreviewPages: 40 }]) {
      const { call } = await openSession(uri, { Permission: { Readonly: true }, ...params });
      const reply = await call('/content');
      assert.ok(reply.bytes.equals(pdfBytes), JSON.stringify(params));
      assert.equal(reply.headers.get('etag'), `"${md5(pdfBytes)}"`);
    }
  });

  test('an export lays out at most PreviewPages pages: the text beyond is not in it', async () => {
    const lines = Array.from({ length: 300 }, (_, i) => `line ${i + 1}`);
    const { call } = await openSession(await put('preview/long.txt', lines.join('\n')), { Permission: { Export: true, Print: true }, PreviewPages: 1 });
    const reply = await call('/export');
    assert.equal(await pageCount(reply.bytes), 1);
    const text = (await pdfText(reply.bytes)).join(' ');
    assert.match(text, /\bline 1\b/);
    assert.doesNotMatch(text, /\bline 300\b/);
  });
});

describe('export', () => {
  test('without Permission.Export, export is 403 PermissionDenied (also for a PDF, which can never be exported)', async () => {
    const txt = await openSession(await put('export/no.txt', 'secret'), { Permission: { Print: true } });
    assertError(await txt.call('/export'), 403, 'PermissionDenied', /Export/);
    const pdf = await openSession(await put('export/no.pdf', pdfBytes), { Permission: { Readonly: true } });
    assertError(await pdf.call('/export'), 403, 'PermissionDenied');
  });

  test('an exported PDF carries the watermark on every page, with the text of the document', async () => {
    const lines = Array.from({ length: 150 }, (_, i) => `Row ${i + 1}: revenue and costs`);
    const { call } = await openSession(await put('export/report.txt', lines.join('\n')), {
      Permission: { Export: true, Print: true },
      Watermark: { Type: 1, Value: 'CONFIDENTIAL-42', Font: 'bold 18px Serif', Horizontal: 60, Vertical: 120 },
    });
    const reply = await call('/export');
    assert.equal(reply.status, 200);
    assert.equal(reply.headers.get('content-type'), 'application/pdf');
    assert.match(reply.headers.get('content-disposition') ?? '', /^attachment; filename="report\.pdf"/);
    const pages = await pdfText(reply.bytes);
    assert.ok(pages.length >= 3, `the text runs over several pages (got ${pages.length})`);
    for (const [index, text] of pages.entries()) assert.ok(text.includes('CONFIDENTIAL-42'), `page ${index + 1} carries the watermark`);
    const all = pages.join(' ');
    assert.ok(all.includes('Row 1: revenue and costs') && all.includes('Row 150: revenue and costs'), 'the document text is laid out');
  });

  test('a csv export is its text in PDF, watermarked; without a watermark nothing is stamped', async () => {
    const csv = 'name,amount\nalpha,10\nbeta,20\n';
    const stamped = await openSession(await put('export/table.csv', csv), { Permission: { Export: true, Print: true }, Watermark: { Type: 1, Value: 'Draft-Only' } });
    const [page] = await pdfText((await stamped.call('/export')).bytes);
    assert.ok(page.includes('alpha,10') && page.includes('Draft-Only'), page);
    const plain = await openSession(await put('export/plain.csv', csv), { Permission: { Export: true, Print: true } });
    const [text] = await pdfText((await plain.call('/export')).bytes);
    assert.ok(text.includes('beta,20') && !text.includes('Draft-Only'), text);
  });

  test('characters the standard PDF fonts lack are written as ?, and the export still succeeds', async () => {
    const { call } = await openSession(await put('export/cjk.txt', 'Total: 机密 €5'), { Permission: { Export: true, Print: true }, Watermark: { Type: 1, Value: '内部 Only' } });
    const reply = await call('/export');
    assert.equal(reply.status, 200);
    const [page] = await pdfText(reply.bytes);
    assert.ok(page.includes('Total: ?? €5'), page);
    assert.ok(page.includes('?? Only'), page);
  });
});
