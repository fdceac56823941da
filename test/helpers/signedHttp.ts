/**
 * Hand-built requests for what the official clients cannot produce (an old timestamp, a replayed nonce, a body
 * that does not match its hash, a missing common parameter…). Signed with our own signer functions
 * (src/api/signature.ts) and sent with node:http, so every header, byte and encoding is under the test's
 * control. Compatibility with the real clients is proven elsewhere, through the clients themselves.
 */
import http from 'node:http';
import { randomBytes } from 'node:crypto';
import querystring from 'node:querystring';
import { acs3CanonicalRequest, acs3Hash, acs3Signature, percentEncode, rpcSignature, type Acs3Algorithm } from '../../src/api/signature.js';
import type { Credentials } from './clients.js';

export const IMM_VERSION = '2020-09-30';

export interface HttpReply {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  /** The parsed body, or undefined when it is not JSON. */
  json: Record<string, any> | undefined;
}

export interface RawRequest {
  method: string;
  /** path and query exactly as they go on the request line */
  path: string;
  /** sent as given; `host` defaults to the server's host:port */
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** send the body with Transfer-Encoding: chunked (no Content-Length), in two pieces */
  chunked?: boolean;
}

/** Sends one request over a fresh connection and reads the whole reply. */
export function send(server: { endpoint: string }, request: RawRequest): Promise<HttpReply> {
  const [hostname, port] = splitEndpoint(server.endpoint);
  const headers: Record<string, string> = { ...(request.headers ?? {}) };
  const body = request.body === undefined ? undefined : Buffer.from(request.body);
  if (body && !request.chunked && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-length')) {
    headers['content-length'] = String(body.length);
  }
  return new Promise((resolve, reject) => {
    const req = http.request({ hostname, port, method: request.method, path: request.path, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: Record<string, any> | undefined;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
      });
    });
    req.on('error', reject);
    if (body && request.chunked) {
      const half = Math.floor(body.length / 2);
      req.write(body.subarray(0, half));
      req.write(body.subarray(half));
    } else if (body) {
      req.write(body);
    }
    req.end();
  });
}

function splitEndpoint(endpoint: string): [string, number] {
  const colon = endpoint.lastIndexOf(':');
  return [endpoint.slice(0, colon), Number(endpoint.slice(colon + 1))];
}

