/**
 * Every error reply, whoever raises it (an operation, the signature check, Fastify, the router, Node's HTTP
 * parser), is a non-2xx status AND the JSON envelope {RequestId, HostId, Code, Message, Recommend}: pop-core
 * only sees errors by `Code`, openapi-client only by status (wire-format.md §5). Plain HTTP, no SDK.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { startServer, type TestServer } from '../helpers/server.js';
import { encodeParams, rpcRawRequest, rpcRequest, send, signedRpcParams, type HttpReply } from '../helpers/signedHttp.js';

const UPPER_UUID = /^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$/;
const ENVELOPE_KEYS = ['Code', 'HostId', 'Message', 'Recommend', 'RequestId'];
/** A Host header that is not the server's address, to see it echoed as HostId. */
const HOST = 'imm.test.example:8443';
const BODY_LIMIT = 2048;
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

let server: TestServer;

before(async () => {
  server = await startServer({ IMM_BODY_LIMIT: String(BODY_LIMIT) });
});

after(async () => {
  await server?.stop();
});

/** Asserts the reply is our error envelope with this status and code; returns the body. */
function assertEnvelope(reply: { status: number; headers: Record<string, string | string[] | undefined>; text: string }, status: number, code: string, hostId?: string) {
  assert.ok(reply.status >= 400, `an error is non-2xx, got ${reply.status}`);
  assert.equal(reply.status, status, `status of ${code}: ${reply.text}`);
  assert.match(String(reply.headers['content-type']), /^application\/json/);
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(reply.text);
  } catch {
    assert.fail(`the error body is not JSON: ${reply.text}`);
  }
  assert.deepEqual(Object.keys(body).sort(), ENVELOPE_KEYS, 'exactly the envelope fields');
  assert.equal(body.Code, code, `code (message: ${body.Message})`);
  assert.match(String(body.RequestId), UPPER_UUID, 'RequestId is an upper-case UUID');
  assert.equal(reply.headers['x-acs-request-id'], body.RequestId, 'x-acs-request-id equals RequestId');
  for (const key of ['HostId', 'Message', 'Recommend'] as const) assert.ok(typeof body[key] === 'string' && body[key] !== '', `${key} is a non-empty string`);
  if (hostId !== undefined) assert.equal(body.HostId, hostId, 'HostId is the Host the request was sent to');
  return body as Record<string, string>;
}

/** Writes raw bytes on a fresh connection and parses whatever HTTP reply comes back. */
function rawExchange(bytes: string, target: { endpoint: string } = server): Promise<{ status: number; headers: Record<string, string>; text: string }> {
  const [host, port] = [target.endpoint.slice(0, target.endpoint.lastIndexOf(':')), Number(target.endpoint.slice(target.endpoint.lastIndexOf(':') + 1))];
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, host);
    const chunks: Buffer[] = [];
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const split = raw.indexOf('\r\n\r\n');
      if (split === -1) return reject(new Error(`no HTTP reply: ${JSON.stringify(raw)}`));
      const [statusLine, ...lines] = raw.slice(0, split).split('\r\n');
      const headers: Record<string, string> = {};
      for (const line of lines) headers[line.slice(0, line.indexOf(':')).toLowerCase()] = line.slice(line.indexOf(':') + 1).trim();
      resolve({ status: Number(statusLine.split(' ')[1]), headers, text: raw.slice(split + 4) });
    });
    socket.end(bytes);
  });
}

