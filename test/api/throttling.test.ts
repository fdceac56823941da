/**
 * Request rate limits (IMM_RATE_LIMIT_PER_KEY, IMM_RATE_LIMIT_PER_PROJECT): over a limit within one second the
 * server answers 429 `Throttling.User` with `x-acs-retry-after` (milliseconds), which the official clients
 * surface their own way — openapi-core as its `ThrottlingError` with `retryAfter`. The counters live in the
 * database, so two server processes on one data directory count together.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import openApiCorePkg from '@alicloud/openapi-core';
import { runCli, startServer, type TestServer } from '../helpers/server.js';
import { sql } from '../helpers/serverData.js';
import { createClient, describeError, type ClientVariant, type Credentials, type OfficialClient } from '../helpers/clients.js';

const { ThrottlingError } = openApiCorePkg;

const servers: TestServer[] = [];
after(async () => {
  await Promise.all(servers.map((s) => s.stop()));
});

async function serve(env: Record<string, string>): Promise<TestServer> {
  const server = await startServer(env);
  servers.push(server);
  return server;
}

/**
 * Runs `burst` at the start of a fresh one-second window, so that all its requests fall into the same fixed
 * window; tries again (up to 3 times) if a slow machine let the burst run over into the next second.
 */
async function inOneWindow<T>(burst: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    await sleep(1000 - (Date.now() % 1000) + 5);
    const start = Date.now();
    const result = await burst();
    if (Math.floor(Date.now() / 1000) === Math.floor(start / 1000) || attempt === 3) return result;
  }
}

function calls(client: OfficialClient, count: number, action = 'ListProjects', params: Record<string, unknown> = {}) {
  return Array.from({ length: count }, () => client.call(action, params));
}

function split(results: PromiseSettledResult<unknown>[]): { ok: number; errors: unknown[] } {
  return {
    ok: results.filter((r) => r.status === 'fulfilled').length,
    errors: results.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => r.reason),
  };
}

async function secondKey(server: TestServer): Promise<Credentials> {
  return JSON.parse(await runCli(server.env, ['access-key', 'create', '--account', server.root.AccountId]));
}

const OPENAPI_CORE: ClientVariant = 'openapi-core ACS3-HMAC-SHA256 query';

describe('per AccessKey (IMM_RATE_LIMIT_PER_KEY)', () => {
  test('the 6th call of one AccessKey within a second gets 429 Throttling.User; openapi-core raises ThrottlingError with retryAfter, and after it the call succeeds', async () => {
    const server = await serve({ IMM_RATE_LIMIT_PER_KEY: '5', IMM_RATE_LIMIT_PER_PROJECT: '0' });
    const client = createClient(OPENAPI_CORE, server, server.root);
    await client.call('ListProjects'); // warm-up, in an earlier window

    const { ok, errors } = split(await inOneWindow(() => Promise.allSettled(calls(client, 6))));
    assert.equal(ok, 5, 'five calls within the limit succeed');
    assert.equal(errors.length, 1, 'the sixth is refused');
    const err = errors[0] as InstanceType<typeof ThrottlingError>;
    assert.ok(err instanceof ThrottlingError, `openapi-core raises ThrottlingError, got ${(err as Error).name}: ${(err as Error).message}`);
    assert.equal(err.code, 'Throttling.User');
    assert.equal(err.statusCode, 429);
    assert.ok(Number.isInteger(err.retryAfter) && err.retryAfter! > 0 && err.retryAfter! <= 1000, `retryAfter is a positive integer number of ms within the window (got ${err.retryAfter})`);
    assert.match(err.data?.Message ?? '', /more than 5 requests per second with AccessKey \S+ \(IMM_RATE_LIMIT_PER_KEY\)/);
    assert.match(err.requestId ?? '', /^[0-9A-F-]{36}$/);

    await sleep(err.retryAfter!);
    const body = await client.call('ListProjects');
    assert.ok(Array.isArray(body.Projects), 'after waiting retryAfter ms the same key is served again');
  });

  test('pop-core surfaces the code Throttling.User, HTTP 429 and the x-acs-retry-after header (positive integer ms)', async () => {
    const server = await serve({ IMM_RATE_LIMIT_PER_KEY: '5', IMM_RATE_LIMIT_PER_PROJECT: '0' });
    const client = createClient('pop-core POST', server, server.root);
    await client.call('ListProjects');

    const { ok, errors } = split(await inOneWindow(() => Promise.allSettled(calls(client, 7))));
    assert.equal(ok, 5);
    assert.equal(errors.length, 2);
    for (const err of errors) {
      const surfaced = describeError('pop-core', err);
      assert.equal(surfaced.code, 'Throttling.User');
      assert.equal(surfaced.statusCode, 429);
      assert.deepEqual(Object.keys(surfaced.data ?? {}).sort(), ['Code', 'HostId', 'Message', 'Recommend', 'RequestId']);
      const retryAfter = (err as { entry: { response: { headers: Record<string, string> } } }).entry.response.headers['x-acs-retry-after'];
      assert.match(retryAfter, /^[1-9]\d*$/, 'x-acs-retry-after is a positive integer');
      assert.ok(Number(retryAfter) <= 1000, `retry within the one-second window (got ${retryAfter})`);
    }
  });

  test('each AccessKey has its own counter: a second key of the same account is not throttled by the first', async () => {
    const server = await serve({ IMM_RATE_LIMIT_PER_KEY: '5', IMM_RATE_LIMIT_PER_PROJECT: '0' });
    const first = createClient(OPENAPI_CORE, server, server.root);
    const second = createClient(OPENAPI_CORE, server, await secondKey(server));
    await Promise.all([first.call('ListProjects'), second.call('ListProjects')]);

    const [a, b] = await inOneWindow(() => Promise.all([Promise.allSettled(calls(first, 7)), Promise.allSettled(calls(second, 5))]));
    assert.equal(split(a).ok, 5, 'the first key: five pass');
    assert.equal(split(a).errors.length, 2, 'the first key: two throttled');
    assert.equal(split(b).ok, 5, 'the second key: all five pass');
  });
});

