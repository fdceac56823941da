/**
 * Who is calling: checks the request's signature, in either of the two forms the official clients use —
 * classic RPC (HMAC-SHA1, `Signature` parameter) or ACS3 (`Authorization` header, HMAC-SHA256 or SM3) —
 * then its freshness and its nonce. Spec: wire-format.md §3, imm-weboffice-api.md §5.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { ApiError } from '../core/errors.js';
import type { RequestParameters } from './params.js';
import type { Caller, Principal } from '../access/principal.js';
import {
  acs3CanonicalRequest,
  acs3Hash,
  acs3Signature,
  parseAcs3Authorization,
  rpcSignature,
  SignatureFormatError,
} from './signature.js';
import { safeEqual } from '../core/safeEqual.js';

/** Requests more than this far from the server's clock are refused; nonces are kept this long past their time. */
export const MAX_CLOCK_SKEW_MS = 15 * 60 * 1000;

export interface AuthenticationDeps {
  /**
   * The signing secret and principal of a key. `securityToken` comes with temporary (STS) credentials; the
   * implementation throws the `InvalidSecurityToken.*` / `MissingSecurityToken` errors itself.
   */
  findAccessKey(id: string, securityToken: string | undefined): Promise<{ status: 'Active' | 'Inactive'; secret: string; principal: Principal } | undefined>;
  /** False when the key used this nonce before. */
  rememberNonce(accessKeyId: string, nonce: string, expiresMs: number): Promise<boolean>;
  nowMs(): number;
}

export interface SignedRequest {
  method: string;
  pathname: string;
  headers: IncomingHttpHeaders;
  params: RequestParameters;
  rawBody: Buffer;
}

export async function authenticate(req: SignedRequest, deps: AuthenticationDeps): Promise<Caller> {
  const authorization = headerValue(req.headers, 'authorization');
  let acs3;
  try {
    acs3 = authorization ? parseAcs3Authorization(authorization) : null;
  } catch (err) {
    if (err instanceof SignatureFormatError) throw new ApiError('IncompleteSignature', [], { message: `The Authorization header is malformed: ${err.reason}.` });
    throw err;
  }
  return acs3 ? authenticateAcs3(req, acs3, deps) : authenticateRpc(req, deps);
}

async function authenticateRpc(req: SignedRequest, deps: AuthenticationDeps): Promise<Caller> {
  const params = req.params.all;
  for (const name of ['AccessKeyId', 'Signature', 'SignatureMethod', 'SignatureNonce', 'Timestamp']) {
    if (!params[name]) throw new ApiError('MissingParameter', name);
  }
  // This signature covers the parameters only: the operation must be among them, or an unsigned
  // x-acs-action / x-acs-version header would choose what a valid signature runs.
  for (const name of ['Action', 'Version']) {
    if (!params[name]) {
      throw new ApiError('MissingParameter', [], {
        message: `The input parameter ${name} that is mandatory for processing this request is not supplied: with the classic RPC signature, Action and Version must be among the signed parameters (the x-acs-action / x-acs-version headers are not signed).`,
      });
    }
  }
  if (params.SignatureMethod !== 'HMAC-SHA1') {
    throw new ApiError('InvalidSignatureMethod', [], { message: `Specified signature method ${params.SignatureMethod} is not supported; use HMAC-SHA1.` });
  }
  if (params.SignatureVersion !== undefined && params.SignatureVersion !== '1.0') {
    throw new ApiError('InvalidParameter', 'SignatureVersion');
  }
  const timeMs = checkTimestamp(params.Timestamp, deps.nowMs());
  const key = await activeKey(params.AccessKeyId, params.SecurityToken, deps);
  const signed: Record<string, string> = { ...params };
  delete signed.Signature;
  const expected = rpcSignature(req.method.toUpperCase(), signed, key.secret);
  if (!safeEqual(expected, params.Signature)) throw new ApiError('SignatureDoesNotMatch');
  await spendNonce(params.AccessKeyId, params.SignatureNonce, timeMs, deps);
  return { accessKeyId: params.AccessKeyId, accountId: key.principal.accountId, principal: key.principal, signature: 'RPC-HMAC-SHA1' };
}

