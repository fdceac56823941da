/**
 * The three official Alibaba Cloud Node clients, pointed at a test server, behind one small interface:
 * `call(action, params)` resolves with the response body or throws the client's OWN error object.
 *
 * Nothing here imitates a client: every request is built, signed and sent by the library itself, the way an
 * application (or the generated IMM SDK) uses it (spec: wire-format.md §1). `describeError` only reads the
 * fields each library puts on its errors (wire-format.md §5) so tests can compare them uniformly.
 *
 * These packages are CommonJS; under ESM the default import is `module.exports`, whose `.default` is the
 * class for the TypeScript-compiled ones (openapi-client, openapi-core, openapi-util, tea-util).
 */
import assert from 'node:assert/strict';
import popCorePkg from '@alicloud/pop-core';
import openApiClientPkg from '@alicloud/openapi-client';
import openApiUtilPkg from '@alicloud/openapi-util';
import teaUtilPkg from '@alicloud/tea-util';
import openApiCorePkg from '@alicloud/openapi-core';

type Dict = Record<string, unknown>;

function defaultExport<T>(pkg: T): T extends { default: infer D } ? D : T {
  const mod = pkg as { default?: unknown };
  return (mod.default ?? pkg) as T extends { default: infer D } ? D : T;
}

// pop-core's module.exports IS the RPCClient class (with ROAClient/RPCClient attached).
export const RPCClient = popCorePkg as unknown as typeof popCorePkg;
const OpenApiClient = defaultExport(openApiClientPkg);
const { OpenApiRequest, Params, Config } = openApiClientPkg;
const OpenApiUtil = defaultExport(openApiUtilPkg);
const { RuntimeOptions } = teaUtilPkg;
const OpenApiCore = defaultExport(openApiCorePkg);
const { $OpenApiUtil: CoreModels, OpenApiUtil: CoreOpenApiUtil } = openApiCorePkg;
export const { ClientError: CoreClientError, ServerError: CoreServerError } = openApiCorePkg;

export const IMM_VERSION = '2020-09-30';

/** Every way of calling the RPC API that an application written against IMM may use. */
export const CLIENT_VARIANTS = [
  'pop-core POST',
  'pop-core GET',
  'openapi-client ACS3-HMAC-SHA256 query',
  'openapi-client ACS3-HMAC-SM3 query',
  'openapi-client ACS3-HMAC-SHA256 form body',
  "openapi-client 'v2' query",
  "openapi-client 'v2' form body",
  'openapi-core ACS3-HMAC-SHA256 query',
  "openapi-core 'v2' query",
] as const;
export type ClientVariant = (typeof CLIENT_VARIANTS)[number];

export type ClientFamily = 'pop-core' | 'openapi-client' | 'openapi-core';

export interface Credentials {
  AccessKeyId: string;
  AccessKeySecret: string;
  /** For temporary (STS) credentials: each library sends it its own way (SecurityToken parameter or x-acs-security-token header). */
  SecurityToken?: string;
}

export interface OfficialClient {
  variant: ClientVariant;
  family: ClientFamily;
  /**
   * Calls `action` with `params`. For pop-core, struct params must already be JSON text (it would send a
   * plain object as "[object Object]"); the openapi clients flatten nested objects with OpenApiUtil.query,
   * exactly as they would for a generated SDK. Resolves with the response body; throws the library's error.
   */
  call(action: string, params?: Dict): Promise<Record<string, any>>;
}

export function familyOf(variant: ClientVariant): ClientFamily {
  return variant.startsWith('pop-core') ? 'pop-core' : variant.startsWith('openapi-core') ? 'openapi-core' : 'openapi-client';
}

/** A client of the given variant for `server` (needs only `endpoint` = host:port), with these credentials. */
export function createClient(variant: ClientVariant, server: { endpoint: string }, credentials: Credentials): OfficialClient {
  switch (variant) {
    case 'pop-core POST':
    case 'pop-core GET':
      return popCoreClient(variant, server.endpoint, credentials, variant === 'pop-core POST' ? 'POST' : 'GET');
    case 'openapi-client ACS3-HMAC-SHA256 query':
      return openApiClient(variant, server.endpoint, credentials, undefined, 'query');
    case 'openapi-client ACS3-HMAC-SM3 query':
      return openApiClient(variant, server.endpoint, credentials, 'ACS3-HMAC-SM3', 'query');
    case 'openapi-client ACS3-HMAC-SHA256 form body':
      return openApiClient(variant, server.endpoint, credentials, undefined, 'body');
    case "openapi-client 'v2' query":
      return openApiClient(variant, server.endpoint, credentials, 'v2', 'query');
    case "openapi-client 'v2' form body":
      return openApiClient(variant, server.endpoint, credentials, 'v2', 'body');
    case 'openapi-core ACS3-HMAC-SHA256 query':
      return openApiCoreClient(variant, server.endpoint, credentials, undefined);
    case "openapi-core 'v2' query":
      return openApiCoreClient(variant, server.endpoint, credentials, 'v2');
  }
}

