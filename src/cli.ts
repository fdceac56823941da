#!/usr/bin/env node
/**
 * `imm-weboffice`: `serve`, and what has no cloud API (accounts, buckets, objects, usage), or should need no
 * client written first (projects). Every command works on the same data and configuration (environment
 * variables, or the flags) as a running server, which sees the result at once.
 */
import cluster from 'node:cluster';
import fs from 'node:fs';
import { Command, Option } from 'commander';
import { loadConfig, SETTINGS, type Config, type SettingName } from './config.js';
import { createLogger } from './logger.js';
import { openServices, type Services } from './services.js';
import { migrateToLatest, openDatabase } from './store/database.js';
import { bucketNameRule, parseOssUri, type SourceLocation } from './tokens/webofficeOptions.js';
import { MAX_DOCUMENT_BYTES } from './documents/objectStore.js';
import { currentVersion, putDocument } from './documents/documentVersions.js';
import { createBucket } from './documents/buckets.js';
import { ApiError } from './core/errors.js';
import { rotateMasterKey } from './rotateMasterKey.js';
import { runAsAccountRoot } from './runAsAccountRoot.js';
import { createProject } from './operations/createProject.js';
import { deleteProject } from './operations/deleteProject.js';
import { listProjects } from './operations/listProjects.js';
import { packageVersion } from './version.js';

const program = new Command('imm-weboffice')
  .description('Self-hosted Alibaba Cloud IMM WebOffice credential service')
  .version(packageVersion(), '-V, --version', 'print the version')
  .showHelpAfterError();

function withSettings(command: Command, names: SettingName[] = Object.keys(SETTINGS) as SettingName[]): Command {
  for (const name of names) {
    const s = SETTINGS[name];
    command.addOption(new Option(s.flag, `${s.describe} (env ${s.env}${s.default ? `, default ${s.default}` : ''})`));
  }
  return command;
}

const STORAGE_SETTINGS: SettingName[] = ['dataDir', 'databaseUrl', 'ossDir', 'masterKey'];

function configFrom(options: Record<string, unknown>): Config {
  const flags: Partial<Record<SettingName, string>> = {};
  for (const name of Object.keys(SETTINGS) as SettingName[]) {
    if (typeof options[name] === 'string') flags[name] = options[name] as string;
  }
  return loadConfig(process.env, flags);
}

/** Opens the data for one CLI command and closes it afterwards. */
async function withServices<T>(options: Record<string, unknown>, work: (services: Services) => Promise<T>): Promise<T> {
  const config = configFrom(options);
  const services = await openServices(config, createLogger(process.env.IMM_LOG_LEVEL ?? 'warn'));
  try {
    return await work(services);
  } finally {
    await services.database.close();
  }
}

function print(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + '\n');
}

function printTable(rows: Record<string, string | number>[], columns: string[]): void {
  if (rows.length === 0) return void process.stdout.write('(none)\n');
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => String(r[c]).length)));
  const line = (cells: string[]) => cells.map((cell, i) => cell.padEnd(widths[i])).join('  ').trimEnd() + '\n';
  process.stdout.write(line(columns) + rows.map((r) => line(columns.map((c) => String(r[c])))).join(''));
}

withSettings(program.command('serve').description('start the service (the default for npm start)')).action(async (options) => {
  const config = configFrom(options);
  // The HTTP side (Fastify, the page, pdf-lib…) is loaded only to serve: the other commands start without it.
  const [{ startServer, stopOnSignals }, { serveAsWorker, serveWithWorkers }] = await Promise.all([import('./server.js'), import('./workers.js')]);
  if (cluster.isWorker) return serveAsWorker(config);
  if (config.workers > 1) return serveWithWorkers(config);
  stopOnSignals(await startServer(config));
});

withSettings(program.command('migrate').description('apply pending database migrations and exit'), STORAGE_SETTINGS).action(async (options) => {
  const config = configFrom(options);
  const database = openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  try {
    await migrateToLatest(database.db);
    process.stdout.write(`migrations applied (${database.engine}: ${database.location})\n`);
  } finally {
    await database.close();
  }
});

