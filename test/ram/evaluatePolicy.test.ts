import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  conditionsHold,
  evaluatePolicies,
  evaluateTrustPolicy,
  statementApplies,
  type AuthorizationRequest,
  type Decision,
  type NamedPolicy,
  type PolicyType,
  type RequestContext,
} from '../../src/ram/evaluatePolicy.js';
import {
  parsePolicyDocument,
  type ConditionBlock,
  type PolicyDocument,
  type PolicyStatement,
} from '../../src/ram/policyDocument.js';

const PROJECT = 'acs:imm:cn-hangzhou:123:project/p1';
const OTHER_PROJECT = 'acs:imm:cn-hangzhou:123:project/p2';
const GENERATE = 'imm:GenerateWebofficeToken';

/** Documents in tests go through the parser, so they are exactly what the server would store. */
function policy(name: string, statements: unknown[], type: PolicyType = 'Custom'): NamedPolicy {
  return { name, type, document: parsePolicyDocument(JSON.stringify({ Version: '1', Statement: statements }), 'identity') };
}

function trustDocument(statements: unknown[]): PolicyDocument {
  return parsePolicyDocument(JSON.stringify({ Version: '1', Statement: statements }), 'trust');
}

function request(action: string, resource: string, context: RequestContext = {}): AuthorizationRequest {
  return { action, resource, context };
}

/** One condition operator on one key, as the parser would normalise it. */
function holds(operator: string, key: string, values: string[], context: RequestContext): boolean {
  return conditionsHold({ [operator]: { [key]: values } }, context);
}

const FULL_ACCESS = policy('AliyunIMMFullAccess', [{ Effect: 'Allow', Action: 'imm:*', Resource: '*' }], 'System');

describe('evaluatePolicies: precedence', () => {
  test('no policies at all is an implicit deny', () => {
    assert.deepEqual(evaluatePolicies(request(GENERATE, PROJECT), []), { allowed: false, noPermissionType: 'ImplicitDeny' });
  });

  test('a matching Allow allows and names the deciding statement', () => {
    const decision = evaluatePolicies(request(GENERATE, PROJECT), [FULL_ACCESS]);
    assert.deepEqual(decision, {
      allowed: true,
      matched: { policyName: 'AliyunIMMFullAccess', policyType: 'System', statementIndex: 0, effect: 'Allow' },
    });
  });

  test('a user limited to one project is implicitly denied on another', () => {
    const onlyP1 = policy('OnlyP1', [{ Effect: 'Allow', Action: 'imm:*', Resource: PROJECT }]);
    assert.equal(evaluatePolicies(request(GENERATE, PROJECT), [onlyP1]).allowed, true);
    assert.deepEqual(evaluatePolicies(request(GENERATE, OTHER_PROJECT), [onlyP1]), {
      allowed: false,
      noPermissionType: 'ImplicitDeny',
    });
  });

  test('an explicit Deny beats AliyunIMMFullAccess and is reported as the deciding statement', () => {
    const deny = policy('NoTokens', [
      { Effect: 'Allow', Action: 'oss:GetObject', Resource: '*' },
      { Effect: 'Deny', Action: 'imm:*WebofficeToken', Resource: '*' },
    ]);
    assert.deepEqual(evaluatePolicies(request(GENERATE, PROJECT), [FULL_ACCESS, deny]), {
      allowed: false,
      noPermissionType: 'ExplicitDeny',
      matched: { policyName: 'NoTokens', policyType: 'Custom', statementIndex: 1, effect: 'Deny' },
    });
  });

  test('action names match case-insensitively, in the policy and in the request', () => {
    const p = policy('P', [{ Effect: 'Allow', Action: 'IMM:generateweboffice*', Resource: '*' }]);
    assert.equal(evaluatePolicies(request(GENERATE, PROJECT), [p]).allowed, true);
    assert.equal(evaluatePolicies(request('imm:GENERATEWEBOFFICETOKEN', PROJECT), [p]).allowed, true);
    assert.equal(evaluatePolicies(request('imm:RefreshWebofficeToken', PROJECT), [p]).allowed, false);
  });

  test('resources match case-sensitively, with wildcards', () => {
    const p = policy('P', [{ Effect: 'Allow', Action: '*', Resource: 'acs:imm:*:123:project/p?' }]);
    assert.equal(evaluatePolicies(request(GENERATE, PROJECT), [p]).allowed, true);
    assert.equal(evaluatePolicies(request(GENERATE, 'acs:imm:cn-hangzhou:123:project/P1'), [p]).allowed, false);
    assert.equal(evaluatePolicies(request(GENERATE, 'acs:imm:cn-hangzhou:123:project/p10'), [p]).allowed, false);
  });

  test('NotAction allows everything except the listed actions', () => {
    const p = policy('P', [{ Effect: 'Allow', NotAction: ['imm:Delete*', 'ram:*'], Resource: '*' }]);
    assert.equal(evaluatePolicies(request(GENERATE, PROJECT), [p]).allowed, true);
    assert.equal(evaluatePolicies(request('imm:DeleteProject', PROJECT), [p]).allowed, false);
    assert.equal(evaluatePolicies(request('RAM:CreateUser', '*'), [p]).allowed, false);
  });

  test('NotResource allows everywhere except the listed resources', () => {
    const p = policy('P', [{ Effect: 'Allow', Action: 'imm:*', NotResource: 'acs:imm:*:*:project/p2' }]);
    assert.equal(evaluatePolicies(request(GENERATE, PROJECT), [p]).allowed, true);
    assert.equal(evaluatePolicies(request(GENERATE, OTHER_PROJECT), [p]).allowed, false);
  });

  test('a Deny with NotAction denies every action but the listed ones', () => {
    const p = policy('P', [
      { Effect: 'Allow', Action: '*', Resource: '*' },
      { Effect: 'Deny', NotAction: 'imm:Get*', Resource: '*' },
    ]);
    assert.equal(evaluatePolicies(request('imm:GetProject', PROJECT), [p]).allowed, true);
    assert.equal(evaluatePolicies(request(GENERATE, PROJECT), [p]).noPermissionType, 'ExplicitDeny');
  });

  test('a statement whose condition fails does not apply, whatever its effect', () => {
    const p = policy('P', [
      { Effect: 'Allow', Action: 'imm:*', Resource: '*' },
      { Effect: 'Deny', Action: 'imm:*', Resource: '*', Condition: { Bool: { 'acs:SecureTransport': false } } },
    ]);
    assert.equal(evaluatePolicies(request(GENERATE, PROJECT, { 'acs:SecureTransport': 'true' }), [p]).allowed, true);
    assert.equal(evaluatePolicies(request(GENERATE, PROJECT, { 'acs:SecureTransport': 'false' }), [p]).allowed, false);
  });

  test('an IpAddress condition decides', () => {
    const p = policy('OfficeOnly', [
      { Effect: 'Allow', Action: 'imm:*', Resource: '*', Condition: { IpAddress: { 'acs:SourceIp': ['192.168.0.0/16', '2001:db8::/32'] } } },
    ]);
    assert.equal(evaluatePolicies(request(GENERATE, PROJECT, { 'acs:SourceIp': '192.168.3.4' }), [p]).allowed, true);
    assert.equal(evaluatePolicies(request(GENERATE, PROJECT, { 'acs:SourceIp': '2001:db8:1::7' }), [p]).allowed, true);
    assert.equal(evaluatePolicies(request(GENERATE, PROJECT, { 'acs:SourceIp': '10.0.0.1' }), [p]).allowed, false);
    assert.equal(evaluatePolicies(request(GENERATE, PROJECT), [p]).allowed, false);
  });

  test('an acs:CurrentTime condition decides, with offsets compared as instants', () => {
    const p = policy('UntilFivePmBeijing', [
      { Effect: 'Allow', Action: 'imm:*', Resource: '*', Condition: { DateLessThan: { 'acs:CurrentTime': '2019-08-12T17:00:00+08:00' } } },
    ]);
    const at = (time: string) => evaluatePolicies(request(GENERATE, PROJECT, { 'acs:CurrentTime': time }), [p]).allowed;
    assert.equal(at('2019-08-12T08:59:59Z'), true);
    assert.equal(at('2019-08-12T09:00:00Z'), false);
    assert.equal(at('2019-08-12T16:59:59.999+08:00'), true);
  });

  test('a Deny on acs:MFAPresent false does not fire for AccessKey calls, where the key is absent', () => {
    const p = policy('P', [
      { Effect: 'Allow', Action: 'imm:*', Resource: '*' },
      { Effect: 'Deny', Action: '*', Resource: '*', Condition: { Bool: { 'acs:MFAPresent': 'false' } } },
    ]);
    assert.equal(evaluatePolicies(request(GENERATE, PROJECT, { 'acs:AccessId': 'LTAI1' }), [p]).allowed, true);
    assert.equal(evaluatePolicies(request(GENERATE, PROJECT, { 'acs:MFAPresent': 'false' }), [p]).allowed, false);
  });
});

