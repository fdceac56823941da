/**
 * The service on PostgreSQL, two server processes on one database: the token flow works through an official
 * client, a refresh race across the two spends the pair once, and a nonce replayed to the other node is refused.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { createPostgresSchema, postgresReachable, TEST_POSTGRES_URL } from '../helpers/engines.js';
import { makeDataDir, putDocument, startServer, type TestServer } from '../helpers/server.js';
import { createClient } from '../helpers/clients.js';
import { rpcSignature } from '../../src/api/signature.js';

const reachable = await postgresReachable();
if (!reachable) {
  if (process.env.IMM_REQUIRE_POSTGRES === '1') throw new Error(`PostgreSQL required but not reachable at ${TEST_POSTGRES_URL}`);
  console.log(`# PostgreSQL server tests skipped: no server at ${TEST_POSTGRES_URL}`);
}

describe('two server processes on one PostgreSQL database', { skip: !reachable }, () => {
  let schema: Awaited<ReturnType<typeof createPostgresSchema>>;
  let nodeA: TestServer;
  let nodeB: TestServer;
  const root = { AccountId: '1234567890123456', AccessKeyId: 'LTAIpostgresTestRootKey1', AccessKeySecret: randomBytes(15).toString('hex') };

  before(async () => {
    schema = await createPostgresSchema();
    const shared = {
      IMM_DATABASE_URL: schema.url,
      IMM_MASTER_KEY: randomBytes(32).toString('hex'),
      IMM_ROOT_ACCESS_KEY_ID: root.AccessKeyId,
      IMM_ROOT_ACCESS_KEY_SECRET: root.AccessKeySecret,
      IMM_ACCOUNT_ID: root.AccountId,
      IMM_OSS_DIR: makeDataDir('imm-oss-'),
    };
    // Started together: migrations must be safe when two nodes start at once.
    [nodeA, nodeB] = await Promise.all([startServer(shared), startServer(shared)]);
  });

  after(async () => {
    await Promise.all([nodeA?.stop(), nodeB?.stop()]);
    await schema?.drop();
  });

  test('a pair generated on one node is refreshed on the other, and 16 racing refreshes spend it exactly once', async () => {
    const a = createClient('openapi-client ACS3-HMAC-SHA256 query', nodeA, root);
    const b = createClient('pop-core POST', nodeB, root);
    await a.call('CreateProject', { ProjectName: 'pg-race' });
    const sourceURI = await putDocument(nodeA, root.AccountId, 'pg-bucket', 'doc.docx');
    const first = await a.call('GenerateWebofficeToken', { ProjectName: 'pg-race', SourceURI: sourceURI });
    const results = await Promise.allSettled(
      Array.from({ length: 16 }, (_, i) =>
        (i % 2 ? a : b).call('RefreshWebofficeToken', { ProjectName: 'pg-race', AccessToken: first.AccessToken, RefreshToken: first.RefreshToken }),
      ),
    );
    const bodies = results.map((r) => {
      assert.equal(r.status, 'fulfilled', `no refresh failed: ${r.status === 'rejected' ? String(r.reason) : ''}`);
      return (r as PromiseFulfilledResult<Record<string, string>>).value;
    });
    assert.equal(new Set(bodies.map((body) => `${body.AccessToken}/${body.RefreshToken}`)).size, 1, 'every node answered with the same successor');

    const client = new pg.Client({ connectionString: schema.url });
    await client.connect();
    try {
      const { rows } = await client.query('select count(*)::int as pairs, count(spent_at_ms)::int as spent from weboffice_tokens');
      assert.deepEqual(rows[0], { pairs: 2, spent: 1 });
    } finally {
      await client.end();
    }
  });

  test('a signature nonce accepted by one node is refused by the other', async () => {
    const params: Record<string, string> = {
      Action: 'ListProjects',
      Version: '2020-09-30',
      Format: 'JSON',
      AccessKeyId: root.AccessKeyId,
      SignatureMethod: 'HMAC-SHA1',
      SignatureVersion: '1.0',
      SignatureNonce: randomBytes(16).toString('hex'),
      Timestamp: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
    };
    params.Signature = rpcSignature('GET', params, root.AccessKeySecret);
    const query = new URLSearchParams(params).toString();
    const first = await fetch(`${nodeA.url}/?${query}`);
    assert.equal(first.status, 200);
    const replay = await fetch(`${nodeB.url}/?${query}`);
    assert.equal(replay.status, 400);
    assert.equal((await replay.json()).Code, 'SignatureNonceUsed');
  });
});
