/**
 * What the server refuses before an operation runs — freshness, replay, body integrity, missing common
 * parameters, routing — with hand-signed requests (our signer functions) against a real server process.
 * Each refusal has a control: the same request done right succeeds, so the refusal is for the stated reason.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createAccount, runCli, startServer, type TestServer } from '../helpers/server.js';
import type { Credentials } from '../helpers/clients.js';
import {
  acs3RawRequest,
  acs3Request,
  encodeParams,
  newNonce,
  rpcRawRequest,
  rpcRequest,
  send,
  signedRpcParams,
  timestamp,
  type HttpReply,
} from '../helpers/signedHttp.js';

const UPPER_UUID = /^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$/;
const MINUTE = 60_000;
/** The value of the captured special-character vectors (wire-format.md §2.1, §3.2). */
const SPECIAL = "p 1*~!'()+/=&%中é";

let server: TestServer;
let root: Credentials;
let otherAccount: Credentials;
let secondKeyOfRoot: Credentials;

before(async () => {
  server = await startServer();
  root = server.root;
  otherAccount = await createAccount(server.env);
  secondKeyOfRoot = JSON.parse(await runCli(server.env, ['access-key', 'create', '--account', server.root.AccountId]));
});

after(async () => {
  await server?.stop();
});

function assertOk(reply: HttpReply, what = 'the request'): Record<string, any> {
  assert.equal(reply.status, 200, `${what} should succeed: ${reply.text}`);
  assert.ok(reply.json, 'a JSON body');
  assert.match(reply.json.RequestId, UPPER_UUID);
  return reply.json;
}

function assertError(reply: HttpReply, status: number, code: string, message?: RegExp | string): Record<string, any> {
  assert.ok(reply.json, `a JSON error body, got: ${reply.text}`);
  assert.equal(reply.json.Code, code, `code (message: ${reply.json.Message})`);
  assert.equal(reply.status, status, `HTTP status of ${code}`);
  assert.match(reply.json.RequestId, UPPER_UUID);
  assert.equal(reply.headers['x-acs-request-id'], reply.json.RequestId);
  if (typeof message === 'string') assert.equal(reply.json.Message, message);
  else if (message) assert.match(reply.json.Message, message);
  return reply.json;
}

function projectName(prefix: string): string {
  return `${prefix}_${Math.random().toString(36).slice(2, 10)}`;
}

describe('timestamps: more than 15 minutes off is refused', () => {
  for (const [label, offset] of [
    ['16 minutes in the past', -16 * MINUTE],
    ['16 minutes in the future', 16 * MINUTE],
  ] as const) {
    test(`an RPC Timestamp ${label} is refused with InvalidTimeStamp.Expired (400)`, async () => {
      assertError(await rpcRequest(server, root, {}, { timestamp: timestamp(offset) }), 400, 'InvalidTimeStamp.Expired');
      assertError(await rpcRequest(server, root, {}, { method: 'GET', timestamp: timestamp(offset) }), 400, 'InvalidTimeStamp.Expired');
    });
    test(`an ACS3 x-acs-date ${label} is refused with InvalidTimeStamp.Expired (400)`, async () => {
      assertError(await acs3Request(server, root, {}, { date: timestamp(offset) }), 400, 'InvalidTimeStamp.Expired');
      assertError(await acs3Request(server, root, {}, { date: timestamp(offset), algorithm: 'ACS3-HMAC-SM3' }), 400, 'InvalidTimeStamp.Expired');
    });
  }

  test('a timestamp 14 minutes in the past or the future is accepted (RPC and ACS3)', async () => {
    for (const offset of [-14 * MINUTE, 14 * MINUTE]) {
      assertOk(await rpcRequest(server, root, {}, { timestamp: timestamp(offset) }), `RPC at ${offset / MINUTE} min`);
      assertOk(await acs3Request(server, root, {}, { date: timestamp(offset) }), `ACS3 at ${offset / MINUTE} min`);
    }
  });

  for (const malformed of ['2026-11-25 22:54:49', '2026-11-25T22:54:49', '1795657295', '2026-13-45T22:54:49Z', '']) {
    test(`a malformed timestamp ${JSON.stringify(malformed)} is refused with ${malformed ? 'InvalidTimeStamp.Format' : 'MissingParameter'} (400)`, async () => {
      if (malformed === '') {
        // An empty Timestamp is a missing one.
        assertError(await rpcRequest(server, root, {}, { timestamp: '' }), 400, 'MissingParameter', /Timestamp/);
        return;
      }
      assertError(await rpcRequest(server, root, {}, { timestamp: malformed }), 400, 'InvalidTimeStamp.Format');
      assertError(await acs3Request(server, root, {}, { date: malformed }), 400, 'InvalidTimeStamp.Format');
    });
  }
});