describe('evaluatePolicies: session policies intersect', () => {
  const allowP1 = policy('Session', [{ Effect: 'Allow', Action: 'imm:*', Resource: PROJECT }], 'Session');

  test('an empty list of session policies allows nothing', () => {
    assert.deepEqual(evaluatePolicies(request(GENERATE, PROJECT), [FULL_ACCESS], []), {
      allowed: false,
      noPermissionType: 'ImplicitDeny',
      deniedBySessionPolicy: true,
    });
  });

  test('allowed by both the session and an identity policy is allowed, naming the identity Allow', () => {
    assert.deepEqual(evaluatePolicies(request(GENERATE, PROJECT), [FULL_ACCESS], [allowP1]), {
      allowed: true,
      matched: { policyName: 'AliyunIMMFullAccess', policyType: 'System', statementIndex: 0, effect: 'Allow' },
    });
  });

  test('outside the session policy is an implicit deny attributed to the session policy', () => {
    assert.deepEqual(evaluatePolicies(request(GENERATE, OTHER_PROJECT), [FULL_ACCESS], [allowP1]), {
      allowed: false,
      noPermissionType: 'ImplicitDeny',
      deniedBySessionPolicy: true,
    });
  });

  test('a session policy cannot widen what the identity may do', () => {
    const sessionAll = policy('Session', [{ Effect: 'Allow', Action: '*', Resource: '*' }], 'Session');
    assert.deepEqual(evaluatePolicies(request('oss:GetObject', 'acs:oss:*:123:b/o'), [FULL_ACCESS], [sessionAll]), {
      allowed: false,
      noPermissionType: 'ImplicitDeny',
    });
  });

  test('an explicit Deny in a session policy wins and is reported with type Session', () => {
    const sessionDeny = policy('Session', [{ Effect: 'Deny', Action: GENERATE, Resource: '*' }], 'Session');
    assert.deepEqual(evaluatePolicies(request(GENERATE, PROJECT), [FULL_ACCESS], [allowP1, sessionDeny]), {
      allowed: false,
      noPermissionType: 'ExplicitDeny',
      matched: { policyName: 'Session', policyType: 'Session', statementIndex: 0, effect: 'Deny' },
    });
  });

  test('an identity Deny still wins when the session policy allows', () => {
    const deny = policy('Deny', [{ Effect: 'Deny', Action: 'imm:*', Resource: '*' }]);
    const decision = evaluatePolicies(request(GENERATE, PROJECT), [FULL_ACCESS, deny], [allowP1]);
    assert.equal(decision.noPermissionType, 'ExplicitDeny');
    assert.equal(decision.matched?.policyName, 'Deny');
  });
});

