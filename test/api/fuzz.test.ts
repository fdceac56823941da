/**
 * Bad input (issue 4 §2): random and mutated requests thrown at ONE real server process — raw bytes on the
 * socket (methods, paths, query strings, headers, framings, encodings), correctly signed requests whose business
 * parameters are fuzzed (so validation runs, not only the signature gate), JSON bombs and flattened bombs in the
 * struct parameters, 10 MB bodies, slow clients. For every reply: never a 5xx, and every error is our envelope
 * (wire-format.md §5) with RequestId = x-acs-request-id, including what Node's HTTP parser refuses. At the end the
 * process is alive and serves a valid call, its memory grew boundedly, and its log holds no unexpected failure.
 * A planted genuine bug (test/helpers/plantedBug.ts) must come out as 500 InternalError and fail the oracle.
 *
 * Runs are bounded (about 35 s on 2 cores). Longer local runs: FUZZ_RUNS_FACTOR=10; replay: FUZZ_SEED=<seed>.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { startServer, type TestServer } from '../helpers/server.js';
import { acs3RawRequest, encodeParams, IMM_VERSION, rpcRawRequest, type RawRequest } from '../helpers/signedHttp.js';
import { createBucket, writeObject } from '../helpers/serverData.js';
import { ERROR_CATALOG } from '../../src/core/errors.js';

const UPPER_UUID = /^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$/;
const ENVELOPE_KEYS = ['Code', 'HostId', 'Message', 'Recommend', 'RequestId'];
/** Codes the WebOffice document API answers with 401 (a bearer-token API) instead of their catalog status. */
const DOCUMENT_API_TOKEN_CODES = new Set(['InvalidToken', 'TokenExpired', 'TokenRevoked', 'TokenSuperseded']);
/** Short, so that slow-client tests take seconds; every fuzzed request is sent at once and is far quicker. */
const REQUEST_TIMEOUT_S = 2;
/** The server's header limit (request line + headers), set in src/app.ts. */
const MAX_HEADER_BYTES = 16 * 1024;
const BODY_LIMIT = 1024 * 1024; // the default IMM_BODY_LIMIT
const PLANTED_BUG = 'planted-bug-3c1f9a7e5d';
const RAM_VERSION = '2015-05-01';
const STS_VERSION = '2015-04-01';
const FACTOR = Number(process.env.FUZZ_RUNS_FACTOR ?? '1');
const SEED = process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED);
const runs = (n: number) => Math.max(1, Math.round(n * FACTOR));
/**
 * Without shrinking: a failing run is reported at once, never minimised for minutes. The report is the oracle's
 * message (which quotes the request, shortened) and the seed to replay it, not fast-check's print of values
 * that can be megabytes long.
 */
const fcOptions = <T>(numRuns: number): fc.Parameters<T> => ({
  numRuns: runs(numRuns),
  endOnFailure: true,
  ...(SEED === undefined ? {} : { seed: SEED }),
  asyncReporter: async (details) => {
    if (!details.failed) return;
    const error = details.errorInstance as Error | undefined;
    throw new Error(`fuzz run ${details.numRuns} failed (replay: FUZZ_SEED=${details.seed}, path ${details.counterexamplePath}):\n${error?.message ?? String(error)}`);
  },
});

let server: TestServer;
let port: number;
let sourceUri: string;
let tokens: { AccessToken: string; RefreshToken: string };
let rssBefore: number | undefined;
let plantedRequestId: string | undefined;

// ---------------------------------------------------------------------------------------------------------------
// Talking HTTP on a raw socket: every byte under the test's control, and every reply parsed strictly.

interface Reply {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

/** Bytes to write, or a pause in milliseconds. */
type Step = Buffer | number;

interface ExchangeOptions {
  /** The request was HEAD: the reply has no body whatever its Content-Length says. */
  head?: boolean;
  /**
   * Half-close after the last step: false = never; a number = once no reply came within that many ms (default),
   * so that an incomplete request is seen as such (400) instead of awaited until the request timeout. Not at
   * once: Node aborts a request still in flight when its client half-closes (its reply is then lost).
   */
  end?: false | number;
  /** Fail as a hang when no complete reply arrived by then. */
  timeoutMs?: number;
  /** Keep writing the remaining steps after the reply came (default: stop, as a client that was answered). */
  writeAfterReply?: boolean;
}

interface Exchange {
  reply: Reply;
  /** Bytes written before the reply was complete. */
  writtenBeforeReply: number;
  ms: number;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function exchange(steps: Step[], options: ExchangeOptions = {}): Promise<Exchange> {
  const { head = false, end = 150, timeoutMs = 15_000, writeAfterReply = false } = options;
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const socket = net.connect(port, '127.0.0.1');
    let received = Buffer.alloc(0);
    let written = 0;
    let settled = false;
    let reply: Reply | undefined;
    let writtenBeforeReply = 0;
    let writing = true;
    let halfClosed = false;
    const finish = (error?: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      if (error) reject(error);
      else resolve({ reply: reply!, writtenBeforeReply, ms: Date.now() - started });
    };
    const timer = setTimeout(() => finish(new Error(`no complete reply within ${timeoutMs} ms (a hang); received ${JSON.stringify(received.toString('latin1').slice(0, 300))}`)), timeoutMs);
    const tryParse = (closed: boolean) => {
      if (reply) return;
      try {
        reply = parseReply(received, head, closed);
      } catch (err) {
        return finish(err as Error);
      }
      if (reply) {
        writtenBeforeReply = written;
        if (!writeAfterReply || !writing) finish();
      }
    };
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      tryParse(false);
    });
    // EPIPE / ECONNRESET while writing: what was received still counts; 'close' follows.
    socket.on('error', () => {});
    socket.on('close', () => {
      tryParse(true);
      if (reply) return finish();
      const error = new Error(`the connection closed without a complete reply${halfClosed ? ' (after the client half-closed)' : ''}; received ${JSON.stringify(received.toString('latin1').slice(0, 300))}`);
      finish(Object.assign(error, { halfClosed }));
    });
    socket.on('connect', async () => {
      for (const step of steps) {
        if (settled || socket.destroyed || (reply && !writeAfterReply)) break;
        if (typeof step === 'number') {
          await sleep(step);
          continue;
        }
        written += step.length;
        if (!socket.write(step)) await new Promise<void>((done) => {
          socket.once('drain', done);
          socket.once('close', done);
        });
      }
      writing = false;
      if (reply) return finish();
      if (end !== false) {
        await sleep(end);
        if (!reply && !settled && !socket.destroyed) {
          halfClosed = true;
          socket.end();
        }
      }
    });
  });
}

