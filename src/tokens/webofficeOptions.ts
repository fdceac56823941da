/**
 * The options of a WebOffice session: validated from GenerateWebofficeToken's parameters, remembered with the
 * token pair and carried over by every refresh (spec §1.1, §2, §3). Pure: no I/O.
 *
 * Every refusal is an `InvalidArgument` whose message names the parameter (dotted for struct fields, with
 * 1-based array positions as on the flattened wire form) and the rule it broke.
 */
import { z } from 'zod';
import { invalidArgument, requiredParameter } from '../core/errors.js';
import { isPlainObject, parseJsonObject, readStructParameter } from '../core/structParameters.js';

export type FileFamily = 'w' | 's' | 'p' | 'f'; // word, spreadsheet (s), presentation (p), pdf (f)

export interface WebofficePermission { Readonly: boolean; Rename: boolean; History: boolean; Copy: boolean; Export: boolean; Print: boolean }
export interface WebofficeUser { Id?: string; Name?: string; Avatar?: string }
export interface WebofficeWatermark { Type?: number; Value?: string; FillStyle?: string; Font?: string; Rotate?: number; Horizontal?: number; Vertical?: number }
export interface CredentialConfig { ServiceRole?: string; Policy?: string; Chain?: { AssumeRoleFor?: string; Role?: string; RoleType?: string }[] }
export interface SourceLocation { bucket: string; key: string }
export interface WebofficeOptions {
  sourceUri: string; source: SourceLocation; filename: string; family: FileFamily;
  userData?: string; previewPages?: number; password?: string; externalUploaded: boolean;
  notifyTopicName?: string; notification?: Record<string, unknown>; hidecmb: boolean; cachePreview: boolean; referer?: string;
  permission: WebofficePermission; user: WebofficeUser; watermark?: WebofficeWatermark; credentialConfig?: CredentialConfig;
}

/** What a session remembers: its options, and which version of the document Generate opened. */
export interface RememberedOptions extends WebofficeOptions {
  /** Absent in sessions started before versions were recorded. */
  document?: { version: number; size: number; etag: string };
}

// ---------------------------------------------------------------------------------------------------------------
// File families (spec §2.1 "Supported extensions").

const EXTENSIONS: Record<FileFamily, readonly string[]> = {
  w: ['doc', 'docx', 'txt', 'dot', 'wps', 'wpt', 'dotx', 'docm', 'dotm', 'rtf'],
  s: ['et', 'xls', 'xlt', 'xlsx', 'xlsm', 'xltx', 'xltm', 'csv'],
  p: ['ppt', 'pptx', 'pptm', 'ppsx', 'ppsm', 'pps', 'potx', 'potm', 'dpt', 'dps'],
  f: ['pdf'],
};
const FAMILY_BY_EXTENSION = new Map(
  (Object.entries(EXTENSIONS) as [FileFamily, readonly string[]][]).flatMap(([family, exts]) => exts.map((e) => [e, family] as const)),
);
const SUPPORTED_EXTENSIONS = [...FAMILY_BY_EXTENSION.keys()].join(', ');

/** The extension after the last dot, when there is a non-empty name before it and a non-empty extension. */
function extensionOf(filename: string): string | undefined {
  return /^.+\.([^.]+)$/s.exec(filename)?.[1];
}

/** Family by extension (case-insensitive) from the spec's supported lists, or undefined. */
export function fileFamily(filename: string): FileFamily | undefined {
  const extension = extensionOf(filename);
  return extension === undefined ? undefined : FAMILY_BY_EXTENSION.get(extension.toLowerCase());
}

// ---------------------------------------------------------------------------------------------------------------
// Small helpers.

const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;

