/**
 * Database down: a server reaches PostgreSQL through a small TCP proxy written here, which can forward, drop
 * every connection as soon as it carries a query (the database dying mid-request, pooled connections checked
 * out) or inside a transaction, reset every connection, stop listening (connection refused), or accept and
 * never answer. During each outage every API call fails FAST (IMM_DB_STATEMENT_TIMEOUT=1, well under the 5 s
 * default) with 503 ServiceUnavailable in our envelope, the process stays up and /health answers; once the
 * proxy forwards again the same process serves calls by itself, and the pair whose refresh failed still
 * refreshes. A silent partition (connections stay open, nothing gets through, not even their closing) is
 * bounded by the client-side query timeout; a node cut off in the middle of a refresh (its one-statement rotation
 * sent, the answer lost) does not keep another node from refreshing that session. (A transaction left open by a
 * cut-off node — Generate's — is ended by PostgreSQL's idle-transaction timeout.)
 *
 * PostgreSQL refusing new connections itself (a database closed to connections, over its connection limit, or
 * dropped) is the same outage, whatever the code it gives: drilled on a database of its own, further below.
 *
 * (SQLite's counterpart, a file locked beyond the 10 s busy timeout, is left out: too slow for this suite.)
 */
import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { createPostgresSchema, TEST_POSTGRES_URL } from '../helpers/engines.js';
import { postgresQuery } from '../helpers/postgres.js';
import { expectFailure, popClient, type ApiResult, type PopClient } from '../helpers/popClient.js';
import { makeDataDir, putDocument, startServer, type RootCredentials, type TestServer } from '../helpers/server.js';
import { describeResult, isEnvelope, pairOf, postgresForSuite, rpc, sleep, stopWithin, type CallResult, type Pair } from '../helpers/reliability.js';

type ProxyMode = 'forward' | 'drop-on-query' | 'drop-in-transaction' | 'reset' | 'refuse' | 'no-answer' | 'partition' | 'partition-in-transaction' | 'partition-after-rotation';

/** How PostgreSQL's one-statement rotation begins (src/store/sessions.ts, rotateInOneStatement). */
const ROTATION_STATEMENT = /^\s*with spent as \(/;

/**
 * Splits what a client sends into PostgreSQL frontend messages (the startup message has no type byte; every
 * later one is a type byte and a length that counts itself), so the proxy can act at message boundaries.
 */
class FrontendMessages {
  private pending = Buffer.alloc(0);
  private started = false;

  *push(chunk: Buffer): Generator<{ type: string; bytes: Buffer }> {
    this.pending = Buffer.concat([this.pending, chunk]);
    for (;;) {
      const header = this.started ? 5 : 4;
      if (this.pending.length < header) return;
      const size = this.started ? 1 + this.pending.readUInt32BE(1) : this.pending.readUInt32BE(0);
      if (this.pending.length < size) return;
      const bytes = this.pending.subarray(0, size);
      this.pending = this.pending.subarray(size);
      yield { type: this.started ? String.fromCharCode(bytes[0]) : 'startup', bytes };
      this.started = true;
    }
  }
}

/** A TCP proxy to PostgreSQL whose behaviour can be switched at any moment. */
class DatabaseProxy {
  mode: ProxyMode = 'forward';
  port = 0;
  private server = net.createServer((socket) => this.accept(socket));
  private readonly sockets = new Set<net.Socket>();
  /** Connections cut off without a word: both sides stay open, nothing gets through any more. */
  private readonly severed = new Set<net.Socket>();
  private readonly target = new URL(TEST_POSTGRES_URL);
  /** Names of the prepared statements that are the rotation (learnt from their Parse messages). */
  private readonly rotationStatements = new Set<string>();

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
    // A partition closes nothing: the connections in place just stop carrying anything, for good.
    if (mode === 'partition') for (const s of this.sockets) this.severed.add(s);
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
    // Swallows the startup message, says nothing.
    if (this.mode === 'no-answer' || this.mode === 'partition') return void client.resume();
    const upstream = net.connect(Number(this.target.port || 5432), this.target.hostname);
    this.track(upstream);
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    let inTransaction = false;
    let statementsInTransaction = 0;
    let rotationSent = false;
    const messages = new FrontendMessages();
    client.on('data', (chunk: Buffer) => {
      if (this.severed.has(client)) return;
      if (this.mode === 'drop-on-query') return end(); // the database "dies" as the query arrives
      // …or right after a transaction began: the next statement finds the connection gone.
      if (this.mode === 'drop-in-transaction' && inTransaction) return end();
      for (const { type, bytes } of messages.push(chunk)) {
        // …or, silently, after the first statement of a transaction ran (and took its row locks).
        if (this.mode === 'partition-in-transaction' && statementsInTransaction >= 1) this.severed.add(client);
        if (this.severed.has(client)) return;
        const text = type === 'Q' ? bytes.subarray(5).toString('latin1') : '';
        // Parse: name\0 query\0 …; Bind: portal\0 statement\0 …. The rotation is prepared once per connection,
        // maybe before the outage: its name is learnt in every mode.
        const [first, second] = type === 'P' || type === 'B' ? bytes.subarray(5).toString('latin1').split('\0') : [];
        if (type === 'P' && ROTATION_STATEMENT.test(second ?? '')) this.rotationStatements.add(first);
        if (this.mode === 'partition-after-rotation') {
          // After the rotation's Sync has gone through, the connection falls silent: PostgreSQL runs and commits
          // the statement, its answer never comes back.
          if (type === 'B' && this.rotationStatements.has(second ?? '')) rotationSent = true;
          if (type === 'S' && rotationSent) {
            upstream.write(bytes);
            this.severed.add(client);
            return;
          }
        }
        if (/^begin\b/i.test(text)) inTransaction = true;
        else if (/^(commit|rollback)\b/i.test(text)) (inTransaction = false), (statementsInTransaction = 0);
        else if (inTransaction && (type === 'S' || type === 'Q')) statementsInTransaction++; // Sync ends an extended-protocol statement
        upstream.write(bytes);
      }
    });
    upstream.on('data', (chunk) => {
      if (!this.severed.has(client)) client.write(chunk);
    });
    // A severed connection's closing is lost in the partition too (the FIN never arrives): PostgreSQL keeps
    // its end, and any transaction on it, open.
    client.on('close', () => this.severed.has(client) || end());
    upstream.on('close', end);
  }
}

