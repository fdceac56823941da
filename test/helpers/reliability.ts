/**
 * For the reliability suite (test/reliability/): several `imm-weboffice serve` processes on one database
 * (SQLite: one data dir; PostgreSQL: one schema, shared master key, root key and IMM_OSS_DIR), a raw signed
 * HTTP caller that reports status, our error envelope, or a transport failure, clients that keep refreshing
 * their latest pair, and the structural checks of the token tables. All traffic goes to 127.0.0.1.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import pg from 'pg';
import SQLite from 'better-sqlite3';
import { createPostgresSchema, postgresReachable, TEST_POSTGRES_URL } from './engines.js';
import { makeDataDir, putDocument, startServer, type RootCredentials, type TestServer } from './server.js';
import { signedRpcForm, type Credentials } from './popClient.js';
import { hashToken } from '../../src/tokens/tokenValues.js';
import { answerRelay, type AnswerRelay } from './answerRelay.js';

export type EngineName = 'sqlite' | 'postgres';

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Which parts of `suite` run. Each reliability suite chooses its engines itself (SQLite, and PostgreSQL at
 * IMM_TEST_DATABASE_URL): the PostgreSQL parts are skipped, with a console line saying so, when no server
 * answers, unless IMM_REQUIRE_POSTGRES=1 (then the suite fails). Under IMM_TEST_ENGINE=postgres (the second,
 * PostgreSQL pass of `npm test`) the whole suite is skipped: the first pass ran it on both engines already.
 */
export async function postgresForSuite(suite: string): Promise<{ reachable: boolean; skip: string | false; skipAll: string | false }> {
  if (process.env.IMM_TEST_ENGINE === 'postgres') {
    const message = `${suite}: skipped under IMM_TEST_ENGINE=postgres (it chooses its engines itself, PostgreSQL included, in the default pass)`;
    console.log(message);
    return { reachable: false, skip: message, skipAll: message };
  }
  if (await postgresReachable()) return { reachable: true, skip: false, skipAll: false };
  if (process.env.IMM_REQUIRE_POSTGRES === '1') throw new Error(`${suite}: IMM_REQUIRE_POSTGRES=1 but no PostgreSQL server answers at ${TEST_POSTGRES_URL}`);
  const message = `${suite}: PostgreSQL parts skipped, no server at ${TEST_POSTGRES_URL} (set IMM_TEST_DATABASE_URL)`;
  console.log(message);
  return { reachable: false, skip: message, skipAll: false };
}

// ---------------------------------------------------------------------------------------------------------
// Raw signed calls

export type Pair = { AccessToken: string; AccessTokenExpiredTime: string; RefreshToken: string; RefreshTokenExpiredTime: string };

export type CallResult =
  | { kind: 'http'; status: number; body: Record<string, any>; ms: number }
  /** No HTTP answer: connection refused or reset, the node died mid-request, or the reply was not JSON. */
  | { kind: 'transport'; error: string; ms: number };

