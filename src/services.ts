/**
 * Everything an operation may use, passed explicitly (no registry, no globals). Built once at start-up by
 * `openServices` and by the CLI, on the same data and configuration.
 */
import path from 'node:path';
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
import { documentConversionStore } from './store/documentConversions.js';
import { notificationOutboxStore } from './store/notificationOutbox.js';
import { loadMasterKey } from './crypto/masterKey.js';
import { fileSystemObjectStore } from './documents/fileSystemObjectStore.js';
import type { ObjectStore } from './documents/objectStore.js';
import { documentConverter, type DocumentConverter } from './conversion/documentConverter.js';
import { CONVERSIONS_FOLDER, pdfCache } from './conversion/pdfCache.js';
import { findSoffice } from './conversion/soffice.js';
import type { TokenSettings } from './tokens/webofficeSessions.js';

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
  /** Documents to PDF with LibreOffice (mode `none` without it), once per version for all nodes. */
  converter: DocumentConverter;
  /** Save notifications waiting for the deliverer (src/notifications/deliverer.ts). */
  notificationOutbox: ReturnType<typeof notificationOutboxStore>;
  tokenSettings: TokenSettings;
  /** Base of WebofficeURL: IMM_PUBLIC_URL, or this server's own address once it listens. */
  publicUrl(): string;
  log: Logger;
}

export async function openServices(config: Config, log: Logger, listeningUrl: () => string = () => `http://${config.host}:${config.port}`): Promise<Services> {
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
  return {
    config,
    database,
    accounts: accountStore(db, masterKey),
    projects: projectStore(db),
    buckets: bucketStore(db),
    nonces: nonceStore(db),
    usage: usageStore(db),
    sessions: sessionStore(db, masterKey),
    sts: stsStore(db, masterKey),
    audit: auditStore(db),
    ram: ramStore(db),
    rateLimits: rateLimitStore(db),
    objects: fileSystemObjectStore(config.ossDir),
    objectVersions: objectVersionStore(db),
    converter: documentConverter(
      { conversions: documentConversionStore(db), cache: pdfCache(path.join(config.ossDir, CONVERSIONS_FOLDER), masterKey), log },
      { soffice, concurrency: config.convertConcurrency, timeoutMs: config.convertTimeoutMs },
    ),
    notificationOutbox: notificationOutboxStore(db),
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
