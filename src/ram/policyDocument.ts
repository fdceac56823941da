/**
 * RAM policy documents: grammar, validation and normalisation.
 *
 * `parsePolicyDocument` is the single gate every policy passes (CreatePolicy, CreatePolicyVersion, CreateRole's
 * trust policy, AssumeRole's session `Policy`, `CredentialConfig.Policy`). It returns a normalised document
 * (every list an array, every condition value a string) so the evaluator never re-checks shapes, and it
 * refuses anything else with a message naming the exact place, because RAM users debug policies from that
 * message alone.
 */
import { isIPv6 } from 'node:net';
import { matchesWildcard } from './wildcard.js';

export type ConditionBlock = Record<string /*operator*/, Record<string /*key*/, string[]>>;

export interface PolicyStatement {
  Effect: 'Allow' | 'Deny';
  Action?: string[];
  NotAction?: string[];
  Resource?: string[];
  NotResource?: string[];
  Condition?: ConditionBlock;
  Principal?: { RAM?: string[]; Service?: string[]; Federated?: string[] } | '*';
}

export interface PolicyDocument {
  Version: '1';
  Statement: PolicyStatement[];
}

export type PolicyKind = 'identity' | 'trust';

export class MalformedPolicyDocumentError extends Error {
  /** Where the problem is, e.g. `Statement[2].Condition.StringEqualz`; `PolicyDocument` for the whole text. */
  readonly location: string;
  readonly reason: string;

  constructor(location: string, reason: string) {
    super(`${location}: ${reason}`);
    this.name = 'MalformedPolicyDocumentError';
    this.location = location;
    this.reason = reason;
  }
}

/**
 * RAM's limit on a policy document's length, in characters (custom policies, per RAM's limits page; trust
 * policies are held to it too). It also bounds every pattern and condition value inside a document.
 */
export const MAX_POLICY_DOCUMENT_LENGTH = 6144;
/** STS AssumeRole's limit on its session `Policy` (1–2048 characters); `CredentialConfig.Policy` is one too. */
export const MAX_SESSION_POLICY_LENGTH = 2048;
export const MAX_STATEMENTS = 100;

// ---------------------------------------------------------------------------------------------------------
// Condition operators and the value types they compare (shared with the evaluator so both agree).

export type ConditionValueKind = 'String' | 'Numeric' | 'Date' | 'Bool' | 'IpAddress';
export type ConditionRelation = 'eq' | 'eqIgnoreCase' | 'like' | 'lt' | 'le' | 'gt' | 'ge' | 'in';

export interface ConditionOperator {
  kind: ConditionValueKind;
  relation: ConditionRelation;
  /** Negated operators are true when the value matches none of the listed values, or the key is missing. */
  negated: boolean;
}

const op = (kind: ConditionValueKind, relation: ConditionRelation, negated = false): ConditionOperator => ({
  kind,
  relation,
  negated,
});

export const CONDITION_OPERATORS: ReadonlyMap<string, ConditionOperator> = new Map([
  ['StringEquals', op('String', 'eq')],
  ['StringNotEquals', op('String', 'eq', true)],
  ['StringEqualsIgnoreCase', op('String', 'eqIgnoreCase')],
  ['StringNotEqualsIgnoreCase', op('String', 'eqIgnoreCase', true)],
  ['StringLike', op('String', 'like')],
  ['StringNotLike', op('String', 'like', true)],
  ['NumericEquals', op('Numeric', 'eq')],
  ['NumericNotEquals', op('Numeric', 'eq', true)],
  ['NumericLessThan', op('Numeric', 'lt')],
  ['NumericLessThanEquals', op('Numeric', 'le')],
  ['NumericGreaterThan', op('Numeric', 'gt')],
  ['NumericGreaterThanEquals', op('Numeric', 'ge')],
  ['DateEquals', op('Date', 'eq')],
  ['DateNotEquals', op('Date', 'eq', true)],
  ['DateLessThan', op('Date', 'lt')],
  ['DateLessThanEquals', op('Date', 'le')],
  ['DateGreaterThan', op('Date', 'gt')],
  ['DateGreaterThanEquals', op('Date', 'ge')],
  ['Bool', op('Bool', 'eq')],
  ['IpAddress', op('IpAddress', 'in')],
  ['NotIpAddress', op('IpAddress', 'in', true)],
]);

