/**
 * The error catalog: every code this service answers with, its HTTP status and default message.
 * Codes and statuses follow the cloud where it is known (spec §6); where it is not, ours are listed in the
 * README's code table, which a test keeps in sync with this table. `definedHere` marks the codes this service
 * made up: the cloud's troubleshooting site does not know them, so their `Recommend` points at our own docs.
 */
export const ERROR_CATALOG = {
  // Gateway (POP) codes, shared by every RPC product.
  MissingParameter: { status: 400, message: 'The input parameter {0} that is mandatory for processing this request is not supplied.' },
  InvalidParameter: { status: 400, message: 'The specified parameter {0} is not valid.' },
  'InvalidAction.NotFound': { status: 404, message: 'Specified api is not found, please check your url and method.' },
  InvalidVersion: { status: 400, message: 'Specified parameter Version is not valid.' },
  'InvalidAccessKeyId.NotFound': { status: 404, message: 'The Access Key ID provided does not exist in our records.' },
  'InvalidAccessKeyId.Inactive': { status: 400, message: 'The Access Key ID provided is disabled.' },
  SignatureDoesNotMatch: {
    status: 403,
    message: 'The signature we calculated does not match the one you provided. Please refer to the API reference about authentication for details.',
  },
  'InvalidTimeStamp.Expired': { status: 400, message: 'Specified time stamp or date value is expired.' },
  'InvalidTimeStamp.Format': { status: 400, message: 'Specified time stamp or date value is not well formatted.' },
  SignatureNonceUsed: { status: 400, message: 'Specified signature nonce was used already.' },
  InvalidSignatureMethod: { status: 400, message: 'Specified signature method is not supported.' },
  IncompleteSignature: { status: 400, message: 'The request signature does not conform to Aliyun standards.' },
  Forbidden: { status: 403, message: 'User not authorized to operate on the specified resource.' },
  // Rate limits (IMM_RATE_LIMIT_PER_KEY / _PER_PROJECT); 429 with `x-acs-retry-after` (ms), as openapi-core reads it.
  'Throttling.User': { status: 429, message: 'Request was denied due to user flow control: {0}' },
  // RAM (2015-05-01) and STS (2015-04-01) codes, as the cloud names them.
  MalformedPolicyDocument: { status: 400, message: 'The policy document is malformed: {0}' },
  'EntityAlreadyExists.User': { status: 409, message: 'The user {0} already exists.' },
  'EntityAlreadyExists.Group': { status: 409, message: 'The group {0} already exists.' },
  'EntityAlreadyExists.Role': { status: 409, message: 'The role {0} already exists.' },
  'EntityAlreadyExists.Policy': { status: 409, message: 'The policy {0} already exists.' },
  'EntityAlreadyExists.User.Group': { status: 409, message: 'The user {0} is already in the group {1}.' },
  'EntityAlreadyExists.Policy.Attachment': { status: 409, message: 'The policy {0} is already attached to {1}.' },
  'EntityNotExist.User': { status: 404, message: 'The user {0} does not exist.' },
  'EntityNotExist.Group': { status: 404, message: 'The group {0} does not exist.' },
  'EntityNotExist.Role': { status: 404, message: 'The role {0} does not exist.' },
  'EntityNotExist.Policy': { status: 404, message: 'The policy {0} does not exist.' },
  'EntityNotExist.User.AccessKey': { status: 404, message: 'The AccessKey {0} does not exist for the user {1}.' },
  'EntityNotExist.Policy.Attachment': { status: 404, message: 'The policy {0} is not attached to {1}.' },
  DeleteConflict: { status: 409, message: '{0}' },
  'LimitExceeded.Policy.Version': { status: 409, message: 'A policy has at most 5 versions; delete one or use RotateStrategy=DeleteOldestNonDefaultVersionWhenLimitExceeded.' },
  'LimitExceeded.User.AccessKey': { status: 409, message: 'A user has at most 2 AccessKeys.' },
  'LimitExceeded.User.Policy': { status: 409, message: 'A user has at most 20 system policies and 10 custom policies attached.' },
  'LimitExceeded.Group.Policy': { status: 409, message: 'A group has at most 20 system policies and 10 custom policies attached.' },
  'LimitExceeded.Role.Policy': { status: 409, message: 'A role has at most 20 system policies and 10 custom policies attached.' },
  'LimitExceeded.User.Group': { status: 409, message: 'A user is in at most 10 groups.' },
  MissingSecurityToken: { status: 400, message: 'SecurityToken is mandatory for temporary credentials (AccessKeyId STS.*).' },
  'InvalidSecurityToken.Expired': { status: 400, message: 'Specified SecurityToken is expired.' },
  'InvalidSecurityToken.MismatchWithAccessKey': { status: 400, message: 'Specified SecurityToken mismatch with the AccessKey.' },
  'InvalidSecurityToken.Malformed': { status: 400, message: 'Specified SecurityToken is malformed.' },
  // IMM codes.
  InvalidArgument: { status: 400, message: '{0}' },
  ResourceNotFound: { status: 404, message: 'The specified resource {0} is not found.' },
  ResourceAlreadyExists: { status: 409, message: 'The specified resource {0} already exists.' },
  // WebOffice token codes (the cloud's are unknown; these are ours, documented in the README).
  InvalidToken: { status: 400, message: 'The AccessToken and RefreshToken are not a valid pair of this project.', definedHere: true },
  TokenExpired: { status: 400, message: 'The RefreshToken has expired; call GenerateWebofficeToken again.', definedHere: true },
  TokenRevoked: { status: 400, message: 'The token session has been revoked; call GenerateWebofficeToken again.', definedHere: true },
  // The WebOffice document API (/office/api/v1/…).
  TokenSuperseded: { status: 401, message: 'The document was opened elsewhere with the same access token; only the last holder keeps access.', definedHere: true },
  PermissionDenied: { status: 403, message: 'The permission {0} was not granted for this document.', definedHere: true },
  ConverterRequired: { status: 409, message: 'The format {0} needs a document converter, which this server does not have yet.', definedHere: true },
  VersionConflict: { status: 409, message: 'The document has changed since the version you edited ({0}); reload it and save again.', definedHere: true },
  NotEditable: { status: 409, message: 'The format {0} cannot be edited here; only .txt and .csv are saved from the page.', definedHere: true },
  PreconditionRequired: { status: 428, message: 'Saving needs the header If-Match with the ETag of the version the edit started from.', definedHere: true },
  // Converting documents to PDF with LibreOffice (src/conversion/).
  UnsupportedContent: { status: 422, message: '{0}', definedHere: true },
  DocumentCorrupt: { status: 422, message: '{0}', definedHere: true },
  DocumentPasswordRequired: { status: 400, message: 'The document is protected by a password; pass it as Password to GenerateWebofficeToken.', definedHere: true },
  DocumentPasswordIncorrect: { status: 400, message: 'The Password does not open the document.', definedHere: true },
  ConversionTimeout: { status: 504, message: 'The document could not be converted to PDF within {0} seconds (IMM_CONVERT_TIMEOUT).', definedHere: true },
  ConverterUnavailable: { status: 503, message: 'Documents cannot be converted to PDF on this node: LibreOffice is not installed (see IMM_SOFFICE).', definedHere: true },
  // HTTP-level failures, answered in the same envelope.
  UnsupportedMediaType: { status: 415, message: 'The content type {0} is not supported; use application/x-www-form-urlencoded.', definedHere: true },
  RequestEntityTooLarge: { status: 413, message: 'The request body is larger than {0} bytes.', definedHere: true },
  MalformedRequest: { status: 400, message: 'The request could not be parsed: {0}.', definedHere: true },
  NotFound: { status: 404, message: 'The requested path {0} does not exist; the API is served at /.', definedHere: true },
  MethodNotAllowed: { status: 405, message: 'The method {0} is not allowed here; use {1}.', definedHere: true },
  RequestTimeout: { status: 408, message: 'The request was not received in time.', definedHere: true },
  ServiceUnavailable: { status: 503, message: 'The request has failed due to a temporary failure of the server.' },
  InternalError: { status: 500, message: 'The request processing has failed due to some unknown error, exception or failure.' },
} as const satisfies Record<string, { status: number; message: string; definedHere?: true }>;

