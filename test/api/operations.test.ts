/**
 * Running the service: readiness (`GET /ready`), Prometheus metrics (`GET /metrics`), a load balancer's
 * forwarded headers (IMM_TRUST_PROXY → acs:SourceIp / acs:SecureTransport) and TLS served directly
 * (IMM_TLS_CERT / IMM_TLS_KEY), each end to end on a real server with the official clients.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import openApiCorePkg from '@alicloud/openapi-core';
import { CLI, makeDataDir, putDocument, startServer, type RootCredentials, type TestServer } from '../helpers/server.js';
import { RPCClient, type Credentials } from '../helpers/clients.js';
import { expectFailure, expectOk, popClient } from '../helpers/popClient.js';
import { createPostgresSchema, postgresReachable, TEST_POSTGRES_URL } from '../helpers/postgres.js';

const OpenApiCore = openApiCorePkg.default;
const { $OpenApiUtil: CoreModels, OpenApiUtil: CoreOpenApiUtil } = openApiCorePkg;

const postgres = await postgresReachable();
if (!postgres && process.env.IMM_REQUIRE_POSTGRES === '1') throw new Error(`no PostgreSQL at ${TEST_POSTGRES_URL}`);

const stops: (() => Promise<unknown>)[] = [];
after(async () => {
  await Promise.all(stops.map((stop) => stop()));
});

async function serve(env: Record<string, string> = {}): Promise<TestServer> {
  const server = await startServer(env);
  stops.push(() => server.stop());
  return server;
}

/** Parses Prometheus text: the value of `name` with exactly these labels (undefined when absent). */
function metricValue(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const found: Record<string, string> = {};
    for (const [, key, value] of (match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) found[key] = value;
    if (JSON.stringify(Object.entries(found).sort()) === JSON.stringify(Object.entries(labels).sort())) return Number(match[3]);
  }
  return undefined;
}

