/**
 * The command line and the process contract: account/bucket/object/usage commands on a running server's data,
 * root credentials, the ready line, /health, and a clean SIGTERM.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { execFile, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { CLI, makeDataDir, putDocument, runCli, startServer, type TestServer } from './helpers/server.js';
import { expectFailure, expectOk, popClient, signedRpcForm } from './helpers/popClient.js';
import { sleep } from './helpers/serverData.js';
import { createRamUser, ramClient } from './helpers/cloudClients.js';

const execFileAsync = promisify(execFile);
const md5 = (text: string) => createHash('md5').update(text).digest('hex').toUpperCase();

/** Runs the CLI expecting failure; returns its exit code and stderr. */
async function cliFails(env: Record<string, string>, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout } = await execFileAsync(process.execPath, [CLI, ...args], { env: { ...process.env, ...env } });
    throw new Error(`expected imm-weboffice ${args.join(' ')} to fail; it printed ${stdout}`);
  } catch (err) {
    const e = err as { code?: unknown; stdout?: string; stderr?: string };
    if (typeof e.code !== 'number') throw err;
    return { code: e.code, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

/** Waits for the process to exit (killing it after `timeoutMs`) and for its output to be read to the end. */
async function exitCode(child: ChildProcess, timeoutMs = 15_000): Promise<number | null> {
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  if (child.exitCode === null && child.signalCode === null) await once(child, 'exit');
  clearTimeout(timer);
  await Promise.all([child.stdout, child.stderr].map((stream) => (stream && !stream.readableEnded ? once(stream, 'end') : undefined)));
  return child.exitCode;
}

async function freePort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as net.AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

/** Every file under `dir`, as latin1 text (to look for a secret in any encoding-preserving form). */
function allFileText(dir: string): string {
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => fs.readFileSync(path.join(entry.parentPath ?? (entry as unknown as { path: string }).path, entry.name)).toString('latin1'))
    .join('\n');
}

const ROOT_ACCOUNT_ID = '1234567812345678';

describe('with generated root credentials', () => {
  let server: TestServer;
  let account: { AccountId: string; AccessKeyId: string; AccessKeySecret: string };

  before(async () => {
    server = await startServer({ IMM_ACCOUNT_ID: ROOT_ACCOUNT_ID });
  });

  after(async () => {
    await server?.stop();
  });

  test('the ready line is printed exactly once, with the real port; GET /health answers 200 JSON', async () => {
    const lines = server.stdout().match(/imm-weboffice listening on \S+/g) ?? [];
    assert.equal(lines.length, 1);
    const url = new URL(lines[0].slice('imm-weboffice listening on '.length));
    assert.equal(url.hostname, '127.0.0.1');
    assert.notEqual(url.port, '0');
    assert.equal(server.url, `http://127.0.0.1:${url.port}`);
    const response = await fetch(`${server.url}/health`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /application\/json/);
    const body = (await response.json()) as { RequestId: string };
    assert.match(body.RequestId, /^[0-9A-F-]{36}$/);
  });

  test('root-credentials.json holds {AccountId, AccessKeyId, AccessKeySecret} with mode 0600; IMM_ACCOUNT_ID is the root account', async () => {
    const file = path.join(server.dataDir, 'root-credentials.json');
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
    const credentials = JSON.parse(fs.readFileSync(file, 'utf8'));
    assert.deepEqual(Object.keys(credentials).sort(), ['AccessKeyId', 'AccessKeySecret', 'AccountId']);
    assert.equal(credentials.AccountId, ROOT_ACCOUNT_ID);
    assert.equal(server.root.AccessKeySecret, credentials.AccessKeySecret);
    expectOk(await popClient(server, credentials).attempt('ListProjects'));
    const accounts = JSON.parse(await runCli(server.env, ['account', 'list', '--json'])) as { AccountId: string; CreateTime: string }[];
    assert.ok(accounts.some((a) => a.AccountId === ROOT_ACCOUNT_ID));
  });

  test('account create prints {AccountId (16 digits), AccessKeyId, AccessKeySecret}; the running server accepts the key at once', async () => {
    const stdout = await runCli(server.env, ['account', 'create']);
    account = JSON.parse(stdout);
    assert.deepEqual(Object.keys(account).sort(), ['AccessKeyId', 'AccessKeySecret', 'AccountId']);
    assert.match(account.AccountId, /^\d{16}$/);
    assert.match(account.AccessKeyId, /^LTAI[A-Za-z0-9]{20}$/);
    assert.match(account.AccessKeySecret, /^[A-Za-z0-9]{30}$/);
    const client = popClient(server, account);
    const created = expectOk(await client.attempt<{ Project: { ProjectName: string } }>('CreateProject', { ProjectName: 'cli-project' }));
    assert.equal(created.Project.ProjectName, 'cli-project');
    const listed = JSON.parse(await runCli(server.env, ['account', 'list', '--json'])) as { AccountId: string; CreateTime: string }[];
    const mine = listed.find((a) => a.AccountId === account.AccountId);
    assert.ok(mine);
    assert.ok(!Number.isNaN(Date.parse(mine.CreateTime)));
    // A wrong secret for the new key is refused.
    expectFailure(await popClient(server, { ...account, AccessKeySecret: 'x'.repeat(30) }).attempt('ListProjects'), 'SignatureDoesNotMatch', 403);
  });

  test('bucket create makes <data dir>/oss/NAME/; a duplicate, an unknown account or a bad name fail with a message on stderr', async () => {
    const out = JSON.parse(await runCli(server.env, ['bucket', 'create', 'cli-bucket', '--account', account.AccountId]));
    assert.deepEqual(out, { Bucket: 'cli-bucket', AccountId: account.AccountId });
    assert.ok(fs.statSync(path.join(server.dataDir, 'oss', 'cli-bucket')).isDirectory());

    const [duplicate, unknown, badName, missingOption] = await Promise.all([
      cliFails(server.env, ['bucket', 'create', 'cli-bucket', '--account', ROOT_ACCOUNT_ID]),
      cliFails(server.env, ['bucket', 'create', 'cli-bucket-2', '--account', '9999999999999999']),
      cliFails(server.env, ['bucket', 'create', 'Bad_Name', '--account', account.AccountId]),
      cliFails(server.env, ['bucket', 'create', 'cli-bucket-3']),
    ]);
    assert.notEqual(duplicate.code, 0);
    assert.match(duplicate.stderr, /cli-bucket exists already/);
    assert.notEqual(unknown.code, 0);
    assert.match(unknown.stderr, /account 9999999999999999 does not exist/);
    assert.ok(!fs.existsSync(path.join(server.dataDir, 'oss', 'cli-bucket-2')));
    assert.notEqual(badName.code, 0);
    // In the command's words: the bucket name, not the API parameter SourceURI that this command has no part of.
    assert.match(badName.stderr, /Bad_Name is not a valid bucket name: the bucket name must be 3 to 63 lower-case letters/);
    assert.doesNotMatch(badName.stderr, /SourceURI/);
    assert.notEqual(missingOption.code, 0);
    assert.match(missingOption.stderr, /--account/);
    // The duplicate left the first owner in place.
    const owners = JSON.parse(await runCli(server.env, ['bucket', 'list', '--json'])) as { Bucket: string; AccountId: string }[];
    assert.deepEqual(owners.filter((b) => b.Bucket === 'cli-bucket').map((b) => b.AccountId), [account.AccountId]);
  });

  test('bucket list --json lists buckets with their owner, --account filters', async () => {
    await runCli(server.env, ['bucket', 'create', 'cli-root-bucket', '--account', ROOT_ACCOUNT_ID]);
    const [allText, theirsText] = await Promise.all([
      runCli(server.env, ['bucket', 'list', '--json']),
      runCli(server.env, ['bucket', 'list', '--json', '--account', account.AccountId]),
    ]);
    const all = JSON.parse(allText) as { Bucket: string; AccountId: string; CreateTime: string }[];
    assert.deepEqual(
      all.map((b) => [b.Bucket, b.AccountId]),
      [
        ['cli-bucket', account.AccountId],
        ['cli-root-bucket', ROOT_ACCOUNT_ID],
      ],
    );
    assert.ok(all.every((b) => !Number.isNaN(Date.parse(b.CreateTime))));
    const theirs = JSON.parse(theirsText) as { Bucket: string }[];
    assert.deepEqual(theirs.map((b) => b.Bucket), ['cli-bucket']);
  });

  test('object put stores the file; Generate sees it at once; usage --json counts the call', async () => {
    const client = popClient(server, account);
    const uri = 'oss://cli-bucket/folder/new.docx';
    expectFailure(await client.attempt('GenerateWebofficeToken', { ProjectName: 'cli-project', SourceURI: uri }), 'ResourceNotFound', 404);
    const local = path.join(makeDataDir('imm-cli-upload-'), 'upload.docx');
    fs.writeFileSync(local, 'document body');
    const out = JSON.parse(await runCli(server.env, ['object', 'put', uri, local]));
    assert.equal(out.SourceURI, uri);
    assert.equal(out.Size, 13);
    assert.equal(fs.readFileSync(path.join(server.dataDir, 'oss', 'cli-bucket', 'folder', 'new.docx'), 'utf8'), 'document body');
    const body = expectOk(await client.attempt<Record<string, string>>('GenerateWebofficeToken', { ProjectName: 'cli-project', SourceURI: uri }));
    assert.match(body.AccessToken, /^[0-9a-f]{32}$/);

    const [missingBucket, usageJson, table] = await Promise.all([
      cliFails(server.env, ['object', 'put', 'oss://no-such-bucket/a.docx', local]),
      runCli(server.env, ['usage', '--json']),
      runCli(server.env, ['usage']),
    ]);
    assert.notEqual(missingBucket.code, 0);
    assert.match(missingBucket.stderr, /bucket no-such-bucket does not exist/);
    const [missingFile, directory, badUri] = await Promise.all([
      cliFails(server.env, ['object', 'put', uri, path.join(server.dataDir, 'no-such-file.docx')]),
      cliFails(server.env, ['object', 'put', uri, server.dataDir]),
      cliFails(server.env, ['object', 'put', 'oss://Bad_Bucket/a.docx', local]),
    ]);
    assert.equal(missingFile.stderr, `imm-weboffice: there is no file ${path.join(server.dataDir, 'no-such-file.docx')} to upload\n`, 'not a raw ENOENT … stat');
    assert.match(directory.stderr, /is not a file/);
    assert.match(badUri.stderr, /^imm-weboffice: oss:\/\/Bad_Bucket\/a\.docx is not a valid object URI \(oss:\/\/BUCKET\/KEY\): the bucket name must be/);
    assert.doesNotMatch(badUri.stderr, /SourceURI/);

    const rows = JSON.parse(usageJson) as Record<string, unknown>[];
    assert.deepEqual(rows, [{ AccountId: account.AccountId, ProjectName: 'cli-project', Operation: 'GenerateWebofficeToken', Calls: 1 }]);
    assert.match(table, /cli-project\s+GenerateWebofficeToken\s+1/);
  });

  test('object put prints each upload\'s Version and ETag (MD5); object versions lists them all, a file replaced in the folder included', async () => {
    const uri = 'oss://cli-bucket/history/plan.docx';
    const local = path.join(makeDataDir('imm-cli-upload-'), 'plan.docx');
    const upload = async (content: string) => {
      fs.writeFileSync(local, content);
      return JSON.parse(await runCli(server.env, ['object', 'put', uri, local]));
    };
    assert.deepEqual(await upload('version one'), { SourceURI: uri, Version: 1, Size: 11, ETag: md5('version one') });
    assert.deepEqual(await upload('version two!'), { SourceURI: uri, Version: 2, Size: 12, ETag: md5('version two!') });
    fs.writeFileSync(path.join(server.dataDir, 'oss', 'cli-bucket', 'history', 'plan.docx'), 'copied over by hand');

    const listed = JSON.parse(await runCli(server.env, ['object', 'versions', uri, '--json'])) as Record<string, unknown>[];
    assert.deepEqual(listed.map(({ Version, Size, ETag }) => ({ Version, Size, ETag })), [
      { Version: 1, Size: 11, ETag: md5('version one') },
      { Version: 2, Size: 12, ETag: md5('version two!') },
      { Version: 3, Size: 19, ETag: md5('copied over by hand') },
    ]);
    for (const row of listed) assert.match(String(row.CreateTime), /^\d{4}-\d\d-\d\dT/);
    assert.match(await runCli(server.env, ['object', 'versions', uri]), new RegExp(`3\\s+19\\s+${md5('copied over by hand')}`));
    const missing = await cliFails(server.env, ['object', 'versions', 'oss://no-such-bucket/a.docx']);
    assert.match(missing.stderr, /bucket no-such-bucket does not exist/);
  });

  test("object put refuses another spelling of a key (./, //, a trailing /) and writes nothing", async () => {
    const uri = 'oss://cli-bucket/aliases/a.docx';
    const local = path.join(makeDataDir('imm-cli-upload-'), 'a.docx');
    fs.writeFileSync(local, 'the original');
    await runCli(server.env, ['object', 'put', uri, local]);
    fs.writeFileSync(local, 'written through an alias');
    for (const alias of ['./aliases/a.docx', './/aliases/a.docx', 'aliases//a.docx', 'aliases/./a.docx', 'aliases/a.docx/', '.', './']) {
      const refused = await cliFails(server.env, ['object', 'put', `oss://cli-bucket/${alias}`, local]);
      assert.equal(refused.code, 1, alias);
      assert.match(refused.stderr, /^imm-weboffice: oss:\/\/cli-bucket\/\S* is not a valid object URI \(oss:\/\/BUCKET\/KEY\): the object name /, alias);
    }
    assert.equal(fs.readFileSync(path.join(server.dataDir, 'oss', 'cli-bucket', 'aliases', 'a.docx'), 'utf8'), 'the original');
    const versions = JSON.parse(await runCli(server.env, ['object', 'versions', uri, '--json'])) as { ETag: string }[];
    assert.deepEqual(versions.map((v) => v.ETag), [md5('the original')]);
  });

  test('with IMM_OSS_DIR outside the data dir, bucket create and object put make folders 0700 and documents 0600 (not readable by other local users)', async () => {
    process.umask(0o022); // the usual umask, which the CLI inherits: without explicit modes, 0755 and 0644
    const ossDir = path.join(makeDataDir('imm-cli-oss-'), 'store');
    const env = { ...server.env, IMM_OSS_DIR: ossDir };
    const local = path.join(makeDataDir('imm-cli-upload-'), 'private.docx');
    fs.writeFileSync(local, 'private');
    await runCli(env, ['bucket', 'create', 'cli-private', '--account', account.AccountId]);
    await runCli(env, ['object', 'put', 'oss://cli-private/a/b/private.docx', local]);
    const mode = (...parts: string[]) => (fs.statSync(path.join(ossDir, ...parts)).mode & 0o777).toString(8);
    assert.deepEqual(
      [mode(), mode('cli-private'), mode('cli-private', 'a'), mode('cli-private', 'a', 'b'), mode('cli-private', 'a', 'b', 'private.docx')],
      ['700', '700', '700', '700', '600'],
    );
  });

  test("object put refuses to write through a symbolic link (a linked folder, a link as the destination) and bucket create to adopt a linked folder; the linked-to files are unchanged", async () => {
    const oss = path.join(server.dataDir, 'oss');
    const local = path.join(makeDataDir('imm-cli-upload-'), 'upload.docx');
    fs.writeFileSync(local, 'their document');
    await runCli(server.env, ['object', 'put', 'oss://cli-root-bucket/theirs.docx', local]); // another account's bucket
    const outsideDir = makeDataDir('imm-cli-outside-');
    const outside = path.join(outsideDir, 'secret.docx');
    fs.writeFileSync(outside, 'outside the store');
    fs.symlinkSync(path.join(oss, 'cli-root-bucket'), path.join(oss, 'cli-bucket', 'linked'));
    fs.symlinkSync(outside, path.join(oss, 'cli-bucket', 'link.docx'));
    fs.symlinkSync(outsideDir, path.join(oss, 'cli-linked'));

    fs.writeFileSync(local, 'overwritten');
    const link = /symbolic link or lies below one in the object store, and links are not followed/;
    const [throughFolder, newThroughFolder, ontoLink, linkedBucket, versions] = await Promise.all([
      cliFails(server.env, ['object', 'put', 'oss://cli-bucket/linked/theirs.docx', local]),
      cliFails(server.env, ['object', 'put', 'oss://cli-bucket/linked/planted.docx', local]),
      cliFails(server.env, ['object', 'put', 'oss://cli-bucket/link.docx', local]),
      cliFails(server.env, ['bucket', 'create', 'cli-linked', '--account', account.AccountId]),
      cliFails(server.env, ['object', 'versions', 'oss://cli-bucket/link.docx']),
    ]);
    assert.match(throughFolder.stderr, /^imm-weboffice: oss:\/\/cli-bucket\/linked\/theirs\.docx is a symbolic link or lies below one/);
    assert.match(newThroughFolder.stderr, link);
    assert.match(ontoLink.stderr, /^imm-weboffice: oss:\/\/cli-bucket\/link\.docx is a symbolic link/);
    assert.match(linkedBucket.stderr, /^imm-weboffice: the folder of bucket cli-linked is a symbolic link/);
    assert.match(versions.stderr, link);

    assert.equal(fs.readFileSync(path.join(oss, 'cli-root-bucket', 'theirs.docx'), 'utf8'), 'their document');
    assert.deepEqual(fs.readdirSync(path.join(oss, 'cli-root-bucket')), ['theirs.docx']);
    assert.equal(fs.readFileSync(outside, 'utf8'), 'outside the store');
    assert.deepEqual(fs.readdirSync(outsideDir), ['secret.docx']);
    assert.equal(fs.readlinkSync(path.join(oss, 'cli-bucket', 'link.docx')), outside);
    const buckets = JSON.parse(await runCli(server.env, ['bucket', 'list', '--json'])) as { Bucket: string }[];
    assert.ok(!buckets.some((b) => b.Bucket === 'cli-linked'), 'the refused bucket was not recorded');
  });

  test('project create|list|delete manage an account\'s projects with the API\'s rules; deleting one ends its tokens', async () => {
    const created = JSON.parse(await runCli(server.env, ['project', 'create', 'cli-made', '--account', account.AccountId, '--description', 'from the CLI']));
    assert.equal(created.ProjectName, 'cli-made');
    assert.equal(created.Description, 'from the CLI');
    assert.equal(created.ServiceRole, 'AliyunIMMDefaultRole');
    const client = popClient(server, account);
    const seen = expectOk(await client.attempt<{ Project: { Description: string } }>('GetProject', { ProjectName: 'cli-made' }));
    assert.equal(seen.Project.Description, 'from the CLI', 'the running server sees it at once');

    const [duplicate, badName, unknownAccount, listedJson, table] = await Promise.all([
      cliFails(server.env, ['project', 'create', 'cli-made', '--account', account.AccountId]),
      cliFails(server.env, ['project', 'create', '9starts-with-digit', '--account', account.AccountId]),
      cliFails(server.env, ['project', 'list', '--account', '9999999999999999']),
      runCli(server.env, ['project', 'list', '--account', account.AccountId, '--json']),
      runCli(server.env, ['project', 'list', '--account', account.AccountId]),
    ]);
    assert.match(duplicate.stderr, /Project cli-made already exists/);
    assert.match(badName.stderr, /ProjectName is invalid: it must start with a letter or an underscore/);
    assert.match(unknownAccount.stderr, /account 9999999999999999 does not exist/);
    assert.deepEqual((JSON.parse(listedJson) as { ProjectName: string }[]).map((p) => p.ProjectName), ['cli-made', 'cli-project']);
    assert.match(table, /^ProjectName\s+ServiceRole\s+CreateTime\s+Description\ncli-made\s+AliyunIMMDefaultRole\s+\S+\s+from the CLI\n/);

    const uri = await putDocument(server, account.AccountId, 'cli-bucket', 'cli-made.docx');
    const token = expectOk(await client.attempt<Record<string, string>>('GenerateWebofficeToken', { ProjectName: 'cli-made', SourceURI: uri }));
    assert.deepEqual(JSON.parse(await runCli(server.env, ['project', 'delete', 'cli-made', '--account', account.AccountId])), { ProjectName: 'cli-made', Deleted: true });
    expectFailure(await client.attempt('GetProject', { ProjectName: 'cli-made' }), 'ResourceNotFound', 404);
    // Created again under the same name, the project does not revive the deleted one's tokens.
    await runCli(server.env, ['project', 'create', 'cli-made', '--account', account.AccountId]);
    expectFailure(await client.attempt('RefreshWebofficeToken', { ProjectName: 'cli-made', AccessToken: token.AccessToken, RefreshToken: token.RefreshToken }), 'InvalidToken', 400);
    const again = await cliFails(server.env, ['project', 'delete', 'no-such-project', '--account', account.AccountId]);
    assert.match(again.stderr, /Project no-such-project is not found/);
  });

  test('access-key list shows every root key (or one account\'s, or one RAM user\'s) with its status, never a secret', async () => {
    const second = JSON.parse(await runCli(server.env, ['access-key', 'create', '--account', account.AccountId])) as { AccessKeyId: string; AccessKeySecret: string };
    await runCli(server.env, ['access-key', 'update', second.AccessKeyId, '--status', 'Inactive']);
    const userKey = await createRamUser(ramClient(server, account), 'cli-user');
    const all = JSON.parse(await runCli(server.env, ['access-key', 'list', '--json'])) as Record<string, unknown>[];
    const theirs = JSON.parse(await runCli(server.env, ['access-key', 'list', '--account', account.AccountId, '--json'])) as Record<string, unknown>[];
    assert.deepEqual(
      theirs.map(({ AccessKeyId, AccountId, UserName, Status }) => ({ AccessKeyId, AccountId, UserName, Status })),
      [
        { AccessKeyId: account.AccessKeyId, AccountId: account.AccountId, UserName: null, Status: 'Active' },
        { AccessKeyId: second.AccessKeyId, AccountId: account.AccountId, UserName: null, Status: 'Inactive' },
      ],
    );
    assert.ok(theirs.every((k) => !Number.isNaN(Date.parse(String(k.CreateTime)))));
    assert.deepEqual(new Set(all.map((k) => k.AccountId)), new Set([ROOT_ACCOUNT_ID, account.AccountId]), 'without --account: every account');
    assert.ok(all.some((k) => k.AccessKeyId === server.root.AccessKeyId));
    const table = await runCli(server.env, ['access-key', 'list', '--account', account.AccountId]);
    assert.match(table, new RegExp(`${second.AccessKeyId}\\s+${account.AccountId}\\s+-\\s+Inactive`));
    for (const output of [JSON.stringify(all), table]) {
      assert.ok(!output.includes(second.AccessKeySecret) && !output.includes(account.AccessKeySecret), 'no secret is listed');
    }
    const userKeys = JSON.parse(await runCli(server.env, ['access-key', 'list', '--account', account.AccountId, '--user', 'cli-user', '--json'])) as Record<string, unknown>[];
    assert.deepEqual(userKeys.map(({ AccessKeyId, UserName }) => ({ AccessKeyId, UserName })), [{ AccessKeyId: userKey.AccessKeyId, UserName: 'cli-user' }]);
    assert.ok(!theirs.some((k) => k.AccessKeyId === userKey.AccessKeyId), "a RAM user's key is not the root's");
    const userWithoutAccount = await cliFails(server.env, ['access-key', 'list', '--user', 'cli-user']);
    assert.match(userWithoutAccount.stderr, /--user needs --account/);
  });

  test('--version prints the version of package.json', async () => {
    const { version } = JSON.parse(fs.readFileSync(path.resolve(path.dirname(CLI), '../../package.json'), 'utf8')) as { version: string };
    assert.equal(await runCli({}, ['--version']), `${version}\n`);
    assert.match(await runCli({}, ['--help']), /-V, --version\s+print the version/);
  });

  test('no secret appears in the server output', async () => {
    const output = server.stdout() + server.stderr();
    assert.match(server.stdout(), new RegExp(`root account ${ROOT_ACCOUNT_ID}`));
    assert.ok(!output.includes(server.root.AccessKeySecret), 'the root secret is in the server output');
    assert.ok(!output.includes(account.AccessKeySecret), "an account's secret is in the server output");
  });
});

describe('with IMM_ROOT_ACCESS_KEY_ID / IMM_ROOT_ACCESS_KEY_SECRET given', () => {
  const KEY = { AccessKeyId: 'LTAIgivenKey0000000000001', AccessKeySecret: 'GivenSecretGivenSecretGiven123' };
  let server: TestServer;
  let port: number;

  before(async () => {
    port = await freePort();
    server = await startServer({
      IMM_ROOT_ACCESS_KEY_ID: KEY.AccessKeyId,
      IMM_ROOT_ACCESS_KEY_SECRET: KEY.AccessKeySecret,
      IMM_ACCOUNT_ID: '8765432187654321',
      IMM_PORT: String(port),
    });
  });

  after(async () => {
    await server?.stop();
  });

  test('the key works, the ready line names the configured port, and no root-credentials.json is written', async () => {
    assert.equal(server.url, `http://127.0.0.1:${port}`);
    assert.equal((server.stdout().match(/imm-weboffice listening on /g) ?? []).length, 1);
    const client = popClient(server, KEY);
    expectOk(await client.attempt('CreateProject', { ProjectName: 'given' }));
    assert.ok(!fs.existsSync(path.join(server.dataDir, 'root-credentials.json')));
    const accounts = JSON.parse(await runCli(server.env, ['account', 'list', '--json'])) as { AccountId: string }[];
    assert.deepEqual(accounts.map((a) => a.AccountId), ['8765432187654321']);
  });

  test('the given secret is written nowhere in plaintext and never printed', async () => {
    const text = allFileText(server.dataDir);
    assert.ok(text.length > 0);
    assert.ok(!text.includes(KEY.AccessKeySecret), 'the secret is in a file of the data directory');
    assert.ok(!(server.stdout() + server.stderr()).includes(KEY.AccessKeySecret));
  });

  test('SIGTERM lets in-flight requests finish (one still sending its body, one still sending its headers), then the process exits 0', async () => {
    /** A raw connection that has sent the first `sent` characters of a signed ListProjects request. */
    const partialRequest = async (sent: (request: string, body: string) => number) => {
      const body = signedRpcForm('ListProjects', {}, KEY);
      const request = `POST / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
      const socket = net.connect(port, '127.0.0.1');
      await once(socket, 'connect');
      const connection = { socket, response: '', rest: '' };
      socket.setEncoding('latin1').on('data', (chunk: string) => (connection.response += chunk));
      const cut = sent(request, body);
      socket.write(request.slice(0, cut));
      connection.rest = request.slice(cut);
      return connection;
    };
    const sendingBody = await partialRequest((request, body) => request.length - body.length + 20);
    const sendingHeaders = await partialRequest((request) => request.indexOf('Content-Type'));
    await sleep(300); // both requests are in flight
    server.process.kill('SIGTERM');
    await sleep(500);
    assert.equal(server.process.exitCode, null, 'the server waits for the in-flight requests');
    assert.deepEqual([sendingBody.response, sendingHeaders.response], ['', ''], 'no answer before a request is complete');
    // New connections are refused while it stops.
    await assert.rejects(fetch(`${server.url}/health`));
    for (const connection of [sendingBody, sendingHeaders]) connection.socket.write(connection.rest);
    const code = await exitCode(server.process);
    for (const { socket, response } of [sendingBody, sendingHeaders]) {
      if (!socket.destroyed) await Promise.race([once(socket, 'close'), sleep(5000)]);
      // Served in full, in our shape: not the framework's "Service Unavailable" of a closing server.
      assert.match(response, /^HTTP\/1\.1 200 /, response);
      assert.match(response, /[Cc]onnection: close/);
      assert.match(response, /"Projects":\[\{"ProjectName":"given"/);
      socket.destroy();
    }
    assert.equal(code, 0);
    assert.match(server.stderr(), /"event":"server.stopped"/);
  });
});
