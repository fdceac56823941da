/**
 * A graceful stop (SIGTERM or SIGINT) of a node under refresh load loses nothing: every spent refresh token has
 * its usage row, every session its Generate row, and every refresh that got as far as its authorization left
 * that decision in the audit — the usage and audit rows of a call are written in the same transaction as its
 * rotation, and a stopping node finishes the requests it accepted before it closes its database. Both engines.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { postgresForSuite, refreshLoad, sleep, startCluster, type Cluster, type EngineName, type Pair } from '../helpers/reliability.js';

const SESSIONS = 8;
const postgres = await postgresForSuite('gracefulStop');

describe('graceful stop under refresh load', { concurrency: true, timeout: 120_000, skip: postgres.skipAll }, () => {
  for (const engine of ['sqlite', 'postgres'] as EngineName[]) {
    describe(engine === 'postgres' ? 'PostgreSQL' : 'SQLite (two processes, one data dir)', { skip: engine === 'postgres' && postgres.skip, concurrency: false }, () => {
      let cluster: Cluster;
      before(async () => {
        cluster = await startCluster(engine, 2);
      });
      after(async () => {
        await cluster?.dispose();
      });

      test('SIGTERM and SIGINT mid-load: every spent token has its usage row, every session its Generate row, nothing logged as lost', async () => {
        const firstPairs: Pair[] = [];
        for (let i = 0; i < SESSIONS; i++) firstPairs.push(await cluster.generate(i % 2));
        const load = refreshLoad(cluster, firstPairs);
        await sleep(600);
        for (const [victim, signal] of [[1, 'SIGTERM'], [0, 'SIGINT']] as const) {
          await load.busy(victim);
          assert.equal(await cluster.halt(victim, signal), '0', `${signal}: the node stops cleanly`);
          await sleep(300); // the load goes on on the other node
          await cluster.restart(victim);
          await sleep(400);
        }
        await load.stop();
        assert.deepEqual(load.clients.flatMap((c) => c.failures), [], 'no client was refused a pair it had received');
        const refreshes = load.clients.reduce((n, c) => n + c.refreshes, 0);
        assert.ok(refreshes >= SESSIONS * 2, `the load ran (${refreshes} refreshes)`);

        const billing = await cluster.billing();
        console.log(`# graceful stop ${engine}: ${JSON.stringify(billing)}`);
        assert.equal(billing.refreshUsage, billing.spentTokens, 'every spent refresh token has exactly one usage row');
        assert.equal(billing.generateUsage, billing.sessions, 'every session has its Generate usage row');
        assert.ok(billing.refreshAllowed >= billing.refreshUsage, 'every billed refresh has its authorization in the audit');
        assert.doesNotMatch(cluster.allStderr(), /unexpected failure|already been destroyed|drain_timeout/, 'no request met a closed database');
      });
    });
  }
});