async function scrape(server: { url: string }): Promise<string> {
  const response = await fetch(`${server.url}/metrics`);
  assert.equal(response.status, 200);
  assert.match(response.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  return response.text();
}

describe('GET /ready and GET /metrics', () => {
  test('/ready answers 200 {"Status":"OK"} while the database answers', async () => {
    const server = await serve();
    const response = await fetch(`${server.url}/ready`);
    assert.equal(response.status, 200);
    const body = (await response.json()) as Record<string, unknown>;
    assert.equal(body.Status, 'OK');
    assert.equal(body.RequestId, response.headers.get('x-acs-request-id'));
  });

  test('/metrics exposes requests by action and code, latency, live sessions, refreshes and reuse detections — moving with the calls, and never a token or secret', async () => {
    const server = await serve({ IMM_REFRESH_RETRY_WINDOW: '0' });
    const root = popClient(server, server.root);
    expectOk(await root.attempt('CreateProject', { ProjectName: 'metrics' }));
    const source = await putDocument(server, server.root.AccountId, 'metrics-docs', 'report.docx');

    const before = await scrape(server);
    for (const name of ['imm_requests_total', 'imm_request_duration_seconds', 'imm_live_sessions', 'imm_token_refreshes_total', 'imm_token_reuse_detected_total', 'imm_throttled_requests_total']) {
      assert.match(before, new RegExp(`^# TYPE ${name} `, 'm'), `${name} is exposed`);
    }
    assert.equal(metricValue(before, 'imm_requests_total', { action: 'CreateProject', code: 'OK' }), 1);
    assert.equal(metricValue(before, 'imm_requests_total', { action: 'GenerateWebofficeToken', code: 'OK' }), undefined);
    assert.equal(metricValue(before, 'imm_live_sessions'), 0);
    assert.equal(metricValue(before, 'imm_token_refreshes_total', { outcome: 'refreshed' }), 0);
    assert.equal(metricValue(before, 'imm_token_reuse_detected_total'), 0);

    const generate = () => root.call<Record<string, string>>('GenerateWebofficeToken', { ProjectName: 'metrics', SourceURI: source });
    const first = await generate();
    const second = await generate();
    const pair = { ProjectName: 'metrics', AccessToken: first.AccessToken, RefreshToken: first.RefreshToken };
    const refreshed = await root.call<Record<string, string>>('RefreshWebofficeToken', pair);
    // The spent pair again, outside the (zero) retry window: a reuse, which revokes the first session.
    expectFailure(await root.attempt('RefreshWebofficeToken', pair), 'TokenRevoked', 400);

    const afterCalls = await scrape(server);
    assert.equal(metricValue(afterCalls, 'imm_requests_total', { action: 'GenerateWebofficeToken', code: 'OK' }), 2);
    assert.equal(metricValue(afterCalls, 'imm_requests_total', { action: 'RefreshWebofficeToken', code: 'OK' }), 1);
    assert.equal(metricValue(afterCalls, 'imm_requests_total', { action: 'RefreshWebofficeToken', code: 'TokenRevoked' }), 1);
    assert.equal(metricValue(afterCalls, 'imm_request_duration_seconds_count', { action: 'GenerateWebofficeToken' }), 2);
    assert.ok(metricValue(afterCalls, 'imm_request_duration_seconds_sum', { action: 'GenerateWebofficeToken' })! > 0);
    assert.equal(metricValue(afterCalls, 'imm_request_duration_seconds_bucket', { action: 'GenerateWebofficeToken', le: '+Inf' }), 2);
    assert.equal(metricValue(afterCalls, 'imm_token_refreshes_total', { outcome: 'refreshed' }), 1);
    assert.equal(metricValue(afterCalls, 'imm_token_reuse_detected_total'), 1);
    assert.equal(metricValue(afterCalls, 'imm_live_sessions'), 1, 'two sessions issued, one revoked by the reuse');
    assert.ok(metricValue(afterCalls, 'imm_requests_total', { action: '/metrics', code: 'OK' })! >= 1);
    if (server.env.IMM_DATABASE_URL?.startsWith('postgres')) assert.ok(metricValue(afterCalls, 'imm_db_pool_connections', { state: 'total' })! >= 1);
    else assert.doesNotMatch(afterCalls, /imm_db_pool_connections/, 'SQLite has no connection pool to report');

    const secrets = [server.root.AccessKeySecret, server.root.AccessKeyId, first.AccessToken, first.RefreshToken, second.AccessToken, second.RefreshToken, refreshed.AccessToken, refreshed.RefreshToken];
    for (const secret of secrets) assert.ok(!afterCalls.includes(secret), 'no token, key or secret in /metrics');
    for (const path of ['/health', '/ready']) {
      const text = await (await fetch(`${server.url}${path}`)).text();
      for (const secret of secrets) assert.ok(!text.includes(secret), `no token, key or secret in ${path}`);
    }
  });

  test(
    'on PostgreSQL: /ready answers 503 ServiceUnavailable within about a second when the database stops answering, and 200 again once it is back; /metrics reports the pool',
    { skip: postgres ? false : `PostgreSQL tests skipped: no server at ${TEST_POSTGRES_URL} (set IMM_TEST_DATABASE_URL)` },
    async () => {
      const proxy = await tcpProxy(new URL(TEST_POSTGRES_URL));
      stops.push(() => proxy.close());
      const schema = await createPostgresSchema();
      stops.push(() => schema.drop());
      const url = new URL(schema.url);
      url.host = `127.0.0.1:${proxy.port}`;
      const server = await serve({ IMM_DATABASE_URL: url.toString(), IMM_DB_STATEMENT_TIMEOUT: '3' });

      assert.equal((await fetch(`${server.url}/ready`)).status, 200);
      const metrics = await scrape(server);
      assert.ok(metricValue(metrics, 'imm_db_pool_connections', { state: 'total' })! >= 1, 'the pool has a connection');
      assert.notEqual(metricValue(metrics, 'imm_db_pool_connections', { state: 'idle' }), undefined);
      assert.ok(metricValue(metrics, 'imm_db_pool_connections', { state: 'waiting' })! >= 0);
      assert.ok(!metrics.includes(url.toString()) && !metrics.includes(schema.url), 'no database URL in /metrics');

      // The database stops answering: connections are cut, new ones are accepted but never answered.
      proxy.blackhole();
      const started = Date.now();
      const down = await fetch(`${server.url}/ready`);
      const elapsed = Date.now() - started;
      assert.equal(down.status, 503);
      const body = (await down.json()) as Record<string, string>;
      assert.equal(body.Code, 'ServiceUnavailable');
      assert.deepEqual(Object.keys(body).sort(), ['Code', 'HostId', 'Message', 'Recommend', 'RequestId']);
      assert.ok(elapsed < 2500, `503 within about a second (took ${elapsed} ms)`);

      proxy.forward();
      const deadline = Date.now() + 20_000;
      let status = 0;
      while (Date.now() < deadline && (status = (await fetch(`${server.url}/ready`)).status) !== 200) await sleep(200);
      assert.equal(status, 200, 'ready again without a restart');
    },
  );
});

/** A TCP proxy in front of PostgreSQL that can stop answering (accept and hold connections) and resume. */
async function tcpProxy(target: URL): Promise<{ port: number; blackhole(): void; forward(): void; close(): Promise<void> }> {
  let forwarding = true;
  const sockets = new Set<net.Socket>();
  const track = (socket: net.Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
  };
  const cutAll = () => {
    for (const socket of sockets) socket.destroy();
  };
  const server = net.createServer((client) => {
    track(client);
    if (!forwarding) return; // accepted, never answered
    const upstream = net.connect(Number(target.port || 5432), target.hostname);
    track(upstream);
    client.pipe(upstream).pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    blackhole: () => {
      forwarding = false;
      cutAll();
    },
    forward: () => {
      forwarding = true;
      cutAll();
    },
    close: () =>
      new Promise<void>((resolve) => {
        cutAll();
        server.close(() => resolve());
      }),
  };
}

/** An RPC call through pop-core with extra request headers (what a proxy in front of the service adds). */
async function immCall(server: { url: string }, credentials: Credentials, headers: Record<string, string> = {}): Promise<{ ok: true } | { ok: false; code: string; status: number }> {
  const client = new RPCClient({ endpoint: server.url, apiVersion: '2020-09-30', accessKeyId: credentials.AccessKeyId, accessKeySecret: credentials.AccessKeySecret });
  try {
    await client.request('ListProjects', {}, { method: 'POST', timeout: 15_000, headers });
    return { ok: true };
  } catch (err) {
    const e = err as { code?: string; entry?: { response?: { statusCode?: number } } };
    if (typeof e.code !== 'string' || !e.entry) throw err;
    return { ok: false, code: e.code, status: e.entry.response?.statusCode ?? 0 };
  }
}

/** Through the RAM API (pop-core, 2015-05-01): a user with an AccessKey and one custom policy of `condition`. */
async function ramUser(server: { url: string }, root: RootCredentials, name: string, condition: Record<string, unknown>): Promise<Credentials> {
  const ram = new RPCClient({ endpoint: server.url, apiVersion: '2015-05-01', accessKeyId: root.AccessKeyId, accessKeySecret: root.AccessKeySecret });
  const call = (action: string, params: Record<string, string>) => ram.request<Record<string, any>>(action, params, { method: 'POST', timeout: 15_000 });
  await call('CreateUser', { UserName: name });
  const key = (await call('CreateAccessKey', { UserName: name })).AccessKey;
  const document = { Version: '1', Statement: [{ Effect: 'Allow', Action: 'imm:ListProjects', Resource: '*', Condition: condition }] };
  await call('CreatePolicy', { PolicyName: `${name}-policy`, PolicyDocument: JSON.stringify(document) });
  await call('AttachPolicyToUser', { PolicyType: 'Custom', PolicyName: `${name}-policy`, UserName: name });
  return { AccessKeyId: key.AccessKeyId, AccessKeySecret: key.AccessKeySecret };
}

const FROM_NET = { IpAddress: { 'acs:SourceIp': '203.0.113.0/24' } };
const OVER_TLS = { Bool: { 'acs:SecureTransport': 'true' } };

describe('IMM_TRUST_PROXY', () => {
  test('with IMM_TRUST_PROXY=127.0.0.1 the X-Forwarded-For client is acs:SourceIp and X-Forwarded-Proto: https makes acs:SecureTransport true', async () => {
    const server = await serve({ IMM_TRUST_PROXY: '127.0.0.1' });
    const ipUser = await ramUser(server, server.root, 'from-net', FROM_NET);
    const tlsUser = await ramUser(server, server.root, 'over-tls', OVER_TLS);

    assert.deepEqual(await immCall(server, ipUser, { 'x-forwarded-for': '203.0.113.7' }), { ok: true }, 'the forwarded client address is in the allowed network');
    assert.deepEqual(await immCall(server, ipUser), { ok: false, code: 'Forbidden', status: 403 }, 'without the header the source is 127.0.0.1');
    // Only the listed proxy is believed: the address it received the request from (10.0.0.1) is the client.
    assert.deepEqual(await immCall(server, ipUser, { 'x-forwarded-for': '203.0.113.7, 10.0.0.1' }), { ok: false, code: 'Forbidden', status: 403 });
    assert.deepEqual(await immCall(server, tlsUser, { 'x-forwarded-proto': 'https' }), { ok: true });
    assert.deepEqual(await immCall(server, tlsUser), { ok: false, code: 'Forbidden', status: 403 });
  });

  test('without IMM_TRUST_PROXY the forwarded headers are ignored', async () => {
    const server = await serve();
    const ipUser = await ramUser(server, server.root, 'from-net', FROM_NET);
    const tlsUser = await ramUser(server, server.root, 'over-tls', OVER_TLS);
    assert.deepEqual(await immCall(server, ipUser, { 'x-forwarded-for': '203.0.113.7' }), { ok: false, code: 'Forbidden', status: 403 });
    assert.deepEqual(await immCall(server, tlsUser, { 'x-forwarded-proto': 'https' }), { ok: false, code: 'Forbidden', status: 403 });
  });
});

/** `imm-weboffice serve` with TLS; resolves with its https:// URL (the shared helper waits for http:// only). */
async function startTlsServer(env: Record<string, string>): Promise<{ url: string; root: RootCredentials; stdout(): string }> {
  const dataDir = makeDataDir();
  const child = spawn(process.execPath, [CLI, 'serve'], { env: { ...process.env, IMM_PORT: '0', IMM_DATA_DIR: dataDir, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  stops.push(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  });
  let out = '';
  let err = '';
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start in 15 s\n${out}\n${err}`)), 15_000);
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
      const match = /imm-weboffice listening on (\S+)\n/.exec(out);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`server exited before it was ready\n${out}\n${err}`));
    });
  });
  const root = JSON.parse(fs.readFileSync(path.join(dataDir, 'root-credentials.json'), 'utf8')) as RootCredentials;
  return { url, root, stdout: () => out };
}

/** openapi-core (which defaults to HTTPS) over TLS, trusting `ca`; `version` picks IMM or RAM. */
function httpsClient(endpoint: string, credentials: Credentials, ca: string | undefined) {
  const client = new OpenApiCore(
    new CoreModels.Config({ accessKeyId: credentials.AccessKeyId, accessKeySecret: credentials.AccessKeySecret, endpoint, protocol: 'https', readTimeout: 15_000, connectTimeout: 5_000, ...(ca ? { ca } : {}) }),
  );
  return async (action: string, query: Record<string, unknown> = {}, version = '2020-09-30') => {
    const params = new CoreModels.Params({ action, version, protocol: 'HTTPS', pathname: '/', method: 'POST', authType: 'AK', style: 'RPC', reqBodyType: 'formData', bodyType: 'json' });
    const runtime = {} as Parameters<InstanceType<typeof OpenApiCore>['callApi']>[2];
    return (await client.callApi(params, new CoreModels.OpenApiRequest({ query: CoreOpenApiUtil.query(query) }), runtime)).body as Record<string, any>;
  };
}

describe('TLS (IMM_TLS_CERT / IMM_TLS_KEY)', () => {
  test('the server speaks HTTPS with the given certificate, says https:// in its ready line, and an official client verifying it gets through (acs:SecureTransport true)', async () => {
    const dir = makeDataDir('imm-tls-');
    const cert = path.join(dir, 'cert.pem');
    const key = path.join(dir, 'key.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-days', '1', '-keyout', key, '-out', cert], { stdio: 'ignore' });
    const server = await startTlsServer({ IMM_TLS_CERT: cert, IMM_TLS_KEY: key });
    assert.match(server.stdout(), /^imm-weboffice listening on https:\/\/127\.0\.0\.1:\d+$/m);
    const endpoint = new URL(server.url).host;
    const ca = fs.readFileSync(cert, 'utf8');

    const root = httpsClient(endpoint, server.root, ca);
    await root('CreateProject', { ProjectName: 'over-tls' });
    assert.deepEqual((await root('ListProjects')).Projects.map((p: { ProjectName: string }) => p.ProjectName), ['over-tls']);

    // A RAM user allowed only over secure transport gets through: the connection itself is TLS.
    for (const [action, query] of [
      ['CreateUser', { UserName: 'tls-user' }],
      ['CreatePolicy', { PolicyName: 'tls-only', PolicyDocument: JSON.stringify({ Version: '1', Statement: [{ Effect: 'Allow', Action: 'imm:ListProjects', Resource: '*', Condition: OVER_TLS }] }) }],
      ['AttachPolicyToUser', { PolicyType: 'Custom', PolicyName: 'tls-only', UserName: 'tls-user' }],
    ] as const) {
      await root(action, query, '2015-05-01');
    }
    const userKey = (await root('CreateAccessKey', { UserName: 'tls-user' }, '2015-05-01')).AccessKey;
    const user = httpsClient(endpoint, { AccessKeyId: userKey.AccessKeyId, AccessKeySecret: userKey.AccessKeySecret }, ca);
    assert.ok(Array.isArray((await user('ListProjects')).Projects));

    // The client really verifies: without the CA the self-signed certificate is refused.
    await assert.rejects(httpsClient(endpoint, server.root, undefined)('ListProjects'), /self[- ]signed|certificate/i);
  });

  test('IMM_TLS_CERT without IMM_TLS_KEY is refused at start', async () => {
    await assert.rejects(startTlsServer({ IMM_TLS_CERT: '/nonexistent/cert.pem' }), /IMM_TLS_CERT and IMM_TLS_KEY must be given together/);
  });
});