/** The first final (non-1xx) reply in `data`, or undefined while incomplete. Throws on what is not HTTP. */
function parseReply(data: Buffer, head: boolean, closed: boolean): Reply | undefined {
  let offset = 0;
  for (;;) {
    const split = data.indexOf('\r\n\r\n', offset);
    if (split === -1) return undefined;
    const [statusLine, ...lines] = data.subarray(offset, split).toString('latin1').split('\r\n');
    const match = /^HTTP\/1\.[01] (\d{3}) /.exec(statusLine + ' ');
    if (!match) throw new Error(`not an HTTP reply: ${JSON.stringify(data.toString('latin1').slice(0, 300))}`);
    const status = Number(match[1]);
    const headers: Record<string, string> = {};
    for (const line of lines) {
      const colon = line.indexOf(':');
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      headers[name] = name in headers ? `${headers[name]}, ${value}` : value;
    }
    const start = split + 4;
    if (status < 200) {
      offset = start; // 100 Continue: the real reply follows
      continue;
    }
    if (head || status === 204 || status === 304) return { status, headers, body: Buffer.alloc(0) };
    if (headers['content-length'] !== undefined) {
      const length = Number(headers['content-length']);
      if (data.length - start < length) return undefined;
      return { status, headers, body: data.subarray(start, start + length) };
    }
    if (/chunked/i.test(headers['transfer-encoding'] ?? '')) {
      const pieces: Buffer[] = [];
      let at = start;
      for (;;) {
        const eol = data.indexOf('\r\n', at);
        if (eol === -1) return undefined;
        const size = parseInt(data.subarray(at, eol).toString('latin1'), 16);
        if (size === 0) return { status, headers, body: Buffer.concat(pieces) };
        if (data.length < eol + 2 + size + 2) return undefined;
        pieces.push(data.subarray(eol + 2, eol + 2 + size));
        at = eol + 2 + size + 2;
      }
    }
    return closed ? { status, headers, body: data.subarray(start) } : undefined;
  }
}

/** A request as bytes (a "byte string" has one character per byte, as latin1). */
function bytes(text: string): Buffer {
  return Buffer.from(text, 'latin1');
}

/** UTF-8 bytes of a string, as a byte string. */
function utf8(text: string): string {
  return Buffer.from(text, 'utf8').toString('latin1');
}

/** A RawRequest of test/helpers/signedHttp.ts (signed by our signer) as the bytes it puts on the wire. */
function wire(request: RawRequest): Buffer {
  const headers: Record<string, string> = { ...(request.headers ?? {}) };
  const names = Object.keys(headers).map((h) => h.toLowerCase());
  if (!names.includes('host')) headers.host = server.endpoint;
  const body = request.body === undefined ? undefined : Buffer.from(request.body);
  if (body && request.chunked) headers['transfer-encoding'] = 'chunked';
  else if (body && !names.includes('content-length')) headers['content-length'] = String(body.length);
  const head = `${request.method} ${utf8(request.path)} HTTP/1.1\r\n${Object.entries(headers).map(([k, v]) => `${k}: ${utf8(v)}\r\n`).join('')}\r\n`;
  if (!body) return bytes(head);
  return Buffer.concat([bytes(head), request.chunked ? Buffer.concat([bytes(`${body.length.toString(16)}\r\n`), body, bytes('\r\n0\r\n\r\n')]) : body]);
}

function describe(request: Buffer): string {
  const text = request.toString('latin1');
  return `request (${request.length} bytes): ${JSON.stringify(text.length > 400 ? `${text.slice(0, 300)}…${text.slice(-100)}` : text)}`;
}

// ---------------------------------------------------------------------------------------------------------------
// The oracle, for every reply.

const codes = new Map<string, number>();

/**
 * Never a 5xx; every reply carries an upper-case UUID x-acs-request-id; every non-2xx is exactly our JSON
 * envelope with that RequestId, a Code of the catalog and that code's status. Returns the parsed body.
 */
function checkReply(reply: Reply, what: string, head = false): Record<string, unknown> | undefined {
  const context = () => `${what}\n→ ${reply.status} ${JSON.stringify(reply.headers)} ${reply.body.toString('utf8').slice(0, 600)}`;
  assert.ok(reply.status < 500, `never a 5xx: ${context()}`);
  assert.ok(reply.status >= 200 && (reply.status < 300 || reply.status >= 400), `a 2xx or a 4xx: ${context()}`);
  const requestId = reply.headers['x-acs-request-id'];
  assert.match(String(requestId), UPPER_UUID, `x-acs-request-id is an upper-case UUID: ${context()}`);
  if (head) return undefined;
  if (reply.status < 300 && !/^application\/json/.test(reply.headers['content-type'] ?? '')) return undefined; // /metrics
  assert.match(reply.headers['content-type'] ?? '', /^application\/json/, `JSON: ${context()}`);
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(reply.body.toString('utf8'));
  } catch {
    assert.fail(`the body is not JSON: ${context()}`);
  }
  assert.equal(body.RequestId, requestId, `RequestId equals x-acs-request-id: ${context()}`);
  if (reply.status < 300) {
    codes.set('200', (codes.get('200') ?? 0) + 1);
    return body;
  }
  assert.deepEqual(Object.keys(body).filter((k) => k !== 'AccessDeniedDetail').sort(), ENVELOPE_KEYS, `exactly the envelope keys: ${context()}`);
  for (const key of ['Code', 'HostId', 'Message', 'Recommend']) assert.ok(typeof body[key] === 'string' && body[key] !== '', `${key} is a non-empty string: ${context()}`);
  if ('AccessDeniedDetail' in body) assert.ok(typeof body.AccessDeniedDetail === 'object' && body.AccessDeniedDetail !== null, `AccessDeniedDetail is an object: ${context()}`);
  const code = body.Code as string;
  const entry = (ERROR_CATALOG as Record<string, { status: number }>)[code];
  assert.ok(entry, `Code ${code} is in the catalog: ${context()}`);
  // Two statuses differ from their code's: oversized headers (431 MalformedRequest, see src/app.ts), and the
  // token codes of the WebOffice document API, a bearer-token API (401 with WWW-Authenticate, see tokenCheck.ts).
  const bearerRefusal = reply.status === 401 && DOCUMENT_API_TOKEN_CODES.has(code) && /^Bearer /.test(String(reply.headers['www-authenticate']));
  const expected = code === 'MalformedRequest' && reply.status === 431 ? 431 : bearerRefusal ? 401 : entry.status;
  assert.equal(reply.status, expected, `the status of ${code}: ${context()}`);
  const byParser = refusedByNodeParser(body);
  codes.set(byParser ? `${code} (Node's parser)` : code, (codes.get(byParser ? `${code} (Node's parser)` : code) ?? 0) + 1);
  return body;
}

/**
 * Sends one request and checks its reply. When the connection closed without a reply only after this client
 * half-closed, a complete request may have been aborted in flight (see ExchangeOptions.end): it is sent again
 * without half-closing, and must then be answered, at the latest with 408 after the request timeout.
 */
async function send(request: Buffer, options: ExchangeOptions = {}): Promise<Record<string, unknown> | undefined> {
  const fail = (err: Error): never => {
    throw new Error(`${err.message}\n${describe(request)}`);
  };
  const { reply } = await exchange([request], options).catch((err: Error & { halfClosed?: boolean }) => {
    if (!err.halfClosed) fail(err);
    halfCloseRetries++;
    return exchange([request], { ...options, end: false, timeoutMs: REQUEST_TIMEOUT_S * 1000 + 5_000 }).catch(fail);
  });
  return checkReply(reply, describe(request), options.head);
}
let halfCloseRetries = 0;

/** A reply to a request Node's HTTP parser refused (src/api/rawErrors.ts): it never reached the application. */
function refusedByNodeParser(body: Record<string, unknown>): boolean {
  return /the HTTP request is malformed|headers are too large/.test(String(body.Message));
}
/** A signed request is complete by construction: its client never half-closes, it just waits for the reply. */
const SIGNED: ExchangeOptions = { end: false };

function assertAlive(): void {
  assert.equal(server.process.exitCode, null, `the server process exited:\n${server.stderr().slice(-3000)}`);
  assert.equal(server.process.signalCode, null, `the server process was killed:\n${server.stderr().slice(-3000)}`);
}

