/**
 * Failover: two nodes on one PostgreSQL database, clients spreading their refreshes over both. One node is
 * stopped mid-load — gracefully (SIGTERM) and, separately, abruptly (SIGKILL). Each client retries a call that
 * got no answer (or a 503 from the stopping node) on the other node and carries on: no client ever gets a
 * refusal for a pair it received, every client keeps refreshing while one node is down, and at the end every
 * session still refreshes, on either node. The stored chains are exactly what the clients received.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { hashToken } from '../../src/tokens/tokenValues.js';
import {
  assertRefreshed,
  chainOf,
  parkCommittedRefreshes,
  postgresForSuite,
  refresh,
  refreshLoad,
  sleep,
  startCluster,
  tokenInvariantViolations,
  type Cluster,
  type Pair,
} from '../helpers/reliability.js';

const SESSIONS = 8;
const postgres = await postgresForSuite('failover');

describe('failover between two nodes on PostgreSQL', { skip: postgres.skip, timeout: 120_000 }, () => {
  let cluster: Cluster;
  /** Each session's latest pair, carried from one phase to the next. */
  let latest: Pair[] = [];
  /** Each session's first pair, for the chain check. */
  const first: Pair[] = [];
  /** Every pair each session received, in order. */
  const histories: Pair[][] = [];

  before(async () => {
    // Info logs: the `token.retried` events count refreshes answered again from the retry window.
    cluster = await startCluster('postgres', 2, { IMM_LOG_LEVEL: 'info' });
    for (let i = 0; i < SESSIONS; i++) first.push(await cluster.generate(i % 2));
    latest = [...first];
    for (const pair of first) histories.push([pair]);
  });
  after(async () => {
    await cluster?.dispose();
  });

  /** Load on both nodes; `victim` is stopped with `signal` mid-load; the load goes on on the survivor. */
  async function stopMidLoad(victim: number, signal: 'SIGTERM' | 'SIGKILL') {
    const survivor = 1 - victim;
    const load = refreshLoad(cluster, latest);
    await sleep(800);
    // Killed: with refreshes committed but not yet answered (SIGTERM lets in-flight calls finish instead).
    const release = signal === 'SIGKILL' ? await parkCommittedRefreshes(cluster, load) : undefined;
    await load.busy(victim);
    const before = load.clients.map((c) => c.history.length);
    const exit = await cluster.halt(victim, signal);
    await release?.();
    assert.equal(exit, signal === 'SIGTERM' ? '0' : 'SIGKILL', `the node exits ${signal === 'SIGTERM' ? 'cleanly' : 'killed'}`);
    await sleep(800);
    await load.stop();

    const clients = load.clients;
    assert.deepEqual(clients.flatMap((c) => c.failures), [], 'no client was refused a pair it had received');
    clients.forEach((c, i) => assert.ok(c.history.length > before[i], `session ${i} kept refreshing on the other node after the stop`));
    // A call the stopping node refused, dropped or answered with 503 was retried on the survivor.
    const unavailable = clients.flatMap((c) => c.unavailable);
    const retries = clients.reduce((n, c) => n + c.retries, 0);
    const answeredAgain = (cluster.nodes[survivor].stderr().match(/"event":"token\.retried"/g) ?? []).length;
    if (signal === 'SIGKILL') {
      // A refresh that committed on the killed node but whose answer was lost must be answered again by the
      // survivor from the retry window. Whether the kill caught one depends on timing on a loaded machine, so
      // the database decides whether this run holds such a call; the chain check below proves, either way,
      // that every client ended up with exactly the successor that was stored.
      const spent = new Set((await cluster.tokens()).tokens.filter((t) => t.spent_at_ms !== null).map((t) => t.refresh_hash));
      const committedButLost = clients.flatMap((c) => c.inFlightAtFailure).filter((pair) => spent.has(hashToken(pair.RefreshToken)));
      if (committedButLost.length > 0) {
        assert.ok(answeredAgain > 0, `${committedButLost.length} refreshes committed on the killed node were answered by the survivor from the retry window`);
      } else {
        console.log('# failover SIGKILL: this run the kill caught no refresh that had committed without an answer');
      }
    }
    console.log(`failover ${signal}: ${clients.reduce((n, c) => n + c.refreshes, 0)} refreshes, ${retries} calls retried on the survivor (${answeredAgain} had committed on the stopped node), ${unavailable.length} answered 503${unavailable.length ? `: ${[...new Set(unavailable)].join(' | ')}` : ''}`);
    for (const [i, c] of clients.entries()) histories[i].push(...c.history.slice(1));

    // No session lost: every one refreshes on the survivor, and the database holds exactly the chains seen.
    latest = await Promise.all(clients.map(async (c, i) => assertRefreshed(await refresh(cluster, survivor, c.history.at(-1)!), `session ${i} refreshes on the survivor`)));
    latest.forEach((pair, i) => histories[i].push(pair));
    const tables = await cluster.tokens();
    assert.deepEqual(tokenInvariantViolations(tables), [], 'the token tables are sound');
    for (let i = 0; i < SESSIONS; i++) {
      assert.deepEqual(chainOf(tables, first[i].RefreshToken), histories[i].map((p) => hashToken(p.RefreshToken)), `session ${i}: the stored chain is what the client received`);
    }
  }

  test('SIGTERM one node mid-load: clients retry on the other node and continue; no session is lost', async () => {
    await stopMidLoad(1, 'SIGTERM');
    // Back to two nodes: the restarted node serves every session too.
    await cluster.restart(1);
    latest = await Promise.all(latest.map(async (pair, i) => assertRefreshed(await refresh(cluster, 1, pair), `session ${i} refreshes on the restarted node`)));
    latest.forEach((pair, i) => histories[i].push(pair));
  });

  test('SIGKILL one node mid-load: clients retry on the other node and continue; no session is lost', async () => {
    await stopMidLoad(0, 'SIGKILL');
    await cluster.restart(0);
    latest = await Promise.all(latest.map(async (pair, i) => assertRefreshed(await refresh(cluster, 0, pair), `session ${i} refreshes on the restarted node`)));
    assert.doesNotMatch(cluster.allStderr(), /unexpected failure/, 'no process logged an unexpected failure');
  });
});
