/**
 * Documents on several nodes: the content lies in the shared IMM_OSS_DIR, its versions in the database. So
 * every node names the same content with the same version, a file replaced by hand in the shared folder is
 * recorded once however many nodes notice it together, and an upload through one node's CLI is what the
 * other node opens next.
 *
 * Fails when versions are kept per node (each node would count its own), or when concurrent noticing records
 * the new content more than once.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { describeResult, pairOf, postgresForSuite, rpc, startCluster, type Cluster, type EngineName } from '../helpers/reliability.js';
import { openDocument } from '../helpers/documentApi.js';
import { putDocument } from '../helpers/server.js';
import { count } from '../helpers/serverData.js';

const md5 = (text: string) => createHash('md5').update(text).digest('hex').toUpperCase();
const postgres = await postgresForSuite('shared documents');

describe('shared documents', { concurrency: true, timeout: 120_000, skip: postgres.skipAll }, () => {
  for (const engine of ['postgres', 'sqlite'] as EngineName[]) {
    describe(`on ${engine === 'postgres' ? 'PostgreSQL (two nodes, own data dirs, one IMM_OSS_DIR)' : 'SQLite (two processes, one data dir)'}`, { skip: engine === 'postgres' && postgres.skip, concurrency: false }, () => {
      let cluster: Cluster;
      before(async () => {
        cluster = await startCluster(engine, 2);
      });
      after(async () => {
        await cluster?.dispose();
      });

      const documentFile = () => {
        const node = cluster.nodes[0];
        return path.join(node.env.IMM_OSS_DIR ?? path.join(node.dataDir, 'oss'), 'reliability-docs', 'plan.docx');
      };
      /** Generate on `node`, then ask the other node which version the session opened. */
      const openedVersion = async (node: number) => {
        const result = await rpc(cluster.nodes[node], cluster.root, 'GenerateWebofficeToken', { ProjectName: cluster.project, SourceURI: cluster.sourceUri });
        assert.ok(result.kind === 'http' && result.status === 200, describeResult(result));
        const { status, body } = await openDocument(cluster.nodes[1 - node], String(result.body.WebofficeURL), pairOf(result.body).AccessToken);
        assert.equal(status, 200, JSON.stringify(body));
        return { Version: body.Version, ETag: body.ETag };
      };
      const versionRows = () => count(cluster.nodes[0], 'select count(*) as n from object_versions where bucket = ? and object_key = ?', ['reliability-docs', 'plan.docx']);

      test('both nodes open the uploaded document as version 1', async () => {
        assert.deepEqual(await openedVersion(0), { Version: 1, ETag: md5('a plan') });
        assert.deepEqual(await openedVersion(1), { Version: 1, ETag: md5('a plan') });
      });

      test('a file replaced by hand in the shared folder is version 2 on both nodes, recorded once though 8 Generates on two nodes notice it together', async () => {
        fs.writeFileSync(documentFile(), 'a plan, revised by hand');
        const seen = await Promise.all(Array.from({ length: 8 }, (_, i) => openedVersion(i % 2)));
        for (const version of seen) assert.deepEqual(version, { Version: 2, ETag: md5('a plan, revised by hand') });
        assert.equal(await versionRows(), 2);
      });

      test("an upload through the second node's CLI is version 3, and the first node opens it", async () => {
        const second = cluster.nodes[1];
        await putDocument({ env: second.env, dataDir: second.dataDir }, cluster.root.AccountId, 'reliability-docs', 'plan.docx', 'a plan, third version');
        assert.deepEqual(await openedVersion(0), { Version: 3, ETag: md5('a plan, third version') });
        assert.equal(await versionRows(), 3);
      });
    });
  }
});
