/**
 * Everything an operation may use, passed explicitly (no registry, no globals). Built once at start-up by
 * `openServices` and by the CLI, on the same data and configuration.
 */
import type { Logger } from 'pino';
import type { Config } from './config.js';
import { openDatabase, migrateToLatest, type DatabaseHandle } from './store/database.js';
import { accountStore } from './store/accounts.js';
import { projectStore } from './store/projects.js';
import { bucketStore } from './store/buckets.js';
import { nonceStore } from './store/nonces.js';
import { usageStore } from './store/usage.js';
import { sessionStore } from './store/sessions.js';
import { stsStore } from './store/sts.js';
import { auditStore } from './store/audit.js';
import { ramStore } from './store/ram/index.js';
import { rateLimitStore } from './store/rateLimits.js';
import { objectVersionStore } from './store/objectVersions.js';
import { notificationOutboxStore } from './store/notificationOutbox.js';
import { webofficeAccessStore } from './store/webofficeAccess.js';
import { loadMasterKey } from './crypto/masterKey.js';
import { cachedStore, noReadCache, readCache, type ReadCache } from './store/readCache.js';
import { fileSystemObjectStore } from './documents/fileSystemObjectStore.js';
import type { ObjectStore } from './documents/objectStore.js';
import type { TokenSettings } from './tokens/webofficeSessions.js';
import { documentConverter, type DocumentConverter } from './conversion/documentConverter.js';
import { pdfCache } from './conversion/pdfCache.js';
import { findSoffice } from './conversion/soffice.js';
import { documentConversionStore } from './store/documentConversions.js';

export interface Services {
  config: Config;
  database: DatabaseHandle;
  accounts: ReturnType<typeof accountStore>;
  projects: ReturnType<typeof projectStore>;
  buckets: ReturnType<typeof bucketStore>;
  nonces: ReturnType<typeof nonceStore>;
  usage: ReturnType<typeof usageStore>;
  sessions: ReturnType<typeof sessionStore>;
  sts: ReturnType<typeof stsStore>;
  audit: ReturnType<typeof auditStore>;
  ram: ReturnType<typeof ramStore>;
  rateLimits: ReturnType<typeof rateLimitStore>;
  objects: ObjectStore;
  objectVersions: ReturnType<typeof objectVersionStore>;
  /** Save notifications waiting for the deliverer (src/notifications/deliverer.ts). */
  notificationOutbox: ReturnType<typeof notificationOutboxStore>;
  /** The WebOffice document API's view of sessions: access by token, and each session's holder. */
  webofficeAccess: ReturnType<typeof webofficeAccessStore>;
  /** Documents converted to PDF with LibreOffice, once per version for all nodes (close it before the database). */
  converter: DocumentConverter;
  /** The per-process caches of keys, RAM, projects and buckets (pass-through for the CLI). */
  caches: ReadCache;
  tokenSettings: TokenSettings;
  /** Base of WebofficeURL: IMM_PUBLIC_URL, or this server's own address once it listens. */
  publicUrl(): string;
  log: Logger;
}

export async function openServices(
  config: Config,
  log: Logger,
  listeningUrl: () => string = () => `http://${config.host}:${config.port}`,
  options: { cached?: boolean } = {},
): Promise<Services> {
  const masterKey = loadMasterKey(config.dataDir, config.masterKey);
  const soffice = findSoffice(config.soffice);
  const database = openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, poolSize: config.dbPoolSize, statementTimeoutMs: config.dbStatementTimeoutMs });
  try {
    await migrateToLatest(database.db);
  } catch (err) {
    await database.close();
    throw err;
  }
  const { db } = database;
  const caches = options.cached ? readCache(database, (err) => log.debug({ err }, 'reading the cache generation failed')) : noReadCache();
  const accounts = accountStore(db, masterKey);
  const projects = projectStore(db);
  const buckets = bucketStore(db);
  const ram = ramStore(db);
  return {
    config,
    database,
    // The read-mostly lookups of every request, cached (see store/readCache.ts for their invalidation).
    accounts: cachedStore(caches, 'accounts', accounts, ['findAccessKey']),
    projects: cachedStore(caches, 'projects', projects, ['find']),
    buckets: cachedStore(caches, 'buckets', buckets, ['find']),
    nonces: nonceStore(db, database.writeTransaction),
    usage: usageStore(db),
    sessions: sessionStore(db, masterKey, database.writeTransaction, database.direct),
    sts: stsStore(db, masterKey),
    audit: auditStore(db),
    ram: cachedStore(caches, 'ram', ram, ['findUser', 'findRole', 'policiesOf']),
    rateLimits: rateLimitStore(db, database.writeTransaction),
    objects: fileSystemObjectStore(config.ossDir),
    objectVersions: objectVersionStore(db, database.direct),
    notificationOutbox: notificationOutboxStore(db),
    webofficeAccess: webofficeAccessStore(db, database.direct),
    converter: documentConverter(
      { conversions: documentConversionStore(db), cache: pdfCache(config.ossDir, masterKey), log },
      { soffice, concurrency: config.convertConcurrency, timeoutMs: config.convertTimeoutMs },
    ),
    caches,
    tokenSettings: {
      accessTokenTtlMs: config.accessTokenTtlMs,
      refreshTokenTtlMs: config.refreshTokenTtlMs,
      refreshRetryWindowMs: config.refreshRetryWindowMs,
      previousTokenGraceMs: config.previousTokenGraceMs,
    },
    publicUrl: () => config.publicUrl ?? listeningUrl(),
    log,
  };
}
