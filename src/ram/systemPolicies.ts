/**
 * Built-in (System) policies and the role every account gets, as the cloud provides them. System policies are
 * constants, never stored: they can be attached but not changed.
 */
export interface SystemPolicy {
  name: string;
  description: string;
  document: string;
}

const doc = (statements: object[]) => JSON.stringify({ Version: '1', Statement: statements });

export const SYSTEM_POLICIES: ReadonlyMap<string, SystemPolicy> = new Map(
  [
    { name: 'AliyunIMMFullAccess', description: 'Full access to Intelligent Media Management (IMM)', document: doc([{ Effect: 'Allow', Action: 'imm:*', Resource: '*' }]) },
    {
      name: 'AliyunIMMReadOnlyAccess',
      description: 'Read-only access to Intelligent Media Management (IMM)',
      document: doc([{ Effect: 'Allow', Action: ['imm:Get*', 'imm:List*', 'imm:Describe*', 'imm:Query*', 'imm:Search*'], Resource: '*' }]),
    },
    { name: 'AliyunOSSReadOnlyAccess', description: 'Read-only access to Object Storage Service (OSS)', document: doc([{ Effect: 'Allow', Action: ['oss:Get*', 'oss:List*'], Resource: '*' }]) },
    { name: 'AliyunSTSAssumeRoleAccess', description: 'Permission to call AssumeRole of Security Token Service (STS)', document: doc([{ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: '*' }]) },
    { name: 'AliyunRAMFullAccess', description: 'Full access to Resource Access Management (RAM)', document: doc([{ Effect: 'Allow', Action: 'ram:*', Resource: '*' }]) },
    {
      name: 'AliyunIMMDefaultRolePolicy',
      description: 'What IMM may do with the default service role: read the documents of the account',
      document: doc([{ Effect: 'Allow', Action: ['oss:GetObject', 'oss:GetObjectMeta', 'oss:ListObjects'], Resource: '*' }]),
    },
  ].map((p) => [p.name, p]),
);

/** The IMM service's principal in trust policies. */
export const IMM_SERVICE_PRINCIPAL = 'imm.aliyuncs.com';

/** Every account has this role: IMM reads the account's documents through it when no chain is given. */
export const DEFAULT_SERVICE_ROLE = {
  name: 'AliyunIMMDefaultRole',
  description: 'The default role IMM assumes to read documents of this account',
  trustPolicy: doc([{ Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { Service: [IMM_SERVICE_PRINCIPAL] } }]),
  policy: 'AliyunIMMDefaultRolePolicy',
} as const;

export function ramArn(accountId: string, resource: string): string {
  return `acs:ram::${accountId}:${resource}`;
}