const postgres = await postgresForSuite('databaseDown');

/** A server on `databaseUrl` with this root key, its statements timing out after 1 s (the default is 5 s). */
const startDrillServer = (databaseUrl: string, root: RootCredentials) =>
  startServer({
    IMM_DATABASE_URL: databaseUrl,
    IMM_DB_STATEMENT_TIMEOUT: '1',
    IMM_MASTER_KEY: randomBytes(32).toString('hex'),
    IMM_ROOT_ACCESS_KEY_ID: root.AccessKeyId,
    IMM_ROOT_ACCESS_KEY_SECRET: root.AccessKeySecret,
    IMM_ACCOUNT_ID: root.AccountId,
    IMM_LOG_LEVEL: 'warn',
  });

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
    server = await startDrillServer(proxy.via(schema.url), root);
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
  // A refresh on PostgreSQL writes in ONE statement, no transaction: only Generate meets `drop-in-transaction`.
  const calls = (transactionalOnly: boolean) => [
    ...(transactionalOnly ? [] : [rpc(server, root, 'ListProjects', {}, 8000)]),
    ...(transactionalOnly ? [] : [rpc(server, root, 'RefreshWebofficeToken', { ProjectName: project, AccessToken: pair.AccessToken, RefreshToken: pair.RefreshToken }, 8000)]),
    rpc(server, root, 'GenerateWebofficeToken', { ProjectName: project, SourceURI: sourceUri }, 8000),
  ];

  // How long a failing call may take: `fastMs`, plus twice the slowest successful call just before the outage
  // (so that a loaded machine does not fail the test). The default statement timeout is 5 s.
  const outages: { mode: ProxyMode; what: string; fastMs: number }[] = [
    { mode: 'drop-on-query', what: 'connections dropped as a query arrives (pooled connections checked out)', fastMs: 1000 },
    // Only the calls that write in a transaction (generate) meet this one.
    { mode: 'drop-in-transaction', what: 'connections dropped inside a transaction', fastMs: 1000 },
    { mode: 'reset', what: 'every connection reset', fastMs: 1000 },
    { mode: 'refuse', what: 'connection refused', fastMs: 1000 },
    // Bounded by the connect timeout (= IMM_DB_STATEMENT_TIMEOUT, 1 s here).
    { mode: 'no-answer', what: 'connections accepted but never answered', fastMs: 2000 },
    // Bounded by the client-side query timeout (IMM_DB_STATEMENT_TIMEOUT + 1 s): the server never hears the query.
    { mode: 'partition', what: 'a silent network partition (connections stay open, nothing gets through)', fastMs: 2500 },
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

  // The rotation is one statement (no transaction is left open to hold the token's row lock): cut off right
  // after sending it, the node never hears that PostgreSQL committed it; the other node, presenting the same
  // pair, gets the successor from the retry window, and the cut-off call, retried, gets that same successor.
  test('a node cut off mid-refresh does not block the session: another node then refreshes the pair, and the cut-off call, retried, gets that same successor', async () => {
    // The other node reaches PostgreSQL directly and shares the documents; same keys and master key.
    const other = await startServer({ ...server.env, IMM_DATABASE_URL: schema.url, IMM_DATA_DIR: makeDataDir('imm-dbdown-other-'), IMM_OSS_DIR: path.join(server.dataDir, 'oss'), IMM_PORT: '0' });
    try {
      await proxy.set('partition-after-rotation');
      const params = { ProjectName: project, AccessToken: pair.AccessToken, RefreshToken: pair.RefreshToken };
      // Its rotation reached PostgreSQL; then nothing more gets through, and the client gives up on its own.
      const cutOff = await rpc(server, root, 'RefreshWebofficeToken', params, 8000);
      assert.ok(cutOff.kind === 'http' && cutOff.status === 503 && cutOff.body.Code === 'ServiceUnavailable', describeResult(cutOff));
      assert.ok(cutOff.ms < 3500 + 2000, `the cut-off call failed within the query timeout: ${cutOff.ms} ms`);

      // The other node is not held up by anything the cut-off node left behind (a 503 is tolerated while the
      // machine is slow, never another answer).
      const started = Date.now();
      let successor: CallResult | undefined;
      while (Date.now() - started < 15_000) {
        successor = await rpc(other, root, 'RefreshWebofficeToken', params, 8000);
        if (successor.kind === 'http' && successor.status === 200) break;
        assert.ok(successor.kind === 'http' && successor.status === 503 && successor.body.Code === 'ServiceUnavailable', `while the lock is held: ${describeResult(successor)}`);
        await sleep(200);
      }
      assert.ok(successor?.kind === 'http' && successor.status === 200, `the other node refreshed the pair: ${successor && describeResult(successor)}`);
      console.log(`databaseDown partition-after-rotation: the other node refreshed after ${Date.now() - started} ms`);

      await proxy.set('forward');
      let retried: CallResult | undefined;
      for (const until = Date.now() + 10_000; Date.now() < until; await sleep(100)) {
        retried = await rpc(server, root, 'RefreshWebofficeToken', params);
        if (!(retried.kind === 'http' && retried.status === 503)) break;
      }
      assert.ok(retried?.kind === 'http' && retried.status === 200, `the retried call: ${retried && describeResult(retried)}`);
      assert.deepEqual(pairOf(retried.body), pairOf(successor.body), 'the retry window gives the one successor');
      pair = pairOf(successor.body);
    } finally {
      await stopWithin(other);
    }
  });

  test('the outages were logged as database unavailable, never as unexpected failures', () => {
    assert.match(server.stderr(), /database unavailable/);
    assert.doesNotMatch(server.stderr(), /unexpected failure/);
  });
});