async function authenticateAcs3(
  req: SignedRequest,
  auth: NonNullable<ReturnType<typeof parseAcs3Authorization>>,
  deps: AuthenticationDeps,
): Promise<Caller> {
  const date = headerValue(req.headers, 'x-acs-date');
  const nonce = headerValue(req.headers, 'x-acs-signature-nonce');
  const contentHash = headerValue(req.headers, 'x-acs-content-sha256');
  if (!date) throw new ApiError('MissingParameter', 'x-acs-date');
  if (!nonce) throw new ApiError('MissingParameter', 'x-acs-signature-nonce');
  if (!contentHash) throw new ApiError('MissingParameter', 'x-acs-content-sha256');
  // Every ACS header sent, the host and the content type must be covered by the signature (the cloud's rule),
  // or a proxy could add or change them unnoticed.
  const signed = new Set(auth.signedHeaders);
  for (const name of Object.keys(req.headers)) {
    if ((name === 'host' || name === 'content-type' || name.startsWith('x-acs-')) && !signed.has(name)) {
      throw new ApiError('SignatureDoesNotMatch', [], { message: `The header ${name} must be listed in SignedHeaders.` });
    }
  }
  const timeMs = checkTimestamp(date, deps.nowMs());
  const key = await activeKey(auth.accessKeyId, headerValue(req.headers, 'x-acs-security-token'), deps);
  if (!safeEqual(acs3Hash(auth.algorithm, req.rawBody), contentHash.toLowerCase())) {
    throw new ApiError('SignatureDoesNotMatch', [], { message: 'The x-acs-content-sha256 header does not match the hash of the request body.' });
  }
  const canonical = acs3CanonicalRequest(
    { method: req.method, pathname: req.pathname, query: req.params.query, headers: req.headers },
    auth.signedHeaders,
    contentHash,
  );
  if (!safeEqual(acs3Signature(auth.algorithm, canonical, key.secret), auth.signature.toLowerCase())) {
    throw new ApiError('SignatureDoesNotMatch');
  }
  await spendNonce(auth.accessKeyId, nonce, timeMs, deps);
  return { accessKeyId: auth.accessKeyId, accountId: key.principal.accountId, principal: key.principal, signature: auth.algorithm };
}

function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}

/** `yyyy-MM-ddTHH:mm:ssZ` (the SDKs send no fraction; one is tolerated), within 15 minutes of now. */
function checkTimestamp(text: string, nowMs: number): number {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/.test(text) || Number.isNaN(Date.parse(text))) {
    throw new ApiError('InvalidTimeStamp.Format', [], { message: `Specified time stamp ${text} is not in the format yyyy-MM-ddTHH:mm:ssZ (UTC).` });
  }
  const timeMs = Date.parse(text);
  if (Math.abs(nowMs - timeMs) > MAX_CLOCK_SKEW_MS) throw new ApiError('InvalidTimeStamp.Expired');
  return timeMs;
}

async function activeKey(accessKeyId: string, securityToken: string | undefined, deps: AuthenticationDeps) {
  const key = await deps.findAccessKey(accessKeyId, securityToken || undefined);
  if (!key) throw new ApiError('InvalidAccessKeyId.NotFound');
  if (key.status !== 'Active') throw new ApiError('InvalidAccessKeyId.Inactive');
  return key;
}

/**
 * Checked after the signature, so a forged request cannot use up a nonce. A nonce is kept until its own
 * timestamp plus the skew window: after that the timestamp check refuses a replay anyway.
 */
async function spendNonce(accessKeyId: string, nonce: string, timeMs: number, deps: AuthenticationDeps): Promise<void> {
  if (nonce.length > 128) throw new ApiError('InvalidParameter', 'SignatureNonce');
  if (!(await deps.rememberNonce(accessKeyId, nonce, timeMs + MAX_CLOCK_SKEW_MS))) throw new ApiError('SignatureNonceUsed');
}