withSettings(
  program
    .command('rotate-master-key')
    .description('reseal every stored secret (AccessKey, STS, document passwords) under a new master key (one transaction), then restart every node with it'),
  STORAGE_SETTINGS,
)
  .option('--new-key <key>', 'the new master key, 64 hex characters or base64 of 32 bytes (default: generated)')
  .action(async (options) => {
    const config = configFrom(options);
    const report = await rotateMasterKey(config, {
      newKey: options.newKey,
      // Printed before the database changes: a rotation cut short after its commit must not lose the key.
      onNewKey: (key) => process.stdout.write(`IMM_MASTER_KEY=${key}\n`),
    });
    const count = (r: { resealed: number; alreadyNew: number }, what: string) =>
      `${r.resealed} ${what}${r.alreadyNew ? ` (${r.alreadyNew} already under the new key)` : ''}`;
    process.stdout.write(
      `resealed ${count(report.accessKeys, 'AccessKey secrets')}, ${count(report.stsCredentials, 'STS credential secrets')} and ${count(report.sessionSecrets, 'session secrets (document passwords)')} (${report.engine}: ${report.location})\n`,
    );
    if (report.keyFile) {
      process.stdout.write(`new master key written to ${report.keyFile}${report.resumed ? ' (finished an interrupted rotation)' : ''}\n`);
      const shared = report.engine === 'postgres' ? '; every node on this database needs the same key (copy the file or set IMM_MASTER_KEY)' : '';
      process.stderr.write(`restart every node on this data now: running nodes still hold the old key${shared}\n`);
    } else {
      process.stderr.write('update IMM_MASTER_KEY to the new key on every node and restart them: until then they cannot open the resealed secrets\n');
    }
  });

const account = program.command('account').description('accounts (each with its own root AccessKey)');
withSettings(account.command('create').description('create an account; prints {AccountId, AccessKeyId, AccessKeySecret}'), STORAGE_SETTINGS)
  .option('--account-id <id>', 'the new account id (16 digits; default random)')
  .action(async (options) => {
    if (options.accountId !== undefined && !/^\d{16}$/.test(options.accountId)) throw new Error('--account-id must be 16 digits');
    await withServices(options, async (services) => {
      if (options.accountId && (await services.accounts.accountExists(options.accountId))) throw new Error(`account ${options.accountId} exists already`);
      print(await services.accounts.createAccount({ accountId: options.accountId }));
    });
  });
withSettings(account.command('list').description('list accounts'), STORAGE_SETTINGS)
  .option('--json', 'print JSON')
  .action(async (options) => {
    await withServices(options, async (services) => {
      const rows = (await services.accounts.listAccounts()).map((a) => ({ AccountId: a.id, CreateTime: a.created_at }));
      options.json ? print(rows) : printTable(rows, ['AccountId', 'CreateTime']);
    });
  });

const accessKey = program.command('access-key').description("AccessKeys of an account's root");
withSettings(accessKey.command('create').description('create another AccessKey for an account; prints it with its secret'), STORAGE_SETTINGS)
  .requiredOption('--account <id>', 'account id')
  .action(async (options) => {
    await withServices(options, async (services) => {
      if (!(await services.accounts.accountExists(options.account))) throw new Error(`account ${options.account} does not exist`);
      print(await services.accounts.addAccessKey(options.account));
    });
  });
withSettings(accessKey.command('update').description('enable or disable an AccessKey').argument('<id>', 'AccessKeyId'), STORAGE_SETTINGS)
  .addOption(new Option('--status <status>', 'new status').choices(['Active', 'Inactive']).makeOptionMandatory())
  .action(async (id: string, options) => {
    await withServices(options, async (services) => {
      if (!(await services.accounts.setAccessKeyStatus(id, options.status))) throw new Error(`AccessKey ${id} does not exist`);
      print({ AccessKeyId: id, Status: options.status });
    });
  });

withSettings(accessKey.command('list').description('AccessKeys (never their secrets): the root keys of every account, or of one, or of one RAM user'), STORAGE_SETTINGS)
  .option('--account <id>', 'only this account')
  .option('--user <name>', "the keys of this RAM user of --account instead of the root's")
  .option('--json', 'print JSON')
  .action(async (options) => {
    if (options.user !== undefined && options.account === undefined) throw new Error('access-key list --user needs --account');
    await withServices(options, async (services) => {
      if (options.account !== undefined && !(await services.accounts.accountExists(options.account))) throw new Error(`account ${options.account} does not exist`);
      const accountIds = options.account !== undefined ? [options.account as string] : (await services.accounts.listAccounts()).map((a) => a.id);
      const rows = [];
      for (const accountId of accountIds) {
        for (const key of await services.ram.listAccessKeys(accountId, options.user)) {
          rows.push({ AccessKeyId: key.accessKeyId, AccountId: accountId, UserName: key.userName, Status: key.status, CreateTime: key.createdAt });
        }
      }
      if (options.json) return print(rows);
      printTable(rows.map((row) => ({ ...row, UserName: row.UserName ?? '-' })), ['AccessKeyId', 'AccountId', 'UserName', 'Status', 'CreateTime']);
    });
  });

