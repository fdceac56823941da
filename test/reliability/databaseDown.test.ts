/**
 * Database down: a server reaches PostgreSQL through a small TCP proxy written here, which can forward, drop
 * every connection as soon as it carries a query (the database dying mid-request, pooled connections checked
 * out) or inside a transaction, reset every connection, stop listening (connection refused), or accept and
 * never answer. During each outage every API call fails FAST (IMM_DB_STATEMENT_TIMEOUT=1, well under the 5 s
 * default) with 503 ServiceUnavailable in our envelope, the process stays up and /health answers; once the
 * proxy forwards again the same process serves calls by itself, and the pair whose refresh failed still
 * refreshes.
 *
 * (SQLite's counterpart, a file locked beyond the 10 s busy timeout, is left out: too slow for this suite.)
 */
import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { randomBytes } from 'node:crypto';
import { createPostgresSchema, TEST_POSTGRES_URL } from '../helpers/engines.js';
import { putDocument, startServer, type RootCredentials, type TestServer } from '../helpers/server.js';
import { describeResult, isEnvelope, pairOf, postgresForSuite, rpc, sleep, stopWithin, type CallResult, type Pair } from '../helpers/reliability.js';

type ProxyMode = 'forward' | 'drop-on-query' | 'drop-in-transaction' | 'reset' | 'refuse' | 'no-answer';

/** A TCP proxy to PostgreSQL whose behaviour can be switched at any moment. */
class DatabaseProxy {
  mode: ProxyMode = 'forward';
  port = 0;
  private server = net.createServer((socket) => this.accept(socket));
  private readonly sockets = new Set<net.Socket>();
  private readonly target = new URL(TEST_POSTGRES_URL);

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as net.AddressInfo).port;
  }

  /** `url` (a schema URL, search_path option and all) with the proxy in place of the database server. */
  via(url: string): string {
    const proxied = new URL(url);
    proxied.host = `127.0.0.1:${this.port}`;
    return proxied.toString();
  }

  async set(mode: ProxyMode): Promise<void> {
    const wasListening = this.mode !== 'refuse';
    this.mode = mode;
    // Every outage also ends the connections in place: the pool must notice and not hand out dead ones.
    if (mode === 'reset' || mode === 'refuse' || mode === 'no-answer') for (const s of this.sockets) s.destroy();
    if (mode === 'refuse' && wasListening) await new Promise<void>((resolve) => this.server.close(() => resolve()));
    if (mode !== 'refuse' && !wasListening) {
      this.server = net.createServer((socket) => this.accept(socket));
      await new Promise<void>((resolve, reject) => this.server.once('error', reject).listen(this.port, '127.0.0.1', resolve));
    }
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    if (this.mode !== 'refuse') await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private track(socket: net.Socket) {
    this.sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => this.sockets.delete(socket));
  }

  private accept(client: net.Socket) {
    this.track(client);
    if (this.mode === 'reset') return void client.destroy();
    if (this.mode === 'no-answer') return void client.resume(); // swallows the startup message, says nothing
    const upstream = net.connect(Number(this.target.port || 5432), this.target.hostname);
    this.track(upstream);
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    let inTransaction = false;
    client.on('data', (chunk) => {
      if (this.mode === 'drop-on-query') return end(); // the database "dies" as the query arrives
      // …or right after a transaction began: the next statement finds the connection gone.
      if (this.mode === 'drop-in-transaction' && inTransaction) return end();
      if (chunk[0] === 0x51 && /^begin\b/i.test(chunk.subarray(5).toString('latin1'))) inTransaction = true; // Query 'begin'
      upstream.write(chunk);
    });
    upstream.on('data', (chunk) => client.write(chunk));
    client.on('close', end);
    upstream.on('close', end);
  }
}

const postgres = await postgresForSuite('databaseDown');