export type ErrorCode = keyof typeof ERROR_CATALOG;

export function isDefinedHere(code: ErrorCode): boolean {
  return 'definedHere' in ERROR_CATALOG[code];
}

export interface AccessDeniedDetail {
  AuthAction: string;
  AuthPrincipalType: string;
  AuthPrincipalDisplayName: string;
  PolicyType: string;
  NoPermissionType: 'ImplicitDeny' | 'ExplicitDeny';
  EncodedDiagnosticMessage: string;
}

/**
 * An error raised on purpose: its code and message are safe to show to the caller.
 * Anything else that reaches the envelope is an unexpected failure and becomes `InternalError`.
 */
export class ApiError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly accessDeniedDetail?: AccessDeniedDetail;
  /** Extra response headers (e.g. `x-acs-retry-after`). */
  readonly headers?: Record<string, string>;

  /**
   * `extra.status` answers a catalog code with another HTTP status than the catalog's — the one place this is
   * done: the WebOffice document API answers the token codes (400 on the RPC API, where the SDKs expect it)
   * with 401, as a bearer-token API must (RFC 6750).
   */
  constructor(
    code: ErrorCode,
    args: string[] | string = [],
    extra: { message?: string; accessDeniedDetail?: AccessDeniedDetail; headers?: Record<string, string>; status?: number } = {},
  ) {
    const list = typeof args === 'string' ? [args] : args;
    super(extra.message ?? formatMessage(ERROR_CATALOG[code].message, list));
    this.name = 'ApiError';
    this.code = code;
    this.status = extra.status ?? ERROR_CATALOG[code].status;
    this.accessDeniedDetail = extra.accessDeniedDetail;
    this.headers = extra.headers;
  }
}

function formatMessage(template: string, args: string[]): string {
  return template.replace(/\{(\d+)\}/g, (_, i: string) => args[Number(i)] ?? '');
}

/** IMM's wording for a missing or empty required parameter (spec §6.1). */
export function requiredParameter(name: string): ApiError {
  return new ApiError('InvalidArgument', `The parameter ${name} is required but not provided.`);
}

/** An invalid value: the message names the parameter and the rule it broke. */
export function invalidArgument(name: string, rule: string): ApiError {
  return new ApiError('InvalidArgument', `The parameter ${name} is invalid: ${rule}.`);
}