const project = program.command('project').description("IMM projects of an account, made as the account's root would with the API");
withSettings(project.command('create').description('create a project; prints it').argument('<name>', 'project name'), STORAGE_SETTINGS)
  .requiredOption('--account <id>', 'owner account id')
  .option('--description <text>', 'description')
  .option('--service-role <role>', 'the RAM role that reads its documents (default AliyunIMMDefaultRole)')
  .action(async (name: string, options) => {
    await withServices(options, async (services) => {
      const params: Record<string, string> = { ProjectName: name };
      if (options.description !== undefined) params.Description = options.description;
      if (options.serviceRole !== undefined) params.ServiceRole = options.serviceRole;
      print(((await runAsAccountRoot(services, options.account, createProject, params)) as { Project: unknown }).Project);
    });
  });
withSettings(project.command('list').description("an account's projects"), STORAGE_SETTINGS)
  .requiredOption('--account <id>', 'account id')
  .option('--json', 'print JSON')
  .action(async (options) => {
    await withServices(options, async (services) => {
      const rows: Record<string, string>[] = [];
      let nextToken = '';
      do {
        const page = (await runAsAccountRoot(services, options.account, listProjects, { MaxResults: '200', ...(nextToken ? { NextToken: nextToken } : {}) })) as {
          Projects: Record<string, string>[];
          NextToken: string;
        };
        rows.push(...page.Projects);
        nextToken = page.NextToken;
      } while (nextToken);
      options.json ? print(rows) : printTable(rows, ['ProjectName', 'ServiceRole', 'CreateTime', 'Description']);
    });
  });
withSettings(project.command('delete').description('delete a project; every token of it stops working').argument('<name>', 'project name'), STORAGE_SETTINGS)
  .requiredOption('--account <id>', 'owner account id')
  .action(async (name: string, options) => {
    await withServices(options, async (services) => {
      await runAsAccountRoot(services, options.account, deleteProject, { ProjectName: name });
      print({ ProjectName: name, Deleted: true });
    });
  });

const bucket = program.command('bucket').description('buckets of the embedded object store');
withSettings(bucket.command('create').description('create a bucket owned by an account').argument('<name>', 'bucket name (OSS rules)'), STORAGE_SETTINGS)
  .requiredOption('--account <id>', 'owner account id')
  .action(async (name: string, options) => {
    const rule = bucketNameRule(name);
    if (rule) throw new Error(`${name} is not a valid bucket name: ${rule}`);
    await withServices(options, async (services) => {
      if (!(await services.accounts.accountExists(options.account))) throw new Error(`account ${options.account} does not exist`);
      if (!(await createBucket(services, name, options.account))) throw new Error(`bucket ${name} exists already`);
      print({ Bucket: name, AccountId: options.account });
    });
  });
withSettings(bucket.command('list').description('list buckets'), STORAGE_SETTINGS)
  .option('--account <id>', 'only this account')
  .option('--json', 'print JSON')
  .action(async (options) => {
    await withServices(options, async (services) => {
      const rows = (await services.buckets.list(options.account)).map((b) => ({ Bucket: b.name, AccountId: b.account_id, CreateTime: b.created_at }));
      options.json ? print(rows) : printTable(rows, ['Bucket', 'AccountId', 'CreateTime']);
    });
  });

