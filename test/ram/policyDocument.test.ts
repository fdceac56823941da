import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  MAX_POLICY_DOCUMENT_LENGTH,
  MAX_SESSION_POLICY_LENGTH,
  MalformedPolicyDocumentError,
  parsePolicyDocument,
  type PolicyKind,
} from '../../src/ram/policyDocument.js';

const ALLOW_ALL = { Effect: 'Allow', Action: '*', Resource: '*' };

function text(document: unknown): string {
  return JSON.stringify(document);
}

function identity(...statements: unknown[]): string {
  return text({ Version: '1', Statement: statements });
}

function trust(...statements: unknown[]): string {
  return text({ Version: '1', Statement: statements });
}

/** Asserts the parse fails at `location` and that the message starts with it and matches `reason`. */
function assertMalformed(source: string, kind: PolicyKind, location: string, reason: RegExp): void {
  assert.throws(
    () => parsePolicyDocument(source, kind),
    (error: unknown) => {
      assert.ok(error instanceof MalformedPolicyDocumentError, `expected MalformedPolicyDocumentError, got ${String(error)}`);
      assert.equal(error.location, location);
      assert.ok(error.message.startsWith(`${location}: `), `message "${error.message}" does not start with the location`);
      assert.match(error.message, reason);
      return true;
    },
  );
}

