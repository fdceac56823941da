/**
 * `IMM_WORKERS=2`: a primary and two server processes on one port and one database. The guarantees hold
 * between the processes as between nodes (a pair is spent once, whichever process answers), a worker that
 * dies is replaced, and SIGTERM to the primary leaves no process behind.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { putDocument, startServer, type TestServer } from './helpers/server.js';
import { popClient, type PopClient } from './helpers/popClient.js';

/** The pids of a process's children (the cluster's workers). */
function childrenOf(pid: number): number[] {
  const children: number[] = [];
  for (const task of fs.readdirSync(`/proc/${pid}/task`)) {
    const text = fs.readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim();
    if (text) children.push(...text.split(/\s+/).map(Number));
  }
  return children;
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function until(condition: () => boolean, what: string, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('IMM_WORKERS=2', { skip: process.platform !== 'linux' && 'reads /proc' }, () => {
  let server: TestServer;
  let client: PopClient;
  let sourceUri: string;

  before(async () => {
    server = await startServer({ IMM_WORKERS: '2', IMM_LOG_LEVEL: 'warn' });
    client = popClient(server, server.root);
    await client.call('CreateProject', { ProjectName: 'workers' });
    sourceUri = await putDocument(server, server.root.AccountId, 'workers-docs', 'plan.docx');
  });

  after(async () => {
    await server?.stop();
  });

  test('two server processes answer on one port', async () => {
    assert.equal(childrenOf(server.process.pid!).length, 2);
    const ready = await fetch(`${server.url}/ready`);
    assert.equal(ready.status, 200);
  });

  test('16 concurrent refreshes of one pair, spread over both processes: one rotation, one successor for all', async () => {
    const first = await client.call<{ AccessToken: string; RefreshToken: string }>('GenerateWebofficeToken', { ProjectName: 'workers', SourceURI: sourceUri });
    // A fresh client per call: a connection of its own, which the kernel hands to either worker.
    const results = await Promise.all(
      Array.from({ length: 16 }, () =>
        popClient(server, server.root).call<{ AccessToken: string; RefreshToken: string }>('RefreshWebofficeToken', {
          ProjectName: 'workers',
          AccessToken: first.AccessToken,
          RefreshToken: first.RefreshToken,
        }),
      ),
    );
    assert.equal(new Set(results.map((r) => r.RefreshToken)).size, 1);
    assert.notEqual(results[0].RefreshToken, first.RefreshToken);
    // The successor works, whichever process it reaches.
    const next = await client.call<{ RefreshToken: string }>('RefreshWebofficeToken', { ProjectName: 'workers', AccessToken: results[0].AccessToken, RefreshToken: results[0].RefreshToken });
    assert.notEqual(next.RefreshToken, results[0].RefreshToken);
  });

  test('a worker that dies is replaced, and the service keeps answering', async () => {
    const [victim] = childrenOf(server.process.pid!);
    process.kill(victim, 'SIGKILL');
    await until(() => {
      const now = childrenOf(server.process.pid!);
      return now.length === 2 && !now.includes(victim);
    }, 'a replacement worker');
    for (let i = 0; i < 6; i++) {
      const token = await popClient(server, server.root).call<{ AccessToken: string }>('GenerateWebofficeToken', { ProjectName: 'workers', SourceURI: sourceUri });
      assert.match(token.AccessToken, /^\w{20,}$/);
    }
  });

  test('SIGTERM to the primary stops every worker, and the primary exits 0', async () => {
    const workers = childrenOf(server.process.pid!);
    assert.equal(workers.length, 2);
    const code = await server.stop();
    assert.equal(code, 0);
    await until(() => workers.every((pid) => !alive(pid)), 'the workers to exit', 5_000);
  });
});
