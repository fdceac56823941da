/**
 * Configuration: environment variables, each also a flag of `imm-weboffice serve` (flags win).
 * The README's configuration table lists the same names; a test keeps them in sync.
 */
import net from 'node:net';
import path from 'node:path';
import { parseNotifyTopics, type NotifyTopic } from './notifications/notifyTopics.js';

export interface Config {
  host: string;
  port: number;
  dataDir: string;
  /** Unset = the SQLite file in the data directory. */
  databaseUrl?: string;
  ossDir: string;
  region: string;
  /** Base of WebofficeURL; unset = http://host:port of this server. */
  publicUrl?: string;
  rootAccessKeyId?: string;
  rootAccessKeySecret?: string;
  accountId?: string;
  masterKey?: string;
  accessTokenTtlMs: number;
  refreshTokenTtlMs: number;
  refreshRetryWindowMs: number;
  previousTokenGraceMs: number;
  sweepIntervalMs: number;
  /** How long expired sessions, their tokens and spent nonces are kept before the sweeper deletes them. */
  sessionRetentionMs: number;
  usageRetentionMs: number;
  /** PostgreSQL connection pool size per process. */
  dbPoolSize: number;
  /** Server processes sharing the port (node:cluster); 1 = this process serves alone. */
  workers: number;
  /** PostgreSQL statement timeout, and how long to wait for a connection. */
  dbStatementTimeoutMs: number;
  /** Shortest DurationSeconds AssumeRole accepts (900 in the cloud; lower for tests). */
  stsMinDurationSeconds: number;
  logLevel: string;
  bodyLimitBytes: number;
  /** A request's headers and body must have arrived this long after it started, or it is answered 408. */
  requestTimeoutMs: number;
  /** Requests per second per AccessKeyId, and per project of an account; 0 = no limit. */
  rateLimitPerKey: number;
  rateLimitPerProject: number;
  /** Fastify's `trustProxy`: whose X-Forwarded-For/-Proto to believe (false = nobody). */
  trustProxy: TrustProxy;
  /** PEM files: both set = serve HTTPS. */
  tlsCert?: string;
  tlsKey?: string;
  /** Where the codes defined by this service are explained: the `Recommend` of their error replies. */
  errorDocsUrl: string;
  /** CSP `frame-ancestors` of the WebOffice page: who may embed it (sources, space-separated). */
  frameAncestors: string;
  /** Where save notifications go (IMM_NOTIFY_TOPICS), and how long one delivery attempt may take. */
  notifyTopics: NotifyTopic[];
  notifyTimeoutMs: number;
  /** The LibreOffice command (IMM_SOFFICE as given; unset = `soffice` found on PATH, `none` = no conversions). */
  soffice?: string;
  /** Conversions to PDF that run at once on this node, and how long one may take before it is killed. */
  convertConcurrency: number;
  convertTimeoutMs: number;
}

/** true = every proxy, a number = that many hops, a list = those addresses/CIDRs (or loopback, linklocal, uniquelocal). */
export type TrustProxy = boolean | number | string[];

/** This project's error table (README.md, "Error codes"), relative to the repository: set a full URL where the docs are published. */
export const DEFAULT_ERROR_DOCS_URL = 'docs/api.md#error-codes';