/** Decimal number as RAM writes them; `Number()` alone would read "" or " " as 0 and "0x10" as 16. */
export function parseConditionNumber(text: string): number | undefined {
  if (!/^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/.test(text)) return undefined;
  const value = Number(text);
  return Number.isFinite(value) ? value : undefined;
}

/** `true`/`false` in any case (JSON booleans were already turned into these strings). */
export function parseConditionBool(text: string): boolean | undefined {
  const lower = text.toLowerCase();
  return lower === 'true' ? true : lower === 'false' ? false : undefined;
}

const ISO_8601 =
  /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?(Z|z|[+-]\d{2}(?::?\d{2})?)?)?$/;

/**
 * ISO 8601 date or date-time to epoch milliseconds, so `2019-08-12T17:00:00+08:00` and `2019-08-12T09:00:00Z`
 * compare equal. No offset means UTC. Written by hand because `Date.parse` accepts many non-ISO forms and
 * silently rolls invalid days over (Feb 30 → Mar 2).
 */
export function parseConditionDate(text: string): number | undefined {
  const m = ISO_8601.exec(text);
  if (!m) return undefined;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const [hour, minute, second] = [Number(m[4] ?? 0), Number(m[5] ?? 0), Number(m[6] ?? 0)];
  const millis = m[7] === undefined ? 0 : Number(m[7].slice(0, 3).padEnd(3, '0'));
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  if (hour > 23 || minute > 59 || second > 59) return undefined;
  let offsetMinutes = 0;
  const zone = m[8];
  if (zone !== undefined && zone.toUpperCase() !== 'Z') {
    const digits = zone.slice(1).replace(':', '');
    const [oh, om] = [Number(digits.slice(0, 2)), Number(digits.slice(2) || '0')];
    if (oh > 23 || om > 59) return undefined;
    offsetMinutes = (zone[0] === '-' ? -1 : 1) * (oh * 60 + om);
  }
  // setUTCFullYear, because Date.UTC maps years 0–99 to 1900–1999.
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, millis);
  return date.getTime() - offsetMinutes * 60_000;
}

function daysInMonth(year: number, month: number): number {
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  return [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]!;
}

/**
 * An IP range in one 128-bit space: IPv4 addresses live at ::ffff:a.b.c.d (their IPv4-mapped form), so
 * `10.0.0.0/8`, `::ffff:10.0.0.0/104` and a client seen as `::ffff:10.1.2.3` all agree.
 */
export interface IpRange {
  network: bigint;
  prefixLength: number; // 0–128
}

const MAPPED_PREFIX = 0xffffn << 32n;

/** A single address (IPv4 dotted quad or IPv6) as a 128-bit number, or undefined when malformed. */
export function parseIpAddress(text: string): bigint | undefined {
  const v4 = parseIPv4(text);
  if (v4 !== undefined) return MAPPED_PREFIX | v4;
  return parseIPv6(text);
}

/** `address` or `address/prefix` (IPv4 or IPv6); host bits in the address are ignored, as in the cloud. */
export function parseIpRange(text: string): IpRange | undefined {
  const slash = text.indexOf('/');
  const addressText = slash < 0 ? text : text.slice(0, slash);
  const isV4 = parseIPv4(addressText) !== undefined;
  const address = parseIpAddress(addressText);
  if (address === undefined) return undefined;
  let prefixLength = 128;
  if (slash >= 0) {
    const prefixText = text.slice(slash + 1);
    if (!/^\d{1,3}$/.test(prefixText)) return undefined;
    const prefix = Number(prefixText);
    if (prefix > (isV4 ? 32 : 128)) return undefined;
    prefixLength = isV4 ? 96 + prefix : prefix;
  }
  return { network: address & prefixMask(prefixLength), prefixLength };
}

