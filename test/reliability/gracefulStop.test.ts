/**
 * A graceful stop (SIGTERM or SIGINT) of a node under refresh load loses nothing: every spent refresh token has
 * its usage row, every session its Generate row, and every refresh that got as far as its authorization left
 * that decision in the audit — the usage and audit rows of a call are written in the same transaction as its
 * rotation, and a stopping node finishes the requests it accepted before it closes its database. Both engines.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { postgresForSuite, refreshLoad, sleep, startCluster, type Cluster, type EngineName, type Pair } from '../helpers/reliability.js';
import { signedRpcForm } from '../helpers/popClient.js';

/**
 * Refreshes whose clients hang up a few milliseconds after sending them: their connections are gone while the
 * node still serves them, so the HTTP server's close does not wait for them — the stop itself must.
 */
function hangUpRefreshes(cluster: Cluster, node: number, pairs: Pair[]): Promise<void> {
  const { port } = new URL(cluster.nodes[node].url);
  return Promise.all(
    pairs.map(
      (pair, i) =>
        new Promise<void>((resolve) => {
          const body = signedRpcForm('RefreshWebofficeToken', { ProjectName: cluster.project, AccessToken: pair.AccessToken, RefreshToken: pair.RefreshToken }, cluster.root);
          const socket = net.connect(Number(port), '127.0.0.1', () => {
            socket.write(`POST / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
            setTimeout(() => {
              socket.destroy();
              resolve();
            }, 2 + (i % 8));
          });
          socket.on('error', () => resolve());
        }),
    ),
  ).then(() => undefined);
}

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
          const abandoned: Pair[] = [];
          for (let i = 0; i < 16; i++) abandoned.push(await cluster.generate(victim));
          await load.busy(victim);
          // The stop comes while requests of clients that already hung up are being served.
          const hangUps = hangUpRefreshes(cluster, victim, abandoned);
          await sleep(3);
          const halted = cluster.halt(victim, signal);
          await hangUps;
          assert.equal(await halted, '0', `${signal}: the node stops cleanly`);
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
        assert.ok(billing.sessions === SESSIONS + 32, `the sessions were counted (${billing.sessions})`);
        assert.ok(billing.refreshAllowed >= billing.refreshUsage, 'every billed refresh has its authorization in the audit');
        assert.doesNotMatch(cluster.allStderr(), /unexpected failure|already been destroyed|drain_timeout/, 'no request met a closed database');
      });
    });
  }
});