describe('per project (IMM_RATE_LIMIT_PER_PROJECT)', () => {
  test('calls on one project count together across AccessKeys; another project is unaffected; the message names the project limit', async () => {
    const server = await serve({ IMM_RATE_LIMIT_PER_KEY: '0', IMM_RATE_LIMIT_PER_PROJECT: '3' });
    const first = createClient(OPENAPI_CORE, server, server.root);
    const second = createClient('pop-core POST', server, await secondKey(server));
    await first.call('CreateProject', { ProjectName: 'hot' });
    await first.call('CreateProject', { ProjectName: 'cold' });

    const [hotFirst, hotSecond, cold] = await inOneWindow(() =>
      Promise.all([
        Promise.allSettled(calls(first, 2, 'GetProject', { ProjectName: 'hot' })),
        Promise.allSettled(calls(second, 2, 'GetProject', { ProjectName: 'hot' })),
        Promise.allSettled(calls(first, 3, 'GetProject', { ProjectName: 'cold' })),
      ]),
    );
    const hot = split([...hotFirst, ...hotSecond]);
    assert.equal(hot.ok, 3, 'three calls on "hot" pass, whichever key made them');
    assert.equal(hot.errors.length, 1, 'the fourth on "hot" is throttled');
    const err = hot.errors[0] as { code?: string; data?: { Message?: string } };
    assert.equal(err.code, 'Throttling.User');
    assert.match(err.data?.Message ?? '', /more than 3 requests per second on project hot \(IMM_RATE_LIMIT_PER_PROJECT\)/);
    assert.equal(split(cold).ok, 3, '"cold" has its own counter');
    // ListProjects names no project: only the per-key limit (off here) applies to it.
    assert.equal(split(await inOneWindow(() => Promise.allSettled(calls(first, 6)))).ok, 6);
  });
});

describe('defaults', () => {
  test('without settings the limits are 500 per key and 1000 per project: a burst of 30 calls passes, and is counted', async () => {
    const server = await serve({});
    const client = createClient(OPENAPI_CORE, server, server.root);
    await client.call('CreateProject', { ProjectName: 'normal' });
    const results = await inOneWindow(() => Promise.allSettled(calls(client, 30, 'GetProject', { ProjectName: 'normal' })));
    assert.equal(split(results).ok, 30);
    const rows = await sql<{ scope: string; count: number }>(server, 'select scope, max(count) as count from rate_limit_windows group by scope order by scope');
    assert.deepEqual(rows.map((r) => [r.scope, Number(r.count)]), [['key', 30], ['project', 30]]);
  });
});

describe('shared between nodes', () => {
  test('two server processes on one data directory count one AccessKey together', async () => {
    const env = { IMM_RATE_LIMIT_PER_KEY: '4', IMM_RATE_LIMIT_PER_PROJECT: '0' };
    const a = await serve(env);
    const b = await serve({ ...env, IMM_DATA_DIR: a.dataDir });
    const viaA = createClient(OPENAPI_CORE, a, a.root);
    const viaB = createClient(OPENAPI_CORE, b, a.root);
    await Promise.all([viaA.call('ListProjects'), viaB.call('ListProjects')]);

    // Three calls on each node: alone, each node would allow all three.
    const [onA, onB] = await inOneWindow(() => Promise.all([Promise.allSettled(calls(viaA, 3)), Promise.allSettled(calls(viaB, 3))]));
    const all = split([...onA, ...onB]);
    assert.equal(all.ok, 4, `four calls in total pass (A: ${split(onA).ok}, B: ${split(onB).ok})`);
    assert.equal(all.errors.length, 2);
    for (const err of all.errors) assert.ok(err instanceof ThrottlingError);
  });
});

describe('0 = off', () => {
  test('with both limits 0, a burst of 40 calls of one key on one project all succeed', async () => {
    const server = await serve({ IMM_RATE_LIMIT_PER_KEY: '0', IMM_RATE_LIMIT_PER_PROJECT: '0' });
    const client = createClient(OPENAPI_CORE, server, server.root);
    await client.call('CreateProject', { ProjectName: 'busy' });
    const results = await inOneWindow(() => Promise.allSettled([...calls(client, 20), ...calls(client, 20, 'GetProject', { ProjectName: 'busy' })]));
    const { ok, errors } = split(results);
    assert.equal(ok, 40, `all pass (first error: ${String(errors[0])})`);
    const [{ n }] = await sql<{ n: number }>(server, 'select count(*) as n from rate_limit_windows');
    assert.equal(Number(n), 0, 'nothing is counted when the limits are off');
  });
});
