import type { Migration, MigrationProvider } from 'kysely';
import * as initial from './2026-11-25-initial.js';
import * as ramSts from './2026-11-26-ram-sts.js';
import * as rateLimits from './2026-11-27-rate-limits.js';

/** Every migration, by name; names sort in the order they apply. */
const MIGRATIONS: Record<string, Migration> = {
  '2026-11-25-initial': initial,
  '2026-11-26-ram-sts': ramSts,
  '2026-11-27-rate-limits': rateLimits,
};

export const migrationProvider: MigrationProvider = {
  getMigrations: async () => MIGRATIONS,
};