describe('conditionsHold: string operators', () => {
  const ua = (value?: string): RequestContext => (value === undefined ? {} : { 'acs:UserAgent': value });
  test('StringEquals is exact and case-sensitive; missing key is false', () => {
    assert.equal(holds('StringEquals', 'acs:UserAgent', ['aliyun-sdk'], ua('aliyun-sdk')), true);
    assert.equal(holds('StringEquals', 'acs:UserAgent', ['aliyun-sdk'], ua('Aliyun-SDK')), false);
    assert.equal(holds('StringEquals', 'acs:UserAgent', ['aliyun-sdk'], ua()), false);
  });
  test('StringEquals with several values holds when any one matches', () => {
    assert.equal(holds('StringEquals', 'acs:UserAgent', ['x', 'y', 'aliyun-sdk'], ua('aliyun-sdk')), true);
    assert.equal(holds('StringEquals', 'acs:UserAgent', ['x', 'y'], ua('aliyun-sdk')), false);
  });
  test('StringNotEquals holds when the value matches none of the values; missing key is true', () => {
    assert.equal(holds('StringNotEquals', 'acs:UserAgent', ['a'], ua('a')), false);
    assert.equal(holds('StringNotEquals', 'acs:UserAgent', ['a'], ua('b')), true);
    assert.equal(holds('StringNotEquals', 'acs:UserAgent', ['a', 'b'], ua('b')), false);
    assert.equal(holds('StringNotEquals', 'acs:UserAgent', ['a', 'b'], ua('c')), true);
    assert.equal(holds('StringNotEquals', 'acs:UserAgent', ['a'], ua()), true);
  });
  test('StringEqualsIgnoreCase ignores case; missing key is false', () => {
    assert.equal(holds('StringEqualsIgnoreCase', 'acs:UserAgent', ['ALIYUN-sdk'], ua('aliyun-SDK')), true);
    assert.equal(holds('StringEqualsIgnoreCase', 'acs:UserAgent', ['aliyun'], ua('aliyun-sdk')), false);
    assert.equal(holds('StringEqualsIgnoreCase', 'acs:UserAgent', ['x', 'ALIYUN'], ua('aliyun')), true);
    assert.equal(holds('StringEqualsIgnoreCase', 'acs:UserAgent', ['aliyun'], ua()), false);
  });
  test('StringNotEqualsIgnoreCase holds when no value equals ignoring case; missing key is true', () => {
    assert.equal(holds('StringNotEqualsIgnoreCase', 'acs:UserAgent', ['ABC'], ua('abc')), false);
    assert.equal(holds('StringNotEqualsIgnoreCase', 'acs:UserAgent', ['ABC', 'x'], ua('abd')), true);
    assert.equal(holds('StringNotEqualsIgnoreCase', 'acs:UserAgent', ['x', 'ABC'], ua('abc')), false);
    assert.equal(holds('StringNotEqualsIgnoreCase', 'acs:UserAgent', ['ABC'], ua()), true);
  });
  test('StringLike matches wildcards case-sensitively; missing key is false', () => {
    assert.equal(holds('StringLike', 'acs:UserAgent', ['Mozilla/*'], ua('Mozilla/5.0')), true);
    assert.equal(holds('StringLike', 'acs:UserAgent', ['Mozilla/?.0'], ua('Mozilla/5.0')), true);
    assert.equal(holds('StringLike', 'acs:UserAgent', ['Mozilla/*'], ua('mozilla/5.0')), false);
    assert.equal(holds('StringLike', 'acs:UserAgent', ['curl/*', 'Mozilla/*'], ua('Mozilla/5.0')), true);
    assert.equal(holds('StringLike', 'acs:UserAgent', ['*'], ua()), false);
  });
  test('StringNotLike holds when no pattern matches; missing key is true', () => {
    assert.equal(holds('StringNotLike', 'acs:UserAgent', ['Mozilla/*'], ua('curl/8.0')), true);
    assert.equal(holds('StringNotLike', 'acs:UserAgent', ['Mozilla/*'], ua('Mozilla/5.0')), false);
    assert.equal(holds('StringNotLike', 'acs:UserAgent', ['curl/*', 'Mozilla/*'], ua('Mozilla/5.0')), false);
    assert.equal(holds('StringNotLike', 'acs:UserAgent', ['Mozilla/*'], ua()), true);
  });
});

