/**
 * The service embedded in another program's test suite, like mongodb-memory-server: `startImmWeboffice()`
 * starts a fresh instance in this process on a free port, with its own temporary data directory (a SQLite
 * file, the master key, the documents) that `stop()` removes, and tells how to reach it and sign for it.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig, SETTINGS, type SettingName } from './config.js';
import { startServer } from './server.js';
import { parseSourceUri } from './tokens/webofficeOptions.js';
import { putDocument } from './documents/documentVersions.js';
import { createBucket } from './documents/buckets.js';
import type { AccountCredentials } from './store/accounts.js';

/**
 * Any setting of the configuration table, named as its flag in camelCase (`--access-token-ttl` →
 * `accessTokenTtl`), with the value the environment variable would take (durations in seconds). The
 * environment itself is not read: an instance embedded in tests is configured by its caller only.
 * Defaults differ from `imm-weboffice serve` in three places: `port` 0 (a free port), `dataDir` a new
 * temporary directory removed by `stop()`, `logLevel` `warn`.
 */
export type ImmWebofficeOptions = { [Name in SettingName]?: string | number | boolean };

export interface PutDocumentResult {
  sourceUri: string;
  /** 1 for the first content of this object, then 2, 3, … */
  version: number;
  size: number;
  /** MD5 of the content, upper-case hex, as OSS spells its ETag. */
  etag: string;
}

export interface ImmWeboffice {
  /** `http://127.0.0.1:PORT` (`https://…` with `tlsCert`). */
  url: string;
  /** `host:port`: what the official clients take as `endpoint` (with `protocol: 'http'`). */
  endpoint: string;
  region: string;
  /** The root account, and its AccessKey: the root may do everything on its own resources. */
  accountId: string;
  accessKeyId: string;
  accessKeySecret: string;
  dataDir: string;
  /** Stores `content` as `oss://bucket/key`, creating the bucket (owned by the root account) if needed. */
  putDocument(uri: string, content: Uint8Array | string): Promise<PutDocumentResult>;
  /** Stops the server, closes the database, and removes the data directory if it was a temporary one. */
  stop(): Promise<void>;
}

export async function startImmWeboffice(options: ImmWebofficeOptions = {}): Promise<ImmWeboffice> {
  const flags: Partial<Record<SettingName, string>> = { port: '0', logLevel: 'warn' };
  for (const [name, value] of Object.entries(options)) {
    if (!Object.hasOwn(SETTINGS, name)) throw new Error(`startImmWeboffice: unknown option ${name} (known: ${Object.keys(SETTINGS).join(', ')})`);
    if (value !== undefined) flags[name as SettingName] = String(value);
  }
  const temporaryDir = flags.dataDir === undefined ? fs.mkdtempSync(path.join(os.tmpdir(), 'imm-weboffice-')) : undefined;
  const removeTemporaryDir = () => temporaryDir && fs.rmSync(temporaryDir, { recursive: true, force: true });
  if (temporaryDir) flags.dataDir = temporaryDir;

  let server: Awaited<ReturnType<typeof startServer>>;
  try {
    server = await startServer(loadConfig({}, flags), { announce: false });
  } catch (err) {
    removeTemporaryDir();
    throw err;
  }
  const { config } = server.services;
  // A configured root key is known to the caller; a generated one is in the data directory's credentials file.
  const accessKeySecret = config.rootAccessKeySecret ?? (JSON.parse(fs.readFileSync(server.root.file!, 'utf8')) as AccountCredentials).AccessKeySecret;
  const accountId = server.root.AccountId;

  return {
    url: server.url,
    endpoint: new URL(server.url).host,
    region: config.region,
    accountId,
    accessKeyId: server.root.AccessKeyId,
    accessKeySecret,
    dataDir: config.dataDir,
    async putDocument(uri, content) {
      const source = parseSourceUri(uri);
      await createBucket(server.services, source.bucket, accountId); // false: it exists already, as wanted
      const written = await putDocument(server.services, source.bucket, source.key, Buffer.from(content));
      return { sourceUri: uri, version: written.version, size: written.size, etag: written.etag };
    },
    async stop() {
      await server.stop();
      removeTemporaryDir();
    },
  };
}