describe('framework errors in our envelope', () => {
  test('an unknown path is 404 NotFound, with HostId = the Host header sent', async () => {
    assertEnvelope(await send(server, { method: 'GET', path: '/nope', headers: { host: HOST } }), 404, 'NotFound', HOST);
    assertEnvelope(await send(server, { method: 'POST', path: '/v1/things?AccessToken=x', headers: { host: HOST, ...FORM }, body: 'a=b' }), 404, 'NotFound', HOST);
  });

  test('PUT / (and DELETE /) is 405 MethodNotAllowed', async () => {
    assertEnvelope(await send(server, { method: 'PUT', path: '/', headers: { host: HOST, ...FORM }, body: 'a=b' }), 405, 'MethodNotAllowed', HOST);
    assertEnvelope(await send(server, { method: 'DELETE', path: '/?Action=ListProjects' }), 405, 'MethodNotAllowed', server.endpoint);
  });

  test('a JSON (or any non-form) body is 415 UnsupportedMediaType', async () => {
    assertEnvelope(await send(server, { method: 'POST', path: '/', headers: { host: HOST, 'content-type': 'application/json' }, body: '{"Action":"ListProjects"}' }), 415, 'UnsupportedMediaType', HOST);
    assertEnvelope(await send(server, { method: 'POST', path: '/', headers: { 'content-type': 'text/plain' }, body: 'Action=ListProjects' }), 415, 'UnsupportedMediaType');
  });

  test(`a body over IMM_BODY_LIMIT (${BODY_LIMIT}) is 413 RequestEntityTooLarge naming the limit, with Content-Length or chunked`, async () => {
    const body = `Padding=${'x'.repeat(BODY_LIMIT + 100)}`;
    const sized = assertEnvelope(await send(server, { method: 'POST', path: '/', headers: { host: HOST, ...FORM }, body }), 413, 'RequestEntityTooLarge', HOST);
    assert.match(sized.Message, new RegExp(`\\b${BODY_LIMIT}\\b`), 'the message names the limit');
    assertEnvelope(await send(server, { method: 'POST', path: '/', headers: FORM, body, chunked: true }), 413, 'RequestEntityTooLarge');
  });

  test('a body under the limit gets through (control)', async () => {
    const params = signedRpcParams(server.root, { Padding: 'x'.repeat(BODY_LIMIT - 600) });
    const body = encodeParams(params);
    assert.ok(body.length < BODY_LIMIT && body.length > BODY_LIMIT - 600);
    const reply = await send(server, { method: 'POST', path: '/', headers: FORM, body });
    assert.equal(reply.status, 200, reply.text);
  });

  test('malformed percent-encoding in the query, the body or the path is 400 MalformedRequest', async () => {
    assertEnvelope(await send(server, { method: 'GET', path: '/?Action=%ZZ', headers: { host: HOST } }), 400, 'MalformedRequest', HOST);
    assertEnvelope(await send(server, { method: 'GET', path: '/?Action=List%E4%B8' }), 400, 'MalformedRequest'); // truncated UTF-8
    assertEnvelope(await send(server, { method: 'POST', path: '/', headers: FORM, body: 'Action=ListProjects&Version=%' }), 400, 'MalformedRequest');
    assertEnvelope(await send(server, { method: 'POST', path: '/', headers: FORM, body: Buffer.from([0x41, 0x3d, 0xff, 0xfe]) }), 400, 'MalformedRequest'); // raw bytes, not UTF-8
    const badPath = assertEnvelope(await send(server, { method: 'GET', path: '/%ZZ?AccessToken=0123456789abcdef', headers: { host: HOST } }), 400, 'MalformedRequest', HOST);
    assert.ok(!badPath.Message.includes('0123456789abcdef'), 'the message does not echo the query string');
  });

  test('a correctly signed request whose value is malformed percent-encoding is refused, not decoded leniently', async () => {
    // Signed over the literal value "a%ZZb"; on the wire `%ZZ` is left raw instead of `%25ZZ`.
    const params = signedRpcParams(server.root, { ProjectName: 'p1', Description: 'a%ZZb' }, { action: 'UpdateProject' });
    const body = encodeParams(params).replace('a%25ZZb', 'a%ZZb');
    assert.ok(body.includes('Description=a%ZZb'));
    assertEnvelope(await send(server, { method: 'POST', path: '/', headers: FORM, body }), 400, 'MalformedRequest');
  });

  test('a NUL in a correctly signed parameter is 400 MalformedRequest on every engine (PostgreSQL cannot store one)', async () => {
    // Found by the fuzz suite on PostgreSQL: ListProjects with Prefix=%00 reached the database and failed there.
    for (const extra of [{ Prefix: '\u0000' }, { Prefix: 'a\u0000b' }]) {
      const params = signedRpcParams(server.root, extra, { action: 'ListProjects' });
      const reply = assertEnvelope(await send(server, { method: 'POST', path: '/', headers: FORM, body: encodeParams(params) }), 400, 'MalformedRequest');
      assert.match(reply.Message, /NUL/);
    }
  });

  test('a parameter given twice (in the query, the body, or both with different values) is 400 MalformedRequest naming it', async () => {
    const twiceInQuery = assertEnvelope(await send(server, { method: 'GET', path: '/?Action=ListProjects&Version=2020-09-30&Action=ListProjects', headers: { host: HOST } }), 400, 'MalformedRequest', HOST);
    assert.match(twiceInQuery.Message, /\bAction\b/);
    assertEnvelope(await send(server, { method: 'POST', path: '/', headers: FORM, body: 'ProjectName=a&ProjectName=b' }), 400, 'MalformedRequest', server.endpoint);
    const conflict = assertEnvelope(await send(server, { method: 'POST', path: '/?ProjectName=a', headers: FORM, body: 'ProjectName=b' }), 400, 'MalformedRequest');
    assert.match(conflict.Message, /\bProjectName\b/);
  });

  test("a request Node's HTTP parser rejects (garbage on the socket) still gets our envelope", async () => {
    const reply = await rawExchange('GARBAGE\x01\x02 nonsense\r\n\r\n');
    assertEnvelope(reply, 400, 'MalformedRequest');
    const lineFolding = await rawExchange('GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab');
    assertEnvelope(lineFolding, 400, 'MalformedRequest');
  });

  test('oversized request headers are 431 in our envelope', async () => {
    const reply = await send(server, { method: 'GET', path: '/', headers: { host: HOST, 'x-big': 'y'.repeat(20_000) } });
    assertEnvelope(reply, 431, 'MalformedRequest');
    const raw = await rawExchange(`GET / HTTP/1.1\r\nHost: ${HOST}\r\nX-Big: ${'y'.repeat(20_000)}\r\n\r\n`);
    assertEnvelope(raw, 431, 'MalformedRequest');
  });
});