describe('nonces: a nonce is used once per AccessKey', () => {
  test('a byte-identical replay of a signed RPC request is refused with SignatureNonceUsed (400)', async () => {
    const request = rpcRawRequest(root, {});
    assertOk(await send(server, request), 'the first request');
    assertError(await send(server, request), 400, 'SignatureNonceUsed');
  });

  test('a byte-identical replay of a signed ACS3 request is refused with SignatureNonceUsed (400)', async () => {
    const request = acs3RawRequest(server, root, {});
    assertOk(await send(server, request), 'the first request');
    assertError(await send(server, request), 400, 'SignatureNonceUsed');
  });

  test('a fresh request re-using a nonce of the same key is refused, across both signature forms', async () => {
    const nonce = newNonce();
    assertOk(await rpcRequest(server, root, {}, { nonce }));
    assertError(await rpcRequest(server, root, {}, { nonce, method: 'GET', timestamp: timestamp(-1000) }), 400, 'SignatureNonceUsed');
    assertError(await acs3Request(server, root, {}, { nonce }), 400, 'SignatureNonceUsed');
  });

  test('the same nonce from another AccessKey (of the same or another account) is accepted', async () => {
    const nonce = newNonce();
    assertOk(await rpcRequest(server, root, {}, { nonce }), 'root key');
    assertOk(await rpcRequest(server, secondKeyOfRoot, {}, { nonce }), 'second key of the same account');
    assertOk(await rpcRequest(server, otherAccount, {}, { nonce }), 'key of another account');
    assertOk(await acs3Request(server, otherAccount, {}, { nonce: newNonce() }));
  });

  test('a request with a bad signature does not use up its nonce', async () => {
    const nonce = newNonce();
    assertError(await rpcRequest(server, root, {}, { nonce, secret: 'not-the-secret' }), 403, 'SignatureDoesNotMatch');
    assertOk(await rpcRequest(server, root, {}, { nonce }), 'the genuine request with that nonce');
  });
});