function popCoreClient(variant: ClientVariant, endpoint: string, credentials: Credentials, method: 'POST' | 'GET'): OfficialClient {
  const client = new RPCClient({
    endpoint: `http://${endpoint}`,
    apiVersion: IMM_VERSION,
    accessKeyId: credentials.AccessKeyId,
    accessKeySecret: credentials.AccessKeySecret,
    ...(credentials.SecurityToken ? { securityToken: credentials.SecurityToken } : {}),
  });
  return {
    variant,
    family: 'pop-core',
    // pop-core never retries; `timeout` is httpx's whole-request timeout.
    call: async (action, params = {}) => client.request<Record<string, any>>(action, params, { method, timeout: 15_000 }),
  };
}

/** The Params of the generated IMM SDK (spec imm-weboffice-api.md §4.2), over plain HTTP. */
function immParams(action: string): Dict {
  return {
    action,
    version: IMM_VERSION,
    protocol: 'HTTP',
    pathname: '/',
    method: 'POST',
    authType: 'AK',
    style: 'RPC',
    reqBodyType: 'formData',
    bodyType: 'json',
  };
}

function openApiClient(
  variant: ClientVariant,
  endpoint: string,
  credentials: Credentials,
  signatureAlgorithm: 'ACS3-HMAC-SM3' | 'v2' | undefined,
  placement: 'query' | 'body',
): OfficialClient {
  const client = new OpenApiClient(
    new Config({
      accessKeyId: credentials.AccessKeyId,
      accessKeySecret: credentials.AccessKeySecret,
      ...(credentials.SecurityToken ? { securityToken: credentials.SecurityToken } : {}),
      endpoint,
      protocol: 'http',
      ...(signatureAlgorithm ? { signatureAlgorithm } : {}),
    }),
  );
  return {
    variant,
    family: 'openapi-client',
    call: async (action, params = {}) => {
      // Like the generated SDK: `query: OpenApiUtil.query(query)`, or (actions with body params)
      // `body: OpenApiUtil.parseToMap(body)`, which the client sends as a chunked form body.
      const request = new OpenApiRequest(placement === 'query' ? { query: OpenApiUtil.query(params) } : { body: OpenApiUtil.parseToMap(params) });
      const runtime = new RuntimeOptions({ autoretry: false, readTimeout: 15_000, connectTimeout: 5_000 });
      const response = await client.callApi(new Params(immParams(action)), request, runtime);
      return response.body as Record<string, any>;
    },
  };
}

function openApiCoreClient(variant: ClientVariant, endpoint: string, credentials: Credentials, signatureAlgorithm: 'v2' | undefined): OfficialClient {
  // No retryOptions in the Config: openapi-core then makes exactly one attempt.
  const client = new OpenApiCore(
    new CoreModels.Config({
      accessKeyId: credentials.AccessKeyId,
      accessKeySecret: credentials.AccessKeySecret,
      ...(credentials.SecurityToken ? { securityToken: credentials.SecurityToken } : {}),
      endpoint,
      protocol: 'http',
      readTimeout: 15_000,
      connectTimeout: 5_000,
      ...(signatureAlgorithm ? { signatureAlgorithm } : {}),
    }),
  );
  return {
    variant,
    family: 'openapi-core',
    call: async (action, params = {}) => {
      const request = new CoreModels.OpenApiRequest({ query: CoreOpenApiUtil.query(params) });
      const runtime = {} as Parameters<InstanceType<typeof OpenApiCore>['callApi']>[2];
      const response = await client.callApi(new CoreModels.Params(immParams(action)), request, runtime);
      return response.body as Record<string, any>;
    },
  };
}

/** What a caller can read from a client's error, by where each library puts it (wire-format.md §5). */
export interface SurfacedError {
  code: string;
  /** HTTP status, where the library exposes it (pop-core only on `err.entry.response`). */
  statusCode: number | undefined;
  /** Our `Message`, as the library carries it. */
  message: string;
  /** Our `RequestId`, as the library carries it. */
  requestId: string | undefined;
  /** The parsed error body the library kept. */
  data: Record<string, any> | undefined;
}

export function describeError(family: ClientFamily, err: unknown): SurfacedError {
  if (!(err instanceof Error)) throw new Error(`expected the client to throw an Error, it threw ${JSON.stringify(err)}`);
  const e = err as Error & Record<string, any>;
  switch (family) {
    case 'pop-core':
      return {
        code: e.code,
        statusCode: e.entry?.response?.statusCode,
        message: e.data?.Message,
        requestId: e.data?.RequestId,
        data: e.data,
      };
    case 'openapi-client':
      return { code: e.code, statusCode: e.statusCode, message: e.data?.Message, requestId: e.data?.RequestId, data: e.data };
    case 'openapi-core':
      return { code: e.code, statusCode: e.statusCode, message: e.data?.Message, requestId: e.requestId, data: e.data };
  }
}

/** Calls and expects the library to throw `code`; returns the error as the library surfaces it, and itself. */
export async function expectClientError(client: OfficialClient, action: string, params: Record<string, unknown>, code: string): Promise<SurfacedError & { error: unknown }> {
  try {
    const body = await client.call(action, params);
    assert.fail(`${client.variant}: expected ${code} from ${action}, got ${JSON.stringify(body)}`);
  } catch (err) {
    if (err instanceof assert.AssertionError) throw err;
    const surfaced = describeError(client.family, err);
    assert.equal(surfaced.code, code, `${client.variant}: ${action} → ${surfaced.code} ${surfaced.message}`);
    return { ...surfaced, error: err };
  }
}