describe('conditionsHold: numeric operators', () => {
  const n = (value?: string): RequestContext => (value === undefined ? {} : { 'imm:Size': value });
  const cases: Array<[operator: string, policyValue: string, requestValue: string | undefined, expected: boolean]> = [
    ['NumericEquals', '10', '10.0', true],
    ['NumericEquals', '10', '1e1', true],
    ['NumericEquals', '10', '11', false],
    ['NumericEquals', '0', '', false],
    ['NumericEquals', '10', 'ten', false],
    ['NumericEquals', '10', undefined, false],
    ['NumericNotEquals', '10', '10', false],
    ['NumericNotEquals', '10', '11', true],
    ['NumericNotEquals', '10', undefined, true],
    ['NumericLessThan', '10', '9.5', true],
    ['NumericLessThan', '10', '10', false],
    ['NumericLessThan', '0', '-1', true],
    ['NumericLessThan', '10', undefined, false],
    ['NumericLessThanEquals', '10', '10', true],
    ['NumericLessThanEquals', '10', '11', false],
    ['NumericLessThanEquals', '10', undefined, false],
    ['NumericGreaterThan', '10', '11', true],
    ['NumericGreaterThan', '10', '10', false],
    ['NumericGreaterThan', '10', undefined, false],
    ['NumericGreaterThanEquals', '10', '10', true],
    ['NumericGreaterThanEquals', '10', '9', false],
    ['NumericGreaterThanEquals', '10', undefined, false],
  ];
  for (const [operator, policyValue, requestValue, expected] of cases) {
    test(`${operator} ${policyValue} with request value ${JSON.stringify(requestValue) ?? 'missing'} is ${expected}`, () => {
      assert.equal(holds(operator, 'imm:Size', [policyValue], n(requestValue)), expected);
    });
  }
  test('NumericEquals with several values is an OR; NumericNotEquals needs all to differ', () => {
    assert.equal(holds('NumericEquals', 'imm:Size', ['1', '2', '3'], n('2')), true);
    assert.equal(holds('NumericNotEquals', 'imm:Size', ['1', '2', '3'], n('2')), false);
    assert.equal(holds('NumericNotEquals', 'imm:Size', ['1', '2', '3'], n('4')), true);
  });
});

describe('conditionsHold: date operators (ISO 8601, compared as instants)', () => {
  const BEIJING_5PM = '2019-08-12T17:00:00+08:00';
  const t = (value?: string): RequestContext => (value === undefined ? {} : { 'acs:CurrentTime': value });
  const cases: Array<[operator: string, policyValue: string, requestValue: string | undefined, expected: boolean]> = [
    ['DateEquals', BEIJING_5PM, '2019-08-12T09:00:00Z', true],
    ['DateEquals', BEIJING_5PM, '2019-08-12T04:00:00-05:00', true],
    ['DateEquals', BEIJING_5PM, '2019-08-12T17:00:00Z', false],
    ['DateEquals', '2019-08-12', '2019-08-12T00:00:00Z', true],
    ['DateEquals', BEIJING_5PM, 'yesterday', false],
    ['DateEquals', BEIJING_5PM, undefined, false],
    ['DateNotEquals', BEIJING_5PM, '2019-08-12T09:00:00Z', false],
    ['DateNotEquals', BEIJING_5PM, '2019-08-12T09:00:01Z', true],
    ['DateNotEquals', BEIJING_5PM, undefined, true],
    ['DateLessThan', BEIJING_5PM, '2019-08-12T08:59:59Z', true],
    ['DateLessThan', BEIJING_5PM, '2019-08-12T09:00:00Z', false],
    ['DateLessThan', BEIJING_5PM, '2019-08-12T16:00:00+07:00', false],
    ['DateLessThan', BEIJING_5PM, undefined, false],
    ['DateLessThanEquals', BEIJING_5PM, '2019-08-12T09:00:00.000Z', true],
    ['DateLessThanEquals', BEIJING_5PM, '2019-08-12T09:00:00.001Z', false],
    ['DateLessThanEquals', BEIJING_5PM, undefined, false],
    ['DateGreaterThan', BEIJING_5PM, '2019-08-12T09:00:00.500Z', true],
    ['DateGreaterThan', BEIJING_5PM, '2019-08-12T09:00:00Z', false],
    ['DateGreaterThan', BEIJING_5PM, undefined, false],
    ['DateGreaterThanEquals', BEIJING_5PM, '2019-08-12T17:00:00+08:00', true],
    ['DateGreaterThanEquals', BEIJING_5PM, '2019-08-12T16:59:59+08:00', false],
    ['DateGreaterThanEquals', BEIJING_5PM, undefined, false],
  ];
  for (const [operator, policyValue, requestValue, expected] of cases) {
    test(`${operator} ${policyValue} at ${requestValue ?? 'a missing time'} is ${expected}`, () => {
      assert.equal(holds(operator, 'acs:CurrentTime', [policyValue], t(requestValue)), expected);
    });
  }
  test('several dates are an OR for DateEquals and must all differ for DateNotEquals', () => {
    const values = ['2020-01-01T00:00:00Z', BEIJING_5PM];
    assert.equal(holds('DateEquals', 'acs:CurrentTime', values, t('2019-08-12T09:00:00Z')), true);
    assert.equal(holds('DateNotEquals', 'acs:CurrentTime', values, t('2019-08-12T09:00:00Z')), false);
    assert.equal(holds('DateNotEquals', 'acs:CurrentTime', values, t('2021-01-01T00:00:00Z')), true);
  });
});

describe('conditionsHold: Bool', () => {
  test('Bool compares true/false in any case; a missing key is false', () => {
    assert.equal(holds('Bool', 'acs:SecureTransport', ['true'], { 'acs:SecureTransport': 'true' }), true);
    assert.equal(holds('Bool', 'acs:SecureTransport', ['TRUE'], { 'acs:SecureTransport': 'true' }), true);
    assert.equal(holds('Bool', 'acs:SecureTransport', ['true'], { 'acs:SecureTransport': 'false' }), false);
    assert.equal(holds('Bool', 'acs:MFAPresent', ['false'], {}), false);
    assert.equal(holds('Bool', 'acs:MFAPresent', ['false', 'true'], { 'acs:MFAPresent': 'false' }), true);
  });
  test('a request value other than true/false never matches', () => {
    assert.equal(holds('Bool', 'acs:SecureTransport', ['true'], { 'acs:securetransport': 'yes' }), false);
    assert.equal(holds('Bool', 'acs:SecureTransport', ['false'], { 'acs:securetransport': '' }), false);
  });
});

