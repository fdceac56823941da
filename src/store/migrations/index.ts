import type { Migration, MigrationProvider } from 'kysely';
import * as initial from './2026-11-25-initial.js';
import * as ramSts from './2026-11-26-ram-sts.js';
import * as rateLimits from './2026-11-27-rate-limits.js';
import * as objectVersions from './2026-11-28-object-versions.js';
import * as sessionSecrets from './2026-12-01-session-secrets.js';
import * as cacheGeneration from './2026-12-02-cache-generation.js';
import * as webofficeHolders from './2026-12-02-weboffice-holders.js';
import * as notificationOutbox from './2026-12-03-notification-outbox.js';
import * as versionContents from './2026-12-03-version-contents.js';
import * as documentConversions from './2026-12-03-document-conversions.js';
import * as tokensWithoutRefreshIndex from './2026-12-04-tokens-without-refresh-index.js';

/** Every migration, by name; names sort in the order they apply. */
const MIGRATIONS: Record<string, Migration> = {
  '2026-11-25-initial': initial,
  '2026-11-26-ram-sts': ramSts,
  '2026-11-27-rate-limits': rateLimits,
  '2026-11-28-object-versions': objectVersions,
  '2026-12-01-session-secrets': sessionSecrets,
  '2026-12-02-cache-generation': cacheGeneration,
  '2026-12-02-weboffice-holders': webofficeHolders,
  '2026-12-03-notification-outbox': notificationOutbox,
  '2026-12-03-version-contents': versionContents,
  '2026-12-03-document-conversions': documentConversions,
  '2026-12-04-tokens-without-refresh-index': tokensWithoutRefreshIndex,
};

export const migrationProvider: MigrationProvider = {
  getMigrations: async () => MIGRATIONS,
};
