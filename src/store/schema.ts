/**
 * The typed shape of the database, one interface per table. Times that are compared are integer
 * milliseconds since the epoch (`*_ms`); times that are shown keep their ISO text. Booleans are 0/1 so that
 * SQLite and PostgreSQL store them alike.
 */
export interface AccountsTable {
  id: string; // 16 digits, like an Alibaba Cloud account id
  created_at: string;
}

/** A conversion to PDF of one content (by ETag): being done by one claim, done, or failed. */
export interface DocumentConversionsTable {
  etag: string;
  state: 'converting' | 'done' | 'failed';
  /** The node that holds (or held) the claim, for operators. */
  owner_node: string;
  /** Random per claim: the compare-and-swap token of a take-over. */
  claim_id: string;
  started_at_ms: number;
  /** A converting claim not renewed by then is stale (its node died): another may take it over. */
  lease_expires_ms: number;
  finished_at_ms: number | null;
  pages: number | null;
  /** The error code (and message) of a failed conversion. */
  error: string | null;
  error_message: string | null;
}

export interface AccessKeysTable {
  id: string;
  account_id: string;
  /** The secret, sealed with the master key (never stored in plaintext). */
  secret_sealed: string;
  status: 'Active' | 'Inactive';
  created_at: string;
  /** The RAM user the key belongs to; null for the account's root key. */
  user_name: string | null;
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
  /** The secret options (JSON: the document's Password), sealed under the master key; null when there are none. */
  secrets_sealed: string | null;
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

export interface RamUsersTable {
  id: string;
  account_id: string;
  name: string;
  display_name: string;
  comments: string;
  email: string;
  mobile_phone: string;
  created_at: string;
  updated_at: string;
}

export interface RamGroupsTable {
  id: string;
  account_id: string;
  name: string;
  comments: string;
  created_at: string;
}

export interface RamGroupMembersTable {
  account_id: string;
  group_name: string;
  user_name: string;
  joined_at: string;
}

export interface RamRolesTable {
  id: string;
  account_id: string;
  name: string;
  description: string;
  /** The AssumeRolePolicyDocument (trust policy), JSON text. */
  trust_policy: string;
  max_session_duration: number;
  created_at: string;
  updated_at: string;
}

export interface RamPoliciesTable {
  /** The account id for custom policies. (System policies are built in, see ram/systemPolicies.ts.) */
  owner: string;
  name: string;
  description: string;
  default_version: string;
  next_version: number;
  created_at: string;
  updated_at: string;
}

export interface RamPolicyVersionsTable {
  owner: string;
  policy_name: string;
  version_id: string;
  document: string;
  created_at: string;
}

export interface RamAttachmentsTable {
  account_id: string;
  principal_type: 'User' | 'Group' | 'Role';
  principal_name: string;
  policy_type: 'System' | 'Custom';
  policy_name: string;
  attached_at: string;
}

export interface StsCredentialsTable {
  access_key_id: string;
  secret_sealed: string;
  /** SHA-256 of the SecurityToken: looked up, so a token cannot be forged or altered. */
  token_hash: string;
  account_id: string;
  role_name: string;
  role_id: string;
  session_name: string;
  session_policy: string | null;
  expires_ms: number;
  created_at: string;
}

export interface AuditRecordsTable {
  id: string;
  at: string;
  at_ms: number;
  request_id: string;
  account_id: string;
  principal: string;
  principal_type: string;
  action: string;
  resource: string;
  decision: 'Allow' | 'Deny';
  reason: string;
  matched_statement: string;
}

/** One fixed one-second window of a rate limit: `count` requests of `key` (an AccessKeyId, or account/project). */
export interface RateLimitWindowsTable {
  scope: 'key' | 'project';
  key: string;
  /** Start of the window, ms since the epoch (a multiple of 1000). */
  window_ms: number;
  count: number;
}

/** One version of an object of the file-system store; the highest `version` is the current content. */
export interface ObjectVersionsTable {
  bucket: string;
  object_key: string;
  /** 1, 2, 3, … per object, in the order the contents appeared. */
  version: number;
  size: number;
  /** MD5 of the content, upper-case hex (OSS's ETag). */
  etag: string;
  /** The content store's cheap change marker (see `ObjectStat`), to notice a file replaced outside the CLI. */
  fingerprint: string;
  created_at: string;
  /** SHA-256 of the content, under which its bytes are kept apart from the current file; null before they were. */
  content_id: string | null;
}

/** The one page (SDK instance) that holds a WebOffice session now; the last to open it takes it over. */
export interface WebofficeHoldersTable {
  session_id: string;
  /** SHA-256 of the holder id the page made up (never the id itself). */
  holder_hash: string;
  opened_at_ms: number;
}

/** A notification to deliver (at least once) to the URL of its topic. */
export interface NotificationOutboxTable {
  /** Also the event's `Id` and the `x-imm-notification-id` header: receivers de-duplicate by it. */
  id: string;
  topic: string;
  /** The JSON event, exactly the bytes that are signed and sent. */
  body: string;
  created_at_ms: number;
  attempts: number;
  next_attempt_ms: number;
  /** The node delivering it now, until `lease_expires_ms`. */
  lease_owner: string | null;
  lease_expires_ms: number | null;
  delivered_at_ms: number | null;
  given_up_at_ms: number | null;
  last_error: string | null;
}

export interface Database {
  notification_outbox: NotificationOutboxTable;
  weboffice_holders: WebofficeHoldersTable;
  object_versions: ObjectVersionsTable;
  document_conversions: DocumentConversionsTable;
  rate_limit_windows: RateLimitWindowsTable;
  ram_users: RamUsersTable;
  ram_groups: RamGroupsTable;
  ram_group_members: RamGroupMembersTable;
  ram_roles: RamRolesTable;
  ram_policies: RamPoliciesTable;
  ram_policy_versions: RamPolicyVersionsTable;
  ram_attachments: RamAttachmentsTable;
  sts_credentials: StsCredentialsTable;
  audit_records: AuditRecordsTable;
  accounts: AccountsTable;
  access_keys: AccessKeysTable;
  buckets: BucketsTable;
  projects: ProjectsTable;
  weboffice_sessions: WebofficeSessionsTable;
  weboffice_tokens: WebofficeTokensTable;
  signature_nonces: SignatureNoncesTable;
  usage_records: UsageRecordsTable;
}
