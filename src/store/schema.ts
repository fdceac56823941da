/**
 * The typed shape of the database, one interface per table. Times that are compared are integer
 * milliseconds since the epoch (`*_ms`); times that are shown keep their ISO text. Booleans are 0/1 so that
 * SQLite and PostgreSQL store them alike.
 */
export interface AccountsTable {
  id: string; // 16 digits, like an Alibaba Cloud account id
  created_at: string;
}

export interface AccessKeysTable {
  id: string;
  account_id: string;
  /** The secret, sealed with the master key (never stored in plaintext). */
  secret_sealed: string;
  status: 'Active' | 'Inactive';
  created_at: string;
}

export interface BucketsTable {
  name: string;
  account_id: string;
  created_at: string;
}

export interface ProjectsTable {
  /** Internal id: sessions hang on it, so a project created again under the same name starts afresh. */
  id: string;
  account_id: string;
  name: string;
  description: string;
  service_role: string;
  created_at: string;
  updated_at: string;
}

export interface WebofficeSessionsTable {
  /** One session per GenerateWebofficeToken call; every refresh descends from it. */
  id: string;
  account_id: string;
  project_id: string;
  /** The Generate options (JSON), carried over by every refresh. */
  options: string;
  file_id: string;
  created_at: string;
  revoked_at_ms: number | null;
  revoked_reason: string | null;
  /** Latest refresh-token expiry of the session: after it (plus retention) the session is swept. */
  expires_ms: number;
}

export interface WebofficeTokensTable {
  /** One row per issued pair (by Generate or Refresh). Tokens are stored only as SHA-256 hashes. */
  id: string;
  session_id: string;
  access_hash: string;
  refresh_hash: string;
  /** The issue instant, ISO 8601 UTC with nanoseconds; both expiries derive from it. */
  issued_at: string;
  access_expires_ms: number;
  refresh_expires_ms: number;
  /** When the access token stops working: its expiry, or refresh time + grace once the pair was refreshed. */
  access_valid_until_ms: number;
  spent_at_ms: number | null;
  successor_id: string | null;
  /** The successor pair sealed under a key derived from this pair's refresh token (see tokens/sealing.ts). */
  successor_sealed: string | null;
}

export interface SignatureNoncesTable {
  access_key_id: string;
  nonce: string;
  expires_ms: number;
}

export interface UsageRecordsTable {
  id: string;
  account_id: string;
  project_id: string;
  project_name: string;
  operation: 'GenerateWebofficeToken' | 'RefreshWebofficeToken';
  at: string;
  at_ms: number;
  readonly: number;
  cache_preview: number;
  user_id: string;
  session_id: string;
}

export interface Database {
  accounts: AccountsTable;
  access_keys: AccessKeysTable;
  buckets: BucketsTable;
  projects: ProjectsTable;
  weboffice_sessions: WebofficeSessionsTable;
  weboffice_tokens: WebofficeTokensTable;
  signature_nonces: SignatureNoncesTable;
  usage_records: UsageRecordsTable;
}