/** Resident memory of the server process in bytes (Linux /proc), or undefined elsewhere. */
function serverRss(): number | undefined {
  try {
    const status = fs.readFileSync(`/proc/${server.process.pid}/status`, 'utf8');
    const kb = /^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1];
    return kb === undefined ? undefined : Number(kb) * 1024;
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Generators.

function wellFormed(text: string): boolean {
  return !/[\uD800-\uDFFF]/.test(text.replace(/[\uD800-\uDBFF][\uDC00-\uDFFF]/g, ''));
}

/** Any Unicode text (UTF-16 well formed, so that it can be signed). */
const textArb = (max: number) => fc.string({ unit: 'binary', maxLength: max }).filter(wellFormed);
/** Any bytes, as a byte string: invalid UTF-8, NUL, CR/LF and all. */
const bytesArb = (max: number) => fc.uint8Array({ maxLength: max }).map((a) => Buffer.from(a).toString('latin1'));
const repeatArb = (min: number, max: number, unit: string) => fc.integer({ min, max }).map((n) => unit.repeat(n));

const BAD_ESCAPES = [
  '%', '%Z', '%ZZ', '%zz', '%4', '%%', '%u0041', '%E4%B8', '%FF', '%FE%FF', '%80', '%C0%AF', '%C0%80', '%E0%80%AF', '%F0%80%80%AF',
  '%ED%A0%80', '%ED%BF%BF', '%F4%90%80%80', '%F8%88%80%80%80', '%00', '%EF%BB%BF', '%0D%0A', '+', '%2B', '%20', '%25',
];
const PARAMETER_NAMES = [
  'Action', 'Version', 'AccessKeyId', 'Signature', 'SignatureMethod', 'SignatureVersion', 'SignatureNonce', 'Timestamp', 'Format', 'SecurityToken',
  'ProjectName', 'Description', 'ServiceRole', 'SourceURI', 'Filename', 'UserData', 'PreviewPages', 'Password', 'ExternalUploaded', 'NotifyTopicName',
  'Hidecmb', 'CachePreview', 'Referer', 'Permission', 'User', 'Watermark', 'Notification', 'CredentialConfig', 'AccessToken', 'RefreshToken',
  'MaxResults', 'NextToken', 'Prefix', 'UserName', 'DisplayName', 'MobilePhone', 'Email', 'Comments', 'GroupName', 'RoleName',
  'AssumeRolePolicyDocument', 'MaxSessionDuration', 'PolicyName', 'PolicyType', 'PolicyDocument', 'SetAsDefault', 'RotateStrategy', 'VersionId',
  'UserAccessKeyId', 'Status', 'Marker', 'MaxItems', 'RoleArn', 'RoleSessionName', 'DurationSeconds', 'Policy', 'ExternalId', 'CascadingDelete',
];
const STRUCTS = ['Permission', 'User', 'Watermark', 'Notification', 'CredentialConfig'];

/**
 * Pieces of a query string. `strict` keeps to what Node's parser lets through to the application (so the
 * application's own decoding is what gets fuzzed); otherwise anything, raw bytes on the request line included.
 */
const queryPieceArb = (strict: boolean) =>
  fc.oneof(
    { weight: 3, arbitrary: textArb(16).map(encodeURIComponent) },
    { weight: strict ? 0 : 1, arbitrary: textArb(12).map(utf8) }, // raw (not percent-encoded) UTF-8 on the request line
    { weight: strict ? 0 : 1, arbitrary: bytesArb(8) },
    { weight: 2, arbitrary: fc.constantFrom(...BAD_ESCAPES) },
    { weight: 2, arbitrary: fc.tuple(textArb(6).map(encodeURIComponent), fc.constantFrom(...BAD_ESCAPES), textArb(6).map(encodeURIComponent)).map((parts) => parts.join('')) },
    { weight: 2, arbitrary: fc.constantFrom(...PARAMETER_NAMES, 'ListProjects', IMM_VERSION, 'CredentialConfig.Chain.1.Role', '') },
    // Long values: in strict mode within the 16 KB head limit; otherwise up to 120 KB (431).
    { weight: 1, arbitrary: repeatArb(1_000, strict ? 4_000 : 120_000, 'q') },
  );
const queryArb = (strict: boolean) =>
  fc
    .array(fc.tuple(queryPieceArb(strict), fc.option(queryPieceArb(strict), { nil: undefined })), { maxLength: 6 })
    .map((pairs) => pairs.map(([k, v]) => (v === undefined ? k : `${k}=${v}`)).join('&'));

const pathArb = (strict: boolean) =>
  fc
    .tuple(
      fc.oneof(
        { weight: 6, arbitrary: fc.constant('/') },
        { weight: 2, arbitrary: fc.constantFrom('/health', '/ready', '/metrics', `/office/api/v1/files/${'a'.repeat(40)}`, `/office/api/v1/files/${'b'.repeat(40)}/content`, '/office/api/v1/files/x/open', `/office/w/${'c'.repeat(40)}`, '/office/assets/page.js', '/office/assets/..%2f..%2fpackage.json', '/sdk/aliyun-web-office-sdk.min.js', '/nope', '*', '//', '/./', '/../', '/%2e%2e/', 'http://imm.test/', 'http://imm.test:99999/', '/\\', '/;a', '/a'.repeat(150), '/%ZZ', '/%', '/%00', '/%C0%AF', '/%ED%A0%80') },
        { weight: strict ? 0 : 1, arbitrary: fc.constantFrom('', '?', '#') },
        { weight: strict ? 0 : 1, arbitrary: textArb(10).map((s) => `/${utf8(s)}`) },
        { weight: strict ? 0 : 1, arbitrary: bytesArb(10).map((s) => `/${s}`) },
      ),
      fc.option(queryArb(strict), { nil: undefined }),
      fc.constantFrom('', '', '', '#', '#frag', '?'),
    )
    .map(([p, q, tail]) => p + (q === undefined ? '' : `?${q}`) + tail);

const methodArb = (strict: boolean) =>
  strict
    ? fc.oneof({ weight: 8, arbitrary: fc.constantFrom('GET', 'POST') }, fc.constantFrom('HEAD', 'PUT', 'DELETE', 'OPTIONS', 'PATCH', 'TRACE', 'CONNECT', 'PROPFIND', 'M-SEARCH'))
    : fc.oneof(fc.constantFrom('GET', 'POST', 'PRI', 'get', 'Post', 'FOO', ''), fc.stringMatching(/^[A-Za-z!#$%&'*+.^_`|~-]{1,12}$/), bytesArb(6));
const versionArb = (strict: boolean) =>
  strict ? fc.constantFrom('HTTP/1.1', 'HTTP/1.1', 'HTTP/1.1', 'HTTP/1.0') : fc.constantFrom('HTTP/1.1', 'HTTP/2.0', 'HTTP/0.9', 'HTTP/1.2', 'http/1.1', 'HTTP/1.1 ', 'HTTP/11', '');

const HEADER_NAMES = [
  'Host', 'Content-Type', 'Content-Length', 'Transfer-Encoding', 'Expect', 'Connection', 'Upgrade', 'Authorization', 'x-acs-action', 'x-acs-version',
  'x-acs-date', 'x-acs-signature-nonce', 'x-acs-content-sha256', 'x-acs-security-token', 'x-acs-accesskey-id', 'x-weboffice-token', 'User-Agent',
  'X-Forwarded-For', 'X-Forwarded-Proto', 'Accept', 'Content-Encoding', 'Cookie', 'Range', 'Trailer', 'Keep-Alive', 'TE', 'Proxy-Connection',
];
const HEADER_VALUES = [
  '', ' ', 'chunked', 'gzip', 'gzip, chunked', 'chunked, chunked', 'identity', '100-continue', '100-Continue', 'close', 'keep-alive', 'upgrade', 'Upgrade, HTTP2-Settings',
  'h2c', 'websocket', '0', '-1', '1e3', '99999999999999999999', 'application/x-www-form-urlencoded', 'application/json', 'multipart/form-data; boundary=x',
  'ACS3-HMAC-SHA256 Credential=x,SignedHeaders=host,Signature=00', 'ACS3-HMAC-SHA256', 'ACS3-HMAC-SM3 Credential=,SignedHeaders=,Signature=',
  'ACS3-RSA-SHA256 Credential=a', 'acs a:b', 'Bearer x', 'ListProjects', 'GenerateWebofficeToken', IMM_VERSION, RAM_VERSION, '2026-11-25T22:54:49Z',
  'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855', '127.0.0.1, 10.0.0.1', 'https', 'bytes=0-1', 'timeout=1',
];
/** Header names: in strict mode the names that change how a request is read, and valid tokens. */
const headerNameArb = (strict: boolean) =>
  fc.oneof(
    { weight: 5, arbitrary: fc.constantFrom(...HEADER_NAMES.filter((h) => !strict || !/^(Content-Length|Transfer-Encoding)$/.test(h))) },
    { weight: 2, arbitrary: fc.stringMatching(/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,24}$/) },
    { weight: strict ? 0 : 1, arbitrary: bytesArb(12) }, // invalid characters (space, control, high bytes, ':' …)
    { weight: strict ? 0 : 1, arbitrary: fc.constantFrom('', ' Host', 'Host ', 'Con tent-Length', 'X\x00A', 'X\x7fA', 'ü') },
  );
/** Header values: in strict mode without control characters (Node refuses those), but with any UTF-8 and high bytes. */
const headerValueArb = (strict: boolean) =>
  fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...HEADER_VALUES) },
    { weight: 2, arbitrary: textArb(40).map(utf8).map((s) => (strict ? s.replace(/[\x00-\x08\x0a-\x1f\x7f]/g, '') : s)) },
    { weight: strict ? 0 : 1, arbitrary: bytesArb(40) },
    { weight: 1, arbitrary: repeatArb(1_000, strict ? 4_000 : 100_000, 'h') },
  );
