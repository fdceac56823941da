/**
 * Alibaba Cloud request signatures, as the official Node clients compute them (spec: wire-format.md §3).
 * Pure functions: the HTTP layer decodes the request and decides what to compare; nothing here does I/O.
 *
 * - RPC v1 (HMAC-SHA1, `Signature` param): pop-core, and openapi-client with signatureAlgorithm 'v2'.
 * - V3 (ACS3-HMAC-SHA256 / ACS3-HMAC-SM3, `Authorization` header): openapi-client/openapi-core by default.
 */
import { createHmac, hash } from 'node:crypto';

/** RFC 3986 percent-encoding as the Alibaba signers do: encodeURIComponent then ! ' ( ) * -> %21 %27 %28 %29 %2A */
export function percentEncode(value: string): string {
  // encodeURIComponent already emits UTF-8 bytes with upper-case hex and leaves `~` alone;
  // it only misses these five sub-delims, which RFC 3986 reserves.
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/**
 * Sorts by UTF-8 byte order. The clients use JS `sort()` (UTF-16 code units), which agrees for the ASCII
 * names every real param has; bytes are the order the public docs specify and the one a non-JS signer uses.
 * Each name is encoded once, not twice per comparison (a request has 15–20 parameters).
 */
function inByteOrder(names: string[]): string[] {
  return names
    .map((name) => ({ name, bytes: Buffer.from(name, 'utf8') }))
    .sort((a, b) => Buffer.compare(a.bytes, b.bytes))
    .map((entry) => entry.name);
}

/** `pe(k)=pe(v)` pairs sorted by key and joined by '&': shared by the v1 string-to-sign and the V3 query. */
function canonicalQuery(params: Record<string, string>, skip?: string): string {
  return inByteOrder(Object.keys(params).filter((k) => k !== skip))
    .map((k) => `${percentEncode(k)}=${percentEncode(params[k])}`)
    .join('&');
}

/** Classic RPC v1 StringToSign: METHOD&%2F&pe(sorted 'pe(k)=pe(v)' joined by &), over every param except `Signature`. params are DECODED values. */
export function rpcStringToSign(method: string, params: Record<string, string>): string {
  // Canonicalise from decoded values: the wire encoding differs between clients (openapi-client leaves
  // `*!'()` raw), the signed form does not.
  return `${method.toUpperCase()}&${percentEncode('/')}&${percentEncode(canonicalQuery(params, 'Signature'))}`;
}

/** base64(HMAC-SHA1(secret + '&', stringToSign)) */
export function rpcSignature(method: string, params: Record<string, string>, accessKeySecret: string): string {
  // The trailing '&' is where the (unused) OAuth-style token secret would go.
  return createHmac('sha1', `${accessKeySecret}&`).update(rpcStringToSign(method, params)).digest('base64');
}

export type Acs3Algorithm = 'ACS3-HMAC-SHA256' | 'ACS3-HMAC-SM3';

export interface Acs3Authorization {
  algorithm: Acs3Algorithm;
  accessKeyId: string;
  signedHeaders: string[];
  signature: string;
}

/** An `Authorization` header that claims to be ACS3 but cannot be used; `reason` is safe to log. */
export class SignatureFormatError extends Error {
  readonly reason: string;
  constructor(reason: string) {
    super(`Malformed ACS3 Authorization header: ${reason}`);
    this.name = 'SignatureFormatError';
    this.reason = reason;
  }
}

const ACS3_ALGORITHMS: Record<string, Acs3Algorithm> = {
  'ACS3-HMAC-SHA256': 'ACS3-HMAC-SHA256',
  'ACS3-HMAC-SM3': 'ACS3-HMAC-SM3',
};

/**
 * Parses `ACS3-HMAC-SHA256 Credential=ak,SignedHeaders=a;b,Signature=hex`.
 * Returns null when the header is not ACS3 at all (e.g. ROA's `acs AK:sig`, `Bearer x`), so the caller can
 * try another scheme; throws SignatureFormatError when it is ACS3 but unusable. Signed header names are
 * lower-cased because header names are case-insensitive and Node's headers object is keyed lower-case.
 */
export function parseAcs3Authorization(header: string): Acs3Authorization | null {
  const match = /^\s*(ACS3-\S*)(?:\s+(.*))?$/i.exec(header);
  if (!match) return null;
  const algorithm = ACS3_ALGORITHMS[match[1]];
  // ACS3-RSA-SHA256 exists in the SDK, but it needs a registered public key, which this server has not.
  if (!algorithm) throw new SignatureFormatError(`unsupported algorithm ${match[1]}`);

  const parts = new Map<string, string>();
  for (const part of (match[2] ?? '').trim().split(/\s*,\s*/)) {
    const eq = part.indexOf('=');
    if (eq <= 0) throw new SignatureFormatError(`expected Name=value, got "${part}"`);
    const name = part.slice(0, eq);
    if (!['Credential', 'SignedHeaders', 'Signature'].includes(name)) throw new SignatureFormatError(`unknown part ${name}`);
    if (parts.has(name)) throw new SignatureFormatError(`duplicate part ${name}`);
    parts.set(name, part.slice(eq + 1).trim());
  }

  const accessKeyId = parts.get('Credential');
  const signedHeaderList = parts.get('SignedHeaders');
  const signature = parts.get('Signature');
  if (!accessKeyId) throw new SignatureFormatError('missing or empty Credential');
  if (!signedHeaderList) throw new SignatureFormatError('missing or empty SignedHeaders');
  if (!signature) throw new SignatureFormatError('missing or empty Signature');
  const signedHeaders = signedHeaderList.split(';').map((h) => h.trim().toLowerCase());
  if (signedHeaders.some((h) => h === '')) throw new SignatureFormatError('empty name in SignedHeaders');
  return { algorithm, accessKeyId, signedHeaders, signature };
}

export interface Acs3Request {
  /** as received; upper-cased here */
  method: string;
  /** decoded path, '/' for RPC */
  pathname: string;
  /** decoded query params (single-valued) */
  query: Record<string, string>;
  /** lower-case header names, as in Node's IncomingMessage.headers */
  headers: Record<string, string | string[] | undefined>;
}

/**
 * The canonical request for the given signed header names (as listed in SignedHeaders) and payload hash (hex).
 * A signed header that is absent is canonicalised with an empty value, so the signature simply fails to match.
 */
export function acs3CanonicalRequest(req: Acs3Request, signedHeaders: string[], hashedPayload: string): string {
  const uri = req.pathname.split('/').map(percentEncode).join('/');
  const names = inByteOrder(signedHeaders.map((h) => h.toLowerCase()));
  const headerLines = names.map((name) => {
    const raw = req.headers[name];
    const values = (Array.isArray(raw) ? raw : [raw ?? '']).map((v) => v.trim()).sort();
    return `${name}:${values.join(',')}\n`;
  });
  return [
    req.method.toUpperCase(),
    uri,
    canonicalQuery(req.query),
    headerLines.join(''), // each line ends in '\n', so the join adds the blank line the format has
    names.join(';'),
    hashedPayload,
  ].join('\n');
}

function nodeDigest(algorithm: Acs3Algorithm): 'sha256' | 'sm3' {
  return algorithm === 'ACS3-HMAC-SM3' ? 'sm3' : 'sha256';
}

/** hex hash (sha256 or sm3) of bytes */
export function acs3Hash(algorithm: Acs3Algorithm, data: Buffer | string): string {
  return hash(nodeDigest(algorithm), data, 'hex');
}

/** hex HMAC(secret, ALGORITHM + '\n' + hex(hash(canonicalRequest))) */
export function acs3Signature(algorithm: Acs3Algorithm, canonicalRequest: string, accessKeySecret: string): string {
  // Unlike v1, the key is the raw secret, with no '&'.
  const stringToSign = `${algorithm}\n${acs3Hash(algorithm, canonicalRequest)}`;
  return createHmac(nodeDigest(algorithm), accessKeySecret).update(stringToSign).digest('hex');
}