describe('ACS3: the body and every x-acs-* header are covered by the signature', () => {
  const name = projectName('acs3body');

  test('a form body matching its x-acs-content-sha256 is accepted (control)', async () => {
    const body = encodeParams({ ProjectName: name, Description: 'first' }, 'querystring');
    const reply = await acs3Request(server, root, {}, { action: 'CreateProject', body, chunked: true });
    assert.equal(assertOk(reply).Project.ProjectName, name);
  });

  for (const algorithm of ['ACS3-HMAC-SHA256', 'ACS3-HMAC-SM3'] as const) {
    test(`${algorithm}: a body that does not match x-acs-content-sha256 is refused with SignatureDoesNotMatch (403)`, async () => {
      const signedBody = encodeParams({ ProjectName: name, Description: 'signed' }, 'querystring');
      const sentBody = encodeParams({ ProjectName: name, Description: 'tampered' }, 'querystring');
      const reply = await acs3Request(server, root, {}, { algorithm, action: 'UpdateProject', body: sentBody, hashedBody: signedBody });
      assertError(reply, 403, 'SignatureDoesNotMatch', /x-acs-content-sha256/);
      // Nothing was changed.
      const got = assertOk(await acs3Request(server, root, { ProjectName: name }, { action: 'GetProject' }));
      assert.equal(got.Project.Description, 'first');
    });
  }

  test('an x-acs-* header that is not listed in SignedHeaders is refused with SignatureDoesNotMatch (403)', async () => {
    assertError(await acs3Request(server, root, {}, { unsignedHeaders: { 'x-acs-extra': '1' } }), 403, 'SignatureDoesNotMatch', /x-acs-extra/);
    // The same header, signed, is fine.
    assertOk(await acs3Request(server, root, {}, { signedHeaders: { 'x-acs-extra': '1' } }));
  });

  test('a query parameter changed after signing is refused with SignatureDoesNotMatch (403)', async () => {
    const request = acs3RawRequest(server, root, { ProjectName: name }, { action: 'GetProject' });
    assertError(await send(server, { ...request, path: request.path.replace(name, `${name}x`) }), 403, 'SignatureDoesNotMatch');
  });
});

describe('RPC: every common parameter is required', () => {
  for (const missing of ['AccessKeyId', 'Signature', 'SignatureMethod', 'SignatureNonce', 'Timestamp']) {
    test(`a request without ${missing} is refused with MissingParameter (400) naming ${missing}`, async () => {
      const reply = await rpcRequest(server, root, {}, { omit: [missing] });
      const body = assertError(reply, 400, 'MissingParameter');
      assert.ok(body.Message.includes(missing), `the message names ${missing}: ${body.Message}`);
      // GET too: the parameters are read from the query the same way.
      assertError(await rpcRequest(server, root, {}, { omit: [missing], method: 'GET' }), 400, 'MissingParameter', new RegExp(`\\b${missing}\\b`));
    });
  }

  test('a request with every common parameter is accepted (control)', async () => {
    assertOk(await rpcRequest(server, root, {}));
    assertOk(await rpcRequest(server, root, {}, { method: 'GET' }));
  });
});

describe('routing: Action and Version', () => {
  test('a request without Action (param or x-acs-action header) is refused with MissingParameter naming Action', async () => {
    assertError(await rpcRequest(server, root, {}, { action: null }), 400, 'MissingParameter', /\bAction\b/);
  });

  test('a request without Version (param or x-acs-version header) is refused with MissingParameter naming Version', async () => {
    assertError(await rpcRequest(server, root, {}, { version: null }), 400, 'MissingParameter', /\bVersion\b/);
  });

  test('an unknown action is refused with InvalidAction.NotFound (404)', async () => {
    assertError(await rpcRequest(server, root, {}, { action: 'DescribeEverything' }), 404, 'InvalidAction.NotFound', /DescribeEverything/);
    assertError(await acs3Request(server, root, {}, { action: 'DescribeEverything' }), 404, 'InvalidAction.NotFound');
  });

  test('an unknown version is refused with InvalidVersion (400)', async () => {
    assertError(await rpcRequest(server, root, {}, { version: '2017-09-06' }), 400, 'InvalidVersion', /2017-09-06/);
    assertError(await acs3Request(server, root, {}, { version: '2017-09-06' }), 400, 'InvalidVersion');
  });

  test('ACS3 routes by the signed x-acs-action / x-acs-version headers (how openapi-client and openapi-core send them)', async () => {
    const body = assertOk(await acs3Request(server, root, {}, { action: 'ListProjects', version: '2020-09-30' }));
    assert.ok(Array.isArray(body.Projects), 'ListProjects answered');
    assertError(await acs3Request(server, root, {}, { action: 'NoSuchAction' }), 404, 'InvalidAction.NotFound', /NoSuchAction/);
  });
});