const contentTypeArb = fc.oneof(
  { weight: 6, arbitrary: fc.constant('application/x-www-form-urlencoded') },
  fc.constantFrom(
    'application/json', 'text/plain', 'multipart/form-data; boundary=x', 'application/x-www-form-urlencoded; charset=utf-8',
    'application/x-www-form-urlencoded; charset=latin1', 'APPLICATION/X-WWW-FORM-URLENCODED', 'application/x-www-form-urlencoded;', ';', '', '*/*', 'a/b;c="d',
  ),
  textArb(20).map(utf8).map((s) => s.replace(/[\x00-\x08\x0a-\x1f\x7f]/g, '')),
);
const bodyArb = fc.oneof(
  { weight: 2, arbitrary: fc.constant('') },
  { weight: 4, arbitrary: queryArb(false) }, // form-looking, with the same bad encodings and raw bytes
  bytesArb(300), // invalid UTF-8, NUL, CR/LF
  fc.constantFrom('\xEF\xBB\xBFAction=ListProjects', `Action=ListProjects&Version=${IMM_VERSION}`, 'a=%C0%AF', 'a=\xC0\xAF', 'a=\x00', 'a=b&a=c', '&&&', '=', '%'),
  repeatArb(10_000, 300_000, 'b').map((s) => `Padding=${s}`),
);
/** How the body is framed; in lax mode the framing may lie or be broken. */
const framingArb = (strict: boolean) =>
  fc.oneof(
    { weight: 4, arbitrary: fc.constant({ kind: 'length' as const, delta: 0, value: '', bad: '' }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('chunked' as const), delta: fc.integer({ min: 1, max: 4 }), value: fc.constant(''), bad: fc.constantFrom('', 'extension', 'trailer') }) },
    { weight: strict ? 0 : 1, arbitrary: fc.record({ kind: fc.constant('none' as const), delta: fc.constant(0), value: fc.constant(''), bad: fc.constant('') }) },
    { weight: strict ? 0 : 1, arbitrary: fc.record({ kind: fc.constant('length' as const), delta: fc.integer({ min: -5, max: 5 }), value: fc.constant(''), bad: fc.constant('') }) }, // the length lies
    { weight: strict ? 0 : 1, arbitrary: fc.record({ kind: fc.constant('value' as const), delta: fc.constant(0), value: fc.constantFrom('-1', '1e3', 'abc', '', ' 5', '5 5', '0x10', '99999999999999999999', '+5', '5,5'), bad: fc.constant('') }) },
    { weight: strict ? 0 : 1, arbitrary: fc.record({ kind: fc.constant('twice' as const), delta: fc.integer({ min: 0, max: 3 }), value: fc.constant(''), bad: fc.constant('') }) },
    { weight: strict ? 0 : 1, arbitrary: fc.record({ kind: fc.constant('chunked' as const), delta: fc.integer({ min: 1, max: 4 }), value: fc.constant(''), bad: fc.constantFrom('size', 'unterminated', 'with-length', 'lf') }) },
  );

/**
 * A random request, as bytes. Half are `strict`: well-formed HTTP that Node hands to the application, with
 * fuzzed targets, query strings, header values, content types and bodies. The other half may break anything.
 */
const rawRequestArb = fc
  .boolean()
  .chain((strict) =>
    fc.record({
      method: methodArb(strict),
      target: pathArb(strict),
      version: versionArb(strict),
      eol: strict ? fc.constant('\r\n') : fc.constantFrom('\r\n', '\r\n', '\n'),
      host: fc.oneof({ weight: 5, arbitrary: fc.constant<string | undefined>('imm.test') }, fc.constant(undefined), headerValueArb(strict)),
      contentType: fc.option(contentTypeArb, { nil: undefined }),
      framing: framingArb(strict),
      headers: fc.array(fc.tuple(headerNameArb(strict), headerValueArb(strict)), { maxLength: 5 }),
      manyHeaders: fc.oneof({ weight: 9, arbitrary: fc.constant(0) }, fc.integer({ min: 100, max: strict ? 500 : 3000 })),
      body: bodyArb,
    }),
  )
  .map((r) => {
    const lines = [`${r.method} ${r.target} ${r.version}`.replace(/ $/, '')];
    if (r.host !== undefined) lines.push(`Host: ${r.host}`);
    if (r.contentType !== undefined) lines.push(`Content-Type: ${r.contentType}`);
    let body = r.body;
    const length = Buffer.byteLength(body, 'latin1');
    switch (r.framing.kind) {
      case 'length':
        if (length > 0 || r.framing.delta !== 0) lines.push(`Content-Length: ${Math.max(0, length + r.framing.delta)}`);
        break;
      case 'value':
        lines.push(`Content-Length: ${r.framing.value}`);
        break;
      case 'twice':
        lines.push(`Content-Length: ${length}`, `Content-Length: ${length + r.framing.delta}`);
        break;
      case 'chunked':
        lines.push('Transfer-Encoding: chunked');
        if (r.framing.bad === 'with-length') lines.push(`Content-Length: ${length}`);
        body = chunked(body, r.framing.delta, r.framing.bad);
        break;
      case 'none':
        break;
    }
    for (const [name, value] of r.headers) lines.push(`${name}: ${value}`);
    for (let i = 0; i < r.manyHeaders; i++) lines.push(`X-${i}: ${i}`);
    return { head: r.method === 'HEAD', bytes: bytes(lines.join(r.eol) + r.eol + r.eol + body) };
  });

