/**
 * The per-process caches of keys, RAM, projects and buckets (src/store/readCache.ts) never outlive a change by
 * more than a second, on two server processes sharing one database (SQLite: one file; PostgreSQL: one schema):
 * each case first makes node B use (and so cache) what node A then changes, waits the guaranteed second, and
 * asks node B again. A disabled AccessKey, a detached policy and a deleted project are refused there; the node
 * that made the change refuses at once; a CLI change applies at once on SQLite; a revoked session is refused on
 * the other node at once, because sessions are never cached.
 *
 * Fails when node B keeps serving from its cache after the change (no counter, no poll, no notification).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { assertRefreshed, assertRefused, describeResult, postgresForSuite, refresh, rpc, sleep, startCluster, type Cluster, type EngineName } from '../helpers/reliability.js';
import { createRamUser, policy, ram, ramClient } from '../helpers/cloudClients.js';
import { runCli } from '../helpers/server.js';
import { openDocument } from '../helpers/documentApi.js';
import { fileIdOf } from '../../src/documents/checkDocument.js';
import { parseSourceUri } from '../../src/tokens/webofficeOptions.js';

/** What the caches promise to another node (PostgreSQL polls every 250 ms; SQLite reads the counter on every request). */
const OTHER_NODE_DELAY_MS = 1000;
const postgres = await postgresForSuite('readCache');

describe('caches of keys, RAM and projects follow changes', { concurrency: true, timeout: 120_000, skip: postgres.skipAll }, () => {
  for (const engine of ['sqlite', 'postgres'] as EngineName[]) {
    describe(`on ${engine}, two nodes`, { skip: engine === 'postgres' && postgres.skip, concurrency: false }, () => {
      let cluster: Cluster;
      before(async () => {
        cluster = await startCluster(engine, 2);
      });
      after(() => cluster?.dispose());

      const [A, B] = [0, 1];
      const rootRam = () => ramClient(cluster.nodes[A], cluster.root);
      const getProject = (node: number, credentials: { AccessKeyId: string; AccessKeySecret: string }) => rpc(cluster.nodes[node], credentials, 'GetProject', { ProjectName: cluster.project });
      const ok = (result: Awaited<ReturnType<typeof rpc>>, what: string) => assert.ok(result.kind === 'http' && result.status === 200, `${what}: ${describeResult(result)}`);

      test('an AccessKey disabled on node A is refused on node B within a second, and at once on node A', async () => {
        const user = await createRamUser(rootRam(), `disabled-${engine}`, { systemPolicies: ['AliyunIMMReadOnlyAccess'] });
        ok(await getProject(B, user), 'node B before (the key is now cached there)');
        await rootRam().updateAccessKey(new ram.UpdateAccessKeyRequest({ userAccessKeyId: user.AccessKeyId, userName: `disabled-${engine}`, status: 'Inactive' }));
        assertRefused(await getProject(A, user), 'InvalidAccessKeyId.Inactive', 'node A, at once');
        await sleep(OTHER_NODE_DELAY_MS);
        assertRefused(await getProject(B, user), 'InvalidAccessKeyId.Inactive', 'node B after a second');
      });

      test('a policy detached on node A no longer allows anything on node B within a second', async () => {
        const name = `detached-${engine}`;
        const user = await createRamUser(rootRam(), name);
        await rootRam().createPolicy(new ram.CreatePolicyRequest({ policyName: `read-${engine}`, policyDocument: policy({ Effect: 'Allow', Action: 'imm:GetProject', Resource: '*' }) }));
        await rootRam().attachPolicyToUser(new ram.AttachPolicyToUserRequest({ userName: name, policyName: `read-${engine}`, policyType: 'Custom' }));
        ok(await getProject(B, user), 'node B before (its policies are now cached there)');
        await rootRam().detachPolicyFromUser(new ram.DetachPolicyFromUserRequest({ userName: name, policyName: `read-${engine}`, policyType: 'Custom' }));
        assertRefused(await getProject(A, user), 'Forbidden', 'node A, at once');
        await sleep(OTHER_NODE_DELAY_MS);
        assertRefused(await getProject(B, user), 'Forbidden', 'node B after a second');
      });

      test('a project deleted on node A is not found on node B within a second: no Generate, no refresh', async () => {
        const project = `doomed-${engine}`;
        ok(await rpc(cluster.nodes[A], cluster.root, 'CreateProject', { ProjectName: project }), 'CreateProject');
        const generate = (node: number) => rpc(cluster.nodes[node], cluster.root, 'GenerateWebofficeToken', { ProjectName: project, SourceURI: cluster.sourceUri });
        const first = await generate(B);
        const pair = assertRefreshed(first, 'Generate on node B (the project is now cached there)');
        ok(await rpc(cluster.nodes[A], cluster.root, 'DeleteProject', { ProjectName: project }), 'DeleteProject on node A');
        await sleep(OTHER_NODE_DELAY_MS);
        assertRefused(await generate(B), 'ResourceNotFound', 'Generate on node B after a second');
        assertRefused(await rpc(cluster.nodes[B], cluster.root, 'RefreshWebofficeToken', { ProjectName: project, AccessToken: pair.AccessToken, RefreshToken: pair.RefreshToken }), 'ResourceNotFound', 'refresh on node B');
      });

      test('a key disabled with the CLI is refused by the servers at once on SQLite (within a second on PostgreSQL)', async () => {
        const name = `cli-${engine}`;
        const user = await createRamUser(rootRam(), name, { systemPolicies: ['AliyunIMMReadOnlyAccess'] });
        ok(await getProject(B, user), 'node B before');
        await runCli(cluster.nodes[A].env, ['access-key', 'update', user.AccessKeyId, '--status', 'Inactive']);
        if (engine === 'postgres') await sleep(OTHER_NODE_DELAY_MS);
        assertRefused(await getProject(B, user), 'InvalidAccessKeyId.Inactive', 'node B');
      });

      test('a session revoked on node A is refused on node B at once: sessions are never cached', async () => {
        const first = await cluster.generate(B);
        const second = assertRefreshed(await refresh(cluster, B, first), 'refresh on node B');
        const third = assertRefreshed(await refresh(cluster, B, second), 'second refresh on node B');
        const file = fileIdOf(parseSourceUri(cluster.sourceUri));
        assert.equal((await openDocument(cluster.nodes[B], file, third.AccessToken)).status, 200, 'the access token on node B before');
        // The first pair again: its successor is spent, so this is no retry but a reuse, and the session is revoked.
        assertRefused(await refresh(cluster, A, first), 'TokenRevoked', 'reuse on node A');
        const shut = await openDocument(cluster.nodes[B], file, third.AccessToken);
        assert.equal(shut.status, 401, 'the access token on node B');
        assert.equal(shut.body.Code, 'TokenRevoked');
        assertRefused(await refresh(cluster, B, third), 'TokenRevoked', 'refresh on node B');
      });
    });
  }
});