describe('PostgreSQL unreachable: fail fast with 503, recover without a restart', { skip: postgres.skip, timeout: 120_000 }, () => {
  const proxy = new DatabaseProxy();
  let schema: Awaited<ReturnType<typeof createPostgresSchema>>;
  let server: TestServer;
  const root: RootCredentials = { AccountId: '1000000000000002', AccessKeyId: `LTAIdbdown${randomBytes(6).toString('hex')}`, AccessKeySecret: randomBytes(15).toString('hex') };
  const project = 'database-down';
  let sourceUri: string;
  let pair: Pair;

  before(async () => {
    schema = await createPostgresSchema();
    await proxy.start();
    server = await startServer({
      IMM_DATABASE_URL: proxy.via(schema.url),
      IMM_DB_STATEMENT_TIMEOUT: '1',
      IMM_MASTER_KEY: randomBytes(32).toString('hex'),
      IMM_ROOT_ACCESS_KEY_ID: root.AccessKeyId,
      IMM_ROOT_ACCESS_KEY_SECRET: root.AccessKeySecret,
      IMM_ACCOUNT_ID: root.AccountId,
      IMM_LOG_LEVEL: 'warn',
    });
    const [created, uri] = await Promise.all([
      rpc(server, root, 'CreateProject', { ProjectName: project }),
      // The CLI goes straight to the database (same data dir, so the same object store).
      putDocument({ env: { ...server.env, IMM_DATABASE_URL: schema.url }, dataDir: server.dataDir }, root.AccountId, 'down-docs', 'plan.docx'),
    ]);
    assert.equal(created.kind === 'http' && created.status, 200, describeResult(created));
    sourceUri = uri;
    const generated = await rpc(server, root, 'GenerateWebofficeToken', { ProjectName: project, SourceURI: sourceUri });
    assert.ok(generated.kind === 'http' && generated.status === 200, describeResult(generated));
    pair = pairOf(generated.body);
  });

  afterEach(async () => {
    await proxy.set('forward'); // also when a test failed mid-outage: the next one starts from a reachable database
  });

  after(async () => {
    await stopWithin(server);
    await proxy.close();
    await schema?.drop();
  });

  // A call that hangs is given up after 8 s (it fails the test either way).
  const calls = (transactionalOnly: boolean) => [
    ...(transactionalOnly ? [] : [rpc(server, root, 'ListProjects', {}, 8000)]),
    rpc(server, root, 'RefreshWebofficeToken', { ProjectName: project, AccessToken: pair.AccessToken, RefreshToken: pair.RefreshToken }, 8000),
    rpc(server, root, 'GenerateWebofficeToken', { ProjectName: project, SourceURI: sourceUri }, 8000),
  ];

  // How long a failing call may take: `fastMs`, plus twice the slowest successful call just before the outage
  // (so that a loaded machine does not fail the test). The default statement timeout is 5 s.
  const outages: { mode: ProxyMode; what: string; fastMs: number }[] = [
    { mode: 'drop-on-query', what: 'connections dropped as a query arrives (pooled connections checked out)', fastMs: 1000 },
    // Only the calls that write in a transaction (refresh, generate) meet this one.
    { mode: 'drop-in-transaction', what: 'connections dropped inside a transaction', fastMs: 1000 },
    { mode: 'reset', what: 'every connection reset', fastMs: 1000 },
    { mode: 'refuse', what: 'connection refused', fastMs: 1000 },
    // Bounded by the connect timeout (= IMM_DB_STATEMENT_TIMEOUT, 1 s here).
    { mode: 'no-answer', what: 'connections accepted but never answered', fastMs: 2000 },
  ];

  for (const outage of outages) {
    test(`${outage.what}: every call fails fast with 503 ServiceUnavailable, /health answers, and the node recovers by itself`, async () => {
      // Warm the pool, so that idle (and, for drop-on-query, checked-out) connections meet the outage.
      const warm = await Promise.all([0, 1, 2, 3].map(() => rpc(server, root, 'ListProjects', {})));
      for (const r of warm) assert.ok(r.kind === 'http' && r.status === 200, `before the outage: ${describeResult(r)}`);
      const limitMs = outage.fastMs + 2 * Math.max(...warm.map((r) => r.ms));

      await proxy.set(outage.mode);
      const results: CallResult[] = [];
      for (let round = 0; round < 2; round++) results.push(...(await Promise.all(calls(outage.mode === 'drop-in-transaction'))));
      for (const r of results) {
        assert.ok(r.kind === 'http', `an HTTP answer, the process still serving: ${describeResult(r)}`);
        assert.equal(r.status, 503, describeResult(r));
        assert.ok(isEnvelope(r.body) && r.body.Code === 'ServiceUnavailable', `ServiceUnavailable in our envelope: ${describeResult(r)}`);
        assert.ok(r.ms < limitMs, `fast: ${r.ms} ms (limit ${limitMs} ms; the default statement timeout is 5 s)`);
      }
      const health = await fetch(`${server.url}/health`, { signal: AbortSignal.timeout(2000) });
      assert.equal(health.status, 200, '/health answers during the outage');
      assert.equal(server.process.exitCode, null, 'the process is still running');

      await proxy.set('forward');
      const back = Date.now();
      let recovered: CallResult | undefined;
      let attempts = 0;
      while (Date.now() - back < 10_000) {
        recovered = await rpc(server, root, 'ListProjects', {});
        if (recovered.kind === 'http' && recovered.status === 200) break;
        assert.ok(recovered.kind === 'http' && recovered.status === 503 && recovered.body.Code === 'ServiceUnavailable', `while recovering: ${describeResult(recovered)}`);
        attempts++;
        await sleep(100);
      }
      assert.ok(recovered?.kind === 'http' && recovered.status === 200, `the node recovered by itself: ${recovered && describeResult(recovered)}`);
      // The refresh that failed during the outage spent nothing: the pair still refreshes.
      const refreshed = await rpc(server, root, 'RefreshWebofficeToken', { ProjectName: project, AccessToken: pair.AccessToken, RefreshToken: pair.RefreshToken });
      assert.ok(refreshed.kind === 'http' && refreshed.status === 200, `the pair refreshes after the outage: ${describeResult(refreshed)}`);
      pair = pairOf(refreshed.body);
      console.log(`databaseDown ${outage.mode}: slowest failure ${Math.max(...results.map((r) => r.ms))} ms (limit ${limitMs} ms), recovered in ${Date.now() - back} ms (${attempts} calls failed after the database was back)`);
    });
  }

  test('the outages were logged as database unavailable, never as unexpected failures', () => {
    assert.match(server.stderr(), /database unavailable/);
    assert.doesNotMatch(server.stderr(), /unexpected failure/);
  });
});