/** `body` in `pieces` chunks, possibly broken in one way. */
function chunked(body: string, pieces: number, bad: string): string {
  const size = Math.max(1, Math.ceil(body.length / pieces));
  const parts: string[] = [];
  for (let i = 0; i < body.length; i += size) {
    const piece = body.slice(i, i + size);
    const header = bad === 'size' ? `${piece.length.toString(16)}zz` : bad === 'extension' ? `${piece.length.toString(16)};ext="v"` : piece.length.toString(16);
    parts.push(`${header}\r\n${piece}${bad === 'lf' ? '\n' : '\r\n'}`);
  }
  if (bad === 'unterminated') return parts.join('');
  return parts.join('') + (bad === 'trailer' ? '0\r\nX-Trailer: t\r\n\r\n' : '0\r\n\r\n');
}

/** JSON texts built to hurt: deep nesting, huge arrays, long strings, many keys, odd values. */
const depthArb = fc.oneof({ weight: 2, arbitrary: fc.integer({ min: 1, max: 12 }) }, fc.integer({ min: 13, max: 100_000 }));
const jsonBombArb = fc.oneof(
  depthArb.map((n) => '['.repeat(n) + ']'.repeat(n)),
  depthArb.map((n) => '{"a":'.repeat(n) + '1' + '}'.repeat(n)),
  depthArb.map((n) => '{"MNS":' + '{"a":'.repeat(n) + '{}' + '}'.repeat(n) + '}'),
  depthArb.map((n) => '['.repeat(n)), // never closed
  depthArb.map((n) => `{"Chain":${'['.repeat(n)}${']'.repeat(n)}}`),
  depthArb.map((n) => `{"Policy":${JSON.stringify('{"a":'.repeat(n) + '1' + '}'.repeat(n))}}`), // a bomb inside the JSON text of CredentialConfig.Policy
  fc.integer({ min: 0, max: 20_000 }).map((n) => `{"Chain":[${Array(n).fill('{"Role":"r"}').join(',')}]}`),
  fc.integer({ min: 0, max: 20_000 }).map((n) => `[${Array(n).fill('1').join(',')}]`),
  fc.integer({ min: 0, max: 200_000 }).map((n) => `{"Value":"${'x'.repeat(n)}","Type":1}`),
  fc.integer({ min: 0, max: 200_000 }).map((n) => `{"Id":"${'\\u0041'.repeat(n)}"}`),
  fc.integer({ min: 0, max: 8_000 }).map((n) => `{${Array.from({ length: n }, (_, i) => `"k${i}":${i}`).join(',')}}`),
  fc.jsonValue({ maxDepth: 6 }).map((v) => JSON.stringify(v)),
  fc.dictionary(fc.constantFrom('Readonly', 'Rename', 'History', 'Copy', 'Export', 'Print', 'Id', 'Name', 'Avatar', 'Type', 'Value', 'FillStyle', 'Font', 'Rotate', 'Horizontal', 'Vertical', 'MNS', 'RocketMQ', 'ExtendedMessageURI', 'ServiceRole', 'Policy', 'Chain'), fc.jsonValue({ maxDepth: 3 })).map((v) => JSON.stringify(v)),
  fc.constantFrom(
    '{"__proto__":{"Readonly":true}}', '{"constructor":{"prototype":{"Print":true}}}', '{"toString":1}', '{"Type":1e400}', '{"Type":-0}', '{"Rotate":1e308}',
    '{"Value":"\\ud800","Type":1}', '{"Id":"\\u0000"}', '{"Name":"\\udfff"}', '"string"', 'null', '1', '{', '}', '{"a":1}}', '[]', '{"Chain":[null]}',
    '{"Chain":[{"Role":""}]}', '{"Chain":{"1":{"Role":"r"}}}', '{"Policy":"{\\"Statement\\":[]}"}', '{"Policy":"["}', '{"Readonly":"true","Readonly":"false"}',
    '{"Avatar":"javascript:alert(1)"}', '{"Avatar":"http://[::1"}', '{"ExtendedMessageURI":"oss://b/../x"}', '\uFEFF{}', '{"a":"\\', '{"a":"\u0000"}', ' {} ',
  ),
);

/** Flattened struct fields: big and odd indices, gaps, conflicts, deep paths, thousands of keys. */
const indexArb = fc.oneof(
  { weight: 3, arbitrary: fc.integer({ min: 1, max: 12 }).map(String) },
  fc.integer({ min: 13, max: 2 ** 31 }).map(String),
  fc.constantFrom('0', '01', '-1', '1e3', '', '1.5', ' 1', '١', '99999999999999999999999', 'Infinity', 'NaN', '0x1'),
);
const flatArb = fc.oneof(
  fc.dictionary(
    fc.oneof(
      fc.tuple(indexArb, fc.constantFrom('Role', 'AssumeRoleFor', 'RoleType', 'X', '', 'Role.Sub')).map(([n, f]) => `CredentialConfig.Chain.${n}.${f}`),
      fc.tuple(fc.constantFrom(...STRUCTS), fc.array(fc.constantFrom('a', 'B', '1', '2', 'Readonly', 'Chain', 'MNS', 'Role', '', '__proto__', 'constructor'), { minLength: 1, maxLength: 12 })).map(([s, segments]) => [s, ...segments].join('.')),
    ),
    fc.oneof(fc.constantFrom('r', 'true', '1', '', 'user', '1e309'), textArb(20)),
    { maxKeys: 30 },
  ),
  fc.integer({ min: 1, max: 3_000 }).map((n) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`CredentialConfig.Chain.${i + 1}.Role`, 'r']))),
  fc.integer({ min: 1, max: 10 ** 9 }).map((n) => ({ [`CredentialConfig.Chain.${n}.Role`]: 'r' })),
  fc.integer({ min: 1, max: 3_000 }).map((n) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`Notification.MNS.k${i}`, 'v']))),
);

const valueArb = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom('', ' ', 'true', 'false', '0', '-1', '1.5', '1e309', 'NaN', 'null', '{}', '[]', '\u0000', '%', '%00', 'oss://', 'oss://fuzz-bucket/doc.docx', 'oss://fuzz-bucket/../x.docx', 'a.pdf', 'p_1', 'user', 'Active', 'Inactive', 'acs:ram::1:role/r') },
  { weight: 3, arbitrary: textArb(40) },
  repeatArb(1_000, 300_000, 'v'),
  fc.json({ maxDepth: 3 }),
  jsonBombArb,
);
const parameterNameArb = fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...PARAMETER_NAMES) }, textArb(12));

type Transport = 'rpc-post' | 'rpc-get' | 'acs3-query' | 'acs3-body';
/** Mostly with a form body: a query string over 16 KB is refused before any validation (431). */
const transportArb = fc.constantFrom<Transport>('rpc-post', 'rpc-post', 'rpc-post', 'rpc-get', 'acs3-query', 'acs3-body', 'acs3-body');