describe('parsePolicyDocument: valid documents are normalised', () => {
  test('single strings become one-element arrays', () => {
    const document = parsePolicyDocument(
      identity({ Effect: 'Allow', Action: 'imm:GenerateWebofficeToken', Resource: 'acs:imm:*:123:project/p' }),
      'identity',
    );
    assert.deepEqual(document, {
      Version: '1',
      Statement: [{ Effect: 'Allow', Action: ['imm:GenerateWebofficeToken'], Resource: ['acs:imm:*:123:project/p'] }],
    });
  });

  test('condition values of every JSON scalar type become string arrays', () => {
    const document = parsePolicyDocument(
      identity({
        Effect: 'Deny',
        NotAction: ['imm:Get*', 'imm:List*'],
        NotResource: 'acs:imm:cn-hangzhou:123:project/*',
        Condition: {
          Bool: { 'acs:SecureTransport': false },
          NumericLessThan: { 'imm:Size': 10 },
          IpAddress: { 'acs:SourceIp': ['10.0.0.0/8', '2001:db8::/32'] },
          StringEquals: { 'acs:UserAgent': ['a', 1, true] },
        },
      }),
      'identity',
    );
    assert.deepEqual(document.Statement[0], {
      Effect: 'Deny',
      NotAction: ['imm:Get*', 'imm:List*'],
      NotResource: ['acs:imm:cn-hangzhou:123:project/*'],
      Condition: {
        Bool: { 'acs:SecureTransport': ['false'] },
        NumericLessThan: { 'imm:Size': ['10'] },
        IpAddress: { 'acs:SourceIp': ['10.0.0.0/8', '2001:db8::/32'] },
        StringEquals: { 'acs:UserAgent': ['a', '1', 'true'] },
      },
    });
  });

  test('a lone statement object is accepted as a one-statement list', () => {
    const document = parsePolicyDocument(text({ Version: '1', Statement: ALLOW_ALL }), 'identity');
    assert.deepEqual(document.Statement, [{ Effect: 'Allow', Action: ['*'], Resource: ['*'] }]);
  });

  test('every supported condition operator is accepted with a well-formed value', () => {
    const condition = {
      StringEquals: { k: 'v' },
      StringNotEquals: { k: 'v' },
      StringEqualsIgnoreCase: { k: 'v' },
      StringNotEqualsIgnoreCase: { k: 'v' },
      StringLike: { k: 'v*' },
      StringNotLike: { k: 'v?' },
      NumericEquals: { n: 1 },
      NumericNotEquals: { n: '-1.5' },
      NumericLessThan: { n: '1e3' },
      NumericLessThanEquals: { n: 0 },
      NumericGreaterThan: { n: '.5' },
      NumericGreaterThanEquals: { n: 2 },
      DateEquals: { 'acs:CurrentTime': '2019-08-12T17:00:00+08:00' },
      DateNotEquals: { 'acs:CurrentTime': '2019-08-12T09:00:00Z' },
      DateLessThan: { 'acs:CurrentTime': '2019-08-12' },
      DateLessThanEquals: { 'acs:CurrentTime': '2019-08-12T09:00:00.123Z' },
      DateGreaterThan: { 'acs:CurrentTime': '2019-08-12T09:00-05:00' },
      DateGreaterThanEquals: { 'acs:CurrentTime': '2019-08-12T09:00:00+0800' },
      Bool: { 'acs:MFAPresent': 'TRUE' },
      IpAddress: { 'acs:SourceIp': ['192.168.1.1', '::ffff:10.0.0.0/104'] },
      NotIpAddress: { 'acs:SourceIp': 'fe80::/10' },
    };
    const document = parsePolicyDocument(identity({ ...ALLOW_ALL, Condition: condition }), 'identity');
    assert.deepEqual(Object.keys(document.Statement[0]!.Condition!), Object.keys(condition));
  });

  test('a condition key spelled __proto__ stays an ordinary key', () => {
    const source = '{"Version":"1","Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{"__proto__":"x"}}}]}';
    const condition = parsePolicyDocument(source, 'identity').Statement[0]!.Condition!;
    assert.deepEqual(Object.keys(condition.StringEquals!), ['__proto__']);
    assert.equal(Object.getPrototypeOf(condition.StringEquals), Object.prototype);
  });

  test('a document of exactly 6144 characters and 100 statements is accepted', () => {
    const statements = Array.from({ length: 100 }, () => ALLOW_ALL);
    const compact = identity(...statements);
    const padded = compact + ' '.repeat(MAX_POLICY_DOCUMENT_LENGTH - compact.length);
    assert.equal(padded.length, 6144);
    assert.equal(parsePolicyDocument(padded, 'identity').Statement.length, 100);
  });

  test('a session policy is held to 2048 characters (STS AssumeRole\'s limit), identity and trust documents to 6144', () => {
    const padded = (length: number) => identity(ALLOW_ALL).padEnd(length, ' ');
    assert.equal(MAX_SESSION_POLICY_LENGTH, 2048);
    assert.ok(parsePolicyDocument(padded(2048), 'identity', MAX_SESSION_POLICY_LENGTH));
    assert.throws(() => parsePolicyDocument(padded(2049), 'identity', MAX_SESSION_POLICY_LENGTH), /PolicyDocument: is 2049 characters long, more than the limit of 2048/);
    // Every condition value lies inside its document, so the document's limit bounds each one too.
    const longValue = identity({ ...ALLOW_ALL, Condition: { StringLike: { 'acs:UserAgent': `*${'a*'.repeat(3100)}b` } } });
    assert.throws(() => parsePolicyDocument(longValue, 'identity'), /limit of 6144/);
    const trustText = trust({ Effect: 'Allow', Action: 'sts:AssumeRole', Principal: '*', Condition: { StringLike: { 'acs:UserAgent': 'x'.repeat(6100) } } });
    assert.throws(() => parsePolicyDocument(trustText, 'trust'), /limit of 6144/);
  });

  test('trust policies accept the cloud Principal forms and normalise them to arrays', () => {
    const document = parsePolicyDocument(
      trust(
        { Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { RAM: 'acs:ram::123:root' } },
        { Effect: 'Allow', Action: ['sts:AssumeRole'], Principal: { Service: ['imm.aliyuncs.com'] } },
        { Effect: 'Allow', Action: 'STS:assumerole', Principal: { RAM: ['acs:ram::123:user/alice', '456'] } },
        { Effect: 'Allow', Action: 'sts:*', Principal: '*' },
        { Effect: 'Deny', Action: '*', Principal: { RAM: '*' }, Condition: { Bool: { 'acs:SecureTransport': false } } },
      ),
      'trust',
    );
    assert.deepEqual(
      document.Statement.map((s) => s.Principal),
      [
        { RAM: ['acs:ram::123:root'] },
        { Service: ['imm.aliyuncs.com'] },
        { RAM: ['acs:ram::123:user/alice', '456'] },
        '*',
        { RAM: ['*'] },
      ],
    );
    assert.equal(document.Statement[0]!.Resource, undefined);
  });
});

