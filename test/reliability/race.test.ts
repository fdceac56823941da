/**
 * Race: 64 concurrent refreshes of one pair, spread over two server processes on one database (PostgreSQL:
 * one schema; SQLite: one file), spend the pair exactly once. Exactly one successor row exists; every 200
 * carries that one successor (the retry window gives it to every concurrent presenter); anything else is a
 * clean 4xx in our envelope; never a 5xx.
 *
 * Fails when the guarded update loses its `spent_at_ms is null` condition (every racer then writes its own
 * successor), or when a lost race surfaces as a 500.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { hashToken } from '../../src/tokens/tokenValues.js';
import {
  assertRefreshed,
  chainOf,
  describeResult,
  isEnvelope,
  pairOf,
  postgresForSuite,
  rpc,
  samePair,
  startCluster,
  tokenInvariantViolations,
  type Cluster,
  type EngineName,
} from '../helpers/reliability.js';
import { signedRpcForm } from '../helpers/popClient.js';

const CONCURRENT = 64;
const ROUNDS = 3;
const postgres = await postgresForSuite('race');

// Both engines at once (four processes, 128 concurrent refreshes in all).
describe('race', { concurrency: true, timeout: 120_000, skip: postgres.skipAll }, () => {
  for (const engine of ['postgres', 'sqlite'] as EngineName[]) {
    describe(`race on ${engine === 'postgres' ? 'PostgreSQL (two processes, one schema)' : 'SQLite (two processes, one file)'}`, { skip: engine === 'postgres' && postgres.skip, concurrency: false }, () => {
      let cluster: Cluster;
      before(async () => {
        cluster = await startCluster(engine, 2);
      });
      after(async () => {
        await cluster?.dispose();
      });

      test(`${CONCURRENT} concurrent refreshes of one pair over two nodes leave exactly one successor, and every 200 is that successor (${ROUNDS} rounds)`, async () => {
        for (let round = 0; round < ROUNDS; round++) {
          const pair = await cluster.generate(round % 2);
          const params = { ProjectName: cluster.project, AccessToken: pair.AccessToken, RefreshToken: pair.RefreshToken };
          // Signed up front, sent at once: half to each node.
          const bodies = Array.from({ length: CONCURRENT }, () => signedRpcForm('RefreshWebofficeToken', params, cluster.root));
          const results = await Promise.all(
            bodies.map(async (body, i) => {
              const url = `${cluster.nodes[i % 2].url}/`;
              const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body, signal: AbortSignal.timeout(30_000) });
              return { kind: 'http' as const, status: response.status, body: (await response.json()) as Record<string, any>, ms: 0 };
            }),
          );

          const serverErrors = results.filter((r) => r.status >= 500);
          assert.deepEqual(serverErrors.map(describeResult), [], 'no 5xx');
          const others = results.filter((r) => r.status !== 200);
          for (const r of others) assert.ok(r.status >= 400 && r.status < 500 && isEnvelope(r.body), `a clean 4xx in our envelope: ${describeResult(r)}`);
          const successes = results.filter((r) => r.status === 200).map((r) => pairOf(r.body));
          assert.ok(successes.length >= 1, 'at least one refresh succeeded');
          const successor = successes[0];
          for (const s of successes) assert.ok(samePair(s, successor), `every 200 is the same successor:\n${JSON.stringify(s)}\n${JSON.stringify(successor)}`);
          assert.notEqual(successor.RefreshToken, pair.RefreshToken);

          // The database: the presented pair spent once, pointing at the one successor row, which is unspent.
          const tables = await cluster.tokens();
          assert.deepEqual(tokenInvariantViolations(tables), [], 'the token tables are sound');
          const presented = tables.tokens.find((t) => t.refresh_hash === hashToken(pair.RefreshToken))!;
          const session = tables.tokens.filter((t) => t.session_id === presented.session_id);
          assert.equal(session.length, 2, `exactly one successor row (the session has ${session.length} pairs)`);
          assert.deepEqual(chainOf(tables, pair.RefreshToken), [hashToken(pair.RefreshToken), hashToken(successor.RefreshToken)]);
          const successorRow = session.find((t) => t.id === presented.successor_id)!;
          assert.equal(successorRow.access_hash, hashToken(successor.AccessToken));
          assert.equal(successorRow.spent_at_ms, null);
          console.log(`race ${engine} round ${round + 1}: ${successes.length} × 200 (one successor), ${others.length} × 4xx ${[...new Set(others.map((r) => r.body.Code))].join(',')}`);

          // The successor refreshes normally, on the other node.
          assertRefreshed(
            await rpc(cluster.nodes[(round + 1) % 2], cluster.root, 'RefreshWebofficeToken', { ProjectName: cluster.project, AccessToken: successor.AccessToken, RefreshToken: successor.RefreshToken }),
            'the successor refreshes',
          );
        }
        for (const node of cluster.nodes) assert.doesNotMatch(node.stderr(), /unexpected failure/, 'no node logged an unexpected failure');
      });
    });
  }
});