const IMM_ACTIONS = ['CreateProject', 'GetProject', 'ListProjects', 'UpdateProject', 'DeleteProject'];
const RAM_ACTIONS = [
  'AddUserToGroup', 'AttachPolicyToGroup', 'AttachPolicyToRole', 'AttachPolicyToUser', 'CreateAccessKey', 'CreateGroup', 'CreatePolicy', 'CreatePolicyVersion',
  'CreateRole', 'CreateUser', 'DeleteAccessKey', 'DeleteGroup', 'DeletePolicy', 'DeletePolicyVersion', 'DeleteRole', 'DeleteUser', 'DetachPolicyFromGroup',
  'DetachPolicyFromRole', 'DetachPolicyFromUser', 'GetGroup', 'GetPolicy', 'GetPolicyVersion', 'GetRole', 'GetUser', 'ListAccessKeys', 'ListGroups',
  'ListGroupsForUser', 'ListPolicies', 'ListPoliciesForGroup', 'ListPoliciesForRole', 'ListPoliciesForUser', 'ListPolicyVersions', 'ListRoles', 'ListUsers',
  'RemoveUserFromGroup', 'SetDefaultPolicyVersion', 'UpdateAccessKey',
];
const actionArb = fc.oneof(
  { weight: 5, arbitrary: fc.constant(['GenerateWebofficeToken', IMM_VERSION] as const) },
  { weight: 2, arbitrary: fc.constant(['RefreshWebofficeToken', IMM_VERSION] as const) },
  { weight: 1, arbitrary: fc.constantFrom(...IMM_ACTIONS).map((a) => [a, IMM_VERSION] as const) },
  { weight: 3, arbitrary: fc.constantFrom(...RAM_ACTIONS).map((a) => [a, RAM_VERSION] as const) },
  { weight: 1, arbitrary: fc.constantFrom('AssumeRole', 'GetCallerIdentity').map((a) => [a, STS_VERSION] as const) },
);

/** The parameters that take a token operation past its required checks, so the fuzzed ones are validated. */
function baseParameters(action: string): Record<string, string> {
  if (action === 'GenerateWebofficeToken') return { ProjectName: 'fuzz', SourceURI: sourceUri };
  if (action === 'RefreshWebofficeToken') return { ProjectName: 'fuzz', ...tokens };
  return {};
}

/** Signed with the root AccessKey by our signer (test/helpers/signedHttp.ts), in one of the four wire forms. */
function signedRequest(transport: Transport, action: string, version: string, params: Record<string, string>): Buffer {
  const credentials = server.root;
  switch (transport) {
    case 'rpc-post':
      return wire(rpcRawRequest(credentials, params, { action, version, method: 'POST' }));
    case 'rpc-get':
      return wire(rpcRawRequest(credentials, params, { action, version, method: 'GET' }));
    case 'acs3-query':
      return wire(acs3RawRequest(server, credentials, params, { action, version }));
    case 'acs3-body':
      return wire(acs3RawRequest(server, credentials, {}, { action, version, body: encodeParams(params) }));
  }
}

const signedCaseArb = fc.record({
  transport: transportArb,
  action: actionArb,
  keepBase: fc.oneof({ weight: 5, arbitrary: fc.constant(true) }, fc.constant(false)),
  fuzzed: fc.dictionary(parameterNameArb, valueArb, { maxKeys: 6 }),
  struct: fc.option(fc.tuple(fc.constantFrom(...STRUCTS), jsonBombArb), { nil: undefined, freq: 2 }),
  flat: fc.option(flatArb, { nil: undefined, freq: 3 }),
});

type SignedCase = typeof signedCaseArb extends fc.Arbitrary<infer T> ? T : never;

function signedCaseParams(c: SignedCase): Record<string, string> {
  const params: Record<string, string> = { ...(c.keepBase ? baseParameters(c.action[0]) : {}) };
  for (const [k, v] of Object.entries(c.fuzzed)) params[k] = v;
  if (c.struct) params[c.struct[0]] = c.struct[1];
  if (c.flat) Object.assign(params, c.flat);
  return params;
}

/** Codes that a request only gets before its signature is verified. */
const GATE_CODES = new Set([
  'SignatureDoesNotMatch', 'IncompleteSignature', 'InvalidTimeStamp.Format', 'InvalidTimeStamp.Expired', 'SignatureNonceUsed', 'InvalidSignatureMethod',
  'InvalidAccessKeyId.NotFound', 'InvalidAccessKeyId.Inactive', 'MissingSecurityToken', 'MalformedRequest', 'RequestEntityTooLarge', 'UnsupportedMediaType',
  'MissingParameter', 'InvalidVersion', 'InvalidAction.NotFound',
]);

// ---------------------------------------------------------------------------------------------------------------