/** Each setting: its environment variable, flag, and how its text becomes a value. */
export const SETTINGS = {
  host: { env: 'IMM_HOST', flag: '--host <host>', describe: 'address to listen on', default: '127.0.0.1' },
  port: { env: 'IMM_PORT', flag: '--port <port>', describe: 'port to listen on (0 = any free port)', default: '8080' },
  dataDir: { env: 'IMM_DATA_DIR', flag: '--data-dir <dir>', describe: 'data directory (SQLite file, keys, documents)', default: './data' },
  databaseUrl: { env: 'IMM_DATABASE_URL', flag: '--database-url <url>', describe: 'postgres://… (unset = SQLite file in the data dir)', default: undefined },
  ossDir: { env: 'IMM_OSS_DIR', flag: '--oss-dir <dir>', describe: 'folder of the file-system object store', default: '<data dir>/oss' },
  region: { env: 'IMM_REGION', flag: '--region <region>', describe: 'region id of this endpoint', default: 'cn-hangzhou' },
  publicUrl: { env: 'IMM_PUBLIC_URL', flag: '--public-url <url>', describe: 'base of WebofficeURL', default: 'http://HOST:PORT' },
  rootAccessKeyId: { env: 'IMM_ROOT_ACCESS_KEY_ID', flag: '--root-access-key-id <id>', describe: 'bootstrap root AccessKey id', default: 'generated' },
  rootAccessKeySecret: { env: 'IMM_ROOT_ACCESS_KEY_SECRET', flag: '--root-access-key-secret <secret>', describe: 'bootstrap root AccessKey secret', default: 'generated' },
  accountId: { env: 'IMM_ACCOUNT_ID', flag: '--account-id <id>', describe: 'root account id (16 digits) at first start', default: 'random' },
  masterKey: { env: 'IMM_MASTER_KEY', flag: '--master-key <key>', describe: 'key sealing AccessKey secrets (64 hex or base64 of 32 bytes)', default: '<data dir>/master.key' },
  accessTokenTtl: { env: 'IMM_ACCESS_TOKEN_TTL', flag: '--access-token-ttl <seconds>', describe: 'access token lifetime', default: '1800' },
  refreshTokenTtl: { env: 'IMM_REFRESH_TOKEN_TTL', flag: '--refresh-token-ttl <seconds>', describe: 'refresh token lifetime', default: '86400' },
  refreshRetryWindow: { env: 'IMM_REFRESH_RETRY_WINDOW', flag: '--refresh-retry-window <seconds>', describe: 'a retried refresh within this window gets the same pair', default: '30' },
  previousTokenGrace: { env: 'IMM_PREVIOUS_TOKEN_GRACE', flag: '--previous-token-grace <seconds>', describe: 'the previous access token works this long after a refresh', default: '60' },
  sweepInterval: { env: 'IMM_SWEEP_INTERVAL', flag: '--sweep-interval <seconds>', describe: 'how often expired data is swept', default: '60' },
  sessionRetention: { env: 'IMM_SESSION_RETENTION', flag: '--session-retention <seconds>', describe: 'expired sessions are kept this long', default: '86400' },
  usageRetentionDays: { env: 'IMM_USAGE_RETENTION_DAYS', flag: '--usage-retention-days <days>', describe: 'usage records are kept this long', default: '400' },
  workers: { env: 'IMM_WORKERS', flag: '--workers <n>', describe: 'server processes sharing the port (node:cluster)', default: '1' },
  dbPoolSize: { env: 'IMM_DB_POOL_SIZE', flag: '--db-pool-size <n>', describe: 'PostgreSQL connections per process', default: '10' },
  dbStatementTimeout: { env: 'IMM_DB_STATEMENT_TIMEOUT', flag: '--db-statement-timeout <seconds>', describe: 'PostgreSQL statement timeout, also the wait for a free connection', default: '5' },
  stsMinDuration: { env: 'IMM_STS_MIN_DURATION', flag: '--sts-min-duration <seconds>', describe: 'shortest DurationSeconds AssumeRole accepts', default: '900' },
  logLevel: { env: 'IMM_LOG_LEVEL', flag: '--log-level <level>', describe: 'pino log level', default: 'info' },
  bodyLimit: { env: 'IMM_BODY_LIMIT', flag: '--body-limit <bytes>', describe: 'largest accepted request body', default: '1048576' },
  requestTimeout: { env: 'IMM_REQUEST_TIMEOUT', flag: '--request-timeout <seconds>', describe: 'a request (headers and body) must arrive within this, else 408', default: '30' },
  rateLimitPerKey: { env: 'IMM_RATE_LIMIT_PER_KEY', flag: '--rate-limit-per-key <n>', describe: 'requests per second per AccessKey (0 = off)', default: '500' },
  rateLimitPerProject: { env: 'IMM_RATE_LIMIT_PER_PROJECT', flag: '--rate-limit-per-project <n>', describe: 'requests per second per project (0 = off)', default: '1000' },
  trustProxy: { env: 'IMM_TRUST_PROXY', flag: '--trust-proxy <proxies>', describe: 'proxies whose X-Forwarded-For/-Proto to believe: true, a hop count, or addresses/CIDRs', default: undefined },
  tlsCert: { env: 'IMM_TLS_CERT', flag: '--tls-cert <file>', describe: 'PEM certificate (chain): serve HTTPS', default: undefined },
  tlsKey: { env: 'IMM_TLS_KEY', flag: '--tls-key <file>', describe: 'PEM private key of IMM_TLS_CERT', default: undefined },
  errorDocsUrl: { env: 'IMM_ERROR_DOCS_URL', flag: '--error-docs-url <url>', describe: "Recommend link of this service's own error codes", default: DEFAULT_ERROR_DOCS_URL },
  soffice: { env: 'IMM_SOFFICE', flag: '--soffice <command>', describe: 'LibreOffice command converting documents to PDF (none = no conversions)', default: 'soffice on PATH' },
  convertConcurrency: { env: 'IMM_CONVERT_CONCURRENCY', flag: '--convert-concurrency <n>', describe: 'conversions to PDF running at once on this node', default: '1' },
  convertTimeout: { env: 'IMM_CONVERT_TIMEOUT', flag: '--convert-timeout <seconds>', describe: 'a conversion taking longer is killed', default: '60' },
  frameAncestors: { env: 'IMM_FRAME_ANCESTORS', flag: '--frame-ancestors <sources>', describe: "who may embed the WebOffice page (CSP frame-ancestors sources, e.g. 'self' https://app.example.com)", default: '*' },
  notifyTopics: { env: 'IMM_NOTIFY_TOPICS', flag: '--notify-topics <topics>', describe: 'save notifications: TOPIC=URL,… or a JSON object', default: undefined },
  notifySecret: { env: 'IMM_NOTIFY_SECRET', flag: '--notify-secret <secret>', describe: 'HMAC-SHA256 key signing notifications (topics without their own)', default: undefined },
  notifyTimeout: { env: 'IMM_NOTIFY_TIMEOUT', flag: '--notify-timeout <seconds>', describe: 'one delivery attempt of a notification may take this long', default: '10' },
} as const;

