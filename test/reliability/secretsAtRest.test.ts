/**
 * Secrets at rest: after a full flow (GenerateWebofficeToken with a document Password, RefreshWebofficeToken, RAM
 * CreateAccessKey, STS AssumeRole), the raw database — SQLite's file bytes (database and WAL), PostgreSQL's every
 * row of every table as text — holds no token (access, refresh, security), no AccessKey secret (root, RAM user,
 * STS) and no option that is a secret (the document's Password) in plaintext, nor hex- or base64-encoded. (The AccessKeyIds, stored in clear, are found: the search does see the rows.)
 *
 * Then `imm-weboffice rotate-master-key`: every secret is resealed under a new key, in one transaction. The
 * node restarted with the new key authenticates every old credential; the old key opens nothing any more (a
 * node started with it cannot even open its root key). With the key file: the new file replaces the old one
 * (mode 0600), a rotation cut short between its commit and the file rename is finished by running it again,
 * and a rotation that meets a secret it cannot open changes nothing.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import SQLite from 'better-sqlite3';
import { CLI, putDocument, startServer, type RootCredentials, type TestServer } from '../helpers/server.js';
import { createPostgresSchema } from '../helpers/engines.js';
import { ram, ramClient, sts, stsClient, trustPolicy } from '../helpers/cloudClients.js';
import type { Credentials } from '../helpers/clients.js';
import { describeResult, pairOf, postgresForSuite, rpc, stopWithin } from '../helpers/reliability.js';
import { open, seal } from '../../src/crypto/aead.js';
import { parseMasterKey } from '../../src/crypto/masterKey.js';

const execFileAsync = promisify(execFile);
const postgres = await postgresForSuite('secretsAtRest');

interface Flow {
  /** Every secret the flow produced, by what it is. */
  secrets: Record<string, string>;
  /** AccessKeyIds (stored in clear): the positive control of the search. */
  ids: string[];
  credentials: { root: Credentials; user: Credentials; assumed: Credentials };
  /** Generate's option that is a secret. */
  password: string;
  latestPair: { AccessToken: string; RefreshToken: string };
}

async function fullFlow(server: TestServer, root: RootCredentials): Promise<Flow> {
  const project = 'secrets';
  const [created, sourceUri] = await Promise.all([
    rpc(server, root, 'CreateProject', { ProjectName: project }),
    putDocument(server, root.AccountId, 'secret-docs', 'plan.docx'),
  ]);
  assert.equal(created.kind === 'http' && created.status, 200, describeResult(created));
  // Every option of Generate that is a secret: the document's password.
  const password = `pw-${randomBytes(12).toString('hex')}`;
  const generated = await rpc(server, root, 'GenerateWebofficeToken', { ProjectName: project, SourceURI: sourceUri, Password: password });
  assert.ok(generated.kind === 'http' && generated.status === 200, describeResult(generated));
  const first = pairOf(generated.body);
  const refreshed = await rpc(server, root, 'RefreshWebofficeToken', { ProjectName: project, AccessToken: first.AccessToken, RefreshToken: first.RefreshToken });
  assert.ok(refreshed.kind === 'http' && refreshed.status === 200, describeResult(refreshed));
  const second = pairOf(refreshed.body);

  const rootRam = ramClient(server, root);
  await rootRam.createUser(new ram.CreateUserRequest({ userName: 'alice' }));
  const key = (await rootRam.createAccessKey(new ram.CreateAccessKeyRequest({ userName: 'alice' }))).body!.accessKey!;
  const user = { AccessKeyId: key.accessKeyId!, AccessKeySecret: key.accessKeySecret! };
  await rootRam.createRole(new ram.CreateRoleRequest({ roleName: 'Keeper', assumeRolePolicyDocument: trustPolicy({ RAM: [`acs:ram::${root.AccountId}:root`] }) }));
  const c = (await stsClient(server, root).assumeRole(new sts.AssumeRoleRequest({ roleArn: `acs:ram::${root.AccountId}:role/Keeper`, roleSessionName: 'keeper' }))).body!.credentials!;
  const assumed = { AccessKeyId: c.accessKeyId!, AccessKeySecret: c.accessKeySecret!, SecurityToken: c.securityToken! };

  return {
    secrets: {
      'first AccessToken': first.AccessToken,
      'first RefreshToken': first.RefreshToken,
      'refreshed AccessToken': second.AccessToken,
      'refreshed RefreshToken': second.RefreshToken,
      'root AccessKeySecret': root.AccessKeySecret,
      'RAM user AccessKeySecret': user.AccessKeySecret,
      'STS AccessKeySecret': assumed.AccessKeySecret,
      'STS SecurityToken': assumed.SecurityToken,
      'document Password': password,
    },
    ids: [root.AccessKeyId, user.AccessKeyId, assumed.AccessKeyId],
    credentials: { root, user, assumed },
    password,
    latestPair: second,
  };
}