const CLOUD_RECOMMEND = (code: string) => `https://next.api.aliyun.com/troubleshoot?q=${encodeURIComponent(code)}&product=imm`;

describe('Recommend: the cloud\'s troubleshooting link for its codes, our error docs for the codes defined here', () => {
  /** One reply of each kind: framework, raw socket, operation (ours), and cloud codes (signature, operation). */
  async function repliesByCode(target: TestServer): Promise<Map<string, Record<string, string>>> {
    const bodies = new Map<string, Record<string, string>>();
    const add = (reply: { status: number; headers: Record<string, string | string[] | undefined>; text: string }) => {
      const body = JSON.parse(reply.text) as Record<string, string>;
      bodies.set(body.Code, body);
    };
    const create = await rpcRequest(target, target.root, { ProjectName: 'recommend' }, { action: 'CreateProject' });
    assert.ok(create.status === 200 || create.status === 409, create.text);
    add(await send(target, { method: 'GET', path: '/nope' }));
    add(await send(target, { method: 'PUT', path: '/', headers: FORM, body: 'a=b' }));
    add(await send(target, { method: 'POST', path: '/', headers: { 'content-type': 'application/json' }, body: '{}' }));
    add(await rawExchange('GARBAGE\x01\x02 nonsense\r\n\r\n', target)); // answered on the socket, outside Fastify
    add(await rpcRequest(target, target.root, { ProjectName: 'recommend', AccessToken: 'a'.repeat(32), RefreshToken: 'b'.repeat(32) }, { action: 'RefreshWebofficeToken' }));
    add(await rpcRequest(target, target.root, { ProjectName: 'nope' }, { action: 'GetProject' }));
    add(await rpcRequest(target, target.root, {}, { secret: 'wrong' }));
    add(await rpcRequest(target, target.root, {}, { omit: ['Timestamp'] }));
    return bodies;
  }
  const OURS = ['NotFound', 'MethodNotAllowed', 'UnsupportedMediaType', 'MalformedRequest', 'InvalidToken'];
  const CLOUDS = ['ResourceNotFound', 'SignatureDoesNotMatch', 'MissingParameter'];

  test('by default our codes point at the error table of the docs (docs/api.md#error-codes), the cloud\'s codes at the cloud', async () => {
    const bodies = await repliesByCode(server);
    assert.deepEqual([...bodies.keys()].sort(), [...OURS, ...CLOUDS].sort());
    for (const code of OURS) assert.equal(bodies.get(code)!.Recommend, 'docs/api.md#error-codes', code);
    for (const code of CLOUDS) assert.equal(bodies.get(code)!.Recommend, CLOUD_RECOMMEND(code), code);
  });

  test('IMM_ERROR_DOCS_URL sets where our codes point; the cloud\'s codes keep the cloud link', async () => {
    const docs = 'https://docs.example.test/imm-weboffice/errors';
    const custom = await startServer({ IMM_ERROR_DOCS_URL: docs });
    try {
      const bodies = await repliesByCode(custom);
      for (const code of OURS) assert.equal(bodies.get(code)!.Recommend, docs, code);
      for (const code of CLOUDS) assert.equal(bodies.get(code)!.Recommend, CLOUD_RECOMMEND(code), code);
    } finally {
      await custom.stop();
    }
  });
});