before(async () => {
  const preload = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../helpers/plantedBug.js');
  server = await startServer({
    IMM_REQUEST_TIMEOUT: String(REQUEST_TIMEOUT_S),
    IMM_TEST_PLANTED_BUG: PLANTED_BUG,
    NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import=${preload}`.trim(),
  });
  port = Number(server.endpoint.slice(server.endpoint.lastIndexOf(':') + 1));
  // A project, a document and a live token pair, so that signed fuzz gets as deep as the operations go.
  await createBucket(server, server.root.AccountId, 'fuzz-bucket');
  sourceUri = writeObject(server, 'fuzz-bucket', 'doc.docx');
  const project = checkReply((await exchange([signedRequest('rpc-post', 'CreateProject', IMM_VERSION, { ProjectName: 'fuzz' })], { end: false })).reply, 'CreateProject');
  assert.ok(project?.Project, JSON.stringify(project));
  const generated = checkReply((await exchange([signedRequest('rpc-post', 'GenerateWebofficeToken', IMM_VERSION, baseParameters('GenerateWebofficeToken'))], { end: false })).reply, 'GenerateWebofficeToken');
  assert.ok(generated?.AccessToken, JSON.stringify(generated));
  tokens = { AccessToken: String(generated!.AccessToken), RefreshToken: String(generated!.RefreshToken) };
  // Warm up (JIT, pools, caches) before the memory baseline.
  for (let i = 0; i < 50; i++) await send(signedRequest('rpc-post', 'ListProjects', IMM_VERSION, {}), SIGNED);
  rssBefore = serverRss();
});

after(async () => {
  await server?.stop();
});

test(`request size limits: a URL or headers over ${MAX_HEADER_BYTES} bytes are 431 in our envelope, never a hang; under it they are served`, async () => {
  const tooLarge = async (request: string) => {
    const { reply, ms } = await exchange([bytes(request)], { timeoutMs: 5_000 });
    const body = checkReply(reply, request.slice(0, 200));
    assert.equal(reply.status, 431, request.slice(0, 200));
    assert.equal(body?.Code, 'MalformedRequest');
    assert.ok(ms < 2_000, `answered at once (${ms} ms)`);
  };
  await tooLarge(`GET /?Action=${'a'.repeat(100_000)} HTTP/1.1\r\nHost: imm.test\r\n\r\n`); // a 100 KB URL
  await tooLarge(`GET / HTTP/1.1\r\nHost: imm.test\r\nX-Big: ${'y'.repeat(100_000)}\r\n\r\n`); // a 100 KB header
  await tooLarge(`GET / HTTP/1.1\r\nHost: imm.test\r\n${Array.from({ length: 2_000 }, (_, i) => `X-${i}: ${'v'.repeat(10)}\r\n`).join('')}\r\n`); // many headers
  await tooLarge(`GET /?Action=${'a'.repeat(MAX_HEADER_BYTES)} HTTP/1.1\r\nHost: imm.test\r\n\r\n`); // just over the limit
  // Just under the limit: parsed and answered by the API (here: no Version).
  const under = `GET /?Action=${'a'.repeat(MAX_HEADER_BYTES - 200)} HTTP/1.1\r\nHost: imm.test\r\n\r\n`;
  const body = await send(bytes(under));
  assert.equal(body?.Code, 'MissingParameter');
  // A correctly signed request with a 12 KB parameter in the query gets past the limit to the operation.
  const long = signedRequest('acs3-query', 'ListProjects', IMM_VERSION, { Prefix: 'p'.repeat(12_000) });
  const { reply } = await exchange([long], SIGNED);
  checkReply(reply, describe(long));
  assert.ok(reply.status !== 431 && !/SignatureDoesNotMatch|MalformedRequest/.test(reply.body.toString()), reply.body.toString());
  assertAlive();
});

test(`slow clients are timed out with 408 in our envelope after IMM_REQUEST_TIMEOUT (${REQUEST_TIMEOUT_S} s here)`, async () => {
  const timeoutMs = REQUEST_TIMEOUT_S * 1000;
  const trickle = (text: string, pauseMs: number): Step[] => [...text].flatMap((c) => [bytes(c), pauseMs]);
  const slowHead = `POST / HTTP/1.1\r\nHost: imm.test\r\nContent-Type: application/x-www-form-urlencoded\r\nX-Slow: ${'s'.repeat(200)}`;
  const form = 'POST / HTTP/1.1\r\nHost: imm.test\r\nContent-Type: application/x-www-form-urlencoded\r\n';
  const cases: [string, Step[]][] = [
    ['headers sent byte by byte, never finished', trickle(slowHead, 50)],
    ['connected, nothing sent', []],
    ['a body that never comes', [bytes(`${form}Content-Length: 1000\r\n\r\nAction=Li`)]],
    ['a body sent byte by byte, slower than the timeout', [bytes(`${form}Content-Length: 1000\r\n\r\n`), ...trickle('A'.repeat(1000), 50)]],
    ['a chunked body never terminated', [bytes(`${form}Transfer-Encoding: chunked\r\n\r\n`), ...Array.from({ length: 200 }, (): Step[] => [bytes('1\r\na\r\n'), 50]).flat()]],
  ];
  const results = await Promise.all(cases.map(([what, steps]) => exchange(steps, { end: false, timeoutMs: timeoutMs + 6_000 }).then((r) => [what, r] as const)));
  for (const [what, { reply, ms }] of results) {
    const body = checkReply(reply, what);
    assert.equal(reply.status, 408, what);
    assert.equal(body?.Code, 'RequestTimeout', what);
    assert.ok(ms >= timeoutMs - 100, `${what}: not before the timeout (${ms} ms)`);
    // Node checks the deadlines every second (connectionsCheckingInterval, src/app.ts); slack for a busy machine.
    assert.ok(ms <= timeoutMs + 4_000, `${what}: soon after the timeout (${ms} ms)`);
  }
  // Control: a correctly signed request whose headers arrive slowly, but within the timeout, is served.
  const signed = signedRequest('rpc-post', 'ListProjects', IMM_VERSION, {});
  const headEnd = signed.indexOf('\r\n\r\n');
  const steps: Step[] = [];
  for (let at = 0, size = Math.ceil(headEnd / 10); at < headEnd; at += size) steps.push(signed.subarray(at, Math.min(at + size, headEnd)), 100);
  steps.push(signed.subarray(headEnd));
  const { reply, ms } = await exchange(steps);
  assert.ok(ms >= 900, `the headers took ${ms} ms`);
  assert.equal(reply.status, 200, reply.body.toString());
  assertAlive();
});

test('random requests on the raw socket: methods, targets, headers, framings, encodings', async (t) => {
  codes.clear();
  await fc.assert(
    fc.asyncProperty(rawRequestArb, async ({ head, bytes: request }) => {
      if (request.subarray(0, 4).toString('latin1') === 'PRI ') {
        // The one exception, Node's: it drops a connection whose method is PRI (the HTTP/2 connection preface)
        // without a reply, which an HTTP/2 client could not read anyway. Any reply must still pass the oracle.
        const outcome = await exchange([request]).catch((err: Error) => err);
        if (outcome instanceof Error) assert.match(outcome.message, /closed without a complete reply/, outcome.message);
        else checkReply(outcome.reply, describe(request), head);
        return;
      }
      await send(request, { head });
    }),
    fcOptions(700),
  );
  t.diagnostic(`codes: ${JSON.stringify(Object.fromEntries(codes))}; re-sent without half-close: ${halfCloseRetries}`);
  assertAlive();
});

test('correctly signed requests with fuzzed parameters: validation runs, nothing breaks', async (t) => {
  codes.clear();
  let pastGate = 0;
  let reachedServer = 0;
  await fc.assert(
    fc.asyncProperty(signedCaseArb, async (c) => {
      const body = await send(signedRequest(c.transport, c.action[0], c.action[1], signedCaseParams(c)), SIGNED);
      if (body && refusedByNodeParser(body)) return; // never reached our code: no gate of ours to pass
      reachedServer++;
      if (body && !GATE_CODES.has(String(body.Code))) pastGate++;
    }),
    fcOptions(400),
  );
  t.diagnostic(`past the signature gate: ${pastGate} of ${reachedServer} that reached the server; codes: ${JSON.stringify(Object.fromEntries(codes))}`);
  // The point of signing: most of these reach the operations' validation (or succeed), not only the gate. (Of
  // those Node's parser let through: about 55 % over seeds; counted over all 400, ~45 %, a 40 % bar failed one
  // random seed in CI.)
  assert.ok(pastGate >= reachedServer * 0.4, `only ${pastGate} of ${reachedServer} signed requests that reached the server got past the signature gate`);
  assert.ok((codes.get('InvalidArgument') ?? 0) > 0, 'struct and parameter validation was reached');
  assertAlive();
});

test('JSON bombs and flattened bombs in Permission, User, Watermark, Notification and CredentialConfig', async (t) => {
  codes.clear();
  let validated = 0;
  await fc.assert(
    fc.asyncProperty(
      fc.constantFrom('GenerateWebofficeToken', 'GenerateWebofficeToken', 'RefreshWebofficeToken'),
      fc.constantFrom<Transport>('rpc-post', 'acs3-body', 'acs3-query'),
      fc.oneof(fc.tuple(fc.constantFrom(...STRUCTS), jsonBombArb).map(([name, text]) => ({ [name]: text })), flatArb),
      async (action, transport, struct) => {
        const body = await send(signedRequest(transport, action, IMM_VERSION, { ...baseParameters(action), ...struct }), SIGNED);
        if (body?.Code === 'InvalidArgument' || body?.Code === undefined) validated++;
      },
    ),
    fcOptions(300),
  );
  t.diagnostic(`validated (InvalidArgument or accepted): ${validated}; codes: ${JSON.stringify(Object.fromEntries(codes))}`);
  assert.ok(validated > 0, 'the struct validation was reached');
  assertAlive();
});

test('signed requests mutated byte by byte after signing', async (t) => {
  codes.clear();
  const mutationArb = fc.record({
    at: fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }),
    op: fc.constantFrom('flip', 'delete', 'insert', 'duplicate', 'truncate'),
    byte: fc.integer({ min: 0, max: 255 }),
    length: fc.integer({ min: 1, max: 40 }),
  });
  await fc.assert(
    fc.asyncProperty(transportArb, actionArb, fc.array(mutationArb, { minLength: 1, maxLength: 4 }), async (transport, action, mutations) => {
      let request = signedRequest(transport, action[0], action[1], baseParameters(action[0]));
      for (const m of mutations) {
        const at = Math.floor(m.at * request.length);
        const tail = request.subarray(at);
        if (m.op === 'flip') request = Buffer.concat([request.subarray(0, at), Buffer.from([m.byte]), tail.subarray(1)]);
        if (m.op === 'delete') request = Buffer.concat([request.subarray(0, at), tail.subarray(m.length)]);
        if (m.op === 'insert') request = Buffer.concat([request.subarray(0, at), Buffer.alloc(m.length, m.byte), tail]);
        if (m.op === 'duplicate') request = Buffer.concat([request.subarray(0, at + m.length), request.subarray(at)]);
        if (m.op === 'truncate') request = request.subarray(0, Math.max(1, at));
      }
      fc.pre(request.length > 0); // no request at all is answered by no reply (and the request timeout)
      await send(request, { head: request.subarray(0, 5).toString('latin1') === 'HEAD ' });
    }),
    fcOptions(150),
  );
  t.diagnostic(`codes: ${JSON.stringify(Object.fromEntries(codes))}`);
  assertAlive();
});

test(`10 MB bodies are refused by the body limit (${BODY_LIMIT} bytes) with 413 in our envelope, never buffered`, async (t) => {
  const MiB = 1024 * 1024;
  let bytesSent = 0;
  await fc.assert(
    fc.asyncProperty(
      fc.record({
        framing: fc.constantFrom('length', 'chunked'),
        size: fc.integer({ min: 10 * MiB, max: 12 * MiB }),
        filler: fc.constantFrom('a', '%', '\xff', '&'),
        // Stop after 2 MiB and wait: the 413 must come without the rest (the server does not read it all).
        // Otherwise send it all (the server reads and discards the rest) and read the 413 then.
        pause: fc.oneof({ weight: 1, arbitrary: fc.constant(true) }, { weight: 3, arbitrary: fc.constant(false) }),
        signed: fc.boolean(),
      }),
      async ({ framing, size, filler, pause, signed }) => {
        const base = signed ? wire(acs3RawRequest(server, server.root, {}, { body: 'x' })) : bytes('POST / HTTP/1.1\r\nHost: imm.test\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 1\r\n\r\nx');
        const head = base.subarray(0, base.indexOf('\r\n\r\n')).toString('latin1').split('\r\n').filter((l) => !/^content-length:/i.test(l));
        head.push(framing === 'length' ? `Content-Length: ${size}` : 'Transfer-Encoding: chunked');
        const steps: Step[] = [bytes(head.join('\r\n') + '\r\n\r\n')];
        const piece = Buffer.alloc(256 * 1024, filler, 'latin1');
        for (let sent = 0; sent < size; sent += piece.length) {
          const part = piece.subarray(0, Math.min(piece.length, size - sent));
          steps.push(framing === 'length' ? part : Buffer.concat([bytes(`${part.length.toString(16)}\r\n`), part, bytes('\r\n')]));
          if (pause && sent === 2 * MiB) steps.push(3_000);
        }
        if (framing === 'chunked') steps.push(bytes('0\r\n\r\n'));
        const total = steps.reduce<number>((n, s) => n + (typeof s === 'number' ? 0 : s.length), 0);
        const { reply, writtenBeforeReply } = await exchange(steps, { writeAfterReply: !pause, timeoutMs: 20_000 });
        bytesSent += pause ? writtenBeforeReply : total;
        const body = checkReply(reply, `${framing} body of ${size} bytes`);
        assert.equal(reply.status, 413, JSON.stringify(body));
        assert.equal(body?.Code, 'RequestEntityTooLarge');
        assert.match(String(body?.Message), new RegExp(`\\b${BODY_LIMIT}\\b`));
        if (pause) assert.ok(writtenBeforeReply < total, `refused before the whole body was sent (${writtenBeforeReply} of ${total} bytes)`);
      },
    ),
    fcOptions(30),
  );
  t.diagnostic(`sent ${Math.round(bytesSent / MiB)} MiB in oversized bodies`);
  // More than the memory bound checked at the end (150 MiB): had any of it been kept, that check would fail.
  if (FACTOR >= 1) assert.ok(bytesSent > 200 * MiB, `only ${Math.round(bytesSent / MiB)} MiB sent`);
  assertAlive();
});

test('a genuine bug still surfaces as 500 InternalError (and the oracle above fails on it)', async () => {
  // test/helpers/plantedBug.ts makes src/api/params.ts throw a TypeError for this one value.
  const request = bytes(`GET /?Action=ListProjects&Version=${IMM_VERSION}&Comment=${PLANTED_BUG} HTTP/1.1\r\nHost: imm.test\r\n\r\n`);
  const { reply } = await exchange([request]);
  assert.equal(reply.status, 500);
  const body = JSON.parse(reply.body.toString('utf8'));
  assert.deepEqual(Object.keys(body).sort(), ENVELOPE_KEYS);
  assert.equal(body.Code, 'InternalError');
  assert.equal(body.RequestId, reply.headers['x-acs-request-id']);
  assert.ok(!/planted|TypeError/.test(body.Message), 'the failure itself is not shown to the caller');
  assert.throws(() => checkReply(reply, 'planted bug'), /never a 5xx/, 'the fuzz oracle fails on it');
  plantedRequestId = body.RequestId;
  await sleep(100); // its log line
  assert.match(server.stderr(), new RegExp(`"requestId":"${plantedRequestId}"[^\\n]*"unexpected failure"|"unexpected failure"[^\\n]*"requestId":"${plantedRequestId}"`), 'and it is logged as an unexpected failure');
});

test('after all of it: the process is alive, serves a valid call, its memory stayed bounded and its log is clean', async (t) => {
  assertAlive();
  const body = await send(signedRequest('rpc-post', 'GetProject', IMM_VERSION, { ProjectName: 'fuzz' }), SIGNED);
  assert.equal((body?.Project as Record<string, unknown>)?.ProjectName, 'fuzz');
  const again = await send(signedRequest('acs3-query', 'GenerateWebofficeToken', IMM_VERSION, baseParameters('GenerateWebofficeToken')), SIGNED);
  assert.ok(again?.AccessToken, JSON.stringify(again));

  // Memory. The fuzz above sent over 200 MiB in oversized bodies alone (asserted there), plus thousands of requests
  // with values up to 300 KB: had the server kept it (buffered past the body limit, or leaked per request), its
  // RSS would have grown by more than the bound. 150 MiB is generous for what legitimately grows: V8's heap before a
  // major GC, the SQLite page cache, JIT code, and transient buffers of up to IMM_BODY_LIMIT per request.
  const rssAfter = serverRss();
  if (rssBefore === undefined || rssAfter === undefined) {
    t.diagnostic('no /proc/<pid>/status here: memory not measured');
  } else {
    const grewMiB = (rssAfter - rssBefore) / 1024 / 1024;
    t.diagnostic(`server RSS ${Math.round(rssBefore / 1024 / 1024)} MiB → ${Math.round(rssAfter / 1024 / 1024)} MiB`);
    assert.ok(grewMiB < 150, `the server's RSS grew by ${Math.round(grewMiB)} MiB`);
  }

  // The server's own account: no unexpected failure (other than the planted one), no 5xx, no phantom outage.
  const lines = server
    .stderr()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as { level: number; msg: string; status?: number; requestId?: string });
  const bad = lines.filter(
    (l) => l.requestId !== plantedRequestId && (l.level >= 50 || l.msg === 'database unavailable' || (l.msg === 'request completed' && (l.status ?? 0) >= 500)),
  );
  assert.deepEqual(bad, [], 'no error-level log line, no 5xx in the access log, no database outage');
});
