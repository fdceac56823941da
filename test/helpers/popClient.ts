/**
 * A thin wrapper around the official `@alicloud/pop-core` RPCClient (classic RPC signature, HMAC-SHA1) for
 * tests that drive a real server: struct parameters go as JSON text, errors come back as values with their
 * code and HTTP status, so tests can assert on both.
 */
import { createHmac } from 'node:crypto';
import RPCClient from '@alicloud/pop-core';

export interface Credentials {
  AccessKeyId: string;
  AccessKeySecret: string;
}

export type Params = Record<string, string | number | boolean | object | undefined>;

export interface ApiFailure {
  ok: false;
  code: string;
  status: number;
  message: string;
  body: Record<string, unknown>;
}

export interface ApiSuccess<T> {
  ok: true;
  status: number;
  body: T;
}

export type ApiResult<T = Record<string, any>> = ApiSuccess<T> | ApiFailure;

export interface PopClient {
  /** Calls the action; rejects with the pop-core error on an error reply. */
  call<T = Record<string, any>>(action: string, params?: Params, method?: 'GET' | 'POST'): Promise<T>;
  /** Calls the action; resolves with the reply or the error (code, HTTP status, message). */
  attempt<T = Record<string, any>>(action: string, params?: Params, method?: 'GET' | 'POST'): Promise<ApiResult<T>>;
}

/** Struct parameters (objects) become JSON text, as the SDKs send them; undefined is left out. */
function wireParams(params: Params): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(params)) {
    if (value === undefined) continue;
    out[name] = typeof value === 'object' ? JSON.stringify(value) : String(value);
  }
  return out;
}

export function popClient(server: { url: string }, credentials: Credentials): PopClient {
  const client = new RPCClient({
    accessKeyId: credentials.AccessKeyId,
    accessKeySecret: credentials.AccessKeySecret,
    endpoint: server.url,
    apiVersion: '2020-09-30',
  });
  const call = async <T>(action: string, params: Params = {}, method: 'GET' | 'POST' = 'POST'): Promise<T> =>
    // formatParams: false keeps the names exactly as given; timeout: the default 3 s is short for a busy CI box.
    client.request<T>(action, wireParams(params), { method, formatParams: false, timeout: 30_000 });
  return {
    call,
    async attempt<T>(action: string, params: Params = {}, method: 'GET' | 'POST' = 'POST'): Promise<ApiResult<T>> {
      try {
        return { ok: true, status: 200, body: await call<T>(action, params, method) };
      } catch (err) {
        const e = err as { code?: string; data?: Record<string, unknown>; entry?: { response?: { statusCode?: number } }; message?: string };
        if (typeof e.code !== 'string' || !e.data) throw err; // not an API error reply (network, parse…)
        return {
          ok: false,
          code: e.code,
          status: e.entry?.response?.statusCode ?? 0,
          message: String(e.data.Message ?? ''),
          body: e.data,
        };
      }
    },
  };
}

/** Asserts an attempt failed with `code` (and `status`, `message` when given); returns the failure. */
export function expectFailure(result: ApiResult<unknown>, code: string, status?: number, message?: string | RegExp): ApiFailure {
  if (result.ok) throw new Error(`expected ${code}, got success: ${JSON.stringify(result.body)}`);
  const where = `${result.code} ${result.status} ${JSON.stringify(result.message)}`;
  if (result.code !== code) throw new Error(`expected ${code}, got ${where}`);
  if (status !== undefined && result.status !== status) throw new Error(`expected HTTP ${status} for ${code}, got ${where}`);
  if (typeof message === 'string' && result.message !== message) throw new Error(`expected message ${JSON.stringify(message)}, got ${where}`);
  if (message instanceof RegExp && !message.test(result.message)) throw new Error(`expected message matching ${message}, got ${where}`);
  return result;
}

/** Asserts success and returns the body. */
export function expectOk<T>(result: ApiResult<T>): T {
  if (!result.ok) throw new Error(`expected success, got ${result.code} ${result.status}: ${result.message}`);
  return result.body;
}

/**
 * A classic-RPC-signed form body built the way pop-core builds it, for tests that must control the bytes on the
 * socket themselves (e.g. a request whose body arrives slowly).
 */
export function signedRpcForm(action: string, params: Record<string, string>, credentials: Credentials, method = 'POST'): string {
  const encode = (s: string) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  const all: Record<string, string> = {
    Action: action,
    Format: 'JSON',
    Version: '2020-09-30',
    Timestamp: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
    SignatureMethod: 'HMAC-SHA1',
    SignatureVersion: '1.0',
    SignatureNonce: `${Date.now()}-${Math.random().toString(36).slice(2)}`,
    AccessKeyId: credentials.AccessKeyId,
    ...params,
  };
  const canonical = Object.keys(all)
    .sort()
    .map((k) => `${encode(k)}=${encode(all[k])}`)
    .join('&');
  const signature = createHmac('sha1', `${credentials.AccessKeySecret}&`).update(`${method}&${encode('/')}&${encode(canonical)}`).digest('base64');
  return `${canonical}&Signature=${encode(signature)}`;
}