describe('conditionsHold: IpAddress and NotIpAddress', () => {
  const from = (ip?: string): RequestContext => (ip === undefined ? {} : { 'acs:SourceIp': ip });
  const inRange = (ranges: string[], ip?: string) => holds('IpAddress', 'acs:SourceIp', ranges, from(ip));
  const notIn = (ranges: string[], ip?: string) => holds('NotIpAddress', 'acs:SourceIp', ranges, from(ip));

  test('IPv4 CIDR blocks and plain addresses', () => {
    assert.equal(inRange(['10.0.0.0/8'], '10.255.1.2'), true);
    assert.equal(inRange(['10.0.0.0/8'], '11.0.0.1'), false);
    assert.equal(inRange(['192.168.1.1'], '192.168.1.1'), true);
    assert.equal(inRange(['192.168.1.1'], '192.168.1.2'), false);
    assert.equal(inRange(['0.0.0.0/0'], '203.0.113.9'), true);
    assert.equal(inRange(['10.1.2.3/8'], '10.9.9.9'), true, 'host bits in the block are ignored');
    assert.equal(inRange(['116.62.0.0/24'], '116.62.0.255'), true);
    assert.equal(inRange(['116.62.0.0/24'], '116.62.1.0'), false);
  });

  test('IPv6 CIDR blocks and plain addresses, in any spelling', () => {
    assert.equal(inRange(['2001:db8::/32'], '2001:db8:ffff::1'), true);
    assert.equal(inRange(['2001:db8::/32'], '2001:db9::1'), false);
    assert.equal(inRange(['2001:db8::1'], '2001:0db8:0000:0000:0000:0000:0000:0001'), true);
    assert.equal(inRange(['2001:DB8::/127'], '2001:db8::1'), true);
    assert.equal(inRange(['2001:db8::/127'], '2001:db8::2'), false);
    assert.equal(inRange(['fe80::/10'], 'febf::1'), true);
    assert.equal(inRange(['fe80::/10'], 'fec0::1'), false);
    assert.equal(inRange(['::1'], '::1'), true);
  });

  test('IPv4-mapped IPv6 addresses are the IPv4 address', () => {
    assert.equal(inRange(['10.0.0.0/8'], '::ffff:10.1.2.3'), true);
    assert.equal(inRange(['10.0.0.0/8'], '::ffff:a01:203'), true);
    assert.equal(inRange(['::ffff:10.0.0.0/104'], '10.1.2.3'), true);
    assert.equal(inRange(['::ffff:10.0.0.0/104'], '11.1.2.3'), false);
    assert.equal(inRange(['0.0.0.0/0'], '2001:db8::1'), false, 'an IPv4 block does not contain IPv6 clients');
  });

  test('several blocks are an OR; a missing or malformed source IP never matches', () => {
    assert.equal(inRange(['10.0.0.0/8', '2001:db8::/32'], '2001:db8::5'), true);
    assert.equal(inRange(['10.0.0.0/8', '2001:db8::/32'], '172.16.0.1'), false);
    assert.equal(inRange(['0.0.0.0/0'], undefined), false);
    assert.equal(inRange(['0.0.0.0/0'], 'not-an-ip'), false);
    assert.equal(inRange(['0.0.0.0/0'], '10.0.0.01'), false);
    assert.equal(inRange(['bogus', '10.0.0.0/8'], '10.0.0.1'), true, 'a malformed block is skipped');
  });

  test('NotIpAddress holds only when the address is in none of the blocks; missing key is true', () => {
    assert.equal(notIn(['10.0.0.0/8'], '10.1.2.3'), false);
    assert.equal(notIn(['10.0.0.0/8'], '192.168.0.1'), true);
    assert.equal(notIn(['10.0.0.0/8', '192.168.0.0/16'], '192.168.0.1'), false);
    assert.equal(notIn(['10.0.0.0/8', '2001:db8::/32'], '2001:db9::1'), true);
    assert.equal(notIn(['10.0.0.0/8'], undefined), true);
    assert.equal(notIn(['10.0.0.0/8'], 'not-an-ip'), true, 'a malformed address matches no block');
  });
});

describe('conditionsHold: combining', () => {
  const context: RequestContext = { 'acs:SourceIp': '10.1.2.3', 'acs:UserAgent': 'sdk', 'acs:SecureTransport': 'true' };

  test('no condition block, or an empty one, holds', () => {
    assert.equal(conditionsHold(undefined, {}), true);
    assert.equal(conditionsHold({}, {}), true);
  });

  test('several keys within one operator must all hold', () => {
    const both: ConditionBlock = { StringEquals: { 'acs:UserAgent': ['sdk'], 'acs:SecureTransport': ['true'] } };
    assert.equal(conditionsHold(both, context), true);
    assert.equal(conditionsHold(both, { ...context, 'acs:SecureTransport': 'false' }), false);
    assert.equal(conditionsHold(both, { 'acs:UserAgent': 'sdk' }), false);
  });

  test('several operators must all hold', () => {
    const block: ConditionBlock = {
      IpAddress: { 'acs:SourceIp': ['10.0.0.0/8'] },
      Bool: { 'acs:SecureTransport': ['true'] },
      StringLike: { 'acs:UserAgent': ['s*'] },
    };
    assert.equal(conditionsHold(block, context), true);
    assert.equal(conditionsHold(block, { ...context, 'acs:SourceIp': '11.0.0.1' }), false);
    assert.equal(conditionsHold(block, { ...context, 'acs:UserAgent': 'curl' }), false);
  });

  test('condition key names are compared case-insensitively', () => {
    assert.equal(conditionsHold({ IpAddress: { 'ACS:sourceip': ['10.0.0.0/8'] } }, context), true);
    assert.equal(conditionsHold({ StringEquals: { 'acs:UserAgent': ['sdk'] } }, { 'ACS:USERAGENT': 'sdk' }), true);
  });

  test('an undefined context value is a missing key', () => {
    assert.equal(conditionsHold({ StringEquals: { 'acs:UserAgent': ['sdk'] } }, { 'acs:UserAgent': undefined }), false);
  });

  test('an unknown operator (only possible without the parser) never holds', () => {
    assert.equal(conditionsHold({ StringEqualsIfExists: { 'acs:UserAgent': ['sdk'] } }, context), false);
  });
});