function utf8Bytes(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

/** Length in characters (code points), so an emoji counts once. */
function characters(text: string): number {
  return [...text].length;
}

/** Missing and empty optional parameters are the same thing: some clients send every field, empty or not. */
function optionalParameter(params: Record<string, string>, name: string): string | undefined {
  const value = Object.hasOwn(params, name) ? params[name] : undefined;
  return value === undefined || value === '' ? undefined : value;
}

function requireParameter(params: Record<string, string>, name: string): string {
  const value = optionalParameter(params, name);
  if (value === undefined) throw requiredParameter(name);
  return value;
}

/** Drops undefined members, so that options survive a JSON round trip unchanged (deep-equal before and after). */
function compact<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

// ---------------------------------------------------------------------------------------------------------------
// Zod building blocks. Each carries our rule text; `parseWith` turns the first issue into an InvalidArgument.

/** 'true'/'false' as sent on the wire (and in flattened structs), or a real JSON boolean inside JSON structs. */
const flag = z
  .unknown()
  .refine((v) => v === true || v === false || v === 'true' || v === 'false', 'it must be true or false')
  .transform((v) => v === true || v === 'true');

/** A finite number, or its decimal text (flattened structs carry numbers as strings). */
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
function finiteNumber(rule: string, accept: (n: number) => boolean = () => true) {
  return z
    .unknown()
    .transform((v, ctx) => {
      const n = typeof v === 'number' ? v : typeof v === 'string' && DECIMAL.test(v) ? Number(v) : NaN;
      if (Number.isFinite(n) && accept(n)) return n;
      ctx.addIssue({ code: 'custom', message: rule });
      return z.NEVER;
    });
}

/** A string of at most `max` characters without control characters. */
function text(max: number) {
  return z
    .string('it must be a string')
    .refine((s) => characters(s) <= max, `it must be at most ${max} characters`)
    .refine((s) => !CONTROL_CHARACTERS.test(s), 'it must not contain control characters');
}

/** A struct that refuses unknown keys, naming the first one and listing the known ones. */
function struct<Shape extends z.ZodRawShape>(shape: Shape) {
  const known = Object.keys(shape).join(', ');
  return z.strictObject(shape, {
    error: (issue) =>
      issue.code === 'unrecognized_keys'
        ? `the key ${issue.keys[0]} is not supported (supported: ${known})`
        : 'it must be an object',
  });
}

/** Validates with a schema; the first issue becomes InvalidArgument naming `base.path` (arrays 1-based). */
function parseWith<S extends z.ZodType>(schema: S, value: unknown, base: string): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const path = issue.path.map((p) => (typeof p === 'number' ? String(p + 1) : String(p)));
  throw invalidArgument([base, ...path].filter(Boolean).join('.'), issue.message);
}

// ---------------------------------------------------------------------------------------------------------------
// SourceURI.

const BUCKET = /^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/;
const BUCKET_RULE = 'the bucket name must be 3 to 63 lower-case letters, digits or hyphens, starting and ending with a letter or digit';
const MAX_OBJECT_KEY_BYTES = 1023;

/** `oss://bucket/object`. The object key later becomes a file path, hence the path-safety rules. */
export function parseSourceUri(uri: string): SourceLocation {
  return parseOssUri(uri, (rule) => invalidArgument('SourceURI', rule));
}

/** The rule a bucket name breaks (OSS's naming rules), or undefined when it is valid. */
export function bucketNameRule(name: string): string | undefined {
  return BUCKET.test(name) ? undefined : BUCKET_RULE;
}

/** `oss://bucket/object`; a broken rule becomes the error `invalid` makes of it (in the caller's words). */
export function parseOssUri(uri: string, invalid: (rule: string) => Error): SourceLocation {
  if (!uri.startsWith('oss://')) throw invalid('only oss:// URIs are supported (oss://bucket/object)');
  const rest = uri.slice('oss://'.length);
  const slash = rest.indexOf('/');
  if (slash < 0) throw invalid('it must be oss://bucket/object and the object is missing');
  const bucket = rest.slice(0, slash);
  const key = rest.slice(slash + 1);
  const bucketRule = bucketNameRule(bucket);
  if (bucketRule) throw invalid(bucketRule);
  const keyRule = objectKeyRule(key);
  if (keyRule) throw invalid(keyRule);
  return { bucket, key };
}