/** Which secrets appear in `haystack` (as text, hex or base64); asserts the ids do (the search sees the rows). */
function leakedSecrets(haystack: Buffer, flow: Flow, where: string): string[] {
  for (const id of flow.ids) assert.ok(haystack.includes(id), `${where}: the AccessKeyId ${id} (stored in clear) is found — the search sees the rows`);
  const leaks: string[] = [];
  for (const [what, secret] of Object.entries(flow.secrets)) {
    const forms = [secret, Buffer.from(secret).toString('hex'), Buffer.from(secret).toString('base64'), Buffer.from(secret).toString('base64url')];
    if (forms.some((form) => haystack.includes(form))) leaks.push(`${what} in ${where}`);
  }
  return leaks;
}

/** Every credential of the flow authenticates (GetCallerIdentity needs no permission). */
async function assertAuthenticates(server: TestServer, flow: Flow): Promise<void> {
  for (const [who, credentials] of Object.entries(flow.credentials)) {
    const identity = (await stsClient(server, credentials).getCallerIdentity()).body!;
    assert.ok(identity.arn, `${who}'s credentials authenticate`);
  }
}

async function cli(env: Record<string, string>, args: string[]): Promise<{ stdout: string; stderr: string }> {
  return execFileAsync(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, timeout: 30_000 });
}

async function cliFails(env: Record<string, string>, args: string[]): Promise<string> {
  try {
    const { stdout } = await cli(env, args);
    assert.fail(`expected imm-weboffice ${args.join(' ')} to fail; it printed ${stdout}`);
  } catch (err) {
    if (err instanceof assert.AssertionError) throw err;
    return String((err as { stderr?: string }).stderr);
  }
}

/** The sealed secrets, by table and id, as stored. */
type Sealed = { access_keys: Record<string, string>; sts_credentials: Record<string, string>; weboffice_sessions: Record<string, string> };

/** Asserts every sealed secret opens with `key` and gives the secret the flow knows (and not with `notKey`). */
function assertSealedUnder(sealed: Sealed, flow: Flow, key: Buffer, notKey: Buffer): void {
  const known = new Map(Object.values(flow.credentials).map((c) => [c.AccessKeyId, c.AccessKeySecret]));
  const entries = [
    ...Object.entries(sealed.access_keys).map(([id, text]) => ({ id, text, aad: `access-key:${id}` })),
    ...Object.entries(sealed.sts_credentials).map(([id, text]) => ({ id, text, aad: `sts-key:${id}` })),
    ...Object.entries(sealed.weboffice_sessions).map(([id, text]) => ({ id, text, aad: `weboffice-session-secrets:${id}` })),
  ];
  assert.ok(entries.length >= 4);
  assert.equal(Object.keys(sealed.weboffice_sessions).length, 1, 'the session opened with a Password has its secrets sealed');
  for (const text of Object.values(sealed.weboffice_sessions)) assert.deepEqual(JSON.parse(open(key, text, `weboffice-session-secrets:${Object.keys(sealed.weboffice_sessions)[0]}`) ?? '{}'), { password: flow.password });
  for (const { id, text, aad } of entries) {
    const secret = open(key, text, aad);
    assert.notEqual(secret, undefined, `${id} opens with the new key`);
    if (known.has(id)) assert.equal(secret, known.get(id), `${id}: the same secret`);
    assert.equal(open(notKey, text, aad), undefined, `${id} no longer opens with the old key`);
  }
}

const STARTS_WITH_WRONG_KEY = /cannot be opened: wrong master key/;