const object = program.command('object').description('objects of the embedded object store');
withSettings(object.command('put').description('upload a file as oss://BUCKET/KEY').argument('<uri>', 'oss://bucket/key').argument('<file>', 'local file'), STORAGE_SETTINGS).action(
  async (uri: string, file: string, options) => {
    const source = parseObjectUri(uri);
    const size = localFileSize(file);
    if (size > MAX_DOCUMENT_BYTES) throw new Error(`${file} is ${size} bytes; WebOffice opens at most 200 MB`);
    await withServices(options, async (services) => {
      if (!(await services.buckets.find(source.bucket))) throw new Error(`bucket ${source.bucket} does not exist; create it with 'imm-weboffice bucket create'`);
      const version = await putDocument(services, source.bucket, source.key, fs.readFileSync(file));
      print({ SourceURI: uri, Version: version.version, Size: version.size, ETag: version.etag });
    });
  },
);
withSettings(object.command('versions').description('every version of oss://BUCKET/KEY, oldest first').argument('<uri>', 'oss://bucket/key'), STORAGE_SETTINGS)
  .option('--json', 'print JSON')
  .action(async (uri: string, options) => {
    const source = parseObjectUri(uri);
    await withServices(options, async (services) => {
      if (!(await services.buckets.find(source.bucket))) throw new Error(`bucket ${source.bucket} does not exist`);
      // A file replaced outside `object put` becomes a version when first looked at: this is a look.
      const stat = await services.objects.headObject(source.bucket, source.key);
      if (stat) await currentVersion(services, source.bucket, source.key, stat);
      const rows = (await services.objectVersions.list(source.bucket, source.key)).map((v) => ({ Version: v.version, Size: v.size, ETag: v.etag, CreateTime: v.createdAt }));
      options.json ? print(rows) : printTable(rows, ['Version', 'Size', 'ETag', 'CreateTime']);
    });
  });

withSettings(program.command('usage').description('billable calls, totals by project and operation'), STORAGE_SETTINGS)
  .option('--account <id>', 'only this account')
  .option('--project <name>', 'only this project')
  .option('--since <time>', 'only calls at or after this ISO 8601 time')
  .option('--json', 'print JSON')
  .action(async (options) => {
    const sinceMs = options.since === undefined ? undefined : parseTime(options.since, '--since');
    await withServices(options, async (services) => {
      const totals = await services.usage.totals({ accountId: options.account, projectName: options.project, sinceMs });
      const rows = totals.map((t) => ({ AccountId: t.accountId, ProjectName: t.projectName, Operation: t.operation, Calls: t.calls }));
      options.json ? print(rows) : printTable(rows, ['AccountId', 'ProjectName', 'Operation', 'Calls']);
    });
  });

withSettings(program.command('audit').description('authorization decisions (allow and deny), oldest first'), STORAGE_SETTINGS)
  .option('--since <time>', 'only decisions at or after this ISO 8601 time')
  .option('--account <id>', 'only this account')
  .option('--json', 'print JSON')
  .action(async (options) => {
    const sinceMs = options.since === undefined ? undefined : parseTime(options.since, '--since');
    await withServices(options, async (services) => {
      const records = await services.audit.list({ sinceMs, accountId: options.account });
      const rows = records.map((r) => ({
        Time: r.at,
        Decision: r.decision,
        Reason: r.reason,
        Principal: r.principal,
        Action: r.action,
        Resource: r.resource,
        Statement: r.matched_statement || '-',
        RequestId: r.request_id,
      }));
      options.json ? print(rows) : printTable(rows, ['Time', 'Decision', 'Reason', 'Principal', 'Action', 'Resource', 'Statement']);
    });
  });

/** An object's oss:// URI, its errors in the command's words (not the API parameter's). */
function parseObjectUri(uri: string): SourceLocation {
  return parseOssUri(uri, (rule) => new Error(`${uri} is not a valid object URI (oss://BUCKET/KEY): ${rule}`));
}

/** The size of a local file to upload, or an error saying what is wrong with the path. */
function localFileSize(file: string): number {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new Error(`there is no file ${file} to upload`);
    if (code === 'EACCES') throw new Error(`${file} cannot be read: permission denied`);
    throw err;
  }
  if (!stat.isFile()) throw new Error(`${file} is not a file (a directory?): give the file to upload`);
  return stat.size;
}

function parseTime(text: string, flag: string): number {
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) throw new Error(`${flag} must be an ISO 8601 time (got ${text})`);
  return ms;
}

program.parseAsync(process.argv).catch((err: unknown) => {
  const message = err instanceof ApiError || err instanceof Error ? err.message : String(err);
  process.stderr.write(`imm-weboffice: ${message}\n`);
  process.exit(1);
});