export function ipInRange(address: bigint, range: IpRange): boolean {
  return (address & prefixMask(range.prefixLength)) === range.network;
}

function prefixMask(length: number): bigint {
  const all = (1n << 128n) - 1n;
  return length === 0 ? 0n : (all << BigInt(128 - length)) & all;
}

function parseIPv4(text: string): bigint | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0n;
  for (const part of parts) {
    // No leading zeros: "010" would be octal to some parsers and decimal to others.
    if (!/^(?:0|[1-9]\d{0,2})$/.test(part) || Number(part) > 255) return undefined;
    value = (value << 8n) | BigInt(part);
  }
  return value;
}

function parseIPv6(text: string): bigint | undefined {
  if (text.includes('%') || !isIPv6(text)) return undefined; // zone ids have no meaning in a policy
  let groups = text;
  const lastColon = groups.lastIndexOf(':');
  const tail = groups.slice(lastColon + 1);
  if (tail.includes('.')) {
    // Embedded IPv4 tail (::ffff:1.2.3.4): rewrite as two hex groups.
    const v4 = parseIPv4(tail);
    if (v4 === undefined) return undefined;
    groups = `${groups.slice(0, lastColon + 1)}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
  }
  const [head, rest] = groups.split('::') as [string, string | undefined];
  const headGroups = head === '' ? [] : head.split(':');
  const tailGroups = rest === undefined || rest === '' ? [] : rest.split(':');
  const fill = rest === undefined ? 0 : 8 - headGroups.length - tailGroups.length;
  const all = [...headGroups, ...Array<string>(fill).fill('0'), ...tailGroups];
  if (all.length !== 8) return undefined;
  return all.reduce((acc, group) => (acc << 16n) | BigInt(parseInt(group, 16)), 0n);
}

// ---------------------------------------------------------------------------------------------------------
// The parser.

const DOCUMENT_KEYS = new Set(['Version', 'Statement']);
const STATEMENT_KEYS = new Set(['Effect', 'Action', 'NotAction', 'Resource', 'NotResource', 'Condition', 'Principal']);
const PRINCIPAL_KEYS = ['RAM', 'Service', 'Federated'] as const;
/** `service:action` with wildcards; `*` alone is handled separately. */
const ACTION_PATTERN = /^[A-Za-z0-9*?_-]+:[A-Za-z0-9*?_.-]+$/;
/** acs:<service>:<region>:<account-id>:<relative-id>, each part possibly wildcarded or empty (RAM ARNs omit region). */
const RESOURCE_PATTERN = /^acs:[^:]*:[^:]*:[^:]*:.+$/;
const TRUST_ACTIONS = ['sts:AssumeRole', 'sts:AssumeRoleWithSAML', 'sts:AssumeRoleWithOIDC'];

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** `maxLength`: MAX_SESSION_POLICY_LENGTH for session policies, else RAM's document limit. */
/**
 * Parsed documents by kind, limit and text. A refresh through a role parses its trust policy on every call
 * (the role's row comes from a cache, its document as text); a document's meaning depends on nothing but
 * these three, so the parse is kept. Bounded: the oldest entry goes first.
 */
const parsedDocuments = new Map<string, PolicyDocument>();
const PARSED_DOCUMENTS_KEPT = 2000;

export function parsePolicyDocument(text: string, kind: PolicyKind, maxLength = MAX_POLICY_DOCUMENT_LENGTH): PolicyDocument {
  const cacheKey = typeof text === 'string' ? `${kind}:${maxLength}:${text}` : undefined;
  const known = cacheKey === undefined ? undefined : parsedDocuments.get(cacheKey);
  if (known) return known;
  const parsed = parseDocumentText(text, kind, maxLength);
  if (parsedDocuments.size >= PARSED_DOCUMENTS_KEPT) parsedDocuments.delete(parsedDocuments.keys().next().value!);
  parsedDocuments.set(cacheKey!, deepFreeze(parsed));
  return parsed;
}

/** The cached documents are shared by every caller: none may change one. */
function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}

function parseDocumentText(text: string, kind: PolicyKind, maxLength: number): PolicyDocument {
  if (typeof text !== 'string') throw new MalformedPolicyDocumentError('PolicyDocument', 'must be a JSON string');
  if (text.length > maxLength) {
    throw new MalformedPolicyDocumentError('PolicyDocument', `is ${text.length} characters long, more than the limit of ${maxLength}`);
  }
  let json: Json;
  try {
    json = JSON.parse(text) as Json;
  } catch (error) {
    throw new MalformedPolicyDocumentError('PolicyDocument', `is not valid JSON (${(error as Error).message})`);
  }
  const root = expectObject(json, 'PolicyDocument');
  rejectUnknownKeys(root, DOCUMENT_KEYS, (key) => key);

  if (!('Version' in root)) throw new MalformedPolicyDocumentError('Version', 'is required and must be "1"');
  if (root.Version !== '1') {
    throw new MalformedPolicyDocumentError('Version', `must be the string "1", not ${JSON.stringify(root.Version)}`);
  }

  if (!('Statement' in root)) throw new MalformedPolicyDocumentError('Statement', 'is required');
  // A lone statement object is accepted and treated as a one-element list, like single strings elsewhere.
  const rawStatements = Array.isArray(root.Statement) ? root.Statement : [root.Statement];
  if (rawStatements.length === 0) throw new MalformedPolicyDocumentError('Statement', 'must contain at least one statement');
  if (rawStatements.length > MAX_STATEMENTS) {
    throw new MalformedPolicyDocumentError(
      'Statement',
      `has ${rawStatements.length} statements, more than the limit of ${MAX_STATEMENTS}`,
    );
  }
  const Statement = rawStatements.map((raw, index) => parseStatement(raw, `Statement[${index}]`, kind));
  return { Version: '1', Statement };
}

function parseStatement(raw: Json, at: string, kind: PolicyKind): PolicyStatement {
  const s = expectObject(raw, at);
  rejectUnknownKeys(s, STATEMENT_KEYS, (key) => `${at}.${key}`);

  if (!('Effect' in s)) throw new MalformedPolicyDocumentError(`${at}.Effect`, 'is required ("Allow" or "Deny")');
  if (s.Effect !== 'Allow' && s.Effect !== 'Deny') {
    throw new MalformedPolicyDocumentError(`${at}.Effect`, `must be "Allow" or "Deny", not ${JSON.stringify(s.Effect)}`);
  }
  const statement: PolicyStatement = { Effect: s.Effect };

  const actionKey = exactlyOne(s, 'Action', 'NotAction', at, true);
  const actions = stringList(s[actionKey], `${at}.${actionKey}`);
  actions.forEach((action, i) => checkAction(action, `${at}.${actionKey}[${i}]`));
  if (kind === 'trust') {
    if (actionKey === 'NotAction') {
      throw new MalformedPolicyDocumentError(`${at}.NotAction`, 'is not allowed in a trust policy; use Action "sts:AssumeRole"');
    }
    actions.forEach((action, i) => {
      if (!TRUST_ACTIONS.some((allowed) => matchesWildcard(action, allowed, { caseInsensitive: true }))) {
        throw new MalformedPolicyDocumentError(
          `${at}.Action[${i}]`,
          `"${action}" is not allowed in a trust policy; only sts:AssumeRole (or a wildcard matching it) is`,
        );
      }
    });
  }
  statement[actionKey] = actions;

  // Identity policies must say which resources; a trust policy's resource is the role itself.
  const resourceKey = exactlyOne(s, 'Resource', 'NotResource', at, kind === 'identity');
  if (resourceKey !== undefined) {
    const resources = stringList(s[resourceKey], `${at}.${resourceKey}`);
    resources.forEach((resource, i) => {
      if (resource !== '*' && !RESOURCE_PATTERN.test(resource)) {
        throw new MalformedPolicyDocumentError(
          `${at}.${resourceKey}[${i}]`,
          `"${resource}" must be "*" or an ARN acs:<service>:<region>:<account-id>:<relative-id>`,
        );
      }
    });
    statement[resourceKey] = resources;
  }

  if ('Condition' in s) statement.Condition = parseCondition(s.Condition!, `${at}.Condition`);

  if (kind === 'identity' && 'Principal' in s) {
    throw new MalformedPolicyDocumentError(`${at}.Principal`, 'is not allowed in an identity policy (only in trust policies)');
  }
  if (kind === 'trust') {
    if (!('Principal' in s)) throw new MalformedPolicyDocumentError(`${at}.Principal`, 'is required in a trust policy');
    statement.Principal = parsePrincipal(s.Principal!, `${at}.Principal`);
  }
  return statement;
}

function exactlyOne<A extends string, B extends string>(
  s: Record<string, Json>,
  a: A,
  b: B,
  at: string,
  required: true,
): A | B;
function exactlyOne<A extends string, B extends string>(
  s: Record<string, Json>,
  a: A,
  b: B,
  at: string,
  required: boolean,
): A | B | undefined;
function exactlyOne<A extends string, B extends string>(
  s: Record<string, Json>,
  a: A,
  b: B,
  at: string,
  required: boolean,
): A | B | undefined {
  const hasA = a in s;
  const hasB = b in s;
  if (hasA && hasB) throw new MalformedPolicyDocumentError(at, `has both ${a} and ${b}; use exactly one`);
  if (!hasA && !hasB) {
    if (required) throw new MalformedPolicyDocumentError(at, `must have ${a} or ${b}`);
    return undefined;
  }
  return hasA ? a : b;
}

function checkAction(action: string, at: string): void {
  if (action !== '*' && !ACTION_PATTERN.test(action)) {
    throw new MalformedPolicyDocumentError(at, `"${action}" is not an action name of the form "service:action" (or "*")`);
  }
}

function parseCondition(raw: Json, at: string): ConditionBlock {
  const block = expectObject(raw, at);
  const entries = Object.entries(block).map(([operatorName, keysRaw]): [string, Record<string, string[]>] => {
    const opAt = `${at}.${operatorName}`;
    const operator = CONDITION_OPERATORS.get(operatorName);
    if (operator === undefined) throw new MalformedPolicyDocumentError(opAt, unknownOperatorReason(operatorName));
    const keys = expectObject(keysRaw, opAt);
    const keyEntries = Object.entries(keys);
    if (keyEntries.length === 0) throw new MalformedPolicyDocumentError(opAt, 'must name at least one condition key');
    const normalised = keyEntries.map(([key, valuesRaw]): [string, string[]] => {
      const keyAt = `${opAt}.${key}`;
      if (key.trim() === '') throw new MalformedPolicyDocumentError(keyAt, 'condition key must not be empty');
      const values = conditionValues(valuesRaw, keyAt);
      values.forEach((value, i) => checkConditionValue(operator, value, values.length > 1 ? `${keyAt}[${i}]` : keyAt));
      return [key, values];
    });
    // fromEntries defines own properties, so a key spelled "__proto__" stays data.
    return [operatorName, Object.fromEntries(normalised)];
  });
  return Object.fromEntries(entries);
}

function unknownOperatorReason(name: string): string {
  if (/ifexists$/i.test(name) || name.toLowerCase() === 'null') {
    return `condition operator "${name}" is not supported: RAM does not support the IfExists and Null condition operators`;
  }
  const sameIgnoringCase = [...CONDITION_OPERATORS.keys()].find((known) => known.toLowerCase() === name.toLowerCase());
  return sameIgnoringCase
    ? `unknown condition operator (operators are case-sensitive: did you mean "${sameIgnoringCase}"?)`
    : 'unknown condition operator';
}

/** Condition values: a string, number or boolean, or a non-empty array of them; all become strings. */
function conditionValues(raw: Json, at: string): string[] {
  const list = Array.isArray(raw) ? raw : [raw];
  if (list.length === 0) throw new MalformedPolicyDocumentError(at, 'must list at least one value');
  return list.map((value, i) => {
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return String(value);
    const where = Array.isArray(raw) ? `${at}[${i}]` : at;
    throw new MalformedPolicyDocumentError(where, 'condition values must be strings, numbers or booleans');
  });
}

/** A value the operator could never compare is refused now rather than silently never matching later. */
function checkConditionValue(operator: ConditionOperator, value: string, at: string): void {
  const problem = ((): string | undefined => {
    switch (operator.kind) {
      case 'String':
        return undefined;
      case 'Numeric':
        return parseConditionNumber(value) === undefined ? 'is not a number' : undefined;
      case 'Date':
        return parseConditionDate(value) === undefined
          ? 'is not an ISO 8601 date or time (e.g. 2019-08-12T17:00:00+08:00)'
          : undefined;
      case 'Bool':
        return parseConditionBool(value) === undefined ? 'must be "true" or "false"' : undefined;
      case 'IpAddress':
        return parseIpRange(value) === undefined ? 'is not an IPv4 or IPv6 address or CIDR block' : undefined;
    }
  })();
  if (problem) throw new MalformedPolicyDocumentError(at, `"${value}" ${problem}`);
}

function parsePrincipal(raw: Json, at: string): NonNullable<PolicyStatement['Principal']> {
  if (raw === '*') return '*';
  const principal = expectObject(raw, at, 'must be "*" or an object with RAM, Service or Federated');
  rejectUnknownKeys(principal, new Set(PRINCIPAL_KEYS), (key) => `${at}.${key}`);
  const result: { RAM?: string[]; Service?: string[]; Federated?: string[] } = {};
  for (const key of PRINCIPAL_KEYS) {
    if (key in principal) result[key] = stringList(principal[key]!, `${at}.${key}`);
  }
  if (Object.keys(result).length === 0) throw new MalformedPolicyDocumentError(at, 'must name RAM, Service or Federated principals');
  result.RAM?.forEach((entry, i) => {
    if (entry !== '*' && !/^\d+$/.test(entry) && !/^acs:ram::[^:]+:.+$/.test(entry)) {
      throw new MalformedPolicyDocumentError(
        `${at}.RAM[${i}]`,
        `"${entry}" must be "*", an account ID or an ARN like acs:ram::<account-id>:root`,
      );
    }
  });
  return result;
}

// ---------------------------------------------------------------------------------------------------------
// Small shape helpers.

function expectObject(value: Json, at: string, reason = 'must be a JSON object'): Record<string, Json> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new MalformedPolicyDocumentError(at, reason);
  return value;
}

function rejectUnknownKeys(object: Record<string, Json>, known: Set<string>, where: (key: string) => string): void {
  for (const key of Object.keys(object)) {
    if (!known.has(key)) {
      throw new MalformedPolicyDocumentError(where(key), `unknown element (expected one of ${[...known].join(', ')})`);
    }
  }
}

/** A string or a non-empty array of non-empty strings, always returned as an array. */
function stringList(value: Json, at: string): string[] {
  const list = Array.isArray(value) ? value : [value];
  if (list.length === 0) throw new MalformedPolicyDocumentError(at, 'must not be an empty list');
  return list.map((item, i) => {
    const where = Array.isArray(value) ? `${at}[${i}]` : at;
    if (typeof item !== 'string') throw new MalformedPolicyDocumentError(where, 'must be a string');
    if (item === '') throw new MalformedPolicyDocumentError(where, 'must not be empty');
    return item;
  });
}