/** A classic-RPC-signed POST (fresh nonce and timestamp each time) to `node`; never throws for the network. */
export async function rpc(node: { url: string }, credentials: Credentials, action: string, params: Record<string, string>, timeoutMs = 20_000): Promise<CallResult> {
  const started = Date.now();
  try {
    const response = await fetch(`${node.url}/`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: signedRpcForm(action, params, credentials),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await response.text();
    let body: Record<string, any>;
    try {
      body = JSON.parse(text);
    } catch {
      return { kind: 'transport', error: `HTTP ${response.status} with a non-JSON body: ${text.slice(0, 200)}`, ms: Date.now() - started };
    }
    return { kind: 'http', status: response.status, body, ms: Date.now() - started };
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    return { kind: 'transport', error: `${String(err)}${cause ? ` (${cause.code ?? cause.message})` : ''}`, ms: Date.now() - started };
  }
}

/** Our error envelope: RequestId, HostId, Code, Message, Recommend. */
export function isEnvelope(body: Record<string, any>): boolean {
  return (
    typeof body.Code === 'string' &&
    body.Code !== '' &&
    typeof body.Message === 'string' &&
    typeof body.RequestId === 'string' &&
    /^[0-9A-F-]{36}$/.test(body.RequestId) &&
    typeof body.HostId === 'string' &&
    typeof body.Recommend === 'string'
  );
}

export function describeResult(result: CallResult): string {
  return result.kind === 'transport' ? `transport failure: ${result.error}` : `HTTP ${result.status} ${JSON.stringify(result.body).slice(0, 300)}`;
}

export const pairOf = (body: Record<string, any>): Pair => ({
  AccessToken: body.AccessToken,
  AccessTokenExpiredTime: body.AccessTokenExpiredTime,
  RefreshToken: body.RefreshToken,
  RefreshTokenExpiredTime: body.RefreshTokenExpiredTime,
});
export const samePair = (a: Pair, b: Pair) =>
  a.AccessToken === b.AccessToken && a.RefreshToken === b.RefreshToken && a.AccessTokenExpiredTime === b.AccessTokenExpiredTime && a.RefreshTokenExpiredTime === b.RefreshTokenExpiredTime;

/**
 * Stops a server within `ms`: SIGTERM, then SIGKILL if it has not exited by then (a node wedged by a broken
 * build must not hang the suite). Resolves with how it ended.
 */
export async function stopWithin(server: TestServer | undefined, ms = 5000): Promise<string> {
  if (!server) return 'none';
  const child = server.process;
  if (child.exitCode !== null || child.signalCode !== null) return 'exited already';
  const timer = setTimeout(() => child.kill('SIGKILL'), ms);
  try {
    const code = await server.stop();
    return code === null ? String(child.signalCode) : String(code);
  } finally {
    clearTimeout(timer);
  }
}

// ---------------------------------------------------------------------------------------------------------
// Clusters

export interface Cluster {
  engine: EngineName;
  /** The current process of each node (replaced by `restart`). */
  nodes: TestServer[];
  /** Node `i` as the load's clients reach it: through a relay that can hold its answers (see answerRelay.ts). */
  via(i: number): { url: string };
  /** Holds every node's answers; the returned function lets them through again. */
  holdAnswers(): () => void;
  /** How many answers node `i`'s relay holds back now. */
  heldAnswers(i: number): number;
  root: RootCredentials;
  project: string;
  sourceUri: string;
  /** PostgreSQL: the schema's URL (for the test's own connections). */
  postgresUrl?: string;
  /** Kills (SIGKILL) or stops (SIGTERM) node `i` and waits for its exit; returns exit code or signal. */
  halt(i: number, signal: 'SIGKILL' | 'SIGTERM' | 'SIGINT'): Promise<string>;
  /** The logs (stderr) of every process the cluster ran, halted ones included. */
  allStderr(): string;
  /** Starts node `i` again on the same data and configuration (a new port). */
  restart(i: number): Promise<TestServer>;
  generate(node?: number): Promise<Pair>;
  tokens(): Promise<TokenTables>;
  billing(): Promise<BillingCounts>;
  dispose(): Promise<void>;
}

/**
 * `count` server processes on one database. SQLite: one data directory (and so one file, key file and object
 * store). PostgreSQL: a fresh schema, each node its own data directory, sharing IMM_MASTER_KEY, the root key
 * and IMM_OSS_DIR, as several hosts would.
 */
export async function startCluster(engine: EngineName, count: number, extraEnv: Record<string, string> = {}): Promise<Cluster> {
  const root: RootCredentials = { AccountId: '1000000000000001', AccessKeyId: `LTAIreliability${randomBytes(5).toString('hex')}`, AccessKeySecret: randomBytes(15).toString('hex') };
  const shared: Record<string, string> = {
    IMM_ROOT_ACCESS_KEY_ID: root.AccessKeyId,
    IMM_ROOT_ACCESS_KEY_SECRET: root.AccessKeySecret,
    IMM_ACCOUNT_ID: root.AccountId,
    IMM_LOG_LEVEL: 'warn',
    ...extraEnv,
  };
  let schema: Awaited<ReturnType<typeof createPostgresSchema>> | undefined;
  const envs: Record<string, string>[] = [];
  if (engine === 'postgres') {
    schema = await createPostgresSchema();
    Object.assign(shared, { IMM_DATABASE_URL: schema.url, IMM_MASTER_KEY: randomBytes(32).toString('hex'), IMM_OSS_DIR: makeDataDir('imm-rel-oss-') });
    for (let i = 0; i < count; i++) envs.push({ ...shared, IMM_DATA_DIR: makeDataDir('imm-rel-pg-') });
  } else {
    const dataDir = makeDataDir('imm-rel-sqlite-');
    for (let i = 0; i < count; i++) envs.push({ ...shared, IMM_DATA_DIR: dataDir });
  }
  const nodes: TestServer[] = [];
  const project = 'reliability';
  let sourceUri = '';
  // The document and project need the root account, which the first node creates; the rest overlaps.
  const prepare = async (first: TestServer) => {
    const [created, uri] = await Promise.all([
      rpc(first, root, 'CreateProject', { ProjectName: project }),
      putDocument({ env: envs[0], dataDir: envs[0].IMM_DATA_DIR }, root.AccountId, 'reliability-docs', 'plan.docx', 'a plan'),
    ]);
    assert.equal(created.kind === 'http' && created.status, 200, `CreateProject: ${describeResult(created)}`);
    sourceUri = uri;
  };
  try {
    if (engine === 'sqlite') {
      // The first creates the file and the key file; the others open them.
      nodes.push(await startServer(envs[0]));
      const [rest] = await Promise.all([Promise.all(envs.slice(1).map((env) => startServer(env))), prepare(nodes[0])]);
      nodes.push(...rest);
    } else {
      // All at once: migrations must be safe when several nodes start together.
      nodes.push(...(await Promise.all(envs.map((env) => startServer(env)))));
      await prepare(nodes[0]);
    }
  } catch (err) {
    await Promise.all(nodes.map((n) => n.stop()));
    await schema?.drop();
    throw err;
  }

  const relays: AnswerRelay[] = await Promise.all(nodes.map((n) => answerRelay(Number(new URL(n.url).port))));
  const halted: TestServer[] = [];
  const cluster: Cluster = {
    engine,
    nodes,
    via: (i) => relays[i],
    holdAnswers() {
      const releases = relays.map((r) => r.hold());
      return () => releases.forEach((release) => release());
    },
    heldAnswers: (i) => relays[i].heldAnswers(),
    root,
    project,
    sourceUri,
    postgresUrl: schema?.url,
    async halt(i, signal) {
      const node = nodes[i];
      halted.push(node);
      const child = node.process;
      if (child.exitCode !== null || child.signalCode !== null) return 'exited already';
      const exited = new Promise<string>((resolve) => child.once('exit', (code, sig) => resolve(code === null ? String(sig) : String(code))));
      child.kill(signal); // once: a second SIGTERM would cut a graceful stop short
      // A graceful stop that takes over 10 s is cut short (and then reads as SIGKILL, not a clean exit 0).
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      try {
        const how = await exited;
        // The process is gone; let its relay see its connections close (and drop what it had answered) first.
        await relays[i].upstreamsClosed();
        return how;
      } finally {
        clearTimeout(timer);
      }
    },
    allStderr: () => [...halted, ...nodes].map((n) => n.stderr()).join('\n'),
    async restart(i) {
      nodes[i] = await startServer(envs[i]);
      relays[i].retarget(Number(new URL(nodes[i].url).port));
      return nodes[i];
    },
    async generate(node = 0) {
      const result = await rpc(nodes[node], root, 'GenerateWebofficeToken', { ProjectName: project, SourceURI: sourceUri });
      assert.ok(result.kind === 'http' && result.status === 200, `GenerateWebofficeToken: ${describeResult(result)}`);
      return pairOf(result.body);
    },
    tokens: () => readTokenTables(engine === 'postgres' ? { postgresUrl: schema!.url } : { dataDir: envs[0].IMM_DATA_DIR }),
    billing: () => readBillingCounts(engine === 'postgres' ? { postgresUrl: schema!.url } : { dataDir: envs[0].IMM_DATA_DIR }),
    async dispose() {
      await Promise.all(nodes.map((n) => stopWithin(n)));
      await Promise.all(relays.map((r) => r.close()));
      await schema?.drop();
    },
  };
  return cluster;
}

// ---------------------------------------------------------------------------------------------------------
// The token tables, read straight from the database

export interface TokenRow {
  id: string;
  session_id: string;
  refresh_hash: string;
  access_hash: string;
  spent_at_ms: number | null;
  successor_id: string | null;
  successor_sealed: string | null;
}

export interface TokenTables {
  tokens: TokenRow[];
  sessions: { id: string; revoked_at_ms: number | null }[];
  /** SQLite only: `pragma integrity_check` and `pragma foreign_key_check`. */
  sqlitePragmas?: { integrity: string[]; foreignKeyViolations: unknown[] };
}

const TOKEN_COLUMNS = 'id, session_id, refresh_hash, access_hash, spent_at_ms, successor_id, successor_sealed';

export async function readTokenTables(where: { dataDir: string } | { postgresUrl: string }): Promise<TokenTables> {
  if ('dataDir' in where) {
    const db = new SQLite(path.join(where.dataDir, 'imm-weboffice.db'), { readonly: true, fileMustExist: true });
    try {
      return {
        tokens: db.prepare(`select ${TOKEN_COLUMNS} from weboffice_tokens`).all() as TokenRow[],
        sessions: db.prepare('select id, revoked_at_ms from weboffice_sessions').all() as TokenTables['sessions'],
        sqlitePragmas: {
          integrity: (db.pragma('integrity_check') as { integrity_check: string }[]).map((r) => r.integrity_check),
          foreignKeyViolations: db.pragma('foreign_key_check') as unknown[],
        },
      };
    } finally {
      db.close();
    }
  }
  const client = new pg.Client({ connectionString: where.postgresUrl });
  await client.connect();
  try {
    const tokens = (await client.query(`select ${TOKEN_COLUMNS} from weboffice_tokens`)).rows as TokenRow[];
    const sessions = (await client.query('select id, revoked_at_ms from weboffice_sessions')).rows as TokenTables['sessions'];
    return { tokens, sessions };
  } finally {
    await client.end();
  }
}

/**
 * The rotation invariants, on either engine; returns what is violated (empty = sound):
 * every token's session exists; a spent token has exactly one successor, in its session; an unspent token has
 * none; no token is the successor of two; each session is one chain (one first pair, at most one unspent).
 */
export function tokenInvariantViolations(tables: TokenTables): string[] {
  const problems: string[] = [];
  if (tables.sqlitePragmas) {
    if (tables.sqlitePragmas.integrity.join() !== 'ok') problems.push(`pragma integrity_check: ${tables.sqlitePragmas.integrity.join('; ')}`);
    if (tables.sqlitePragmas.foreignKeyViolations.length > 0) problems.push(`pragma foreign_key_check: ${JSON.stringify(tables.sqlitePragmas.foreignKeyViolations)}`);
  }
  const sessions = new Set(tables.sessions.map((s) => s.id));
  const byId = new Map(tables.tokens.map((t) => [t.id, t]));
  const predecessors = new Map<string, number>();
  for (const t of tables.tokens) {
    if (!sessions.has(t.session_id)) problems.push(`token ${t.id}: its session ${t.session_id} does not exist`);
    if (t.spent_at_ms === null) {
      if (t.successor_id !== null || t.successor_sealed !== null) problems.push(`token ${t.id}: unspent but has a successor`);
      continue;
    }
    const successor = t.successor_id === null ? undefined : byId.get(t.successor_id);
    if (!successor) problems.push(`token ${t.id}: spent without an existing successor (${t.successor_id})`);
    else if (successor.session_id !== t.session_id) problems.push(`token ${t.id}: successor in another session`);
    if (t.successor_sealed === null) problems.push(`token ${t.id}: spent without its sealed successor`);
    if (t.successor_id !== null) predecessors.set(t.successor_id, (predecessors.get(t.successor_id) ?? 0) + 1);
  }
  for (const [id, n] of predecessors) if (n > 1) problems.push(`token ${id} is the successor of ${n} tokens`);
  const perSession = new Map<string, { firsts: number; unspent: number }>();
  for (const t of tables.tokens) {
    const s = perSession.get(t.session_id) ?? { firsts: 0, unspent: 0 };
    if (!predecessors.has(t.id)) s.firsts++;
    if (t.spent_at_ms === null) s.unspent++;
    perSession.set(t.session_id, s);
  }
  for (const [id, s] of perSession) {
    if (s.firsts !== 1) problems.push(`session ${id}: ${s.firsts} pairs descend from no other (a chain has one first pair)`);
    if (s.unspent > 1) problems.push(`session ${id}: ${s.unspent} unspent pairs (more than one successor line)`);
  }
  return problems;
}

/** The refresh-token hashes of a session's chain, first pair first, following successor links. */
export function chainOf(tables: TokenTables, firstRefreshToken: string): string[] {
  const byId = new Map(tables.tokens.map((t) => [t.id, t]));
  let token = tables.tokens.find((t) => t.refresh_hash === hashToken(firstRefreshToken));
  const chain: string[] = [];
  while (token && chain.length <= tables.tokens.length) {
    chain.push(token.refresh_hash);
    token = token.successor_id === null ? undefined : byId.get(token.successor_id);
  }
  return chain;
}

// ---------------------------------------------------------------------------------------------------------
// Refresh load

export interface SessionClient {
  /** Every pair received with 200, the Generate pair first. */
  history: Pair[];
  /** Answers that were neither 200 nor a retryable failure: each one breaks a guarantee. */
  failures: string[];
  /** Calls retried on another node after a transport failure or a 503. */
  retries: number;
  /** Pairs being refreshed when a call failed without an answer (the refresh may have committed). */
  inFlightAtFailure: Pair[];
  /** The 503 answers met (a stopping node, a database outage), described. */
  unavailable: string[];
  refreshes: number;
}

/**
 * One client per session, each refreshing its latest pair in a loop until `stop()`. Client `c` calls its home
 * node `c % nodes` (so the clients spread over the nodes, as behind a load balancer with affinity); a call that
 * gets no answer or a 503 is retried with the SAME pair on the next node, and the client goes home again after
 * a success. If the lost call had committed, the retry window gives back its successor. Any other answer is
 * recorded as a failure.
 */
export function refreshLoad(cluster: Cluster, firstPairs: Pair[], options: { maxMs?: number; maxConsecutiveFailures?: number } = {}) {
  let running = true;
  // Bounded whatever happens to the test: the loops end by themselves after `maxMs`, and a client gives up
  // (recording a failure) after this many calls in a row without an answer.
  const deadline = Date.now() + (options.maxMs ?? 60_000);
  const maxConsecutiveFailures = options.maxConsecutiveFailures ?? 250;
  const inFlight = cluster.nodes.map(() => 0);
  const clients: SessionClient[] = firstPairs.map((pair) => ({ history: [pair], failures: [], retries: 0, inFlightAtFailure: [], unavailable: [], refreshes: 0 }));
  const loops = clients.map(async (client, c) => {
    let failed = 0; // consecutive calls without an answer
    let pair = client.history[0];
    while (running && client.failures.length === 0 && Date.now() < deadline) {
      const node = (c + failed) % cluster.nodes.length;
      inFlight[node]++;
      const result = await rpc(cluster.via(node), cluster.root, 'RefreshWebofficeToken', { ProjectName: cluster.project, AccessToken: pair.AccessToken, RefreshToken: pair.RefreshToken });
      inFlight[node]--;
      if (result.kind === 'http' && result.status === 200) {
        pair = pairOf(result.body);
        client.history.push(pair);
        client.refreshes++;
        failed = 0;
      } else if (result.kind === 'transport' || result.status === 503) {
        client.retries++;
        failed++;
        if (failed >= maxConsecutiveFailures) client.failures.push(`${failed} calls in a row got no answer; the last: ${describeResult(result)}`);
        if (result.kind === 'transport') client.inFlightAtFailure.push(pair);
        else client.unavailable.push(describeResult(result));
        await sleep(20);
      } else {
        client.failures.push(`refresh #${client.history.length} on node ${node}: ${describeResult(result)}`);
      }
    }
  });
  return {
    clients,
    inFlight,
    /** Waits until node `i` has a call in flight (at most `ms`). */
    async busy(i: number, ms = 2000) {
      for (const until = Date.now() + ms; inFlight[i] === 0 && Date.now() < until; ) await sleep(1);
    },
    async stop() {
      running = false;
      await Promise.all(loops);
    },
  };
}

/**
 * Parks refreshes between their commit and their answer, until the returned function is called: the nodes'
 * answers are held in their relays, so a node killed meanwhile dies with committed refreshes whose answers never
 * reached their clients (what the retry window is for). It waits (however slow the machine) until every call the
 * load has in flight has its answer held — so each of them has committed — rather than for a fixed delay.
 */
export async function parkCommittedRefreshes(cluster: Cluster, load: { inFlight: number[] }, maxMs = 10_000): Promise<() => Promise<void>> {
  const release = cluster.holdAnswers();
  const allHeld = () => load.inFlight.every((calls, i) => calls > 0 && cluster.heldAnswers(i) >= calls);
  for (const until = Date.now() + maxMs; !allHeld() && Date.now() < until; ) await sleep(10);
  return async () => release();
}

/** Refreshes `pair` on `node`; returns the result. */
export function refresh(cluster: Cluster, node: number, pair: Pair): Promise<CallResult> {
  return rpc(cluster.via(node), cluster.root, 'RefreshWebofficeToken', { ProjectName: cluster.project, AccessToken: pair.AccessToken, RefreshToken: pair.RefreshToken });
}

/** Asserts `result` is a 4xx in our envelope with `code`. */
export function assertRefused(result: CallResult, code: string, what: string): void {
  assert.ok(result.kind === 'http', `${what}: ${describeResult(result)}`);
  assert.ok(result.status >= 400 && result.status < 500 && isEnvelope(result.body) && result.body.Code === code, `${what}: expected ${code}, got ${describeResult(result)}`);
}

/** Asserts `result` is a 200 with a pair; returns it. */
export function assertRefreshed(result: CallResult, what: string): Pair {
  assert.ok(result.kind === 'http' && result.status === 200 && typeof result.body.RefreshToken === 'string', `${what}: ${describeResult(result)}`);
  return pairOf(result.body);
}

/** What the calls left behind, straight from the database: spent tokens and sessions against their usage rows. */
export interface BillingCounts {
  spentTokens: number;
  refreshUsage: number;
  sessions: number;
  generateUsage: number;
  /** Audit rows allowing imm:RefreshWebofficeToken (one per refresh call that got that far, billed or not). */
  refreshAllowed: number;
}

export async function readBillingCounts(where: { dataDir: string } | { postgresUrl: string }): Promise<BillingCounts> {
  const queries = {
    spentTokens: 'select count(*) as n from weboffice_tokens where spent_at_ms is not null',
    refreshUsage: "select count(*) as n from usage_records where operation = 'RefreshWebofficeToken'",
    sessions: 'select count(*) as n from weboffice_sessions',
    generateUsage: "select count(*) as n from usage_records where operation = 'GenerateWebofficeToken'",
    refreshAllowed: "select count(*) as n from audit_records where action = 'imm:RefreshWebofficeToken' and decision = 'Allow'",
  };
  const counts = {} as BillingCounts;
  if ('dataDir' in where) {
    const db = new SQLite(path.join(where.dataDir, 'imm-weboffice.db'), { readonly: true, fileMustExist: true });
    try {
      for (const [name, text] of Object.entries(queries)) counts[name as keyof BillingCounts] = Number((db.prepare(text).get() as { n: number }).n);
    } finally {
      db.close();
    }
    return counts;
  }
  const client = new pg.Client({ connectionString: where.postgresUrl });
  await client.connect();
  try {
    for (const [name, text] of Object.entries(queries)) counts[name as keyof BillingCounts] = Number((await client.query(text)).rows[0].n);
  } finally {
    await client.end();
  }
  return counts;
}