describe('routing: the operation that runs is the one the signature covers', () => {
  /** A project to attack, and proof afterwards that it is still there. */
  const target = async () => {
    const name = projectName('routing');
    assertOk(await rpcRequest(server, root, { ProjectName: name }, { action: 'CreateProject' }));
    return {
      name,
      survives: async () => assertOk(await rpcRequest(server, root, { ProjectName: name }, { action: 'GetProject' }), `GetProject ${name} after the attempt`),
    };
  };

  test('RPC: a request signed without Action among its parameters does not run the unsigned x-acs-action header: MissingParameter, nothing deleted', async () => {
    const project = await target();
    for (const method of ['POST', 'GET'] as const) {
      const reply = await rpcRequest(server, root, { ProjectName: project.name }, { method, action: null, headers: { 'x-acs-action': 'DeleteProject' } });
      assertError(reply, 400, 'MissingParameter', /\bAction\b.*signed parameters/);
    }
    await project.survives();
  });

  test('RPC: a request signed without Version among its parameters does not take the unsigned x-acs-version header: MissingParameter', async () => {
    const project = await target();
    const reply = await rpcRequest(server, root, { ProjectName: project.name }, { action: 'DeleteProject', version: null, headers: { 'x-acs-version': '2020-09-30' } });
    assertError(reply, 400, 'MissingParameter', /\bVersion\b.*signed parameters/);
    await project.survives();
  });

  test('RPC: an Action parameter and a different x-acs-action header are refused as a mismatch (InvalidParameter), the same in both is fine (pop-core)', async () => {
    const project = await target();
    const mismatch = await rpcRequest(server, root, { ProjectName: project.name }, { action: 'GetProject', headers: { 'x-acs-action': 'DeleteProject' } });
    assertError(mismatch, 400, 'InvalidParameter', /Action \(GetProject\).*x-acs-action header \(DeleteProject\)/);
    await project.survives();
    // pop-core sends both, alike (the header unsigned): accepted.
    assertOk(await rpcRequest(server, root, { ProjectName: project.name }, { action: 'GetProject', headers: { 'x-acs-action': 'GetProject', 'x-acs-version': '2020-09-30' } }));
  });

  test('ACS3: a query Action that differs from the x-acs-action header is refused as a mismatch (InvalidParameter), not silently preferred', async () => {
    const project = await target();
    const reply = await acs3Request(server, root, { Action: 'DeleteProject', ProjectName: project.name }, { action: 'GetProject' });
    assertError(reply, 400, 'InvalidParameter', /Action \(DeleteProject\).*x-acs-action header \(GetProject\)/);
    const version = await acs3Request(server, root, { Version: '2015-05-01', ProjectName: project.name }, { action: 'GetProject' });
    assertError(version, 400, 'InvalidParameter', /Version \(2015-05-01\).*x-acs-version header \(2020-09-30\)/);
    await project.survives();
    // The same value in both places is one operation: accepted.
    assert.equal(assertOk(await acs3Request(server, root, { Action: 'GetProject', ProjectName: project.name }, { action: 'GetProject' })).Project.ProjectName, project.name);
  });
});