describe('evaluateTrustPolicy', () => {
  const user = 'acs:ram::123:user/alice';
  const role = 'acs:ram::123:role/reader';
  const session = 'acs:ram::123:assumed-role/reader/app-session';
  const outsider = 'acs:ram::456:user/alice';
  const allowed = (statements: unknown[], principal: { ram?: string; service?: string }, context: RequestContext = {}) =>
    evaluateTrustPolicy(trustDocument(statements), principal, context).allowed;

  test('an account root principal trusts every identity of that account and none of another', () => {
    const s = [{ Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { RAM: 'acs:ram::123:root' } }];
    for (const ram of ['acs:ram::123:root', user, role, session]) assert.equal(allowed(s, { ram }), true, ram);
    assert.equal(allowed(s, { ram: outsider }), false);
    assert.equal(allowed(s, { service: 'imm.aliyuncs.com' }), false);
  });

  test('a bare account ID means that account root', () => {
    const s = [{ Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { RAM: ['123'] } }];
    assert.equal(allowed(s, { ram: user }), true);
    assert.equal(allowed(s, { ram: outsider }), false);
  });

  test('a user principal trusts only that user, its name compared exactly (Alice and alice are two users)', () => {
    const s = [{ Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { RAM: user } }];
    assert.equal(allowed(s, { ram: user }), true);
    assert.equal(allowed(s, { ram: 'acs:ram::123:user/Alice' }), false);
    assert.equal(allowed([{ Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { RAM: 'acs:ram::123:user/Alice' } }], { ram: user }), false);
    assert.equal(allowed(s, { ram: 'acs:ram::123:user/bob' }), false);
    assert.equal(allowed(s, { ram: outsider }), false);
    assert.equal(allowed(s, { ram: 'acs:ram::123:root' }), false);
  });

  test('a role principal trusts the sessions of that role (role chaining)', () => {
    const s = [{ Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { RAM: role } }];
    assert.equal(allowed(s, { ram: session }), true);
    assert.equal(allowed(s, { ram: 'acs:ram::123:assumed-role/writer/app-session' }), false);
    assert.equal(allowed(s, { ram: 'acs:ram::123:assumed-role/Reader/app-session' }), false, 'Reader is another role than reader');
    assert.equal(allowed(s, { ram: 'acs:ram::123:role/Reader' }), false);
    assert.equal(allowed(s, { ram: 'acs:ram::456:assumed-role/reader/app-session' }), false);
  });

  test('a Service principal trusts that service only', () => {
    const s = [{ Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { Service: 'imm.aliyuncs.com' } }];
    assert.deepEqual(evaluateTrustPolicy(trustDocument(s), { service: 'IMM.aliyuncs.com' }, {}), {
      allowed: true,
      matched: { policyName: 'AssumeRolePolicyDocument', policyType: 'Custom', statementIndex: 0, effect: 'Allow' },
    });
    assert.equal(allowed(s, { service: 'oss.aliyuncs.com' }), false);
    assert.equal(allowed(s, { ram: 'acs:ram::123:root' }), false);
  });

  test('Principal "*" and {"RAM": "*"} trust any RAM identity but not a service', () => {
    for (const principal of ['*', { RAM: '*' }]) {
      const s = [{ Effect: 'Allow', Action: 'sts:AssumeRole', Principal: principal }];
      assert.equal(allowed(s, { ram: outsider }), true);
      assert.equal(allowed(s, { service: 'imm.aliyuncs.com' }), false);
    }
  });

  test('a Deny in the trust policy wins; no matching statement is an implicit deny', () => {
    const s = [
      { Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { RAM: 'acs:ram::123:root' } },
      { Effect: 'Deny', Action: 'sts:*', Principal: { RAM: user } },
    ];
    assert.deepEqual(evaluateTrustPolicy(trustDocument(s), { ram: user }, {}), {
      allowed: false,
      noPermissionType: 'ExplicitDeny',
      matched: { policyName: 'AssumeRolePolicyDocument', policyType: 'Custom', statementIndex: 1, effect: 'Deny' },
    });
    assert.equal(evaluateTrustPolicy(trustDocument(s), { ram: outsider }, {}).noPermissionType, 'ImplicitDeny');
  });

  test('conditions in a trust policy decide', () => {
    const s = [
      {
        Effect: 'Allow',
        Action: 'sts:AssumeRole',
        Principal: { RAM: 'acs:ram::123:root' },
        Condition: { IpAddress: { 'acs:SourceIp': '10.0.0.0/8' } },
      },
    ];
    assert.equal(allowed(s, { ram: user }, { 'acs:SourceIp': '10.0.0.1' }), true);
    assert.equal(allowed(s, { ram: user }, { 'acs:SourceIp': '8.8.8.8' }), false);
  });

  test('a Resource in a trust policy is checked against the role ARN when one is given', () => {
    const s = [{ Effect: 'Allow', Action: 'sts:AssumeRole', Principal: '*', Resource: 'acs:ram::123:role/reader' }];
    const document = trustDocument(s);
    assert.equal(evaluateTrustPolicy(document, { ram: user }, {}, role).allowed, true);
    assert.equal(evaluateTrustPolicy(document, { ram: user }, {}, 'acs:ram::123:role/writer').allowed, false);
    assert.equal(evaluateTrustPolicy(document, { ram: user }, {}).allowed, true);
  });
});