// Both engines at once: most of the time goes to starting processes.
describe('secrets at rest', { concurrency: true, timeout: 120_000, skip: postgres.skipAll }, () => {
  describe('secrets at rest on SQLite (key file in the data dir)', { concurrency: false }, () => {
    let server: TestServer;
    let flow: Flow;
    const files = () => ['imm-weboffice.db', 'imm-weboffice.db-wal'].map((f) => path.join(server.dataDir, f)).filter((f) => fs.existsSync(f));
    const sealedNow = (): Sealed => {
      const db = new SQLite(path.join(server.dataDir, 'imm-weboffice.db'), { readonly: true });
      try {
        const rows = (table: string, id: string, column = 'secret_sealed') =>
          Object.fromEntries((db.prepare(`select ${id} as id, ${column} as sealed from ${table} where ${column} is not null`).all() as { id: string; sealed: string }[]).map((r) => [r.id, r.sealed]));
        return { access_keys: rows('access_keys', 'id'), sts_credentials: rows('sts_credentials', 'access_key_id'), weboffice_sessions: rows('weboffice_sessions', 'id', 'secrets_sealed') };
      } finally {
        db.close();
      }
    };

    before(async () => {
      server = await startServer({ IMM_LOG_LEVEL: 'warn' });
      flow = await fullFlow(server, server.root);
    });
    after(async () => {
      await stopWithin(server);
    });

    test('the database file and its WAL hold no token and no AccessKey secret in plaintext', async () => {
      const running = Buffer.concat(files().map((f) => fs.readFileSync(f)));
      const leaks = leakedSecrets(running, flow, 'the database files of the running server');
      await stopWithin(server); // checkpoints the WAL into the file
      leaks.push(...leakedSecrets(Buffer.concat(files().map((f) => fs.readFileSync(f))), flow, 'the database file after a clean stop'));
      assert.deepEqual(leaks, []);
    });

    test('rotate-master-key reseals every secret in place of the key file; the restarted node authenticates every old credential; the old key opens nothing', async () => {
      const keyFile = path.join(server.dataDir, 'master.key');
      const oldKey = parseMasterKey(fs.readFileSync(keyFile, 'utf8').trim());
      const before = sealedNow();
      const { stdout } = await cli(server.env, ['rotate-master-key']);
      assert.match(stdout, /resealed 2 AccessKey secrets, 1 STS credential secrets and 1 session secrets \(document passwords\)/);
      assert.match(stdout, /new master key written to .*master\.key/);
      const newKey = parseMasterKey(fs.readFileSync(keyFile, 'utf8').trim());
      assert.ok(!newKey.equals(oldKey), 'the key file holds a new key');
      assert.equal(fs.statSync(keyFile).mode & 0o777, 0o600, 'the new key file is private');
      assert.ok(!fs.existsSync(`${keyFile}.next`), 'no pending key file is left');
      const after = sealedNow();
      for (const id of Object.keys(before.access_keys)) assert.notEqual(after.access_keys[id], before.access_keys[id], `${id} was resealed`);
      assertSealedUnder(after, flow, newKey, oldKey);

      server = await startServer(server.env);
      await assertAuthenticates(server, flow);
      const refreshed = await rpc(server, flow.credentials.root, 'RefreshWebofficeToken', { ProjectName: 'secrets', ...flow.latestPair });
      assert.ok(refreshed.kind === 'http' && refreshed.status === 200, `sessions are untouched by the rotation: ${describeResult(refreshed)}`);
      await stopWithin(server);
      // The old key opens nothing: a node given it cannot open its own root key and does not start.
      await assert.rejects(startServer({ ...server.env, IMM_MASTER_KEY: oldKey.toString('hex') }), STARTS_WITH_WRONG_KEY);
    });

    test('a rotation cut short after its commit is finished by running it again; one that cannot open a secret changes nothing', async () => {
      const keyFile = path.join(server.dataDir, 'master.key');
      const current = fs.readFileSync(keyFile, 'utf8').trim();
      const next = randomBytes(32).toString('hex');
      // The state of a key-file rotation interrupted between its commit and its rename: the database under the
      // new key, master.key still the old one, master.key.next the new one.
      await cli({ ...server.env, IMM_MASTER_KEY: current }, ['rotate-master-key', '--new-key', next]);
      fs.writeFileSync(`${keyFile}.next`, `${next}\n`, { mode: 0o600 });
      const { stdout } = await cli(server.env, ['rotate-master-key']);
      assert.match(stdout, /resealed 0 AccessKey secrets \(2 already under the new key\), 0 STS credential secrets \(1 already under the new key\) and 0 session secrets \(document passwords\) \(1 already under the new key\)/);
      assert.match(stdout, /finished an interrupted rotation/);
      assert.equal(fs.readFileSync(keyFile, 'utf8').trim(), next);
      assert.ok(!fs.existsSync(`${keyFile}.next`));
      assertSealedUnder(sealedNow(), flow, parseMasterKey(next), parseMasterKey(current));

      // A secret that opens with neither key: the rotation refuses, and nothing changes.
      const db = new SQLite(path.join(server.dataDir, 'imm-weboffice.db'));
      db.prepare("insert into access_keys (id, account_id, secret_sealed, status, created_at, user_name) values ('LTAIunreadable', ?, ?, 'Active', '2026-01-01T00:00:00Z', null)").run(
        server.root.AccountId,
        seal(randomBytes(32), 'lost', 'access-key:LTAIunreadable'),
      );
      db.close();
      const sealedBefore = sealedNow();
      const stderr = await cliFails(server.env, ['rotate-master-key']);
      assert.match(stderr, /nothing changed: the secrets of LTAIunreadable open with neither/);
      assert.deepEqual(sealedNow(), sealedBefore, 'no secret was resealed');
      assert.equal(fs.readFileSync(keyFile, 'utf8').trim(), next, 'the key file is unchanged');
      assert.ok(!fs.existsSync(`${keyFile}.next`), 'no pending key file is left');
    });
  });

  describe('secrets at rest on PostgreSQL (IMM_MASTER_KEY)', { skip: postgres.skip, concurrency: false }, () => {
    let schema: Awaited<ReturnType<typeof createPostgresSchema>>;
    let server: TestServer;
    let flow: Flow;
    const oldKey = randomBytes(32).toString('hex');
    const root: RootCredentials = { AccountId: '1000000000000003', AccessKeyId: `LTAIatrest${randomBytes(6).toString('hex')}`, AccessKeySecret: randomBytes(15).toString('hex') };
    const query = async <T,>(text: string): Promise<T[]> => {
      const client = new pg.Client({ connectionString: schema.url });
      await client.connect();
      try {
        return (await client.query(text)).rows as T[];
      } finally {
        await client.end();
      }
    };

    before(async () => {
      schema = await createPostgresSchema();
      server = await startServer({
        IMM_DATABASE_URL: schema.url,
        IMM_MASTER_KEY: oldKey,
        IMM_ROOT_ACCESS_KEY_ID: root.AccessKeyId,
        IMM_ROOT_ACCESS_KEY_SECRET: root.AccessKeySecret,
        IMM_ACCOUNT_ID: root.AccountId,
        IMM_LOG_LEVEL: 'warn',
      });
      flow = await fullFlow(server, root);
    });
    after(async () => {
      await stopWithin(server);
      await schema?.drop();
    });

    test('no row of any table holds a token or an AccessKey secret in plaintext', async () => {
      const tables = await query<{ table_name: string }>("select table_name from information_schema.tables where table_schema = current_schema() and table_type = 'BASE TABLE'");
      assert.ok(tables.some((t) => t.table_name === 'access_keys') && tables.some((t) => t.table_name === 'weboffice_tokens'));
      const rows: string[] = [];
      for (const { table_name } of tables) rows.push(...(await query<{ row: string }>(`select t::text as row from "${table_name}" t`)).map((r) => r.row));
      assert.deepEqual(leakedSecrets(Buffer.from(rows.join('\n')), flow, `the ${tables.length} tables`), []);
    });

    test('rotate-master-key prints the new key once; nodes restarted with it authenticate every old credential; the old key opens nothing', async () => {
      await stopWithin(server);
      const { stdout, stderr } = await cli(server.env, ['rotate-master-key']);
      const printed = /^IMM_MASTER_KEY=([0-9a-f]{64})$/m.exec(stdout);
      assert.ok(printed, `the new key is printed: ${stdout}`);
      assert.equal(stdout.match(/[0-9a-f]{64}/g)!.length, 1, 'once');
      assert.match(stdout, /resealed 2 AccessKey secrets, 1 STS credential secrets and 1 session secrets \(document passwords\)/);
      assert.match(stderr, /update IMM_MASTER_KEY to the new key on every node and restart them/);
      const newKey = printed[1];

      const rows = async (table: string, id: string, column = 'secret_sealed') =>
        Object.fromEntries((await query<{ id: string; sealed: string }>(`select ${id} as id, ${column} as sealed from ${table} where ${column} is not null`)).map((r) => [r.id, r.sealed]));
      assertSealedUnder(
        { access_keys: await rows('access_keys', 'id'), sts_credentials: await rows('sts_credentials', 'access_key_id'), weboffice_sessions: await rows('weboffice_sessions', 'id', 'secrets_sealed') },
        flow,
        parseMasterKey(newKey),
        parseMasterKey(oldKey),
      );

      server = await startServer({ ...server.env, IMM_MASTER_KEY: newKey });
      await assertAuthenticates(server, flow);
      await stopWithin(server);
      await assert.rejects(startServer({ ...server.env, IMM_MASTER_KEY: oldKey }), STARTS_WITH_WRONG_KEY);
    });
  });
});
