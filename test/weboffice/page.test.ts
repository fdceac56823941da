/**
 * The page, its built files and the SDK, through real servers: the page is a shell without document data,
 * served with a CSP that allows scripts from its origin only and framing by IMM_FRAME_ANCESTORS; built files
 * never leave their folder. The page's own tests need the browser build (`npm run build`, which `npm test` runs).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer, type TestServer } from '../helpers/server.js';

const BUILD = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../browser');
const built = fs.existsSync(path.join(BUILD, 'page/page.js')) && fs.existsSync(path.join(BUILD, 'sdk/aliyun-web-office-sdk.min.js'));
const needsBuild = built ? false : 'the browser build is missing (run npm run build)';
const FILE_ID = '3afd92e0028e63f26b40680c5516ebe3d88e0fa7';

let server: TestServer; // IMM_FRAME_ANCESTORS set
let defaults: TestServer; // every setting by default

before(async () => {
  [server, defaults] = await Promise.all([startServer({ IMM_FRAME_ANCESTORS: "'self' https://app.example.com, *.partner.example:8443" }), startServer()]);
});

after(async () => {
  await Promise.all([server?.stop(), defaults?.stop()]);
});

const CSP_BEFORE_ANCESTORS =
  "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob: http: https:; font-src 'self' data:; connect-src 'self'; worker-src 'self' blob:; base-uri 'none'; form-action 'none'; ";

describe('the page', () => {
  test('each family letter serves the shell with the CSP, nosniff, no-referrer and no-store; frame-ancestors from IMM_FRAME_ANCESTORS, else *', { skip: needsBuild }, async () => {
    for (const family of ['w', 's', 'p', 'f']) {
      const response = await fetch(`${server.url}/office/${family}/${FILE_ID}?_w_tokentype=1`);
      assert.equal(response.status, 200, family);
      assert.equal(response.headers.get('content-type'), 'text/html; charset=utf-8');
      assert.equal(response.headers.get('content-security-policy'), `${CSP_BEFORE_ANCESTORS}frame-ancestors 'self' https://app.example.com *.partner.example:8443`);
      assert.equal(response.headers.get('x-content-type-options'), 'nosniff');
      assert.equal(response.headers.get('referrer-policy'), 'no-referrer');
      assert.equal(response.headers.get('cache-control'), 'no-store');
      const html = await response.text();
      assert.ok(html.includes('<div id="imm-weboffice-root"></div>'));
      assert.ok(html.includes('<script src="/office/assets/page.js" type="module"></script>'));
    }
    const plain = await fetch(`${defaults.url}/office/w/${FILE_ID}`);
    assert.equal(plain.headers.get('content-security-policy'), `${CSP_BEFORE_ANCESTORS}frame-ancestors *`);
  });

  test('the shell holds no inline script and nothing of a document: every script has a src of this origin', { skip: needsBuild }, async () => {
    const html = await (await fetch(`${server.url}/office/f/${FILE_ID}`)).text();
    const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
    assert.ok(scripts.length >= 1);
    for (const [, attributes, body] of scripts) {
      assert.match(attributes, /\bsrc="\/office\/assets\/[^"]+"/);
      assert.equal(body.trim(), '', 'no inline code');
    }
    assert.doesNotMatch(html, /\bon[a-z]+=/i, 'no inline event handler');
    assert.ok(!html.includes(FILE_ID), 'not even the file id');
  });

  test('without the browser build the page is 503 ServiceUnavailable saying npm run build', { skip: built ? 'the browser build is there' : false }, async () => {
    const response = await fetch(`${server.url}/office/w/${FILE_ID}`);
    assert.equal(response.status, 503);
    assert.match(((await response.json()) as { Message: string }).Message, /npm run build/);
  });

  test('a bad family letter or file id is 404 NotFound in the envelope', async () => {
    for (const path of [`/office/x/${FILE_ID}`, `/office/W/${FILE_ID}`, '/office/w/abc', `/office/w/${FILE_ID.toUpperCase()}`, `/office/w/${FILE_ID}0`]) {
      const response = await fetch(`${server.url}${path}`);
      assert.equal(response.status, 404, path);
      assert.equal(((await response.json()) as { Code: string }).Code, 'NotFound');
    }
  });
});

describe('built files and the SDK', () => {
  test('the page script is served as JavaScript with nosniff, a short public cache and an ETag (304 when unchanged)', { skip: needsBuild }, async () => {
    const response = await fetch(`${server.url}/office/assets/page.js`);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-type'), 'text/javascript; charset=utf-8');
    assert.equal(response.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(response.headers.get('cache-control'), 'public, max-age=300');
    const etag = response.headers.get('etag')!;
    assert.match(etag, /^"[0-9a-f]{32}"$/);
    assert.ok((await response.arrayBuffer()).byteLength > 0);
    assert.equal((await fetch(`${server.url}/office/assets/page.js`, { headers: { 'if-none-match': etag } })).status, 304);
    const worker = await fetch(`${server.url}/office/assets/pdf.worker.min.mjs`);
    assert.equal(worker.headers.get('content-type'), 'text/javascript; charset=utf-8');
  });

  test('a name that leaves the folder, a hidden file or a folder is 404', async () => {
    for (const path of ['/office/assets/..%2F..%2Fpackage.json', '/office/assets/%2e%2e/%2e%2e/package.json', '/office/assets/../../package.json', '/office/assets/.hidden', '/office/assets/', '/office/assets/nope.js', '/office/assets/page.js%00.css']) {
      const response = await fetch(`${server.url}${path}`);
      assert.equal(response.status, 404, path);
    }
  });

  test('the SDK is served to any origin, cacheable for an hour, with an ETag; nothing else is under /sdk/', { skip: needsBuild }, async () => {
    for (const name of ['aliyun-web-office-sdk.min.js', 'aliyun-web-office-sdk.d.ts']) {
      const response = await fetch(`${server.url}/sdk/${name}`, { headers: { origin: 'https://app.example.com' } });
      assert.equal(response.status, 200, name);
      assert.equal(response.headers.get('access-control-allow-origin'), '*');
      assert.equal(response.headers.get('cross-origin-resource-policy'), 'cross-origin');
      assert.equal(response.headers.get('cache-control'), 'public, max-age=3600');
      assert.equal(response.headers.get('x-content-type-options'), 'nosniff');
      const etag = response.headers.get('etag')!;
      assert.equal((await fetch(`${server.url}/sdk/${name}`, { headers: { 'if-none-match': etag } })).status, 304);
    }
    assert.equal((await fetch(`${server.url}/sdk/aliyun-web-office-sdk.min.js`)).headers.get('content-type'), 'text/javascript; charset=utf-8');
    for (const path of ['/sdk/page.js', '/sdk/..%2Fpage%2Fpage.js']) assert.equal((await fetch(`${server.url}${path}`)).status, 404, path);
  });
});

test('an IMM_FRAME_ANCESTORS that could break out of the CSP is refused at start, naming the setting', async () => {
  for (const value of ["'self'; script-src *", 'https://a.example/;x', '"https://a.example"', "'none' https://a.example", "'unsafe-inline'"]) {
    // A server that starts after all is stopped at once, so the failure is reported, not a hang.
    const started = startServer({ IMM_FRAME_ANCESTORS: value }).then(async (unexpected) => {
      await unexpected.stop();
      return unexpected;
    });
    await assert.rejects(started, /IMM_FRAME_ANCESTORS/, JSON.stringify(value));
  }
});