// ---------------------------------------------------------------------------------------------------------
// Property tests. Small alphabets of actions, resources and conditions so that generated statements often
// match generated requests (otherwise everything is an uninteresting implicit deny).

const REQUEST_ACTIONS = ['imm:GetProject', 'imm:GenerateWebofficeToken', 'oss:GetObject', 'IMM:getproject'];
const ACTION_PATTERNS = ['*', 'imm:*', 'IMM:Get*', 'imm:G?nerate*', 'oss:*', 'oss:GetObject', 'imm:GetProject', '*:Get*'];
const RESOURCE_IDS = ['a', 'b', 'ab'];
const RESOURCE_PATTERNS = ['*', 'acs:imm:*:1:project/*', 'acs:imm:cn:1:project/a', 'acs:imm:cn:1:project/?', 'acs:imm:cn:1:project/a*', 'acs:oss:*:*:*'];
const CONDITIONS: ConditionBlock[] = [
  { IpAddress: { 'acs:SourceIp': ['10.0.0.0/8'] } },
  { NotIpAddress: { 'acs:SourceIp': ['10.0.0.0/8', '2001:db8::/32'] } },
  { StringEquals: { 'acs:UserAgent': ['ua1'] } },
  { StringNotLike: { 'acs:UserAgent': ['ua*'] } },
  { Bool: { 'acs:MFAPresent': ['true'] } },
  { DateLessThan: { 'acs:CurrentTime': ['2020-01-01T00:00:00+08:00'] } },
  { StringEquals: { 'acs:UserAgent': ['ua1'] }, IpAddress: { 'acs:SourceIp': ['10.0.0.0/8'] } },
];

const arbRequest: fc.Arbitrary<AuthorizationRequest> = fc.record({
  action: fc.constantFrom(...REQUEST_ACTIONS),
  resource: fc.constantFrom(...RESOURCE_IDS).map((id) => `acs:imm:cn:1:project/${id}`),
  context: fc.record(
    {
      'acs:SourceIp': fc.constantFrom('10.1.2.3', '192.168.0.1', '2001:db8::1'),
      'acs:UserAgent': fc.constantFrom('ua1', 'ua2', 'curl'),
      'acs:MFAPresent': fc.constantFrom('true' as const, 'false' as const),
      'acs:CurrentTime': fc.constantFrom('2019-12-31T15:59:59Z', '2019-12-31T16:00:00Z', '2020-06-01T00:00:00+08:00'),
    },
    { requiredKeys: [] },
  ),
});

function arbStatement(effect?: 'Allow' | 'Deny'): fc.Arbitrary<PolicyStatement> {
  return fc
    .record({
      // Allow-heavy, or nearly every set would contain a matching Deny and the properties would test little.
      effect: effect ? fc.constant(effect) : fc.constantFrom('Allow' as const, 'Allow' as const, 'Allow' as const, 'Deny' as const),
      negateAction: fc.nat(3).map((n) => n === 0), // NotAction in a quarter of statements
      actions: fc.array(fc.constantFrom(...ACTION_PATTERNS), { minLength: 1, maxLength: 2 }),
      negateResource: fc.nat(3).map((n) => n === 0),
      resources: fc.array(fc.constantFrom(...RESOURCE_PATTERNS), { minLength: 1, maxLength: 2 }),
      condition: fc.option(fc.constantFrom(...CONDITIONS), { nil: undefined, freq: 2 }),
    })
    .map(({ effect: Effect, negateAction, actions, negateResource, resources, condition }) => {
      const statement: PolicyStatement = { Effect };
      if (negateAction) statement.NotAction = actions;
      else statement.Action = actions;
      if (negateResource) statement.NotResource = resources;
      else statement.Resource = resources;
      if (condition) statement.Condition = condition;
      return statement;
    });
}

const arbDocument = (effect?: 'Allow' | 'Deny'): fc.Arbitrary<PolicyDocument> =>
  fc.array(arbStatement(effect), { minLength: 1, maxLength: 4 }).map((Statement) => ({ Version: '1' as const, Statement }));

const arbPolicies = (type: PolicyType | 'Identity', maxLength = 4): fc.Arbitrary<NamedPolicy[]> =>
  fc.array(
    fc.record({
      type: type === 'Identity' ? fc.constantFrom('System' as const, 'Custom' as const) : fc.constant(type),
      document: arbDocument(),
    }),
    { maxLength },
  ).map((policies) => policies.map((p, i) => ({ name: `${p.type}${i}`, ...p })));

/** No session half the time; otherwise 0–2 session policies (an empty list allows nothing). */
const arbSession = fc.option(arbPolicies('Session', 2), { nil: undefined, freq: 2 });

/** What must not change: the verdict and its kind (the `matched` statement may legitimately differ). */
function verdict(decision: Decision) {
  return {
    allowed: decision.allowed,
    noPermissionType: decision.noPermissionType,
    deniedBySessionPolicy: decision.deniedBySessionPolicy ?? false,
  };
}

/** Inserts a statement into the policy set at a chosen place (a new policy when the set is empty or asked). */
function insertStatement(policies: NamedPolicy[], statement: PolicyStatement, where: number, at: number, type: PolicyType): NamedPolicy[] {
  if (policies.length === 0 || where >= policies.length) {
    return [...policies, { name: 'Added', type, document: { Version: '1', Statement: [statement] } }];
  }
  return policies.map((p, i) => {
    if (i !== where) return p;
    const statements = [...p.document.Statement];
    statements.splice(at % (statements.length + 1), 0, statement);
    return { ...p, document: { ...p.document, Statement: statements } };
  });
}