/**
 * Each object has exactly one key: a file path takes `./a`, `a//b` and `a/` for `a` and `a/b`, while RAM
 * matches `oss:GetObject` against the key as written, so an alias would slip past a Deny on `bucket/a/*` (and
 * give one file several FileIds). Hence no `.`, `..` or empty segment, and no trailing `/`.
 * Returns the rule a key breaks, or undefined when it is valid.
 */
function objectKeyRule(key: string): string | undefined {
  if (key === '') return 'the object name must not be empty';
  if (utf8Bytes(key) > MAX_OBJECT_KEY_BYTES) return `the object name must be at most ${MAX_OBJECT_KEY_BYTES} bytes`;
  if (key.startsWith('/')) return "the object name must not start with '/'";
  if (key.endsWith('/')) return "the object name must not end with '/'";
  const segments = key.split('/');
  if (segments.includes('')) return "the object name must not contain empty segments ('//')";
  if (segments.includes('.')) return "the object name must not contain '.' segments";
  if (segments.includes('..')) return "the object name must not contain '..' segments";
  if (CONTROL_CHARACTERS.test(key)) return 'the object name must not contain control characters';
  return undefined;
}

// ---------------------------------------------------------------------------------------------------------------
// Filename and family.

const MAX_FILENAME_CHARACTERS = 255;

/** Filename decides the family; absent, it defaults to the object's last segment and errors name SourceURI. */
function resolveFilename(given: string | undefined, key: string): { filename: string; family: FileFamily } {
  const name = given === undefined ? 'SourceURI' : 'Filename';
  const filename = given ?? key.slice(key.lastIndexOf('/') + 1);
  if (characters(filename) > MAX_FILENAME_CHARACTERS) throw invalidArgument(name, `the file name must be at most ${MAX_FILENAME_CHARACTERS} characters`);
  if (CONTROL_CHARACTERS.test(filename)) throw invalidArgument(name, 'the file name must not contain control characters');
  const extension = extensionOf(filename);
  if (extension === undefined) throw invalidArgument(name, 'the file name must include an extension, e.g. report.docx');
  const family = FAMILY_BY_EXTENSION.get(extension.toLowerCase());
  if (family === undefined) {
    throw invalidArgument(name, `the extension .${extension} is not supported (supported: ${SUPPORTED_EXTENSIONS})`);
  }
  return { filename, family };
}

// ---------------------------------------------------------------------------------------------------------------
// Scalar parameters of GenerateWebofficeToken (keys in the spec's table order, so the first error is stable).

const MAX_USER_DATA_BYTES = 2048;
const MAX_PREVIEW_PAGES = 5000;
const PREVIEW_PAGES_RULE = `it must be an integer between 1 and ${MAX_PREVIEW_PAGES}`;

const generateScalars = z.object({
  UserData: z
    .string()
    .refine((s) => utf8Bytes(s) <= MAX_USER_DATA_BYTES, `it must be at most ${MAX_USER_DATA_BYTES} bytes (UTF-8)`)
    .optional(),
  PreviewPages: z
    .string()
    .regex(/^[0-9]+$/, PREVIEW_PAGES_RULE)
    .transform(Number)
    .refine((n) => n >= 1 && n <= MAX_PREVIEW_PAGES, PREVIEW_PAGES_RULE)
    .optional(),
  Password: text(256).optional(),
  ExternalUploaded: flag.default(false),
  NotifyTopicName: text(256).optional(),
  Hidecmb: flag.default(false),
  CachePreview: flag.default(false),
  Referer: text(1024).optional(),
});
const SCALAR_NAMES = Object.keys(generateScalars.shape);

