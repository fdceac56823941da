/**
 * The RAM store: users (and their AccessKeys), groups, roles, policies and attachments of each account, one
 * part per file over the primitives of `shared.ts` (where the race-safety rules are written down).
 */
import type { Kysely } from 'kysely';
import type { Database } from '../schema.js';
import { ramContext } from './shared.js';
import { ramUsers } from './users.js';
import { ramGroups } from './groups.js';
import { ramRoles } from './roles.js';
import { ramPolicies } from './policies.js';
import { ramAttachments } from './attachments.js';

export * from './shared.js';

export function ramStore(db: Kysely<Database>) {
  const context = ramContext(db);
  return { ...ramUsers(context), ...ramGroups(context), ...ramRoles(context), ...ramPolicies(context), ...ramAttachments(context) };
}

export type RamStore = ReturnType<typeof ramStore>;