describe(`special characters (${SPECIAL}) canonicalise the same whatever the wire encoding`, () => {
  const name = projectName('special');

  before(async () => {
    assertOk(await rpcRequest(server, root, { ProjectName: name }, { action: 'CreateProject' }));
  });

  const cases: { label: string; send: (description: string) => Promise<HttpReply> }[] = [
    { label: 'RPC POST, RFC 3986 form body (pop-core)', send: (d) => rpcRequest(server, root, { ProjectName: name, Description: d }, { action: 'UpdateProject' }) },
    { label: 'RPC GET, RFC 3986 query (pop-core)', send: (d) => rpcRequest(server, root, { ProjectName: name, Description: d }, { action: 'UpdateProject', method: 'GET' }) },
    {
      label: "RPC POST, Node querystring body (* ! ' ( ) raw, like openapi-client 'v2')",
      send: (d) => rpcRequest(server, root, { ProjectName: name, Description: d }, { action: 'UpdateProject', encoding: 'querystring' }),
    },
    {
      label: 'RPC GET, WHATWG form encoding (space as +)',
      send: (d) => rpcRequest(server, root, { ProjectName: name, Description: d }, { action: 'UpdateProject', method: 'GET', encoding: 'urlsearchparams' }),
    },
    { label: 'ACS3-HMAC-SHA256 query (openapi-client)', send: (d) => acs3Request(server, root, { ProjectName: name, Description: d }, { action: 'UpdateProject' }) },
    { label: 'ACS3-HMAC-SHA256 query, RFC 3986', send: (d) => acs3Request(server, root, { ProjectName: name, Description: d }, { action: 'UpdateProject', encoding: 'rfc3986' }) },
    { label: 'ACS3-HMAC-SM3 query', send: (d) => acs3Request(server, root, { ProjectName: name, Description: d }, { action: 'UpdateProject', algorithm: 'ACS3-HMAC-SM3' }) },
    {
      label: 'ACS3-HMAC-SHA256 chunked form body (openapi-client)',
      send: (d) => acs3Request(server, root, {}, { action: 'UpdateProject', body: encodeParams({ ProjectName: name, Description: d }, 'querystring'), chunked: true }),
    },
  ];

  cases.forEach(({ label, send: update }, i) => {
    test(`as UpdateProject's Description via ${label}: accepted and stored exactly`, async () => {
      const description = `${SPECIAL}#${i}`;
      const updated = assertOk(await update(description));
      assert.equal(updated.Project.Description, description);
      const got = assertOk(await rpcRequest(server, root, { ProjectName: name }, { action: 'GetProject', method: 'GET' }));
      assert.equal(got.Project.Description, description);
    });
  });

  test('as ProjectName: the signature passes, then the name is refused with InvalidArgument naming ProjectName (both signature forms)', async () => {
    const rule = /^The parameter ProjectName is invalid: .*letters, digits/;
    assertError(await rpcRequest(server, root, { ProjectName: SPECIAL }, { action: 'GetProject' }), 400, 'InvalidArgument', rule);
    assertError(await rpcRequest(server, root, { ProjectName: SPECIAL }, { action: 'GetProject', method: 'GET', encoding: 'querystring' }), 400, 'InvalidArgument', rule);
    assertError(await acs3Request(server, root, { ProjectName: SPECIAL }, { action: 'GetProject' }), 400, 'InvalidArgument', rule);
    assertError(await acs3Request(server, root, { ProjectName: SPECIAL }, { action: 'GetProject', algorithm: 'ACS3-HMAC-SM3', encoding: 'rfc3986' }), 400, 'InvalidArgument', rule);
    // Control: the signature IS checked before the parameters, so the InvalidArgument above means it matched.
    assertError(await rpcRequest(server, root, { ProjectName: SPECIAL }, { action: 'GetProject', secret: 'wrong' }), 403, 'SignatureDoesNotMatch');
    assertError(await acs3Request(server, root, { ProjectName: SPECIAL }, { action: 'GetProject', secret: 'wrong' }), 403, 'SignatureDoesNotMatch');
  });

  test('a value re-encoded differently after signing still verifies, a changed value does not', async () => {
    // Same decoded value, other bytes on the wire: the signature is over decoded values.
    const params = signedRpcParams(root, { ProjectName: name, Description: `${SPECIAL}!` }, { action: 'UpdateProject' });
    const asQuerystring = await send(server, { method: 'POST', path: '/', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: encodeParams(params, 'querystring') });
    assertOk(asQuerystring);
    const changed = signedRpcParams(root, { ProjectName: name, Description: `${SPECIAL}!` }, { action: 'UpdateProject' });
    changed.Description = `${SPECIAL}?`;
    const reply = await send(server, { method: 'POST', path: '/', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: encodeParams(changed) });
    assertError(reply, 403, 'SignatureDoesNotMatch');
  });
});