// ---------------------------------------------------------------------------------------------------------------
// Struct parameters (spec §2.2–2.4, §2.1 Notification, §3.1 CredentialConfig).

const permissionSchema = struct({
  Readonly: flag.default(false),
  Rename: flag.default(false),
  History: flag.default(false),
  Copy: flag.default(false),
  Export: flag.default(false),
  Print: flag.default(false),
});

const userSchema = struct({
  Id: z.string('it must be a string').regex(/^[A-Za-z0-9]{1,15}$/, 'it must be 1 to 15 letters or digits').optional(),
  Name: z
    .string('it must be a string')
    .regex(/^[\p{L}\p{M}\p{Nd}\-_+/=@]+$/u, 'it must be letters, digits and - _ + / = @ only')
    .refine((s) => characters(s) <= 32, 'it must be at most 32 characters')
    .optional(),
  Avatar: z.string('it must be a string').refine(isAvatarUrl, 'it must be an http(s) URL of at most 1024 characters').optional(),
});

function isAvatarUrl(value: string): boolean {
  if (value.length > 1024 || CONTROL_CHARACTERS.test(value)) return false;
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}

const watermarkSchema = struct({
  Type: finiteNumber('it must be 0 (none) or 1 (text)', (n) => n === 0 || n === 1).optional(),
  Value: text(256).optional(),
  FillStyle: text(64).optional(),
  Font: text(64).optional(),
  Rotate: finiteNumber('it must be a finite number (radians)').optional(),
  Horizontal: finiteNumber('it must be a number from 0 to 10000', (n) => n >= 0 && n <= 10000).optional(),
  Vertical: finiteNumber('it must be a number from 0 to 10000', (n) => n >= 0 && n <= 10000).optional(),
}).superRefine((watermark, ctx) => {
  // A text watermark without text would render nothing: almost certainly a caller's mistake.
  if (watermark.Type === 1 && !watermark.Value) {
    ctx.addIssue({ code: 'custom', path: ['Value'], message: 'it is required when Type is 1' });
  }
});

/** MNS / RocketMQ inner structs are not interpreted here (spec §2.1), only required to be objects. */
const notificationSchema = struct({
  MNS: z.custom<Record<string, unknown>>(isPlainObject, 'it must be an object').optional(),
  RocketMQ: z.custom<Record<string, unknown>>(isPlainObject, 'it must be an object').optional(),
  ExtendedMessageURI: z.string('it must be a string').optional(),
});

const MAX_CHAIN_HOPS = 10;

const credentialConfigSchema = struct({
  ServiceRole: text(256).min(1, 'it must not be empty').optional(),
  Policy: z.string('it must be a string').optional(),
  Chain: z
    .array(
      struct({
        AssumeRoleFor: z.string('it must be a string').regex(/^[0-9]{1,32}$/, 'it must be an account ID (digits only)').optional(),
        Role: z
          .string({ error: (issue) => (issue.input === undefined ? 'it is required in every hop' : 'it must be a string') })
          .min(1, 'it must not be empty')
          .max(256, 'it must be at most 256 characters'),
        RoleType: z.enum(['user', 'service'], "it must be 'user' or 'service'").optional(),
      }),
      'it must be an array',
    )
    .max(MAX_CHAIN_HOPS, `it must have at most ${MAX_CHAIN_HOPS} hops`)
    .optional(),
});

/** CredentialConfig (spec §3.1); Policy, when given, must itself be JSON text of an object. */
export function parseCredentialConfig(value: Record<string, unknown>): CredentialConfig {
  const config = parseWith(credentialConfigSchema, value, 'CredentialConfig');
  if (config.Policy !== undefined) parseJsonObject(config.Policy, 'CredentialConfig.Policy');
  return compact({ ...config, Chain: config.Chain?.map((hop) => compact(hop)) });
}