/** Fisher–Yates driven by generated numbers, so fast-check can shrink the permutation. */
function permute<T>(items: readonly T[], keys: readonly number[]): T[] {
  const result = [...items];
  for (let i = result.length - 1; i > 0; i -= 1) {
    const j = keys[i % keys.length]! % (i + 1);
    [result[i], result[j]] = [result[j]!, result[i]!];
  }
  return result;
}

function shuffled(policies: NamedPolicy[] | undefined, keys: number[]): NamedPolicy[] | undefined {
  if (policies === undefined) return undefined;
  return permute(policies, keys).map((p, i) => ({
    ...p,
    document: { ...p.document, Statement: permute(p.document.Statement, keys.map((k) => k + i)) },
  }));
}

/** A Deny written to cover exactly this request, built without the engine (so the property is not circular). */
function denyFor(req: AuthorizationRequest, actionStyle: number, withCondition: boolean): PolicyStatement {
  const [service] = req.action.split(':');
  const Action = [[req.action], [req.action.toUpperCase()], ['*'], [`${service}:*`]][actionStyle % 4]!;
  const statement: PolicyStatement = { Effect: 'Deny', Action, Resource: [actionStyle % 2 ? '*' : req.resource] };
  if (withCondition) {
    const ip = req.context['acs:SourceIp'];
    // A condition the context satisfies: the caller's own address, or NotIpAddress when it has none.
    statement.Condition =
      ip === undefined ? { NotIpAddress: { 'acs:SourceIp': ['10.0.0.0/8'] } } : { IpAddress: { 'acs:SourceIp': [ip] } };
  }
  return statement;
}

describe('evaluatePolicies properties', () => {
  test('Deny always wins: adding a matching Deny anywhere makes any policy set deny with ExplicitDeny', () => {
    fc.assert(
      fc.property(
        arbPolicies('Identity'),
        arbSession,
        arbRequest,
        fc.nat(3),
        fc.boolean(),
        fc.nat(5),
        fc.nat(5),
        fc.boolean(),
        (identity, session, req, actionStyle, withCondition, where, at, intoSession) => {
          const deny = denyFor(req, actionStyle, withCondition);
          const [newIdentity, newSession] =
            intoSession && session !== undefined
              ? [identity, insertStatement(session, deny, where, at, 'Session')]
              : [insertStatement(identity, deny, where, at, 'Custom'), session];
          const decision = evaluatePolicies(req, newIdentity, newSession);
          assert.equal(decision.allowed, false);
          assert.equal(decision.noPermissionType, 'ExplicitDeny');
          assert.equal(decision.matched?.effect, 'Deny');
        },
      ),
      { numRuns: 500 },
    );
  });

  test('adding an Allow never removes access and never lifts an explicit deny', () => {
    fc.assert(
      fc.property(
        arbPolicies('Identity'),
        arbSession,
        arbRequest,
        arbStatement('Allow'),
        fc.nat(5),
        fc.nat(5),
        fc.boolean(),
        (identity, session, req, allow, where, at, intoSession) => {
          const before = evaluatePolicies(req, identity, session);
          const after =
            intoSession && session !== undefined
              ? evaluatePolicies(req, identity, insertStatement(session, allow, where, at, 'Session'))
              : evaluatePolicies(req, insertStatement(identity, allow, where, at, 'Custom'), session);
          if (before.allowed) assert.equal(after.allowed, true);
          if (before.noPermissionType === 'ExplicitDeny') assert.equal(after.noPermissionType, 'ExplicitDeny');
        },
      ),
      { numRuns: 500 },
    );
  });

  test('the order of statements and of policies never changes the decision', () => {
    fc.assert(
      fc.property(
        arbPolicies('Identity'),
        arbSession,
        arbRequest,
        fc.array(fc.nat(), { minLength: 1, maxLength: 8 }),
        fc.array(fc.nat(), { minLength: 1, maxLength: 8 }),
        (identity, session, req, keysA, keysB) => {
          const original = evaluatePolicies(req, identity, session);
          const reordered = evaluatePolicies(req, shuffled(identity, keysA)!, shuffled(session, keysB));
          assert.deepEqual(verdict(reordered), verdict(original));
        },
      ),
      { numRuns: 500 },
    );
  });

  test('session policies only intersect: allowed with a session policy implies allowed without it', () => {
    fc.assert(
      fc.property(arbPolicies('Identity'), arbPolicies('Session', 3), arbRequest, (identity, session, req) => {
        const withSession = evaluatePolicies(req, identity, session);
        if (withSession.allowed) {
          assert.equal(evaluatePolicies(req, identity).allowed, true);
          const sessionAllows = session.some((p) =>
            p.document.Statement.some((s) => s.Effect === 'Allow' && statementApplies(s, req)),
          );
          assert.ok(sessionAllows, 'some session statement must allow the request');
        }
      }),
      { numRuns: 500 },
    );
  });

  test('the reported statement really applies and has the reported effect', () => {
    fc.assert(
      fc.property(arbPolicies('Identity'), arbSession, arbRequest, (identity, session, req) => {
        const decision = evaluatePolicies(req, identity, session);
        if (decision.matched === undefined) {
          assert.equal(decision.noPermissionType, 'ImplicitDeny');
          return;
        }
        const { policyName, policyType, statementIndex, effect } = decision.matched;
        const source = policyType === 'Session' ? session! : identity;
        const statement = source.find((p) => p.name === policyName)!.document.Statement[statementIndex]!;
        assert.equal(statement.Effect, effect);
        assert.equal(statementApplies(statement, req), true);
        assert.equal(decision.allowed, effect === 'Allow');
      }),
      { numRuns: 300 },
    );
  });
});
