import { PostgresAdapter, sql, type ExpressionBuilder, type Kysely, type Selectable } from 'kysely';
import type { Database, WebofficeSessionsTable, WebofficeTokensTable } from './schema.js';
import { retryOnConflict } from './database.js';
import type { WriteTransaction } from './groupCommit.js';
import { callRecordRows, callRecordStatements, writeCallRecords } from './callRecords.js';
import { columnSlots, compileOnce, firstRow, runCompiled, slot, type CompiledStatement } from './compiledStatements.js';
import type { DirectSqlite } from './sqliteStatements.js';
import { open, seal } from '../crypto/aead.js';
import { resealAll, type ResealResult } from '../crypto/masterKey.js';
import type { NewTokenRow, SessionRecord, SessionSecrets, SessionStore, TokenRecord } from '../tokens/webofficeSessions.js';

/** The associated data of a session's sealed secrets: binds the ciphertext to its session. */
const secretsAad = (sessionId: string) => `weboffice-session-secrets:${sessionId}`;

/** WebOffice sessions and their token pairs, on either engine. A session's secret options are sealed under the master key. */
export function sessionStore(db: Kysely<Database>, masterKey: Buffer, write: WriteTransaction, direct: DirectSqlite | undefined): SessionStore & SessionQueries {
  const toSessionRecord = (row: Pick<Selectable<WebofficeSessionsTable>, 'id' | 'account_id' | 'project_id' | 'options' | 'file_id' | 'revoked_at_ms' | 'secrets_sealed'>): SessionRecord => ({
    id: row.id,
    accountId: row.account_id,
    projectId: row.project_id,
    options: row.options,
    fileId: row.file_id,
    revokedAtMs: row.revoked_at_ms,
    secrets: openSecrets(masterKey, row),
  });

  /** A token pair and its session, by the access token's hash, in one query (compiled once; the hot path's first statement). */
  const pairStatement = compileOnce<'hash'>(
    db
      .selectFrom('weboffice_tokens as t')
      .innerJoin('weboffice_sessions as s', 's.id', 't.session_id')
      .select(['t.id', 't.session_id', 't.access_hash', 't.refresh_hash', 't.refresh_expires_ms', 't.access_valid_until_ms', 't.spent_at_ms', 't.successor_id', 't.successor_sealed'])
      .select(['s.account_id', 's.project_id', 's.options', 's.file_id', 's.revoked_at_ms', 's.secrets_sealed'])
      .where('t.access_hash', '=', slot<string>('hash')),
  );
  type PairRow = Omit<Selectable<WebofficeTokensTable>, 'issued_at' | 'access_expires_ms'> & Pick<Selectable<WebofficeSessionsTable>, 'account_id' | 'project_id' | 'options' | 'file_id' | 'revoked_at_ms' | 'secrets_sealed'>;
  const findByAccessHash = async (accessHash: string) => {
    const row = await firstRow<PairRow, 'hash'>(db, direct, pairStatement, { hash: accessHash });
    if (!row) return undefined;
    return {
      token: toTokenRecord(row),
      session: toSessionRecord({ id: row.session_id, account_id: row.account_id, project_id: row.project_id, options: row.options, file_id: row.file_id, revoked_at_ms: row.revoked_at_ms, secrets_sealed: row.secrets_sealed }),
    };
  };
  const hotWrites = hotWriteStatements(db);
  const recordStatements = callRecordStatements(db);
  const postgres = db.getExecutor().adapter instanceof PostgresAdapter;
  const rotationStatements = new Map<string, CompiledStatement<RotationSlot>>();

  return {
    async createSession(session, first, records) {
      const row = {
        id: session.id,
        account_id: session.accountId,
        project_id: session.projectId,
        options: session.options,
        file_id: session.fileId,
        created_at: session.createdAt,
        revoked_at_ms: null,
        revoked_reason: null,
        expires_ms: sessionExpiry(first.refreshExpiresMs),
        secrets_sealed: Object.keys(session.secrets).length > 0 ? seal(masterKey, JSON.stringify(session.secrets), secretsAad(session.id)) : null,
      };
      await write(async (trx, direct) => {
        if (direct) {
          direct.run(hotWrites.insertSession, row);
          direct.run(hotWrites.insertToken, tokenRow(session.id, first));
          recordStatements.writeNow(direct, records);
          return;
        }
        await trx.insertInto('weboffice_sessions').values(row).execute();
        await trx.insertInto('weboffice_tokens').values(tokenRow(session.id, first)).execute();
        await writeCallRecords(trx, records);
      });
    },

    findByAccessHash,

    async findToken(id) {
      const token = await db.selectFrom('weboffice_tokens').selectAll().where('id', '=', id).executeTakeFirst();
      return token ? toTokenRecord(token) : undefined;
    },

    async rotate(args) {
      if (postgres) return retryOnConflict(() => rotateInOneStatement(db, rotationStatements, args));
      const { tokenId, sessionId, nowMs, accessValidUntilMs, successor, successorSealed } = args;
      return write(async (_trx, direct) => {
        if (!direct) throw new Error('the SQLite rotation runs in the group commit, which gives it the connection');
        // The spend comes first, guarded: it matches only an unspent token of an unrevoked session. (The group
        // commit's BEGIN IMMEDIATE already holds SQLite's write lock, so no other process can interleave.)
        const spent = direct.run(hotWrites.spend, { nowMs, successorId: successor.id, successorSealed, accessValidUntilMs, tokenId, sessionId });
        if (spent !== 1) return false;
        direct.run(hotWrites.insertToken, tokenRow(sessionId, successor));
        direct.run(hotWrites.extendSession, { expiresMs: sessionExpiry(successor.refreshExpiresMs), neededMs: successor.refreshExpiresMs, sessionId });
        recordStatements.writeNow(direct, args.records);
        return true;
      });
    },

    async revokeSession(sessionId, reason, nowMs) {
      await retryOnConflict(() => db.transaction().execute(async (trx) => {
        await trx
          .updateTable('weboffice_sessions')
          .set({ revoked_at_ms: nowMs, revoked_reason: reason })
          .where('id', '=', sessionId)
          .where('revoked_at_ms', 'is', null)
          .execute();
        // Every access token of the session stops working now, too.
        await trx
          .updateTable('weboffice_tokens')
          .set({ access_valid_until_ms: nowMs })
          .where('session_id', '=', sessionId)
          .where('access_valid_until_ms', '>', nowMs)
          .execute();
      }));
    },

    async revokeProjectSessions(projectId, reason, nowMs) {
      await db.transaction().execute(async (trx) => {
        const sessions = trx.selectFrom('weboffice_sessions').select('id').where('project_id', '=', projectId);
        await trx
          .updateTable('weboffice_tokens')
          .set({ access_valid_until_ms: nowMs })
          .where('session_id', 'in', sessions)
          .where('access_valid_until_ms', '>', nowMs)
          .execute();
        await trx
          .updateTable('weboffice_sessions')
          .set({ revoked_at_ms: nowMs, revoked_reason: reason })
          .where('project_id', '=', projectId)
          .where('revoked_at_ms', 'is', null)
          .execute();
      });
    },

    async secretsOf(sessionId) {
      const row = await db.selectFrom('weboffice_sessions').select(['id', 'secrets_sealed']).where('id', '=', sessionId).executeTakeFirst();
      return row ? openSecrets(masterKey, row) : {};
    },

    async updateOptions(sessionId, options) {
      await db.updateTable('weboffice_sessions').set({ options }).where('id', '=', sessionId).execute();
    },

    async countLive(nowMs) {
      const row = await db
        .selectFrom('weboffice_sessions as s')
        .select((eb) => eb.fn.countAll().as('live'))
        .where('s.revoked_at_ms', 'is', null)
        .where((eb) => lastRefreshExpiresAfter(eb, nowMs))
        .executeTakeFirstOrThrow();
      return Number(row.live);
    },

    async deleteExpiredSessions(beforeMs) {
      // Holders and tokens first, explicitly, so nothing depends on the engine enforcing ON DELETE CASCADE.
      const expired = db.selectFrom('weboffice_sessions as s').select('s.id').where((eb) => lastRefreshExpiredBefore(eb, beforeMs));
      await db.deleteFrom('weboffice_holders').where('session_id', 'in', expired).execute();
      await db.deleteFrom('weboffice_tokens').where('session_id', 'in', expired).execute();
      const result = await db.deleteFrom('weboffice_sessions').where('id', 'in', expired).executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}

type RotateArgs = Parameters<SessionStore['rotate']>[0];

/**
 * A session's `expires_ms` is its last refresh token's expiry rounded UP to a multiple of six hours: never
 * earlier than the truth, less than six hours later. A refresh then rewrites the session's row (and its entry in
 * the expiry index, two pages at random places) only when its successor outlives the stored bound: once in six
 * hours of refreshes rather than on every one. Where the exact answer matters (the live count, the sweep) the
 * sessions within six hours of their bound are checked against their unspent token. Active sessions are a day
 * away from theirs (the refresh token's lifetime), so that check touches only abandoned ones.
 */
export const SESSION_EXPIRY_STEP_MS = 6 * 3_600_000;

export const sessionExpiry = (refreshExpiresMs: number) => Math.ceil(refreshExpiresMs / SESSION_EXPIRY_STEP_MS) * SESSION_EXPIRY_STEP_MS;

type SessionsAs<A extends string> = ExpressionBuilder<Database & Record<A, Database['weboffice_sessions']>, A>;

/** The session's unspent token (the one a refresh rotates; a revoked session keeps its own) expires after `ms`. */
const unspentTokenExpiresAfter = (eb: SessionsAs<'s'>, ms: number) =>
  eb.exists(
    eb.selectFrom('weboffice_tokens as t').select('t.id').whereRef('t.session_id', '=', 's.id').where('t.spent_at_ms', 'is', null).where('t.refresh_expires_ms', '>', ms),
  );

/**
 * The session's last refresh token expires after `ms`: surely so when the stored (rounded-up) expiry is more
 * than a step later; within that step only if its unspent token says so. (A range of the expiry index.)
 */
const lastRefreshExpiresAfter = (eb: SessionsAs<'s'>, ms: number) =>
  eb.and([eb('s.expires_ms', '>', ms), eb.or([eb('s.expires_ms', '>', ms + SESSION_EXPIRY_STEP_MS), unspentTokenExpiresAfter(eb, ms)])]);

/** The session's last refresh token expired before `ms`: the exact complement of the above at `ms - 1`. */
const lastRefreshExpiredBefore = (eb: SessionsAs<'s'>, ms: number) =>
  eb.and([eb('s.expires_ms', '<', ms + SESSION_EXPIRY_STEP_MS), eb.or([eb('s.expires_ms', '<', ms), eb.not(unspentTokenExpiresAfter(eb, ms - 1))])]);

/**
 * PostgreSQL's rotation: the guarded spend, the successor, the session's new expiry, the usage row and the audit
 * rows in ONE statement (data-modifying CTEs, one round trip and one commit instead of seven). Everything but the
 * spend selects from `spent`, so nothing is written unless the spend matched; the spend is an ordinary guarded
 * UPDATE, so a concurrent one waits for the row lock, re-checks `spent_at_ms is null` and matches nothing.
 */
async function rotateInOneStatement(db: Kysely<Database>, statements: Map<string, CompiledStatement<RotationSlot>>, args: RotateArgs): Promise<boolean> {
  const { tokenId, sessionId, nowMs, accessValidUntilMs, successor, successorSealed } = args;
  const rows = callRecordRows(args.records);
  const statement = rotationStatement(db, statements, rows.usage !== undefined, rows.audit.length);
  const values = {
    nowMs, successorId: successor.id, successorSealed, accessValidUntilMs, tokenId, sessionId,
    expiresMs: sessionExpiry(successor.refreshExpiresMs), neededMs: successor.refreshExpiresMs,
    next: tokenRow(sessionId, successor),
    usage: rows.usage,
    audit: rows.audit,
  };
  const result = await runCompiled<{ spent: number }, RotationSlot>(db, statement, values);
  return Number(result.rows[0]?.spent ?? 0) === 1;
}

/** The rotation's statement for a usage row or none and `auditRows` audit rows, compiled once per shape (a few exist). */
function rotationStatement(db: Kysely<Database>, statements: Map<string, CompiledStatement<RotationSlot>>, withUsage: boolean, auditRows: number): CompiledStatement<RotationSlot> {
  const shape = `${withUsage}:${auditRows}`;
  let statement = statements.get(shape);
  if (statement) return statement;
  const s = (name: RotationSlot) => slot<unknown>(name);
  const u = (column: string) => slot<unknown>('usage', column);
  const n = (column: string) => slot<unknown>('next', column);
  const usage = withUsage
    ? sql`, usage as (
        insert into usage_records (id, account_id, project_id, project_name, operation, at, at_ms, readonly, cache_preview, user_id, session_id)
        select ${u('id')}::text, ${u('account_id')}::text, ${u('project_id')}::text, ${u('project_name')}::text, ${u('operation')}::text,
          ${u('at')}::text, ${u('at_ms')}::bigint, ${u('readonly')}::integer, ${u('cache_preview')}::integer, ${u('user_id')}::text, ${u('session_id')}::text
        from spent)`
    : sql``;
  const auditRow = (i: number) => {
    const a = (column: string) => slot<unknown>('audit', i, column);
    return sql`(${a('id')}::text, ${a('at')}::text, ${a('at_ms')}::bigint, ${a('request_id')}::text, ${a('account_id')}::text, ${a('principal')}::text, ${a('principal_type')}::text, ${a('action')}::text, ${a('resource')}::text, ${a('decision')}::text, ${a('reason')}::text, ${a('matched_statement')}::text)`;
  };
  const audit = auditRows > 0
    ? sql`, audit as (
        insert into audit_records (id, at, at_ms, request_id, account_id, principal, principal_type, action, resource, decision, reason, matched_statement)
        select v.* from (values ${sql.join(Array.from({ length: auditRows }, (_, i) => auditRow(i)))}) as v, spent)`
    : sql``;
  const query = sql<{ spent: number }>`
    with spent as (
      update weboffice_tokens
      set spent_at_ms = ${s('nowMs')}, successor_id = ${s('successorId')}, successor_sealed = ${s('successorSealed')}, access_valid_until_ms = ${s('accessValidUntilMs')}
      where id = ${s('tokenId')} and spent_at_ms is null
        and not exists (select 1 from weboffice_sessions where id = ${s('sessionId')} and revoked_at_ms is not null)
      returning session_id
    ), successor as (
      insert into weboffice_tokens (id, session_id, access_hash, refresh_hash, issued_at, access_expires_ms, refresh_expires_ms, access_valid_until_ms)
      select ${n('id')}::text, ${n('session_id')}::text, ${n('access_hash')}::text, ${n('refresh_hash')}::text, ${n('issued_at')}::text,
        ${n('access_expires_ms')}::bigint, ${n('refresh_expires_ms')}::bigint, ${n('access_valid_until_ms')}::bigint
      from spent
    ), extended as (
      update weboffice_sessions set expires_ms = ${s('expiresMs')} where id = (select session_id from spent) and expires_ms < ${s('neededMs')}
    )${usage}${audit}
    select count(*)::int as spent from spent`;
  statement = compileOnce<RotationSlot>({ compile: () => query.compile(db) });
  // A request's decisions are a handful; an unusual count is compiled but not kept.
  if (auditRows <= MAX_KEPT_AUDIT_ROWS) statements.set(shape, statement);
  return statement;
}

const MAX_KEPT_AUDIT_ROWS = 32;

/** The rotation's values: scalars, and the rows whose columns its slots name (`slot('next', 'id')`). */
type RotationSlot = 'nowMs' | 'successorId' | 'successorSealed' | 'accessValidUntilMs' | 'tokenId' | 'sessionId' | 'expiresMs' | 'neededMs' | 'next' | 'usage' | 'audit';


/** Queries beyond the rotation capability: project deletion, options, metrics, sweeping (access tokens: webofficeAccess.ts). */
export interface SessionQueries {
  revokeProjectSessions(projectId: string, reason: string, nowMs: number): Promise<void>;
  /** The session's secret options (Generate's Password), opened; {} for none. */
  secretsOf(sessionId: string): Promise<SessionSecrets>;
  /** Replaces the remembered Generate options (a Refresh with a new CredentialConfig). */
  updateOptions(sessionId: string, options: string): Promise<void>;
  /** Sessions that can still be refreshed (not revoked, last refresh token unexpired), for the metrics. */
  countLive(nowMs: number): Promise<number>;
  /** Deletes sessions whose last refresh token expired before `beforeMs`; returns how many. */
  deleteExpiredSessions(beforeMs: number): Promise<number>;
}

/** SQLite's hot writes, compiled once: a new session; a rotation's guarded spend, successor and new expiry. */
function hotWriteStatements(db: Kysely<Database>) {
  return {
    insertSession: compileOnce<(typeof SESSION_COLUMNS)[number]>(db.insertInto('weboffice_sessions').values(columnSlots(SESSION_COLUMNS))),
    spend: compileOnce<'nowMs' | 'successorId' | 'successorSealed' | 'accessValidUntilMs' | 'tokenId' | 'sessionId'>(
      db
        .updateTable('weboffice_tokens')
        .set({ spent_at_ms: slot('nowMs'), successor_id: slot('successorId'), successor_sealed: slot('successorSealed'), access_valid_until_ms: slot('accessValidUntilMs') })
        .where('id', '=', slot<string>('tokenId'))
        .where('spent_at_ms', 'is', null)
        .where(({ not, exists, selectFrom }) =>
          not(exists(selectFrom('weboffice_sessions').select('id').where('id', '=', slot<string>('sessionId')).where('revoked_at_ms', 'is not', null))),
        ),
    ),
    insertToken: compileOnce<(typeof TOKEN_COLUMNS)[number]>(db.insertInto('weboffice_tokens').values(columnSlots(TOKEN_COLUMNS))),
    // Matches (and writes) only when the successor outlives the session's stored bound (SESSION_EXPIRY_STEP_MS).
    extendSession: compileOnce<'expiresMs' | 'neededMs' | 'sessionId'>(
      db.updateTable('weboffice_sessions').set({ expires_ms: slot('expiresMs') }).where('id', '=', slot<string>('sessionId')).where('expires_ms', '<', slot<number>('neededMs')),
    ),
  };
}

const SESSION_COLUMNS = ['id', 'account_id', 'project_id', 'options', 'file_id', 'created_at', 'revoked_at_ms', 'revoked_reason', 'expires_ms', 'secrets_sealed'] as const;
const TOKEN_COLUMNS = ['id', 'session_id', 'access_hash', 'refresh_hash', 'issued_at', 'access_expires_ms', 'refresh_expires_ms', 'access_valid_until_ms', 'spent_at_ms', 'successor_id', 'successor_sealed'] as const;

function tokenRow(sessionId: string, row: NewTokenRow) {
  return {
    id: row.id,
    session_id: sessionId,
    access_hash: row.accessHash,
    refresh_hash: row.refreshHash,
    issued_at: row.issuedAt,
    access_expires_ms: row.accessExpiresMs,
    refresh_expires_ms: row.refreshExpiresMs,
    access_valid_until_ms: row.accessExpiresMs,
    spent_at_ms: null,
    successor_id: null,
    successor_sealed: null,
  };
}

function toTokenRecord(row: Omit<Selectable<WebofficeTokensTable>, 'issued_at' | 'access_expires_ms'>): TokenRecord {
  return {
    id: row.id,
    sessionId: row.session_id,
    accessHash: row.access_hash,
    refreshHash: row.refresh_hash,
    refreshExpiresMs: row.refresh_expires_ms,
    accessValidUntilMs: row.access_valid_until_ms,
    spentAtMs: row.spent_at_ms,
    successorId: row.successor_id,
    successorSealed: row.successor_sealed,
  };
}

function openSecrets(masterKey: Buffer, row: Pick<Selectable<WebofficeSessionsTable>, 'id' | 'secrets_sealed'>): SessionSecrets {
  if (row.secrets_sealed === null) return {};
  const text = open(masterKey, row.secrets_sealed, secretsAad(row.id));
  if (text === undefined) throw new Error(`the secrets of session ${row.id} cannot be opened: wrong master key?`);
  return JSON.parse(text) as SessionSecrets;
}

/** Master-key rotation, sessions part: every session's sealed secrets (a document Password), like the AccessKey secrets. */
export async function resealSessionSecrets(trx: Kysely<Database>, keys: { from: Buffer; to: Buffer }): Promise<ResealResult> {
  const rows = await trx.selectFrom('weboffice_sessions').select(['id', 'secrets_sealed']).where('secrets_sealed', 'is not', null).orderBy('id').execute();
  return resealAll(
    rows.map((row) => ({ id: row.id, sealed: row.secrets_sealed!, associatedData: secretsAad(row.id) })),
    keys,
    (id, sealed) => trx.updateTable('weboffice_sessions').set({ secrets_sealed: sealed }).where('id', '=', id).execute(),
  );
}