export type SettingName = keyof typeof SETTINGS;

function positiveInteger(text: string, name: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer (got ${text})`);
  return value;
}

function nonNegativeInteger(text: string, name: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0) throw new Error(`${name} must be an integer ≥ 0 (got ${text})`);
  return value;
}

const PROXY_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);

/** IMM_TRUST_PROXY: true/false, a number of hops, or a comma-separated list of addresses and CIDRs. */
export function parseTrustProxy(text: string | undefined): TrustProxy {
  if (text === undefined || text.trim() === '' || text.trim() === 'false') return false;
  const value = text.trim();
  if (value === 'true') return true;
  if (/^\d+$/.test(value)) return Number(value);
  const entries = value.split(',').map((entry) => entry.trim()).filter((entry) => entry !== '');
  for (const entry of entries) {
    if (PROXY_NAMES.has(entry)) continue;
    const [address, bits, extra] = entry.split('/');
    const family = net.isIP(address);
    const maxBits = family === 4 ? 32 : 128;
    const validBits = bits === undefined || (/^\d+$/.test(bits) && Number(bits) <= maxBits) || (family === 4 && net.isIPv4(bits));
    if (family === 0 || !validBits || extra !== undefined) {
      throw new Error(`IMM_TRUST_PROXY must be true, false, a number of hops, or a comma-separated list of addresses/CIDRs (bad entry: ${entry})`);
    }
  }
  return entries;
}

/**
 * IMM_FRAME_ANCESTORS: CSP source expressions separated by spaces or commas — `*`, `'self'`, `'none'`, a scheme
 * (`https:`) or a host with optional scheme, `*.` prefix, port and path. Anything else could break out of the
 * header's directive, so it is refused at start.
 */
export function parseFrameAncestors(text: string | undefined): string {
  const sources = (text ?? '*').split(/[\s,]+/).filter(Boolean);
  const SOURCE = /^(\*|'self'|'none'|[a-z][a-z0-9+.-]*:|([a-z][a-z0-9+.-]*:\/\/)?(\*\.)?[a-z0-9-]+(\.[a-z0-9-]+)*(:(\d{1,5}|\*))?(\/[a-z0-9._~!$&()*+=:@%/-]*)?)$/i;
  const bad = sources.find((source) => !SOURCE.test(source));
  if (bad !== undefined) throw new Error(`IMM_FRAME_ANCESTORS must be CSP sources such as * 'self' https://app.example.com (bad entry: ${bad})`);
  if (sources.includes("'none'") && sources.length > 1) throw new Error("IMM_FRAME_ANCESTORS: 'none' cannot be combined with other sources");
  return sources.length === 0 ? '*' : sources.join(' ');
}

