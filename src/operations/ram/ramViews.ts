/**
 * What the RAM operations share: parameter checks with RAM's rules (a bad value's message names the rule),
 * and the views that turn store rows into the fields of the `@alicloud/ram20150501` response models.
 */
import { ApiError } from '../../core/errors.js';
import type { OperationContext } from '../operation.js';
import { ramArn } from '../../ram/systemPolicies.js';
import type { AccessKeyInfo, AttachmentRecord, PolicyRecord, PolicyType, PolicyVersionRecord, RamGroupRow, RamRoleRow, RamUserRow } from '../../store/ram/index.js';

// ------------------------------------------------------------------------------------------- parameters

export function invalidParameter(name: string, rule: string): ApiError {
  return new ApiError('InvalidParameter', name, { message: `The parameter ${name} is invalid: ${rule}.` });
}

/** A required parameter: absent or empty is MissingParameter. */
export function required(params: Record<string, string>, name: string): string {
  const value = params[name];
  if (value === undefined || value === '') throw new ApiError('MissingParameter', name);
  return value;
}

function optional(params: Record<string, string>, name: string): string | undefined {
  const value = params[name];
  return value === undefined || value === '' ? undefined : value;
}

const ENTITY_NAME = /^[A-Za-z0-9._-]{1,64}$/;
const ENTITY_RULE = "1 to 64 characters, each a letter, a digit, '.', '_' or '-'";
const POLICY_NAME = /^[A-Za-z0-9-]{1,128}$/;

function entityName(params: Record<string, string>, name: string): string {
  const value = required(params, name);
  if (!ENTITY_NAME.test(value)) throw invalidParameter(name, `it must be ${ENTITY_RULE}`);
  return value;
}

export const userName = (params: Record<string, string>, name = 'UserName') => entityName(params, name);
export const groupName = (params: Record<string, string>, name = 'GroupName') => entityName(params, name);
export const roleName = (params: Record<string, string>, name = 'RoleName') => entityName(params, name);

/** UserName when given (then checked), else undefined. */
export function optionalUserName(params: Record<string, string>): string | undefined {
  return optional(params, 'UserName') === undefined ? undefined : userName(params);
}

export function policyName(params: Record<string, string>, name = 'PolicyName'): string {
  const value = required(params, name);
  if (!POLICY_NAME.test(value)) throw invalidParameter(name, "it must be 1 to 128 characters, each a letter, a digit or '-'");
  return value;
}

export function policyType(params: Record<string, string>, isRequired: true): PolicyType;
export function policyType(params: Record<string, string>, isRequired: boolean): PolicyType | undefined;
export function policyType(params: Record<string, string>, isRequired: boolean): PolicyType | undefined {
  const value = isRequired ? required(params, 'PolicyType') : optional(params, 'PolicyType');
  if (value === undefined) return undefined;
  if (value !== 'System' && value !== 'Custom') throw invalidParameter('PolicyType', 'it must be System or Custom');
  return value;
}

/** Free text up to `max` characters; '' when absent. */
export function text(params: Record<string, string>, name: string, max: number): string {
  const value = optional(params, name) ?? '';
  if (value.length > max) throw invalidParameter(name, `it must be at most ${max} characters long`);
  return value;
}

export function email(params: Record<string, string>): string {
  const value = text(params, 'Email', 128);
  if (value && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(value)) throw invalidParameter('Email', 'it must be an email address such as username@example.com');
  return value;
}

export function mobilePhone(params: Record<string, string>): string {
  const value = text(params, 'MobilePhone', 32);
  if (value && !/^\d{1,4}-\d{4,20}$/.test(value)) throw invalidParameter('MobilePhone', 'it must be <country code>-<number>, such as 86-18600008888');
  return value;
}

/** `true` or `false` (any case); absent is `fallback`. */
export function bool(params: Record<string, string>, name: string, fallback: boolean): boolean {
  const value = optional(params, name);
  if (value === undefined) return fallback;
  const lower = value.toLowerCase();
  if (lower !== 'true' && lower !== 'false') throw invalidParameter(name, 'it must be true or false');
  return lower === 'true';
}