/**
 * PostgreSQL itself refusing new connections, for reasons no list of codes foresees: a database closed to
 * connections (55000), over its connection limit (53300), dropped (3D000). Drills like these would disturb the
 * other tests on the shared `test` database, so the server runs on a database of its own, owned by a role of
 * its own (not a superuser: CONNECTION LIMIT binds only such roles). Each outage also ends the server's
 * connections in place, so that it must connect anew.
 */
describe('PostgreSQL refusing new connections (closed, over its limit, dropped): every call 503, /ready 503, recovery by itself', { skip: postgres.skip, timeout: 120_000 }, () => {
  const name = `imm_drill_${randomBytes(5).toString('hex')}`; // the database and its owner
  const admin = (text: string) => postgresQuery(TEST_POSTGRES_URL, text);
  const root: RootCredentials = { AccountId: '1000000000000003', AccessKeyId: `LTAIdrill${randomBytes(6).toString('hex')}`, AccessKeySecret: randomBytes(15).toString('hex') };
  const project = 'database-drill';
  let server: TestServer;
  let client: PopClient;
  let sourceUri: string;
  let pair: Pair;

  before(async () => {
    await admin(`create role ${name} login`);
    await admin(`create database ${name} owner ${name}`);
    const url = new URL(TEST_POSTGRES_URL);
    url.username = name;
    url.pathname = `/${name}`;
    server = await startDrillServer(url.toString(), root);
    client = popClient(server, root);
    await client.call('CreateProject', { ProjectName: project });
    sourceUri = await putDocument(server, root.AccountId, 'drill-docs', 'plan.docx');
    pair = pairOf(await client.call('GenerateWebofficeToken', { ProjectName: project, SourceURI: sourceUri }));
  });

  after(async () => {
    await stopWithin(server);
    await admin(`drop database if exists ${name} with (force)`);
    await admin(`drop role if exists ${name}`);
  });

  /** Ends every connection of the server to its database, waiting until each is gone. */
  const terminateBackends = () => admin(`select pg_terminate_backend(pid, 5000) from pg_stat_activity where datname = '${name}'`);

  async function expectUnavailable(what: string): Promise<void> {
    const calls = await Promise.all([
      client.attempt('ListProjects', {}),
      client.attempt('GenerateWebofficeToken', { ProjectName: project, SourceURI: sourceUri }),
      client.attempt('RefreshWebofficeToken', { ProjectName: project, AccessToken: pair.AccessToken, RefreshToken: pair.RefreshToken }),
      client.attempt('ListProjects', {}),
    ]);
    for (const call of calls) expectFailure(call, 'ServiceUnavailable', 503);
    const ready = await fetch(`${server.url}/ready`, { signal: AbortSignal.timeout(5000) });
    assert.equal(ready.status, 503, `/ready while ${what}`);
    assert.equal(((await ready.json()) as Record<string, unknown>).Code, 'ServiceUnavailable');
    assert.equal(server.process.exitCode, null, 'the process is still running');
  }

  async function expectRecovered(): Promise<void> {
    let last: ApiResult | undefined;
    for (const until = Date.now() + 10_000; Date.now() < until; await sleep(100)) {
      last = await client.attempt('ListProjects', {});
      if (last.ok) break;
      expectFailure(last, 'ServiceUnavailable', 503);
    }
    assert.ok(last?.ok, `the node recovered by itself: ${JSON.stringify(last)}`);
    assert.equal((await fetch(`${server.url}/ready`)).status, 200);
    // The refreshes refused during the outage spent nothing.
    pair = pairOf(await client.call('RefreshWebofficeToken', { ProjectName: project, AccessToken: pair.AccessToken, RefreshToken: pair.RefreshToken }));
  }

  test('a database closed to connections (ALLOW_CONNECTIONS false, 55000), then opened again', async () => {
    await admin(`alter database ${name} allow_connections false`);
    try {
      await terminateBackends();
      await expectUnavailable('the database is closed to connections');
    } finally {
      await admin(`alter database ${name} allow_connections true`);
    }
    await expectRecovered();
  });

  test('a database over its connection limit (CONNECTION LIMIT 0, 53300), then lifted', async () => {
    await admin(`alter database ${name} connection limit 0`);
    try {
      await terminateBackends();
      await expectUnavailable('the database allows no connection');
    } finally {
      await admin(`alter database ${name} connection limit -1`);
    }
    await expectRecovered();
  });

  test('a dropped database (3D000)', async () => {
    await admin(`drop database ${name} with (force)`);
    await expectUnavailable('the database does not exist');
  });

  test('the refusals were logged as database unavailable, never as unexpected failures', () => {
    assert.match(server.stderr(), /database unavailable/);
    const unexpected = server.stderr().split('\n').filter((line) => line.includes('unexpected failure'));
    assert.equal(unexpected.length, 0, `logged as unexpected: ${unexpected[0]?.slice(0, 400)}`);
  });
});
