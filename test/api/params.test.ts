/**
 * Reading a request's parameters (query string ∪ form body): the number of parameters is capped before any
 * decoding, so a body of empty parameters costs one scan for its separators and no more — then, against a real
 * server, such a body is a clear 400 in the envelope and a legitimate request still goes through.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { MAX_PARAMETERS, readParameters } from '../../src/api/params.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { rpcRequest, send } from '../helpers/signedHttp.js';

const params = (count: number, prefix = 'P') => Array.from({ length: count }, (_, i) => `${prefix}${i}=v`).join('&');
const tooMany = (call: () => unknown) =>
  assert.throws(call, (err: Error & { code?: string }) => {
    assert.equal(err.code, 'MalformedRequest');
    assert.match(err.message, new RegExp(`more than ${MAX_PARAMETERS} parameters`));
    return true;
  });

describe('readParameters: at most MAX_PARAMETERS parameters, counted before decoding', () => {
  test(`${MAX_PARAMETERS} parameters are read; one more is refused with MalformedRequest naming the limit`, () => {
    assert.equal(Object.keys(readParameters(`/?${params(MAX_PARAMETERS)}`, undefined).all).length, MAX_PARAMETERS);
    assert.equal(Object.keys(readParameters('/', Buffer.from(params(MAX_PARAMETERS))).all).length, MAX_PARAMETERS);
    tooMany(() => readParameters(`/?${params(MAX_PARAMETERS + 1)}`, undefined));
    tooMany(() => readParameters('/', Buffer.from(params(MAX_PARAMETERS + 1))));
  });

  test('the query string and the body count together', () => {
    const half = MAX_PARAMETERS / 2;
    assert.equal(Object.keys(readParameters(`/?${params(half, 'Q')}`, Buffer.from(params(half, 'B'))).all).length, MAX_PARAMETERS);
    tooMany(() => readParameters(`/?${params(half + 1, 'Q')}`, Buffer.from(params(half, 'B'))));
  });

  test('empty parameters count: a body of 170 000 bare separators is refused', () => {
    tooMany(() => readParameters('/', Buffer.from('&'.repeat(170_000))));
    tooMany(() => readParameters(`/?${'&'.repeat(MAX_PARAMETERS)}`, undefined));
  });

  test('the count comes before any decoding: bad percent-encoding or bad UTF-8 past the limit is refused for the count', () => {
    tooMany(() => readParameters('/', Buffer.from(`${params(MAX_PARAMETERS)}&bad=%ZZ`)));
    tooMany(() => readParameters('/', Buffer.concat([Buffer.from(`${'&'.repeat(MAX_PARAMETERS)}x=`), Buffer.from([0xff, 0xfe])])));
    // Within the limit the same faults are refused for what they are.
    assert.throws(() => readParameters('/', Buffer.from('bad=%ZZ')), /not valid percent-encoded UTF-8/);
    assert.throws(() => readParameters('/', Buffer.from([0x78, 0x3d, 0xff])), /not valid UTF-8/);
  });
});

describe('readParameters: percent-encoding', () => {
  test('a text is refused exactly when one of its &-separated pieces is not valid percent-encoded UTF-8', () => {
    // Pieces made of the characters that matter: escapes of UTF-8 lead, continuation and ASCII bytes, stray
    // `%`s and bad hex digits, separators, `+` and characters that are not ASCII.
    const piece = fc.array(fc.constantFrom('%E2', '%82', '%AC', '%C3', '%A9', '%41', '%', '%Z', 'Z', '2', 'a', '=', '+', 'é', '中'), { maxLength: 8 }).map((parts) => parts.join(''));
    fc.assert(
      fc.property(fc.array(piece, { minLength: 1, maxLength: 5 }), (pieces) => {
        const text = pieces.join('&');
        const pieceFails = pieces.some((p) => {
          try {
            decodeURIComponent(p.replace(/\+/g, ' '));
            return false;
          } catch {
            return true;
          }
        });
        let refused = false;
        try {
          readParameters(`/?${text}`, undefined);
        } catch (err) {
          refused = /not valid percent-encoded UTF-8/.test((err as Error).message);
          if (!refused) return true; // refused for another reason (a parameter given twice): not this property
        }
        assert.equal(refused, pieceFails, text);
        return true;
      }),
      { numRuns: 3000 },
    );
  });
});

describe('too many parameters against a real server', () => {
  let server: TestServer;
  before(async () => {
    server = await startServer();
  });
  after(async () => {
    await server?.stop();
  });

  test('a form body of 170 000 empty parameters is 400 MalformedRequest in the envelope; a signed request still works', async () => {
    const reply = await send(server, {
      method: 'POST',
      path: '/',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: '&'.repeat(170_000),
    });
    assert.equal(reply.status, 400);
    assert.equal(reply.json?.Code, 'MalformedRequest');
    assert.match(reply.json?.Message, new RegExp(`more than ${MAX_PARAMETERS} parameters \\(query string and body together\\)`));
    assert.ok(reply.json?.RequestId && reply.json?.HostId !== undefined, 'the usual envelope');

    const ok = await rpcRequest(server, server.root, {});
    assert.equal(ok.status, 200, ok.text);
  });
});