/** An integer in [min, max]; absent is `fallback`. */
export function integer(params: Record<string, string>, name: string, min: number, max: number, fallback: number): number {
  const value = optional(params, name);
  if (value === undefined) return fallback;
  if (!/^\d{1,9}$/.test(value) || Number(value) < min || Number(value) > max) throw invalidParameter(name, `it must be an integer from ${min} to ${max}`);
  return Number(value);
}

/** List paging as RAM does it: MaxItems 1–1000 (default 100) and an opaque Marker. */
export function page(params: Record<string, string>): { marker?: string; maxItems: number } {
  const marker = optional(params, 'Marker');
  return { maxItems: integer(params, 'MaxItems', 1, 1000, 100), ...(marker ? { marker } : {}) };
}

export function policyDocument(params: Record<string, string>, name = 'PolicyDocument'): string {
  return required(params, name);
}

/** The ARN a RAM action is authorized on: `user/{name}`, `group/{name}`, `role/{name}`, `policy/{name}` or `*`. */
export function resource(ctx: OperationContext, relative: string): string {
  return ramArn(ctx.caller.accountId, relative);
}

/** Only the account's root manages the root's own AccessKeys (no UserName); RAM users must name a user. */
export function requireRoot(ctx: OperationContext, action: string): void {
  if (ctx.caller.principal.type !== 'Account') {
    throw new ApiError('Forbidden', [], {
      message: `${action} without UserName manages the AccessKeys of the account's root, which only the root may do; give UserName.`,
    });
  }
}

// ------------------------------------------------------------------------------------------------ views

/** RAM's time format: ISO 8601 UTC to the second, e.g. 2015-01-23T12:33:18Z. */
export function ramTime(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function userView(row: RamUserRow): Record<string, unknown> {
  return {
    UserId: row.id,
    UserName: row.name,
    DisplayName: row.display_name,
    Comments: row.comments,
    Email: row.email,
    MobilePhone: row.mobile_phone,
    CreateDate: ramTime(row.created_at),
    UpdateDate: ramTime(row.updated_at),
  };
}

export function groupView(row: RamGroupRow): Record<string, unknown> {
  return { GroupId: row.id, GroupName: row.name, Comments: row.comments, CreateDate: ramTime(row.created_at) };
}

export function roleView(row: RamRoleRow): Record<string, unknown> {
  return {
    RoleId: row.id,
    RoleName: row.name,
    Arn: ramArn(row.account_id, `role/${row.name}`),
    Description: row.description,
    AssumeRolePolicyDocument: row.trust_policy,
    MaxSessionDuration: row.max_session_duration,
    CreateDate: ramTime(row.created_at),
    UpdateDate: ramTime(row.updated_at),
  };
}

/** As ListPolicies shows a policy (GetPolicy adds PolicyDocument). */
export function policyView(record: PolicyRecord): Record<string, unknown> {
  return {
    PolicyName: record.name,
    PolicyType: record.type,
    Description: record.description,
    DefaultVersion: record.defaultVersion,
    CreateDate: ramTime(record.createdAt),
    UpdateDate: ramTime(record.updatedAt),
    AttachmentCount: record.attachmentCount,
  };
}

export function policyVersionView(version: PolicyVersionRecord): Record<string, unknown> {
  return { VersionId: version.versionId, IsDefaultVersion: version.isDefault, PolicyDocument: version.document, CreateDate: ramTime(version.createdAt) };
}

export function attachmentView(attachment: AttachmentRecord): Record<string, unknown> {
  return {
    PolicyName: attachment.policyName,
    PolicyType: attachment.policyType,
    Description: attachment.description,
    DefaultVersion: attachment.defaultVersion,
    AttachDate: ramTime(attachment.attachedAt),
  };
}

export function accessKeyView(key: AccessKeyInfo): Record<string, unknown> {
  return { AccessKeyId: key.accessKeyId, Status: key.status, CreateDate: ramTime(key.createdAt) };
}

/** `{ IsTruncated, Marker? }` of a listing page. */
export function paging(result: { isTruncated: boolean; marker?: string }): Record<string, unknown> {
  return { IsTruncated: result.isTruncated, ...(result.marker ? { Marker: result.marker } : {}) };
}
