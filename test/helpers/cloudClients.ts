/**
 * The official generated RAM (`@alicloud/ram20150501`) and STS (`@alicloud/sts20150401`) clients, pointed at a
 * test server. Both are built on `@alicloud/openapi-core` and sign with ACS3-HMAC-SHA256 (the generated
 * clients' default); temporary credentials go into the Config's `securityToken`, which openapi-core sends as
 * the `x-acs-security-token` header.
 *
 * These packages are CommonJS: under ESM the default import is `module.exports`, whose `.default` is the
 * client class and whose other properties are the request models.
 */
import assert from 'node:assert/strict';
import ramPkg from '@alicloud/ram20150501';
import stsPkg from '@alicloud/sts20150401';
import openApiCorePkg from '@alicloud/openapi-core';
import type { Credentials } from './clients.js';

export const ram = ramPkg;
export const sts = stsPkg;
export const RamClient = ramPkg.default;
export const StsClient = stsPkg.default;
export type RamClient = InstanceType<typeof ramPkg.default>;
export type StsClient = InstanceType<typeof stsPkg.default>;

const { $OpenApiUtil } = openApiCorePkg;

function config(server: { endpoint: string }, credentials: Credentials) {
  return new $OpenApiUtil.Config({
    accessKeyId: credentials.AccessKeyId,
    accessKeySecret: credentials.AccessKeySecret,
    ...(credentials.SecurityToken ? { securityToken: credentials.SecurityToken } : {}),
    endpoint: server.endpoint,
    protocol: 'http',
    readTimeout: 15_000,
    connectTimeout: 5_000,
  });
}

export function ramClient(server: { endpoint: string }, credentials: Credentials): RamClient {
  return new RamClient(config(server, credentials));
}

export function stsClient(server: { endpoint: string }, credentials: Credentials): StsClient {
  return new StsClient(config(server, credentials));
}

/** What openapi-core puts on its ClientError (4xx): code, statusCode, data (our body) and accessDeniedDetail. */
export interface CloudError {
  code: string;
  statusCode: number;
  message: string;
  data: Record<string, any>;
  accessDeniedDetail?: Record<string, any>;
}

/** Awaits `promise`, expecting the client to throw `code` (with `status` when given); returns the error. */
export async function expectCloudError(promise: Promise<unknown>, code: string, status?: number): Promise<CloudError> {
  let result: unknown;
  try {
    result = await promise;
  } catch (err) {
    const e = err as CloudError;
    assert.ok(err instanceof Error, `expected an Error, got ${String(err)}`);
    assert.equal(e.code, code, `expected ${code}, got ${e.code}: ${e.data?.Message ?? e.message}`);
    if (status !== undefined) assert.equal(e.statusCode, status, `HTTP status of ${code}`);
    return { code: e.code, statusCode: e.statusCode, message: String(e.data?.Message ?? ''), data: e.data, accessDeniedDetail: e.accessDeniedDetail };
  }
  assert.fail(`expected ${code}, the call succeeded: ${JSON.stringify((result as { body?: unknown })?.body ?? result)}`);
}

/** A policy document as JSON text. */
export function policy(...statements: Record<string, unknown>[]): string {
  return JSON.stringify({ Version: '1', Statement: statements });
}

/** A trust policy letting these RAM principals (ARNs or account IDs) and/or services assume the role. */
export function trustPolicy(principal: { RAM?: string[]; Service?: string[] }): string {
  return policy({ Effect: 'Allow', Action: 'sts:AssumeRole', Principal: principal });
}

/** CreateUser + CreateAccessKey through the RAM client, then these system policies attached; returns the new key. */
export async function createRamUser(root: RamClient, name: string, options: { displayName?: string; systemPolicies?: string[] } = {}): Promise<Credentials> {
  await root.createUser(new ram.CreateUserRequest({ userName: name, ...(options.displayName ? { displayName: options.displayName } : {}) }));
  const key = (await root.createAccessKey(new ram.CreateAccessKeyRequest({ userName: name }))).body!.accessKey!;
  assert.match(key.accessKeyId!, /^LTAI/);
  assert.equal(key.status, 'Active');
  for (const policyName of options.systemPolicies ?? []) {
    await root.attachPolicyToUser(new ram.AttachPolicyToUserRequest({ userName: name, policyName, policyType: 'System' }));
  }
  return { AccessKeyId: key.accessKeyId!, AccessKeySecret: key.accessKeySecret! };
}
