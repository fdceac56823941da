/**
 * What the parts of the RAM store share: row and record types, RAM's limits, listing pages and markers, ids,
 * and the primitives below. The store keeps each account's RAM users (and their AccessKeys), groups, roles,
 * custom policies with their versions, and attachments. System policies are constants
 * (ram/systemPolicies.ts), never stored: they are listed and attached like custom ones but cannot be
 * created, changed or deleted.
 *
 * Race safety, on both engines:
 * - unique constraints decide duplicates (insert … on conflict do nothing, then count the inserted rows);
 * - whoever deletes an entity deletes its row first and only then counts what still hangs on it, throwing
 *   (so rolling back) on a conflict;
 * - whoever adds something that hangs on an entity inserts first and then reads the entity with a lock that
 *   a delete of it waits for (`for key share` on PostgreSQL; SQLite runs one writer at a time anyway);
 * - whoever adds under a limit (policies attached to a principal, groups of a user) locks the principal's row
 *   against the other adders (`principalLocked`) before it counts, and throws past the limit.
 * So a user cannot be deleted while a concurrent AddUserToGroup makes it a member, and no membership,
 * attachment or policy version is left pointing at something deleted.
 */
import { randomBytes, randomInt } from 'node:crypto';
import { PostgresAdapter, type Kysely, type Selectable, type SelectQueryBuilder, type Transaction } from 'kysely';
import type { Database, RamGroupsTable, RamPoliciesTable, RamPolicyVersionsTable, RamRolesTable, RamUsersTable } from '../schema.js';
import { ApiError } from '../../core/errors.js';
import { MalformedPolicyDocumentError, parsePolicyDocument, type PolicyKind } from '../../ram/policyDocument.js';

export type RamUserRow = Selectable<RamUsersTable>;
export type RamGroupRow = Selectable<RamGroupsTable>;
export type RamRoleRow = Selectable<RamRolesTable>;
export type RamPolicyRow = Selectable<RamPoliciesTable>;
export type RamPolicyVersionRow = Selectable<RamPolicyVersionsTable>;

export type PolicyType = 'System' | 'Custom';
export type PrincipalType = 'User' | 'Group' | 'Role';

/** A policy as RAM shows it, System or Custom alike; `document` is its default version's text. */
export interface PolicyRecord {
  name: string;
  type: PolicyType;
  description: string;
  defaultVersion: string;
  document: string;
  /** ISO 8601 times. */
  createdAt: string;
  updatedAt: string;
  defaultVersionCreatedAt: string;
  /** Attachments in the asking account. */
  attachmentCount: number;
}

export interface PolicyVersionRecord {
  versionId: string;
  document: string;
  isDefault: boolean;
  createdAt: string;
}

export interface AttachmentRecord {
  policyType: PolicyType;
  policyName: string;
  description: string;
  defaultVersion: string;
  attachedAt: string;
}

export interface AccessKeyInfo {
  accessKeyId: string;
  status: 'Active' | 'Inactive';
  createdAt: string;
  userName: string | null;
}

export interface GroupMembership extends RamGroupRow {
  joined_at: string;
}

export interface Page {
  /** Opaque, from the previous page's `marker`. */
  marker?: string;
  maxItems: number;
}

/** RAM's limits. */
export const MAX_POLICY_VERSIONS = 5;
export const MAX_USER_ACCESS_KEYS = 2;
/** Policies attached directly to one user, group or role, counted by type (RAM's limits page, the same for all three). */
export const MAX_ATTACHED_POLICIES: Readonly<Record<PolicyType, number>> = { System: 20, Custom: 10 };
/** Groups one user may be in: with the limit above, what bounds the policies that decide for a user. */
export const MAX_GROUPS_PER_USER = 10;
export const ROTATE_OLDEST = 'DeleteOldestNonDefaultVersionWhenLimitExceeded';
/** The date System policies show (they are older than any account here). */
export const SYSTEM_POLICY_DATE = '2015-04-28T00:00:00.000Z';

/** Parses a document for storing: a malformed one is the caller's `MalformedPolicyDocument`, naming where. */
export function validatedDocument(text: string, kind: PolicyKind): string {
  try {
    parsePolicyDocument(text, kind);
    return text;
  } catch (err) {
    if (err instanceof MalformedPolicyDocumentError) throw new ApiError('MalformedPolicyDocument', err.message);
    throw err;
  }
}

/** The database, and the few primitives every part of the RAM store builds on. */
export interface RamContext {
  db: Kysely<Database>;
  /** A read that a concurrent delete of the row waits for (and that waits for one); plain on SQLite. */
  locked<DB, TB extends keyof DB, O>(query: SelectQueryBuilder<DB, TB, O>): SelectQueryBuilder<DB, TB, O>;
  /** Runs `fn` in a transaction, or in the one `db` already is (ensureDefaultRole inside createAccount). */
  inTransaction<T>(fn: (trx: Kysely<Database>) => Promise<T>): Promise<T>;
  principalExists(trx: Kysely<Database>, accountId: string, type: PrincipalType, name: string): Promise<boolean>;
  /**
   * Like `principalExists`, and the row then stays locked until the transaction ends against everyone else who
   * adds to the same principal (`for no key update` on PostgreSQL; SQLite runs one writer at a time anyway):
   * concurrent additions are counted one after the other, so a limit on them holds.
   */
  principalLocked(trx: Kysely<Database>, accountId: string, type: PrincipalType, name: string): Promise<boolean>;
}