describe('API errors and successes', () => {
  test('an API error (signature, then operation) echoes the Host header sent as HostId', async () => {
    // The RPC signature does not cover Host, so a request through a renaming proxy still verifies.
    assertEnvelope(await rpcRequest(server, server.root, { ProjectName: 'nope' }, { action: 'GetProject', headers: { host: HOST } }), 404, 'ResourceNotFound', HOST);
    assertEnvelope(await rpcRequest(server, server.root, {}, { secret: 'wrong', headers: { host: HOST } }), 403, 'SignatureDoesNotMatch', HOST);
    assertEnvelope(await rpcRequest(server, server.root, {}, { omit: ['Timestamp'] }), 400, 'MissingParameter', server.endpoint);
  });

  test('a successful call carries x-acs-request-id equal to its RequestId', async () => {
    const reply: HttpReply = await rpcRequest(server, server.root, {});
    assert.equal(reply.status, 200, reply.text);
    assert.match(String(reply.json?.RequestId), UPPER_UUID);
    assert.equal(reply.headers['x-acs-request-id'], reply.json?.RequestId);
    assert.ok(Array.isArray(reply.json?.Projects));
  });

  test('GET /health answers 200 JSON with its own request id', async () => {
    const reply = await send(server, { method: 'GET', path: '/health' });
    assert.equal(reply.status, 200);
    assert.match(String(reply.headers['content-type']), /^application\/json/);
    assert.equal(reply.json?.Status, 'OK');
    assert.match(String(reply.json?.RequestId), UPPER_UUID);
    assert.equal(reply.headers['x-acs-request-id'], reply.json?.RequestId);
  });

  test('every request gets its own RequestId', async () => {
    const ids = new Set<string>();
    for (let i = 0; i < 5; i++) ids.add(String((await send(server, { method: 'GET', path: '/nope' })).json?.RequestId));
    assert.equal(ids.size, 5);
  });

  test('after all of the above the server still serves valid calls (runs last)', async () => {
    assert.equal(server.process.exitCode, null, 'the server process is still running');
    const create = await rpcRequest(server, server.root, { ProjectName: 'still_alive' }, { action: 'CreateProject' });
    assert.equal(create.status, 200, create.text);
    const get = await send(server, rpcRawRequest(server.root, { ProjectName: 'still_alive' }, { action: 'GetProject', method: 'GET' }));
    assert.equal(get.status, 200, get.text);
    assert.equal(get.json?.Project.ProjectName, 'still_alive');
    assert.ok(!/"level":50/.test(server.stderr()), `no error-level log line (an unexpected failure):\n${server.stderr()}`);
  });
});