/** Reads settings: `flags` (already parsed, by setting name) over `env` over defaults. */
export function loadConfig(env: NodeJS.ProcessEnv, flags: Partial<Record<SettingName, string>> = {}): Config {
  const text = (name: SettingName): string | undefined => {
    const value = flags[name] ?? env[SETTINGS[name].env];
    return value === undefined || value === '' ? undefined : value;
  };
  const seconds = (name: SettingName, fallback: number, min = 0): number => {
    const raw = text(name);
    if (raw === undefined) return fallback * 1000;
    const value = Number(raw);
    if (!Number.isFinite(value) || value < min) throw new Error(`${SETTINGS[name].env} must be a number of seconds ≥ ${min} (got ${raw})`);
    return Math.round(value * 1000);
  };
  const port = Number(text('port') ?? '8080');
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`IMM_PORT must be an integer 0–65535 (got ${text('port')})`);
  const dataDir = path.resolve(text('dataDir') ?? './data');
  const accountId = text('accountId');
  if (accountId !== undefined && !/^\d{16}$/.test(accountId)) throw new Error('IMM_ACCOUNT_ID must be 16 digits');
  const rootAccessKeyId = text('rootAccessKeyId');
  const rootAccessKeySecret = text('rootAccessKeySecret');
  if ((rootAccessKeyId === undefined) !== (rootAccessKeySecret === undefined)) {
    throw new Error('IMM_ROOT_ACCESS_KEY_ID and IMM_ROOT_ACCESS_KEY_SECRET must be given together');
  }
  const tlsCert = text('tlsCert');
  const tlsKey = text('tlsKey');
  if ((tlsCert === undefined) !== (tlsKey === undefined)) throw new Error('IMM_TLS_CERT and IMM_TLS_KEY must be given together');
  const bodyLimit = Number(text('bodyLimit') ?? '1048576');
  if (!Number.isInteger(bodyLimit) || bodyLimit < 1024) throw new Error('IMM_BODY_LIMIT must be an integer ≥ 1024');
  return {
    host: text('host') ?? '127.0.0.1',
    port,
    dataDir,
    databaseUrl: text('databaseUrl'),
    ossDir: path.resolve(text('ossDir') ?? path.join(dataDir, 'oss')),
    region: text('region') ?? 'cn-hangzhou',
    publicUrl: text('publicUrl')?.replace(/\/+$/, ''),
    rootAccessKeyId,
    rootAccessKeySecret,
    accountId,
    masterKey: text('masterKey'),
    accessTokenTtlMs: seconds('accessTokenTtl', 1800, 1),
    refreshTokenTtlMs: seconds('refreshTokenTtl', 86400, 1),
    refreshRetryWindowMs: seconds('refreshRetryWindow', 30),
    previousTokenGraceMs: seconds('previousTokenGrace', 60),
    sweepIntervalMs: seconds('sweepInterval', 60, 0.05),
    sessionRetentionMs: seconds('sessionRetention', 86400),
    usageRetentionMs: seconds('usageRetentionDays', 400) * 86400, // days, read like seconds, then scaled
    dbPoolSize: positiveInteger(text('dbPoolSize') ?? '10', 'IMM_DB_POOL_SIZE'),
    workers: positiveInteger(text('workers') ?? '1', 'IMM_WORKERS'),
    dbStatementTimeoutMs: seconds('dbStatementTimeout', 5, 0.1),
    stsMinDurationSeconds: seconds('stsMinDuration', 900, 1) / 1000,
    logLevel: text('logLevel') ?? 'info',
    bodyLimitBytes: bodyLimit,
    requestTimeoutMs: seconds('requestTimeout', 30, 0.5),
    rateLimitPerKey: nonNegativeInteger(text('rateLimitPerKey') ?? '500', 'IMM_RATE_LIMIT_PER_KEY'),
    rateLimitPerProject: nonNegativeInteger(text('rateLimitPerProject') ?? '1000', 'IMM_RATE_LIMIT_PER_PROJECT'),
    trustProxy: parseTrustProxy(text('trustProxy')),
    tlsCert: tlsCert && path.resolve(tlsCert),
    tlsKey: tlsKey && path.resolve(tlsKey),
    errorDocsUrl: text('errorDocsUrl') ?? DEFAULT_ERROR_DOCS_URL,
    frameAncestors: parseFrameAncestors(text('frameAncestors')),
    notifyTopics: parseNotifyTopics(text('notifyTopics'), text('notifySecret')),
    notifyTimeoutMs: seconds('notifyTimeout', 10, 0.1),
    soffice: text('soffice'),
    convertConcurrency: positiveInteger(text('convertConcurrency') ?? '1', 'IMM_CONVERT_CONCURRENCY'),
    convertTimeoutMs: seconds('convertTimeout', 60, 0.1),
  };
}
