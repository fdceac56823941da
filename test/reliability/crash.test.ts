/**
 * Crash: under continuous refresh load (several sessions, each client refreshing its latest pair over two
 * nodes), a node is killed with SIGKILL while it has calls in flight and restarted on the same data; then the
 * other. On PostgreSQL the second kill finds refreshes that committed but were not answered yet.
 *
 * - Every pair a client received with 200 still refreshes: the clients' own loop requires a 200 for each one
 *   (a call lost in the kill is retried with the same pair on the other node; if it had committed, the retry
 *   window returns its successor), and at the end every session's latest pair refreshes.
 * - The database holds exactly the chains the clients saw: following the successor links from each Generate
 *   pair gives the refresh tokens the client received, in order (no lost, forked or half-written rotation).
 * - No spent refresh token works again (by the documented rules): a spent pair whose successor was refreshed
 *   in turn, or presented after the retry window, is refused with TokenRevoked and ends its session.
 * - The database passes its integrity check (SQLite: pragma integrity_check and foreign_key_check) and the
 *   token invariants (every token's session exists, one successor per spent token, none for unspent ones).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { hashToken } from '../../src/tokens/tokenValues.js';
import {
  assertRefreshed,
  assertRefused,
  chainOf,
  parkCommittedRefreshes,
  postgresForSuite,
  refresh,
  refreshLoad,
  samePair,
  sleep,
  startCluster,
  tokenInvariantViolations,
  type Cluster,
  type EngineName,
  type Pair,
} from '../helpers/reliability.js';

const SESSIONS = 8;
/** Short, so that "outside the retry window" can be shown without a long wait; long enough for a retry on the other node. */
const RETRY_WINDOW_S = 4;
const postgres = await postgresForSuite('crash');

// Both engines at once: their waits (load phases, restarts, the retry window) overlap.
describe('crash', { concurrency: true, timeout: 120_000, skip: postgres.skipAll }, () => {
  for (const engine of ['sqlite', 'postgres'] as EngineName[]) {
    describe(`kill -9 under refresh load on ${engine === 'postgres' ? 'PostgreSQL' : 'SQLite (two processes, one data dir)'}`, { skip: engine === 'postgres' && postgres.skip, concurrency: false }, () => {
      let cluster: Cluster;
      before(async () => {
        // Info logs: the `token.retried` events tell how often a refresh lost in the kill had committed.
        cluster = await startCluster(engine, 2, { IMM_REFRESH_RETRY_WINDOW: String(RETRY_WINDOW_S), IMM_LOG_LEVEL: 'info' });
      });
      after(async () => {
        await cluster?.dispose();
      });

      test('every pair received with 200 still refreshes after a node is killed and restarted; no spent token works again; the database is sound', async () => {
        const firstPairs: Pair[] = [];
        for (let i = 0; i < SESSIONS; i++) firstPairs.push(await cluster.generate(i % 2));
        const load = refreshLoad(cluster, firstPairs);

        // Two kills, each node once, each restarted on the same data: the first lands wherever the calls are;
        // before the second, the nodes' answers are held back so that committed refreshes surely die unanswered.
        await sleep(800);
        let inFlightAtKill = 0;
        for (const [victim, park] of [[0, false], [1, true]] as const) {
          const release = park ? await parkCommittedRefreshes(cluster, load) : undefined;
          await load.busy(victim);
          inFlightAtKill += load.inFlight[victim];
          assert.equal(await cluster.halt(victim, 'SIGKILL'), 'SIGKILL');
          await release?.();
          await sleep(300); // the load carries on, on the other node only
          await cluster.restart(victim);
          await sleep(600); // and on both again
        }
        await load.stop();

        const clients = load.clients;
        assert.deepEqual(clients.flatMap((c) => c.failures), [], 'every refresh of a pair received with 200 succeeded (directly or by a retry)');
        const refreshes = clients.reduce((n, c) => n + c.refreshes, 0);
        const retries = clients.reduce((n, c) => n + c.retries, 0);
        const recovered = (cluster.allStderr().match(/"event":"token\.retried"/g) ?? []).length;
        console.log(
          `crash ${engine}: ${refreshes} refreshes, ${inFlightAtKill} in flight on the killed nodes, ${retries} calls retried on another node, ` +
            `${recovered} of them had committed before a kill (answered from the retry window)`,
        );
        assert.ok(refreshes >= SESSIONS * 3, `the load ran (${refreshes} refreshes)`);
        assert.ok(clients.every((c) => c.refreshes > 0), 'every session was refreshed');
        assert.ok(recovered > 0, 'refreshes committed before the kill were answered again from the retry window');

        // The database holds exactly what the clients saw, and is sound.
        const tables = await cluster.tokens();
        assert.deepEqual(tokenInvariantViolations(tables), [], 'integrity check and token invariants');
        for (const [i, client] of clients.entries()) {
          assert.deepEqual(chainOf(tables, client.history[0].RefreshToken), client.history.map((p) => hashToken(p.RefreshToken)), `session ${i}: the stored chain is the pairs the client received`);
        }

        // Every session's latest pair refreshes, on either node (the restarted one included).
        const next = await Promise.all(clients.map(async (c, i) => assertRefreshed(await refresh(cluster, i % 2, c.history.at(-1)!), `session ${i}: its latest pair refreshes`)));
        // Odd sessions: presenting the just-spent pair again at once is a retry inside the window (same successor).
        const odd = clients.map((_, i) => i).filter((i) => i % 2 === 1);
        const retried = await Promise.all(odd.map(async (i) => assertRefreshed(await refresh(cluster, (i + 1) % 2, clients[i].history.at(-1)!), `session ${i}: a retry inside the window`)));
        odd.forEach((i, k) => assert.ok(samePair(retried[k], next[i]), `session ${i}: the retry returns the same successor`));

        // Even sessions: a spent pair whose successor was refreshed in turn is a reuse → TokenRevoked, session ended.
        // The pair in flight when the node died is used where there is one (it was refreshed by the retry, then onwards).
        for (let i = 0; i < SESSIONS; i += 2) {
          const history = clients[i].history;
          const stale = clients[i].inFlightAtFailure.find((p) => !samePair(p, history.at(-1)!)) ?? history[0];
          assertRefused(await refresh(cluster, (i + 1) % 2, stale), 'TokenRevoked', `session ${i}: a spent pair presented again`);
          assertRefused(await refresh(cluster, i % 2, next[i]), 'TokenRevoked', `session ${i}: after the reuse, the session is revoked`);
        }
        // Odd sessions again: the same spent pair after the retry window is a reuse.
        await sleep(RETRY_WINDOW_S * 1000 + 300);
        for (let i = 1; i < SESSIONS; i += 2) {
          assertRefused(await refresh(cluster, i % 2, clients[i].history.at(-1)!), 'TokenRevoked', `session ${i}: a spent pair after the retry window`);
          assertRefused(await refresh(cluster, i % 2, next[i]), 'TokenRevoked', `session ${i}: after the reuse, the session is revoked`);
        }

        const after = await cluster.tokens();
        assert.deepEqual(tokenInvariantViolations(after), [], 'still sound at the end');
        assert.equal(after.sessions.filter((s) => s.revoked_at_ms !== null).length, SESSIONS, 'each reuse revoked its session');
        assert.doesNotMatch(cluster.allStderr(), /unexpected failure/, 'no process logged an unexpected failure');
      });
    });
  }
});
