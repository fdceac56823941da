/**
 * The document API of a converted format, through a real server whose LibreOffice is a stand-in command (a
 * real process that takes soffice's arguments and writes a known PDF after a pause): info points the page at
 * the PDF viewer; content answers 202 with the conversion's progress and Retry-After until the PDF is ready,
 * then the PDF (cut to PreviewPages); the version is converted once for every session; export stamps the
 * watermark on it; the token checks come before anything is converted; a conversion that makes no PDF is a
 * clear 422 and the node stays ready; and a node without LibreOffice says so on /ready.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { putDocument, makeDataDir, startServer, type TestServer } from '../helpers/server.js';
import { popClient, type Params, type PopClient } from '../helpers/popClient.js';
import { documentCall, newHolder, type DocumentPath } from '../helpers/documentApi.js';
import { fakeSoffice, type FakeSoffice } from '../helpers/fakeSoffice.js';
import { encrypt, makeDocx } from '../helpers/officeFixtures.js';
import { makePdf, pageCount, pdfText } from '../helpers/pdfs.js';
import { sleep } from '../helpers/serverData.js';

const PROJECT = 'converted';
const BUCKET = 'converted-docs';
const md5 = (bytes: Buffer) => createHash('md5').update(bytes).digest('hex').toUpperCase();

describe('the document API of a converted format', () => {
  let server: TestServer;
  let client: PopClient;
  let soffice: FakeSoffice;
  let pdf: Buffer;
  let docx: Buffer;

  before(async () => {
    pdf = await makePdf(['Converted page one', 'Converted page two', 'Converted page three']);
    docx = await makeDocx(['A letter']);
    soffice = fakeSoffice(path.join(makeDataDir('imm-fake-soffice-'), 'slow'), { output: pdf, sleepSeconds: 1.5 });
    server = await startServer({ IMM_SOFFICE: soffice.command, IMM_CONVERT_CONCURRENCY: '1' });
    client = popClient(server, server.root);
    await client.call('CreateProject', { ProjectName: PROJECT });
  });
  after(async () => {
    await server?.stop();
  });

  const put = (key: string, content: Buffer) => putDocument(server, server.root.AccountId, BUCKET, key, content);

  async function openSession(uri: string, params: Params = {}) {
    const pair = await client.call<Record<string, string>>('GenerateWebofficeToken', { ProjectName: PROJECT, SourceURI: uri, ...params });
    const holder = newHolder();
    const call = (path: DocumentPath, headers?: Record<string, string>) => documentCall(server, pair.WebofficeURL, { token: pair.AccessToken, holder, path, headers });
    const opened = await call('/open');
    assert.equal(opened.status, 200, JSON.stringify(opened.body));
    return { pair, holder, info: opened.body, call };
  }

  /** Asks for the content as the page does: again after each 202's RetryAfterMs, until an answer that is not 202. */
  async function contentWhenReady(call: (path: DocumentPath) => ReturnType<typeof documentCall>) {
    const progress: Record<string, any>[] = [];
    // The stand-in takes 1.5 s: far fewer polls than this, unless the conversion never ends.
    for (let poll = 1; ; poll++) {
      assert.ok(poll <= 40, `content is still 202 after ${poll - 1} polls: ${JSON.stringify(progress.at(-1))}`);
      const reply = await call('/content');
      if (reply.status !== 202) return { reply, progress };
      assert.equal(reply.headers.get('retry-after'), '1');
      assert.equal(reply.headers.get('cache-control'), 'private, no-store');
      progress.push(reply.body);
      await sleep(reply.body.RetryAfterMs);
    }
  }

  test('/ready says the node converts with LibreOffice', async () => {
    const body = await (await fetch(`${server.url}/ready`)).json();
    assert.equal(body.Converter, 'libreoffice');
    assert.deepEqual(body.Conversions, { Concurrency: 1, Waiting: 0, Running: 0 });
  });

  test('info sends the page to the PDF viewer; content is 202 with its progress, then the converted PDF', async () => {
    const uri = await put('letters/letter.docx', docx);
    const { info, call } = await openSession(uri);
    assert.equal(info.Viewer, 'pdf');
    assert.equal(info.Converted, true);
    assert.equal(info.Extension, 'docx');
    const { reply, progress } = await contentWhenReady(call);
    assert.ok(progress.length >= 1, 'at least one 202 while LibreOffice runs');
    for (const body of progress) {
      assert.match(body.RequestId, /^[0-9A-F-]{36}$/);
      assert.ok(['queued', 'converting'].includes(body.State), JSON.stringify(body));
    }
    assert.equal(progress.at(-1)!.State, 'converting');
    assert.equal(reply.status, 200);
    assert.equal(reply.headers.get('content-type'), 'application/pdf');
    assert.equal(reply.headers.get('x-imm-converted'), 'pdf');
    assert.equal(reply.headers.get('etag'), `"${md5(docx)}-pdf"`);
    assert.match(reply.headers.get('content-disposition') ?? '', /^attachment; filename="letter\.pdf"/);
    assert.equal(reply.headers.get('content-security-policy'), "default-src 'none'; sandbox");
    assert.ok(reply.bytes.equals(pdf), 'the PDF LibreOffice made');
    assert.equal(soffice.runs().length, 1);

    // Another session of the same version: the PDF at once, not converted again.
    const again = await openSession(uri);
    const cached = await again.call('/content');
    assert.equal(cached.status, 200);
    assert.ok(cached.bytes.equals(pdf));
    assert.equal(soffice.runs().length, 1, 'one conversion per version');
  });

  test('History opens an earlier or later version of a converted format as that version\'s PDF; without History, 403', async () => {
    const first = await makeDocx(['First draft']);
    const second = await makeDocx(['Second draft, longer']);
    const uri = await put('history/plan.docx', first);
    const withHistory = await openSession(uri, { Permission: { Readonly: true, History: true } });
    const withoutHistory = await openSession(uri, { Permission: { Readonly: true } });
    await put('history/plan.docx', second); // version 2, after both sessions opened version 1
    const versionReady = async (session: typeof withHistory, version: string) => {
      for (let poll = 1; ; poll++) {
        assert.ok(poll <= 40, `version ${version} still converting`);
        const reply = await documentCall(server, session.pair.WebofficeURL, { token: session.pair.AccessToken, holder: session.holder, path: '/content', query: `version=${version}` });
        if (reply.status !== 202) return reply;
        await sleep(reply.body.RetryAfterMs);
      }
    };
    const v1 = await versionReady(withHistory, '1');
    const v2 = await versionReady(withHistory, '2');
    assert.equal(v1.status, 200);
    assert.equal(v1.headers.get('etag'), `"${md5(first)}-pdf"`);
    assert.equal(v1.headers.get('x-weboffice-version'), '1');
    assert.equal(v2.status, 200);
    assert.equal(v2.headers.get('etag'), `"${md5(second)}-pdf"`);
    assert.equal(v2.headers.get('x-weboffice-version'), '2');
    const refused = await documentCall(server, withoutHistory.pair.WebofficeURL, { token: withoutHistory.pair.AccessToken, holder: withoutHistory.holder, path: '/content', query: 'version=2' });
    assert.equal(refused.status, 403);
    assert.equal(refused.body.Code, 'PermissionDenied');
  });

  test('with one worker, a second document waits in line and hears its place', async () => {
    const first = await openSession(await put('queue/first.docx', await makeDocx(['first in line'])));
    const second = await openSession(await put('queue/second.docx', await makeDocx(['second in line'])));
    assert.equal((await first.call('/content')).status, 202);
    const waiting = await second.call('/content');
    assert.equal(waiting.status, 202);
    assert.deepEqual({ State: waiting.body.State, Ahead: waiting.body.Ahead }, { State: 'queued', Ahead: 0 });
    assert.equal(waiting.body.RetryAfterMs, 1000);
    const [a, b] = await Promise.all([contentWhenReady(first.call), contentWhenReady(second.call)]);
    assert.deepEqual([a.reply.status, b.reply.status], [200, 200]);
  });

  test('PreviewPages cuts the converted PDF; export stamps the watermark on the pages it keeps', async () => {
    const uri = await put('preview/report.docx', await makeDocx(['A report']));
    const { call } = await openSession(uri, { PreviewPages: 2, Permission: { Readonly: true, Print: true, Export: true }, Watermark: { Type: 1, Value: 'Internal-Use' } });
    const { reply } = await contentWhenReady(call);
    assert.equal(reply.status, 200);
    assert.equal(await pageCount(reply.bytes), 2);
    assert.match(reply.headers.get('etag') ?? '', /^"[0-9A-F]{32}-pdf-2p"$/);
    const exported = await call('/export');
    assert.equal(exported.status, 200, JSON.stringify(exported.body));
    assert.equal(exported.headers.get('content-type'), 'application/pdf');
    const pages = await pdfText(exported.bytes);
    assert.equal(pages.length, 2);
    pages.forEach((text, i) => {
      assert.ok(text.includes(['Converted page one', 'Converted page two'][i]), text);
      assert.ok(text.includes('Internal-Use'), `the watermark on page ${i + 1}: ${text}`);
    });
    assert.ok(!pages.join(' ').includes('Converted page three'));
  });

  test('export of a converted format without Permission.Export is 403, and converts nothing', async () => {
    const runs = soffice.runs().length;
    const { call } = await openSession(await put('noexport/letter.docx', await makeDocx(['not for export'])), { Permission: { Readonly: true } });
    const reply = await call('/export');
    assert.equal(reply.status, 403);
    assert.equal(reply.body.Code, 'PermissionDenied');
    assert.equal(soffice.runs().length, runs);
  });

  test('the token checks come first: without the token, or from another holder, content converts nothing', async () => {
    const runs = soffice.runs().length;
    const { pair } = await openSession(await put('tokens/letter.docx', await makeDocx(['guarded'])));
    const anonymous = await documentCall(server, pair.WebofficeURL, { holder: newHolder(), path: '/content' });
    assert.equal(anonymous.status, 401);
    const other = await documentCall(server, pair.WebofficeURL, { token: pair.AccessToken, holder: newHolder(), path: '/content' });
    assert.equal(other.status, 401);
    assert.equal(other.body.Code, 'TokenSuperseded');
    assert.equal(soffice.runs().length, runs);
  });

  test('a missing or wrong Password is answered to the next poll, not converted over and over; the right one converts', async () => {
    const locked = encrypt(await makeDocx(['behind a password']), 'open sesame');
    const uri = await put('locked/report.docx', locked);
    for (const [password, code] of [[undefined, 'DocumentPasswordRequired'], ['guess', 'DocumentPasswordIncorrect']] as const) {
      const { call } = await openSession(uri, password === undefined ? {} : { Password: password });
      const { reply } = await contentWhenReady(call);
      assert.equal(reply.status, 400, JSON.stringify(reply.body));
      assert.equal(reply.body.Code, code);
    }
    const runs = soffice.runs().length;
    const { call } = await openSession(uri, { Password: 'open sesame' });
    const { reply } = await contentWhenReady(call);
    assert.equal(reply.status, 200);
    assert.ok(reply.bytes.equals(pdf));
    assert.equal(soffice.runs().length, runs + 1, 'LibreOffice ran once, on the decrypted document');
  });

  test('bytes that are not a document, and a conversion that makes no PDF, are clear 422s; the node stays ready', async () => {
    const random = await openSession(await put('bad/random.docx', Buffer.from('these bytes are no zip archive at all\u0000\u0001\u0002')));
    const refused = await contentWhenReady(random.call);
    assert.equal(refused.reply.status, 422);
    assert.equal(refused.reply.body.Code, 'UnsupportedContent');
    assert.match(refused.reply.body.Message, /random\.docx is not a Word document/);

    const garbage = fakeSoffice(path.join(makeDataDir('imm-fake-soffice-'), 'garbage'), { output: 'garbage' });
    const other = await startServer({ IMM_SOFFICE: garbage.command, IMM_DATA_DIR: makeDataDir() });
    try {
      const otherClient = popClient(other, other.root);
      await otherClient.call('CreateProject', { ProjectName: PROJECT });
      const uri = await putDocument(other, other.root.AccountId, BUCKET, 'bad/letter.docx', docx);
      const pair = await otherClient.call<Record<string, string>>('GenerateWebofficeToken', { ProjectName: PROJECT, SourceURI: uri });
      const holder = newHolder();
      const call = (p: DocumentPath) => documentCall(other, pair.WebofficeURL, { token: pair.AccessToken, holder, path: p });
      const { reply } = await contentWhenReady(call);
      assert.equal(reply.status, 422);
      assert.equal(reply.body.Code, 'DocumentCorrupt');
      assert.match(reply.body.Message, /LibreOffice could not read it/);
      assert.ok(reply.body.Recommend, 'the envelope, with its Recommend');
      assert.equal((await fetch(`${other.url}/ready`)).status, 200);
    } finally {
      await other.stop();
    }
  });
});

describe('a node without LibreOffice', () => {
  test('/ready says so, and the formats without a viewer stay 409 ConverterRequired', async () => {
    const server = await startServer({ IMM_SOFFICE: 'none' });
    try {
      const body = await (await fetch(`${server.url}/ready`)).json();
      assert.equal(body.Converter, 'none');
      const client = popClient(server, server.root);
      await client.call('CreateProject', { ProjectName: PROJECT });
      const uri = await putDocument(server, server.root.AccountId, BUCKET, 'old/letter.doc', Buffer.from('{\\rtf1 hello}'));
      const pair = await client.call<Record<string, string>>('GenerateWebofficeToken', { ProjectName: PROJECT, SourceURI: uri });
      const holder = newHolder();
      const opened = await documentCall(server, pair.WebofficeURL, { token: pair.AccessToken, holder, path: '/open' });
      assert.equal(opened.body.Viewer, 'converter-needed');
      assert.equal(opened.body.Converted, undefined);
      const content = await documentCall(server, pair.WebofficeURL, { token: pair.AccessToken, holder, path: '/content' });
      assert.equal(content.status, 409);
      assert.equal(content.body.Code, 'ConverterRequired');
    } finally {
      await server.stop();
    }
  });
});