export function ramContext(db: Kysely<Database>): RamContext {
  const postgres = db.getExecutor().adapter instanceof PostgresAdapter;
  const context: RamContext = {
    db,
    locked: (query) => (postgres ? query.forKeyShare() : query),
    inTransaction: (fn) => (db.isTransaction ? fn(db) : db.transaction().execute((trx: Transaction<Database>) => fn(trx))),
    async principalExists(trx, accountId, type, name) {
      return (await context.locked(principalRow(trx, accountId, type, name)).executeTakeFirst()) !== undefined;
    },
    async principalLocked(trx, accountId, type, name) {
      const query = principalRow(trx, accountId, type, name);
      return (await (postgres ? query.forNoKeyUpdate() : query).executeTakeFirst()) !== undefined;
    },
  };
  return context;
}

function principalRow(trx: Kysely<Database>, accountId: string, type: PrincipalType, name: string) {
  const table = type === 'User' ? 'ram_users' : type === 'Group' ? 'ram_groups' : 'ram_roles';
  return trx.selectFrom(table).select('id').where('account_id', '=', accountId).where('name', '=', name);
}

export function principalMissing(type: PrincipalType, name: string): ApiError {
  return new ApiError(type === 'User' ? 'EntityNotExist.User' : type === 'Group' ? 'EntityNotExist.Group' : 'EntityNotExist.Role', name);
}

/** The names of the policies attached directly to a principal (what blocks deleting it). */
export async function attachedPolicyNames(trx: Kysely<Database>, accountId: string, principalType: PrincipalType, principalName: string): Promise<string[]> {
  const rows = await trx
    .selectFrom('ram_attachments')
    .select('policy_name')
    .where('account_id', '=', accountId)
    .where('principal_type', '=', principalType)
    .where('principal_name', '=', principalName)
    .execute();
  return rows.map((r) => r.policy_name);
}

/**
 * One page of a listing by name: `fetch(after, limit)` reads up to `limit` rows named after `after` (all when
 * undefined), in name order. One row more than the page tells whether another page follows.
 */
export async function pageByName<T extends { name: string }>(
  page: Page,
  fetch: (after: string | undefined, limit: number) => Promise<T[]>,
): Promise<{ items: T[]; isTruncated: boolean; marker?: string }> {
  const rows = await fetch(page.marker ? decodeMarker(page.marker) : undefined, page.maxItems + 1);
  const items = rows.slice(0, page.maxItems);
  const isTruncated = rows.length > page.maxItems;
  return { items, isTruncated, ...(isTruncated ? { marker: encodeMarker(items.at(-1)!.name) } : {}) };
}

// ---------------------------------------------------------------------------------------------------------

export function inserted(result: { numInsertedOrUpdatedRows?: bigint }): boolean {
  return Number(result.numInsertedOrUpdatedRows ?? 0n) === 1;
}

/** A stored document failed to parse (a stricter parser since it was stored?): never skip it silently. */
export function parseStored(text: string, what: string) {
  try {
    return parsePolicyDocument(text, 'identity');
  } catch (err) {
    throw new Error(`${what} no longer parses: ${(err as Error).message}`);
  }
}

/** `v10` after `v9`. */
export function sortVersions(ids: string[]): string[] {
  return [...ids].sort((a, b) => Number(a.slice(1)) - Number(b.slice(1)));
}

export function encodeMarker(value: string): string {
  return Buffer.from(value, 'utf8').toString('base64url');
}

export function decodeMarker(marker: string): string {
  const value = /^[A-Za-z0-9_-]{1,400}$/.test(marker) ? Buffer.from(marker, 'base64url').toString('utf8') : '';
  if (!/^[A-Za-z0-9._:-]{1,140}$/.test(value)) {
    throw new ApiError('InvalidParameter', 'Marker', { message: 'The parameter Marker is invalid: it must be a Marker returned by the previous page of this listing.' });
  }
  return value;
}

export function decodePolicyMarker(marker: string): { type: PolicyType; name: string } {
  const value = decodeMarker(marker);
  const m = /^(System|Custom):(.+)$/.exec(value);
  if (!m) throw new ApiError('InvalidParameter', 'Marker', { message: 'The parameter Marker is invalid: it must be a Marker returned by the previous page of ListPolicies.' });
  return { type: m[1] as PolicyType, name: m[2] };
}

/** 16 digits, like RAM's user and role ids. */
export function newNumericId(): string {
  return String(randomInt(1, 10)) + Array.from({ length: 15 }, () => randomInt(0, 10)).join('');
}

const BASE62 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

export function randomBase62(length: number): string {
  let out = '';
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      if (byte < 248 && out.length < length) out += BASE62[byte % 62];
    }
  }
  return out;
}