describe('parsePolicyDocument: malformed documents are refused with the location in the message', () => {
  const cases: Array<[name: string, source: string, kind: PolicyKind, location: string, reason: RegExp]> = [
    ['text that is not JSON', '{"Version":"1",', 'identity', 'PolicyDocument', /not valid JSON/],
    ['a JSON array instead of an object', '[]', 'identity', 'PolicyDocument', /JSON object/],
    [
      'a document longer than 6144 characters',
      identity(ALLOW_ALL) + ' '.repeat(MAX_POLICY_DOCUMENT_LENGTH),
      'identity',
      'PolicyDocument',
      /limit of 6144/,
    ],
    ['an unknown top-level key', text({ Version: '1', Id: 'x', Statement: [ALLOW_ALL] }), 'identity', 'Id', /unknown element/],
    ['a missing Version', text({ Statement: [ALLOW_ALL] }), 'identity', 'Version', /required/],
    ['Version "2"', text({ Version: '2', Statement: [ALLOW_ALL] }), 'identity', 'Version', /must be the string "1", not "2"/],
    ['Version as the number 1', text({ Version: 1, Statement: [ALLOW_ALL] }), 'identity', 'Version', /must be the string "1"/],
    ['a missing Statement', text({ Version: '1' }), 'identity', 'Statement', /required/],
    ['an empty Statement list', identity(), 'identity', 'Statement', /at least one/],
    [
      'more than 100 statements',
      identity(...Array.from({ length: 101 }, () => ({ Effect: 'Allow', Action: '*', Resource: '*' }))),
      'identity',
      'Statement',
      /101 statements, more than the limit of 100/,
    ],
    ['a statement that is not an object', identity(ALLOW_ALL, 'Allow'), 'identity', 'Statement[1]', /JSON object/],
    ['an unknown statement key', identity({ ...ALLOW_ALL, Sid: 's1' }), 'identity', 'Statement[0].Sid', /unknown element/],
    ['a missing Effect', identity({ Action: '*', Resource: '*' }), 'identity', 'Statement[0].Effect', /required/],
    ['Effect in the wrong case', identity({ ...ALLOW_ALL, Effect: 'allow' }), 'identity', 'Statement[0].Effect', /"Allow" or "Deny"/],
    ['both Action and NotAction', identity({ ...ALLOW_ALL, NotAction: 'oss:*' }), 'identity', 'Statement[0]', /both Action and NotAction/],
    ['neither Action nor NotAction', identity({ Effect: 'Allow', Resource: '*' }), 'identity', 'Statement[0]', /Action or NotAction/],
    ['an action without a service', identity({ ...ALLOW_ALL, Action: 'GetObject' }), 'identity', 'Statement[0].Action[0]', /service:action/],
    [
      'a malformed second action',
      identity({ ...ALLOW_ALL, Action: ['imm:Get*', 'imm:Get Project'] }),
      'identity',
      'Statement[0].Action[1]',
      /"imm:Get Project" is not an action name/,
    ],
    ['an empty Action list', identity({ ...ALLOW_ALL, Action: [] }), 'identity', 'Statement[0].Action', /empty list/],
    ['a non-string action', identity({ ...ALLOW_ALL, Action: ['imm:*', 5] }), 'identity', 'Statement[0].Action[1]', /must be a string/],
    ['a missing Resource in an identity policy', identity({ Effect: 'Allow', Action: '*' }), 'identity', 'Statement[0]', /Resource or NotResource/],
    [
      'both Resource and NotResource',
      identity({ ...ALLOW_ALL, NotResource: '*' }),
      'identity',
      'Statement[0]',
      /both Resource and NotResource/,
    ],
    [
      'a resource that is not an ARN',
      identity({ ...ALLOW_ALL, Resource: ['*', 'project/p'] }),
      'identity',
      'Statement[0].Resource[1]',
      /must be "\*" or an ARN/,
    ],
    ['an empty resource string', identity({ ...ALLOW_ALL, Resource: '' }), 'identity', 'Statement[0].Resource', /must not be empty/],
    [
      'an unknown condition operator',
      identity(ALLOW_ALL, ALLOW_ALL, { ...ALLOW_ALL, Condition: { StringEqualz: { 'acs:UserAgent': 'x' } } }),
      'identity',
      'Statement[2].Condition.StringEqualz',
      /unknown condition operator/,
    ],
    [
      'an operator in the wrong case',
      identity({ ...ALLOW_ALL, Condition: { stringequals: { 'acs:UserAgent': 'x' } } }),
      'identity',
      'Statement[0].Condition.stringequals',
      /did you mean "StringEquals"/,
    ],
    [
      'an IfExists operator',
      identity({ ...ALLOW_ALL, Condition: { StringEqualsIfExists: { 'acs:UserAgent': 'x' } } }),
      'identity',
      'Statement[0].Condition.StringEqualsIfExists',
      /not supported: RAM does not support the IfExists and Null condition operators/,
    ],
    [
      'BoolIfExists',
      identity({ ...ALLOW_ALL, Condition: { BoolIfExists: { 'acs:MFAPresent': 'true' } } }),
      'identity',
      'Statement[0].Condition.BoolIfExists',
      /IfExists and Null condition operators/,
    ],
    [
      'the Null operator',
      identity({ ...ALLOW_ALL, Condition: { Null: { 'acs:MFAPresent': 'true' } } }),
      'identity',
      'Statement[0].Condition.Null',
      /"Null" is not supported/,
    ],
    ['a Condition that is not an object', identity({ ...ALLOW_ALL, Condition: 'x' }), 'identity', 'Statement[0].Condition', /JSON object/],
    [
      'an operator naming no key',
      identity({ ...ALLOW_ALL, Condition: { StringEquals: {} } }),
      'identity',
      'Statement[0].Condition.StringEquals',
      /at least one condition key/,
    ],
    [
      'an object as a condition value',
      identity({ ...ALLOW_ALL, Condition: { StringEquals: { 'acs:UserAgent': { a: 1 } } } }),
      'identity',
      'Statement[0].Condition.StringEquals.acs:UserAgent',
      /strings, numbers or booleans/,
    ],
    [
      'a nested array as a condition value',
      identity({ ...ALLOW_ALL, Condition: { StringEquals: { 'acs:UserAgent': ['a', ['b']] } } }),
      'identity',
      'Statement[0].Condition.StringEquals.acs:UserAgent[1]',
      /strings, numbers or booleans/,
    ],
    [
      'an empty list of condition values',
      identity({ ...ALLOW_ALL, Condition: { StringEquals: { 'acs:UserAgent': [] } } }),
      'identity',
      'Statement[0].Condition.StringEquals.acs:UserAgent',
      /at least one value/,
    ],
    [
      'a non-number for a Numeric operator',
      identity({ ...ALLOW_ALL, Condition: { NumericLessThan: { n: ['1', 'ten'] } } }),
      'identity',
      'Statement[0].Condition.NumericLessThan.n[1]',
      /"ten" is not a number/,
    ],
    [
      'a non-date for a Date operator',
      identity({ ...ALLOW_ALL, Condition: { DateLessThan: { 'acs:CurrentTime': 'tomorrow' } } }),
      'identity',
      'Statement[0].Condition.DateLessThan.acs:CurrentTime',
      /not an ISO 8601/,
    ],
    [
      'an impossible calendar date',
      identity({ ...ALLOW_ALL, Condition: { DateGreaterThan: { 'acs:CurrentTime': '2019-02-30T00:00:00Z' } } }),
      'identity',
      'Statement[0].Condition.DateGreaterThan.acs:CurrentTime',
      /not an ISO 8601/,
    ],
    [
      'a Bool value other than true/false',
      identity({ ...ALLOW_ALL, Condition: { Bool: { 'acs:SecureTransport': 'yes' } } }),
      'identity',
      'Statement[0].Condition.Bool.acs:SecureTransport',
      /must be "true" or "false"/,
    ],
    [
      'an IPv4 prefix longer than 32',
      identity({ ...ALLOW_ALL, Condition: { IpAddress: { 'acs:SourceIp': '10.0.0.0/33' } } }),
      'identity',
      'Statement[0].Condition.IpAddress.acs:SourceIp',
      /not an IPv4 or IPv6 address or CIDR block/,
    ],
    [
      'a truncated IPv4 address',
      identity({ ...ALLOW_ALL, Condition: { NotIpAddress: { 'acs:SourceIp': ['10.0.0.0/8', '1.2.3'] } } }),
      'identity',
      'Statement[0].Condition.NotIpAddress.acs:SourceIp[1]',
      /"1.2.3" is not an IPv4/,
    ],
    [
      'a malformed IPv6 block',
      identity({ ...ALLOW_ALL, Condition: { IpAddress: { 'acs:SourceIp': '2001:db8:::/32' } } }),
      'identity',
      'Statement[0].Condition.IpAddress.acs:SourceIp',
      /not an IPv4 or IPv6/,
    ],
    [
      'a Principal in an identity policy',
      identity({ ...ALLOW_ALL, Principal: '*' }),
      'identity',
      'Statement[0].Principal',
      /not allowed in an identity policy/,
    ],
    [
      'a trust policy without Principal',
      trust({ Effect: 'Allow', Action: 'sts:AssumeRole' }),
      'trust',
      'Statement[0].Principal',
      /required in a trust policy/,
    ],
    [
      'a trust policy allowing another action',
      trust({ Effect: 'Allow', Action: ['sts:AssumeRole', 'oss:GetObject'], Principal: '*' }),
      'trust',
      'Statement[0].Action[1]',
      /"oss:GetObject" is not allowed in a trust policy/,
    ],
    [
      'NotAction in a trust policy',
      trust({ Effect: 'Allow', NotAction: 'oss:*', Principal: '*' }),
      'trust',
      'Statement[0].NotAction',
      /not allowed in a trust policy/,
    ],
    [
      'an unknown Principal kind',
      trust({ Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { Users: 'alice' } }),
      'trust',
      'Statement[0].Principal.Users',
      /unknown element/,
    ],
    [
      'a Principal string other than "*"',
      trust({ Effect: 'Allow', Action: 'sts:AssumeRole', Principal: 'everyone' }),
      'trust',
      'Statement[0].Principal',
      /must be "\*" or an object/,
    ],
    [
      'an empty Principal object',
      trust({ Effect: 'Allow', Action: 'sts:AssumeRole', Principal: {} }),
      'trust',
      'Statement[0].Principal',
      /must name RAM, Service or Federated/,
    ],
    [
      'a RAM principal that is not an ARN',
      trust({ Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { RAM: ['acs:ram::1:root', 'alice'] } }),
      'trust',
      'Statement[0].Principal.RAM[1]',
      /"alice" must be "\*", an account ID or an ARN/,
    ],
  ];
  for (const [name, source, kind, location, reason] of cases) {
    test(`${name} is refused at ${location}`, () => assertMalformed(source, kind, location, reason));
  }

  test('the error carries the location and the reason separately', () => {
    try {
      parsePolicyDocument(identity({ ...ALLOW_ALL, Effect: 'Maybe' }), 'identity');
      assert.fail('expected a MalformedPolicyDocumentError');
    } catch (error) {
      assert.ok(error instanceof MalformedPolicyDocumentError);
      assert.equal(error.name, 'MalformedPolicyDocumentError');
      assert.equal(error.location, 'Statement[0].Effect');
      assert.equal(error.reason, 'must be "Allow" or "Deny", not "Maybe"');
      assert.equal(error.message, 'Statement[0].Effect: must be "Allow" or "Deny", not "Maybe"');
    }
  });
});