/** `yyyy-MM-ddTHH:mm:ssZ` (UTC, whole seconds), as the SDKs send it, `offsetMs` from now. */
export function timestamp(offsetMs = 0): string {
  return new Date(Date.now() + offsetMs).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function newNonce(): string {
  return randomBytes(16).toString('hex');
}

/** How a client writes parameters on the wire; the signature must not depend on it. */
export type WireEncoding = 'rfc3986' | 'querystring' | 'urlsearchparams';

/** `k=v&…` in one of the encodings the clients use (pop-core RFC 3986, openapi-client Node querystring, WHATWG form). */
export function encodeParams(params: Record<string, string>, encoding: WireEncoding = 'rfc3986'): string {
  switch (encoding) {
    case 'rfc3986':
      return Object.entries(params)
        .map(([k, v]) => `${percentEncode(k)}=${percentEncode(v)}`)
        .join('&');
    case 'querystring':
      return querystring.stringify(params); // leaves * ! ' ( ) raw, like openapi-client
    case 'urlsearchparams':
      return new URLSearchParams(params).toString(); // a space becomes '+'
  }
}

export interface RpcOptions {
  method?: 'GET' | 'POST';
  /** Action param; `null` leaves it out */
  action?: string | null;
  /** Version param; `null` leaves it out */
  version?: string | null;
  timestamp?: string;
  nonce?: string;
  /** common params to leave out AFTER signing (so only their absence is wrong) */
  omit?: string[];
  /** sign with this secret instead of the right one */
  secret?: string;
  encoding?: WireEncoding;
  headers?: Record<string, string>;
}

/** The full parameter set of a classic RPC (HMAC-SHA1) request, signed. */
export function signedRpcParams(credentials: Credentials, params: Record<string, string>, options: RpcOptions = {}): Record<string, string> {
  const method = options.method ?? 'POST';
  const all: Record<string, string> = {};
  if (options.action !== null) all.Action = options.action ?? 'ListProjects';
  if (options.version !== null) all.Version = options.version ?? IMM_VERSION;
  Object.assign(all, {
    Format: 'JSON',
    AccessKeyId: credentials.AccessKeyId,
    SignatureMethod: 'HMAC-SHA1',
    SignatureVersion: '1.0',
    SignatureNonce: options.nonce ?? newNonce(),
    Timestamp: options.timestamp ?? timestamp(),
    ...params,
  });
  for (const name of options.omit ?? []) delete all[name];
  all.Signature = rpcSignature(method, all, options.secret ?? credentials.AccessKeySecret);
  for (const name of options.omit ?? []) delete all[name];
  return all;
}

/** Sends a classic RPC request: all params in the form body (POST) or the query (GET), like pop-core. */
export function rpcRequest(server: { endpoint: string }, credentials: Credentials, params: Record<string, string>, options: RpcOptions = {}): Promise<HttpReply> {
  return send(server, rpcRawRequest(credentials, params, options));
}

export function rpcRawRequest(credentials: Credentials, params: Record<string, string>, options: RpcOptions = {}): RawRequest {
  const method = options.method ?? 'POST';
  const encoded = encodeParams(signedRpcParams(credentials, params, options), options.encoding);
  return method === 'POST'
    ? { method, path: '/', headers: { 'content-type': 'application/x-www-form-urlencoded', ...options.headers }, body: encoded }
    : { method, path: `/?${encoded}`, headers: { ...options.headers } };
}

export interface Acs3Options {
  algorithm?: Acs3Algorithm;
  action?: string;
  version?: string;
  /** x-acs-date */
  date?: string;
  nonce?: string;
  /** a form body (params already encoded as wanted) */
  body?: string;
  /** the body whose hash goes into x-acs-content-sha256 (default: the body sent) */
  hashedBody?: string;
  /** extra headers that are signed */
  signedHeaders?: Record<string, string>;
  /** extra headers that are NOT listed in SignedHeaders */
  unsignedHeaders?: Record<string, string>;
  secret?: string;
  encoding?: WireEncoding;
  chunked?: boolean;
}

/**
 * An ACS3 (V3) request as openapi-client sends it: params in the query (or a form body), Action/Version only
 * in x-acs-* headers, every host/content-type/x-acs-* header signed.
 */
export function acs3RawRequest(server: { endpoint: string }, credentials: Credentials, query: Record<string, string>, options: Acs3Options = {}): RawRequest {
  const algorithm = options.algorithm ?? 'ACS3-HMAC-SHA256';
  const hashed = acs3Hash(algorithm, Buffer.from(options.hashedBody ?? options.body ?? '', 'utf8'));
  const headers: Record<string, string> = {
    host: server.endpoint,
    'x-acs-action': options.action ?? 'ListProjects',
    'x-acs-version': options.version ?? IMM_VERSION,
    'x-acs-date': options.date ?? timestamp(),
    'x-acs-signature-nonce': options.nonce ?? newNonce(),
    'x-acs-content-sha256': hashed,
    ...(options.body !== undefined ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
    ...options.signedHeaders,
  };
  const signedNames = Object.keys(headers).map((h) => h.toLowerCase());
  const canonical = acs3CanonicalRequest({ method: 'POST', pathname: '/', query, headers }, signedNames, hashed);
  const signature = acs3Signature(algorithm, canonical, options.secret ?? credentials.AccessKeySecret);
  const encodedQuery = encodeParams(query, options.encoding ?? 'querystring');
  return {
    method: 'POST',
    path: encodedQuery ? `/?${encodedQuery}` : '/',
    headers: {
      ...headers,
      ...options.unsignedHeaders,
      accept: 'application/json',
      authorization: `${algorithm} Credential=${credentials.AccessKeyId},SignedHeaders=${[...signedNames].sort().join(';')},Signature=${signature}`,
    },
    body: options.body,
    chunked: options.chunked,
  };
}

export function acs3Request(server: { endpoint: string }, credentials: Credentials, query: Record<string, string>, options: Acs3Options = {}): Promise<HttpReply> {
  return send(server, acs3RawRequest(server, credentials, query, options));
}
