import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import {
  percentEncode,
  rpcStringToSign,
  rpcSignature,
  parseAcs3Authorization,
  acs3CanonicalRequest,
  acs3Hash,
  acs3Signature,
  SignatureFormatError,
  type Acs3Algorithm,
  type Acs3Request,
} from '../../src/api/signature.js';
import { safeEqual } from '../../src/core/safeEqual.js';
import { wireVectors, WIRE_SECRET, WIRE_ACCESS_KEY_ID } from '../fixtures/wire-vectors.js';

interface ParsedRequest {
  method: string;
  target: string;
  pathname: string;
  query: Record<string, string>;
  /** lower-case names, duplicates joined by ', ' as Node does */
  headers: Record<string, string>;
  /** the raw body exactly as sent */
  body: string;
  /** decoded form-body params ({} without a form body) */
  form: Record<string, string>;
}

/** Single-valued decode; `+` is a space in form encoding, which URLSearchParams handles (the captures use %20). */
function decodeParams(encoded: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of new URLSearchParams(encoded)) {
    assert.ok(!(k in out), `duplicate param ${k}`);
    out[k] = v;
  }
  return out;
}

/** Just enough HTTP/1.1 parsing for the captures: request line, headers, blank line, body. */
function parseRaw(raw: string): ParsedRequest {
  const sep = raw.indexOf('\n\n');
  const head = sep === -1 ? raw : raw.slice(0, sep);
  const body = sep === -1 ? '' : raw.slice(sep + 2);
  const [requestLine, ...headerLines] = head.split('\n').filter((line) => line !== '');
  const [method, target, version] = requestLine.split(' ');
  assert.equal(version, 'HTTP/1.1');
  const headers: Record<string, string> = {};
  for (const line of headerLines) {
    const colon = line.indexOf(':');
    const name = line.slice(0, colon).toLowerCase();
    const value = line.slice(colon + 1).trim();
    headers[name] = name in headers ? `${headers[name]}, ${value}` : value;
  }
  const qIndex = target.indexOf('?');
  const path = qIndex === -1 ? target : target.slice(0, qIndex);
  const isForm = (headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded');
  return {
    method,
    target,
    pathname: decodeURIComponent(path),
    query: decodeParams(qIndex === -1 ? '' : target.slice(qIndex + 1)),
    headers,
    body,
    form: isForm ? decodeParams(body) : {},
  };
}

function isV3(req: ParsedRequest): boolean {
  return parseAcs3Authorization(req.headers.authorization ?? '') !== null;
}

/** RPC v1 signs query ∪ form body (pop-core uses one or the other; openapi 'v2' may use both). */
function rpcParams(req: ParsedRequest): Record<string, string> {
  for (const k of Object.keys(req.form)) assert.ok(!(k in req.query), `${k} is in both query and body`);
  return { ...req.query, ...req.form };
}

function sentSignature(req: ParsedRequest): string {
  if (isV3(req)) return parseAcs3Authorization(req.headers.authorization)!.signature;
  return rpcParams(req).Signature;
}

function v3Canonical(req: ParsedRequest): { algorithm: Acs3Algorithm; canonical: string } {
  const auth = parseAcs3Authorization(req.headers.authorization)!;
  // The hash of the body actually received, not the header's claim: a changed body must change the signature.
  const hashedPayload = acs3Hash(auth.algorithm, Buffer.from(req.body, 'utf8'));
  const acsReq: Acs3Request = { method: req.method, pathname: req.pathname, query: req.query, headers: req.headers };
  return { algorithm: auth.algorithm, canonical: acs3CanonicalRequest(acsReq, auth.signedHeaders, hashedPayload) };
}

/** Recomputes the request's signature the way the server will, for whichever family it uses. */
function computeSignature(req: ParsedRequest, secret: string): string {
  if (isV3(req)) {
    const { algorithm, canonical } = v3Canonical(req);
    return acs3Signature(algorithm, canonical, secret);
  }
  const params = rpcParams(req);
  delete params.Signature;
  return rpcSignature(req.method, params, secret);
}

function withProjectName(req: ParsedRequest, value: string): ParsedRequest {
  if ('ProjectName' in req.query) return { ...req, query: { ...req.query, ProjectName: value } };
  assert.ok('ProjectName' in req.form, 'every capture carries ProjectName');
  const form = { ...req.form, ProjectName: value };
  return { ...req, form, body: new URLSearchParams(form).toString() };
}

const vectors = wireVectors.map((v) => ({ ...v, req: parseRaw(v.raw) }));
const byName = (name: string): ParsedRequest => {
  const found = vectors.find((v) => v.name === name);
  assert.ok(found, `no vector ${name}`);
  return found.req;
};

describe('captured requests from the official clients verify', () => {
  test('the fixture holds all 12 captures of §2.1–§2.3 (4 pop-core, 5 openapi V3, 3 openapi v2)', () => {
    assert.equal(vectors.length, 12);
    assert.equal(vectors.filter((v) => isV3(v.req)).length, 5);
  });

  for (const { name, req } of vectors) {
    test(`${name}: the recomputed signature equals the one the client sent`, () => {
      if (req.headers['content-length'] !== undefined) {
        // Guards the fixture itself: the body must be byte-for-byte what was captured.
        assert.equal(Buffer.byteLength(req.body, 'utf8'), Number(req.headers['content-length']));
      }
      if (isV3(req)) {
        assert.equal(parseAcs3Authorization(req.headers.authorization)!.accessKeyId, WIRE_ACCESS_KEY_ID);
      } else {
        assert.equal(rpcParams(req).AccessKeyId, WIRE_ACCESS_KEY_ID);
      }
      const computed = computeSignature(req, WIRE_SECRET);
      assert.equal(computed, sentSignature(req));
      assert.ok(safeEqual(computed, sentSignature(req)));
    });

    if (isV3(req)) {
      test(`${name}: x-acs-content-sha256 is the sha256 of the exact raw body bytes`, () => {
        assert.equal(req.headers['x-acs-content-sha256'], acs3Hash('ACS3-HMAC-SHA256', Buffer.from(req.body, 'utf8')));
      });
    }
  }
});

describe('tampered captures no longer verify', () => {
  for (const { name, req } of vectors) {
    const sent = sentSignature(req);

    test(`${name}: a wrong secret gives a different signature`, () => {
      assert.notEqual(computeSignature(req, 'wrongsecret'), sent);
      assert.notEqual(computeSignature(req, `${WIRE_SECRET} `), sent);
    });

    test(`${name}: a changed param value gives a different signature`, () => {
      const tampered = withProjectName(req, 'p2');
      assert.notEqual(computeSignature(tampered, WIRE_SECRET), sent);
      if (isV3(tampered) && tampered.body !== req.body) {
        // A body param is covered through the payload hash, which no longer matches the signed header.
        assert.notEqual(acs3Hash('ACS3-HMAC-SHA256', tampered.body), tampered.headers['x-acs-content-sha256']);
      }
    });

    test(`${name}: a flipped method gives a different signature`, () => {
      const flipped = { ...req, method: req.method === 'GET' ? 'POST' : 'GET' };
      assert.notEqual(computeSignature(flipped, WIRE_SECRET), sent);
    });

    if (isV3(req)) {
      test(`${name}: a changed signed header (x-acs-date) gives a different signature`, () => {
        const tampered = { ...req, headers: { ...req.headers, 'x-acs-date': '2026-11-25T22:54:50Z' } };
        assert.notEqual(computeSignature(tampered, WIRE_SECRET), sent);
      });
    }
  }
});

describe('worked examples from the spec', () => {
  test('§3.2: openapi-v3-query canonicalises to the documented CanonicalRequest and signature', () => {
    const req = byName('openapi-v3-query');
    const auth = parseAcs3Authorization(req.headers.authorization)!;
    const canonical = acs3CanonicalRequest(
      { method: req.method, pathname: req.pathname, query: req.query, headers: req.headers },
      auth.signedHeaders,
      req.headers['x-acs-content-sha256'],
    );
    assert.equal(
      canonical,
      [
        'POST',
        '/',
        'AccessToken=a&CredentialConfig=%7B%22Chain%22%3A%5B%7B%22AssumeRoleFor%22%3A%22123%22%2C%22Role%22%3A%22r%22%2C%22RoleType%22%3A%22user%22%7D%5D%7D&ProjectName=p1&RefreshToken=r',
        'host:127.0.0.1:41433',
        'x-acs-action:RefreshWebofficeToken',
        'x-acs-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
        'x-acs-credentials-provider:static_ak',
        'x-acs-date:2026-11-25T22:54:49Z',
        'x-acs-signature-nonce:cefef7f14c44d50962cabacffbe4e6e3',
        'x-acs-version:2020-09-30',
        '',
        'host;x-acs-action;x-acs-content-sha256;x-acs-credentials-provider;x-acs-date;x-acs-signature-nonce;x-acs-version',
        'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
      ].join('\n'),
    );
    assert.equal(
      acs3Signature('ACS3-HMAC-SHA256', canonical, 'testsecret'),
      '151363c92fb5ea757276cf1c8f70eb416015dd432d2adfb820dbdabfe71378cb',
    );
  });

  test("§3.2: the special-character query is canonicalised from decoded values, encoding the *!'() the wire left raw", () => {
    const req = byName('openapi-v3-query-special-chars');
    assert.ok(req.target.includes('ProjectName=p%201*~!%27()%2B'));
    const { canonical } = v3Canonical(req);
    assert.equal(
      canonical.split('\n')[2].split('&').find((kv) => kv.startsWith('ProjectName=')),
      'ProjectName=p%201%2A~%21%27%28%29%2B%2F%3D%26%25%E4%B8%AD%C3%A9',
    );
    assert.ok(canonical.split('\n')[2].startsWith('AccessToken=&'), 'an empty value canonicalises to key=');
  });

  test('§3.1: the pop-core POST StringToSign starts and ends as documented', () => {
    const params = rpcParams(byName('popcore-rpc-v1-post-form-body'));
    const stringToSign = rpcStringToSign('POST', params);
    assert.ok(
      stringToSign.startsWith(
        'POST&%2F&AccessKeyId%3Dtestid%26AccessToken%3Da%26Action%3DRefreshWebofficeToken%26CredentialConfig%3D%257B%2522Chain%2522',
      ),
    );
    assert.ok(stringToSign.endsWith('%26Version%3D2020-09-30'), 'Signature itself is not signed');
  });

  test('the pop-core special-character capture decodes to the original value', () => {
    assert.equal(byName('popcore-rpc-v1-post-special-chars').form.ProjectName, "p 1*~!'()+/=&%中é");
  });
});

describe('percentEncode', () => {
  test("encodes as RFC 3986: UTF-8 bytes, upper-case hex, space as %20, ~ kept, !'()* escaped", () => {
    assert.equal(percentEncode("p 1*~!'()+/=&%中é"), 'p%201%2A~%21%27%28%29%2B%2F%3D%26%25%E4%B8%AD%C3%A9');
    assert.equal(percentEncode('AZaz09-_.~'), 'AZaz09-_.~');
    assert.equal(percentEncode(''), '');
  });
});

describe('rpcStringToSign', () => {
  test('upper-cases the method, skips Signature and keeps empty values', () => {
    assert.equal(rpcStringToSign('post', { b: '', a: '1', Signature: 'x' }), 'POST&%2F&a%3D1%26b%3D');
  });

  test('sorts keys by UTF-8 byte order, not UTF-16 code units', () => {
    // U+FF61 is EF BD A1 in UTF-8 but sorts after the surrogate pair of U+1F600 (F0 9F 98 80) in UTF-16.
    const s = rpcStringToSign('GET', { '\u{1F600}': '1', '\uFF61': '2', a: '3', B: '4', _: '5' });
    assert.equal(s, `GET&%2F&${percentEncode(`B=4&_=5&a=3&${percentEncode('\uFF61')}=2&${percentEncode('\u{1F600}')}=1`)}`);
  });
});

describe('acs3CanonicalRequest', () => {
  const req: Acs3Request = {
    method: 'get',
    pathname: '/v1/a b*',
    query: {},
    headers: { host: 'h', 'x-acs-multi': ['  b ', 'a'], 'x-acs-pad': '  v  ' },
  };

  test('encodes path segments, leaves an empty query line, sorts and lower-cases signed headers, sorts multiple values', () => {
    assert.equal(
      acs3CanonicalRequest(req, ['X-Acs-Pad', 'x-acs-multi', 'host'], 'HASH'),
      ['GET', '/v1/a%20b%2A', '', 'host:h', 'x-acs-multi:a,b', 'x-acs-pad:v', '', 'host;x-acs-multi;x-acs-pad', 'HASH'].join('\n'),
    );
  });

  test('a signed header that is absent canonicalises as empty, so it cannot match a signature over a real value', () => {
    const canonical = acs3CanonicalRequest(req, ['host', 'x-acs-missing'], 'HASH');
    assert.ok(canonical.includes('\nx-acs-missing:\n'));
  });
});

describe('ACS3-HMAC-SM3', () => {
  const body = 'ProjectName=p1&AccessToken=a';
  const headers = (algorithm: Acs3Algorithm) => ({
    host: 'imm.example:8443',
    'content-type': 'application/x-www-form-urlencoded',
    'x-acs-action': 'RefreshWebofficeToken',
    'x-acs-version': '2020-09-30',
    'x-acs-date': '2026-11-25T22:54:49Z',
    'x-acs-signature-nonce': 'cefef7f14c44d50962cabacffbe4e6e3',
    // The header keeps its sha256 name under SM3 (wire-format §3.2); only its content changes.
    'x-acs-content-sha256': acs3Hash(algorithm, body),
  });
  const signed = Object.keys(headers('ACS3-HMAC-SM3')).sort();
  const sign = (algorithm: Acs3Algorithm, secret: string) => {
    const req: Acs3Request = { method: 'POST', pathname: '/', query: { RefreshToken: 'r' }, headers: headers(algorithm) };
    return acs3Signature(algorithm, acs3CanonicalRequest(req, signed, acs3Hash(algorithm, body)), secret);
  };

  test('hashes with the real SM3 (GB/T 32905 example "abc") and SHA-256', () => {
    assert.equal(acs3Hash('ACS3-HMAC-SM3', 'abc'), '66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0');
    assert.equal(acs3Hash('ACS3-HMAC-SHA256', Buffer.alloc(0)), 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });

  test('the signature changes with the algorithm', () => {
    const sm3 = sign('ACS3-HMAC-SM3', WIRE_SECRET);
    assert.match(sm3, /^[0-9a-f]{64}$/);
    assert.notEqual(sm3, sign('ACS3-HMAC-SHA256', WIRE_SECRET));
  });

  test('a signed Authorization header round-trips: parse, recompute, compare', () => {
    const header = `ACS3-HMAC-SM3 Credential=${WIRE_ACCESS_KEY_ID},SignedHeaders=${signed.join(';')},Signature=${sign('ACS3-HMAC-SM3', WIRE_SECRET)}`;
    const auth = parseAcs3Authorization(header)!;
    assert.equal(auth.algorithm, 'ACS3-HMAC-SM3');
    const req: Acs3Request = { method: 'post', pathname: '/', query: { RefreshToken: 'r' }, headers: headers('ACS3-HMAC-SM3') };
    const canonical = acs3CanonicalRequest(req, auth.signedHeaders, acs3Hash(auth.algorithm, body));
    assert.ok(safeEqual(acs3Signature(auth.algorithm, canonical, WIRE_SECRET), auth.signature));
    assert.ok(!safeEqual(acs3Signature(auth.algorithm, canonical, 'wrongsecret'), auth.signature));
  });
});

describe('parseAcs3Authorization', () => {
  test('parses a captured header into algorithm, AccessKeyId, signed headers and signature', () => {
    assert.deepEqual(parseAcs3Authorization(byName('openapi-v3-query-sts').headers.authorization), {
      algorithm: 'ACS3-HMAC-SHA256',
      accessKeyId: 'testid',
      signedHeaders: [
        'host',
        'x-acs-accesskey-id',
        'x-acs-action',
        'x-acs-content-sha256',
        'x-acs-credentials-provider',
        'x-acs-date',
        'x-acs-security-token',
        'x-acs-signature-nonce',
        'x-acs-version',
      ],
      signature: '15e4a73453fb0a3507bb26f8d1825fc7c8e0176e7c58e451975947df07b26e97',
    });
  });

  test('tolerates spaces after commas and lower-cases signed header names', () => {
    assert.deepEqual(parseAcs3Authorization('ACS3-HMAC-SM3 Credential=ak, SignedHeaders=Host;x-acs-date,  Signature=abc'), {
      algorithm: 'ACS3-HMAC-SM3',
      accessKeyId: 'ak',
      signedHeaders: ['host', 'x-acs-date'],
      signature: 'abc',
    });
  });

  test('returns null for headers of other schemes', () => {
    assert.equal(parseAcs3Authorization('Bearer x'), null);
    assert.equal(parseAcs3Authorization('acs testid:BbsIYhsRAkAQ0GBAfSSwPGSnr1s='), null);
    assert.equal(parseAcs3Authorization(''), null);
  });

  const malformed: Array<[string, string]> = [
    ['rejects ACS3-RSA-SHA256, which needs a key pair this server does not have', 'ACS3-RSA-SHA256 Credential=ak,SignedHeaders=host,Signature=abc'],
    ['rejects a header with no parts', 'ACS3-HMAC-SHA256'],
    ['rejects a missing Signature', 'ACS3-HMAC-SHA256 Credential=ak,SignedHeaders=host'],
    ['rejects an empty Credential', 'ACS3-HMAC-SHA256 Credential=,SignedHeaders=host,Signature=abc'],
    ['rejects an empty SignedHeaders list', 'ACS3-HMAC-SHA256 Credential=ak,SignedHeaders=,Signature=abc'],
    ['rejects an empty name inside SignedHeaders', 'ACS3-HMAC-SHA256 Credential=ak,SignedHeaders=host;;x-acs-date,Signature=abc'],
    ['rejects a duplicated part', 'ACS3-HMAC-SHA256 Credential=ak,Credential=bk,SignedHeaders=host,Signature=abc'],
    ['rejects a part without =', 'ACS3-HMAC-SHA256 Credential=ak,SignedHeaders=host,Signature'],
  ];
  for (const [name, header] of malformed) {
    test(`${name} with SignatureFormatError`, () => {
      assert.throws(
        () => parseAcs3Authorization(header),
        (err: unknown) => err instanceof SignatureFormatError && err instanceof Error && err.reason.length > 0,
      );
    });
  }
});

describe('safeEqual', () => {
  test('is true only for identical strings, and false without throwing for different lengths', () => {
    assert.equal(safeEqual('abc', 'abc'), true);
    assert.equal(safeEqual('abc', 'abd'), false);
    assert.equal(safeEqual('abc', 'abcd'), false);
    assert.equal(safeEqual('', ''), true);
  });
});