function parseNotification(value: Record<string, unknown>): Record<string, unknown> {
  const notification = parseWith(notificationSchema, value, 'Notification');
  if (notification.ExtendedMessageURI !== undefined) parseOssUri(notification.ExtendedMessageURI, (rule) => invalidArgument('Notification.ExtendedMessageURI', rule));
  return notification;
}

/** Spec §2.2: Export needs Print; PDF is preview-only and cannot be exported; cached preview cannot print. */
function checkPermission(permission: WebofficePermission, family: FileFamily, cachePreview: boolean): void {
  if (permission.Export && !permission.Print) throw invalidArgument('Permission', 'Export requires Print');
  if (family === 'f' && !permission.Readonly) throw invalidArgument('Permission', 'PDF files can only be previewed, so Readonly must be true');
  if (family === 'f' && permission.Export) throw invalidArgument('Permission', 'PDF files cannot be exported, so Export must be false');
  if (cachePreview && permission.Print) throw invalidArgument('CachePreview', 'a cached preview cannot print, so Permission.Print must be false');
}

// ---------------------------------------------------------------------------------------------------------------
// The two operations.

/** Validates GenerateWebofficeToken's parameters (decoded, merged query+form, as strings) except ProjectName existence. Throws ApiError. */
export function parseGenerateParameters(params: Record<string, string>): { projectName: string; options: WebofficeOptions } {
  const projectName = requireParameter(params, 'ProjectName');
  const sourceUri = requireParameter(params, 'SourceURI');
  const source = parseSourceUri(sourceUri);
  const { filename, family } = resolveFilename(optionalParameter(params, 'Filename'), source.key);
  const scalars = parseWith(generateScalars, presentScalars(params), '');
  const permission = parseWith(permissionSchema, readStructParameter(params, 'Permission') ?? {}, 'Permission');
  const user = parseWith(userSchema, readStructParameter(params, 'User') ?? {}, 'User');
  const watermark = optionalStruct(params, 'Watermark', (v) => parseWith(watermarkSchema, v, 'Watermark'));
  const notification = optionalStruct(params, 'Notification', parseNotification);
  const credentialConfig = optionalStruct(params, 'CredentialConfig', parseCredentialConfig);
  checkPermission(permission, family, scalars.CachePreview);
  const options: WebofficeOptions = {
    sourceUri, source, filename, family,
    userData: scalars.UserData, previewPages: scalars.PreviewPages, password: scalars.Password,
    externalUploaded: scalars.ExternalUploaded, notifyTopicName: scalars.NotifyTopicName, notification,
    hidecmb: scalars.Hidecmb, cachePreview: scalars.CachePreview, referer: scalars.Referer,
    permission, user: compact(user), watermark: watermark && compact(watermark), credentialConfig,
  };
  return { projectName, options: compact(options) };
}

export function parseRefreshParameters(params: Record<string, string>): {
  projectName: string; accessToken: string; refreshToken: string; credentialConfig?: CredentialConfig;
} {
  const projectName = requireParameter(params, 'ProjectName');
  // Token format is not checked here: an unknown token is answered later as InvalidToken.
  const accessToken = requireParameter(params, 'AccessToken');
  const refreshToken = requireParameter(params, 'RefreshToken');
  const credentialConfig = optionalStruct(params, 'CredentialConfig', parseCredentialConfig);
  return compact({ projectName, accessToken, refreshToken, credentialConfig });
}

/** The scalar parameters that are present and non-empty (other request parameters are not ours to judge). */
function presentScalars(params: Record<string, string>): Record<string, string> {
  const present: Record<string, string> = {};
  for (const name of SCALAR_NAMES) {
    const value = optionalParameter(params, name);
    if (value !== undefined) present[name] = value;
  }
  return present;
}

function optionalStruct<T>(params: Record<string, string>, name: string, parse: (value: Record<string, unknown>) => T): T | undefined {
  const value = readStructParameter(params, name);
  return value === undefined ? undefined : parse(value);
}
