/**
 * Struct parameters (Permission, User, Watermark, Notification, CredentialConfig) reach us in one of two shapes:
 * - JSON text in a single field, which is what the official SDKs send (the "shrink" pattern, spec §4.3);
 * - flattened dotted keys (`Permission.Readonly=true`, `CredentialConfig.Chain.1.Role=r`), the generic RPC style
 *   that hand-written clients and the CLI may use.
 * This module turns either into a plain object. It only checks shape and size; the meaning of the fields is
 * validated by the callers' schemas.
 */
import { ApiError, invalidArgument } from './errors.js';

/** Largest JSON text we parse: far beyond any real struct, small enough that parsing costs nothing. */
export const MAX_STRUCT_JSON_BYTES = 64 * 1024;
/** Deepest nesting accepted (the struct itself is level 1); real structs need 3 at most. */
export const MAX_STRUCT_DEPTH = 8;
/** Largest 1-based index of a flattened array (`Name.N`). */
export const MAX_FLATTENED_INDEX = 100;

/**
 * Reads struct parameter `name` from either shape. Returns undefined when absent (an empty JSON text counts as
 * absent, as for every optional parameter). Giving both shapes at once is refused: neither could win silently.
 */
export function readStructParameter(params: Record<string, string>, name: string): Record<string, unknown> | undefined {
  const text = Object.hasOwn(params, name) ? params[name] : undefined;
  const flatKeys = Object.keys(params).filter((key) => key.startsWith(`${name}.`));
  if (text !== undefined && text !== '' && flatKeys.length > 0) {
    throw invalidArgument(name, 'give it either as JSON text or as flattened fields, not both');
  }
  if (flatKeys.length > 0) return unflatten(params, name, flatKeys);
  if (text === undefined || text === '') return undefined;
  return parseJsonObject(text, name);
}

/** Parses JSON text that must hold an object, refusing oversized or over-nested text before parsing it. */
export function parseJsonObject(text: string, name: string): Record<string, unknown> {
  if (Buffer.byteLength(text, 'utf8') > MAX_STRUCT_JSON_BYTES) {
    throw invalidArgument(name, `its JSON text must be at most ${MAX_STRUCT_JSON_BYTES} bytes`);
  }
  if (jsonDepth(text) > MAX_STRUCT_DEPTH) {
    throw invalidArgument(name, `its JSON must not nest deeper than ${MAX_STRUCT_DEPTH} levels`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw invalidArgument(name, 'it must be a JSON object');
  }
  if (!isPlainObject(value)) throw invalidArgument(name, 'it must be a JSON object');
  return value;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Deepest bracket nesting of JSON text, brackets inside strings ignored. Measured before JSON.parse so a
 * deeply nested bomb is refused without building it (and without risking the parser's stack).
 */
function jsonDepth(text: string): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{' || c === '[') deepest = Math.max(deepest, ++depth);
    else if (c === '}' || c === ']') depth--;
  }
  return deepest;
}

/** A flattened tree under construction: a leaf holds the raw string, a branch its children by segment. */
type Tree = string | Map<string, Tree>;

function unflatten(params: Record<string, string>, name: string, keys: string[]): Record<string, unknown> {
  const root = new Map<string, Tree>();
  for (const key of keys) insertLeaf(root, key, name, params[key]);
  return toValue(root, name) as Record<string, unknown>;
}

function insertLeaf(root: Map<string, Tree>, key: string, name: string, value: string): void {
  const segments = key.slice(name.length + 1).split('.');
  if (segments.length > MAX_STRUCT_DEPTH) {
    throw invalidArgument(key, `flattened fields must not nest deeper than ${MAX_STRUCT_DEPTH} levels`);
  }
  let node = root;
  segments.forEach((segment, i) => {
    checkSegment(segment, key);
    const existing = node.get(segment);
    if (i === segments.length - 1) {
      if (existing !== undefined) throw conflict(key);
      node.set(segment, value);
      return;
    }
    if (typeof existing === 'string') throw conflict(key);
    const child = existing ?? new Map<string, Tree>();
    node.set(segment, child);
    node = child;
  });
}

/** Field names are identifiers; indices are 1-based decimal integers up to the limit (no leading zeros). */
function checkSegment(segment: string, key: string): void {
  if (/^[A-Za-z][A-Za-z0-9]*$/.test(segment)) return;
  if (/^[1-9][0-9]*$/.test(segment) && Number(segment) <= MAX_FLATTENED_INDEX) return;
  if (/^[0-9]+$/.test(segment)) {
    throw invalidArgument(key, `array indices must be integers from 1 to ${MAX_FLATTENED_INDEX}`);
  }
  throw invalidArgument(key, 'each part of a flattened name must be a field name or a 1-based index');
}

function conflict(key: string): ApiError {
  return invalidArgument(key, 'it is given both as a value and as a struct');
}

/** Converts a finished tree: all-index children become an array (indices 1..n, no gaps), all-name an object. */
function toValue(tree: Tree, path: string): unknown {
  if (typeof tree === 'string') return tree;
  const segments = [...tree.keys()];
  const indexed = segments.filter((s) => /^[0-9]/.test(s));
  if (indexed.length === 0) {
    return Object.fromEntries(segments.map((s) => [s, toValue(tree.get(s)!, `${path}.${s}`)]));
  }
  if (indexed.length !== segments.length) throw invalidArgument(path, 'it mixes array indices and field names');
  const items: unknown[] = [];
  for (let n = 1; n <= segments.length; n++) {
    const child = tree.get(String(n));
    if (child === undefined) throw invalidArgument(`${path}.${n}`, 'array indices must run from 1 without gaps');
    items.push(toValue(child, `${path}.${n}`));
  }
  return items;
}
