import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError } from '../../src/core/errors.js';
import { MAX_STRUCT_JSON_BYTES, readStructParameter } from '../../src/core/structParameters.js';

/** Asserts `fn` throws InvalidArgument (400) whose message matches `message`. */
function assertInvalid(fn: () => unknown, message: RegExp | string): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof ApiError, `expected an ApiError, got ${String(error)}`);
    assert.equal(error.code, 'InvalidArgument');
    assert.equal(error.status, 400);
    if (typeof message === 'string') assert.equal(error.message, message);
    else assert.match(error.message, message);
    return true;
  });
}

/** JSON text `{"A":"xxx…"}` of exactly `bytes` bytes. */
function jsonOfBytes(bytes: number): string {
  return `{"A":"${'x'.repeat(bytes - '{"A":""}'.length)}"}`;
}

function nested(depth: number): string {
  return '{"A":'.repeat(depth - 1) + '{}' + '}'.repeat(depth - 1);
}

test('an absent struct parameter reads as undefined', () => {
  assert.equal(readStructParameter({ ProjectName: 'p' }, 'Permission'), undefined);
});

test('an empty JSON text counts as absent', () => {
  assert.equal(readStructParameter({ Permission: '' }, 'Permission'), undefined);
});

test('JSON text is parsed into an object with its JSON types', () => {
  assert.deepEqual(readStructParameter({ Permission: '{"Readonly":true,"Print":"false"}' }, 'Permission'), {
    Readonly: true,
    Print: 'false',
  });
});

test('malformed JSON is refused naming the parameter', () => {
  assertInvalid(() => readStructParameter({ Permission: '{"Readonly":' }, 'Permission'), 'The parameter Permission is invalid: it must be a JSON object.');
});

test('JSON text that is not an object is refused', () => {
  for (const text of ['[]', '[{"Readonly":true}]', '"x"', '1', 'null', 'true']) {
    assertInvalid(() => readStructParameter({ User: text }, 'User'), 'The parameter User is invalid: it must be a JSON object.');
  }
});

test('JSON text of exactly 64 KiB is accepted and one byte more is refused', () => {
  const limit = jsonOfBytes(MAX_STRUCT_JSON_BYTES);
  assert.equal(Buffer.byteLength(limit), 65536);
  assert.ok(readStructParameter({ Watermark: limit }, 'Watermark'));
  assertInvalid(() => readStructParameter({ Watermark: jsonOfBytes(MAX_STRUCT_JSON_BYTES + 1) }, 'Watermark'), /Watermark .*at most 65536 bytes/);
});

test('the 64 KiB limit counts UTF-8 bytes, not characters', () => {
  const chars = 'é'.repeat(20_000); // 20,000 characters, 40,000 bytes
  assert.ok(readStructParameter({ Watermark: `{"Value":"${chars}"}` }, 'Watermark'));
  assertInvalid(() => readStructParameter({ Watermark: `{"Value":"${chars}${chars}"}` }, 'Watermark'), /at most 65536 bytes/);
});

test('nesting of 8 levels is accepted and 9 levels is refused', () => {
  assert.ok(readStructParameter({ Notification: nested(8) }, 'Notification'));
  assertInvalid(() => readStructParameter({ Notification: nested(9) }, 'Notification'), /Notification .*deeper than 8 levels/);
});

test('a JSON bomb of deep nesting is refused before parsing', () => {
  const bomb = '['.repeat(30_000) + ']'.repeat(30_000);
  assertInvalid(() => readStructParameter({ CredentialConfig: bomb }, 'CredentialConfig'), /CredentialConfig .*deeper than 8 levels/);
});

test('brackets inside JSON strings do not count as nesting', () => {
  const value = '[[[[[[[[[[{{{{{{{{{{\\"';
  assert.deepEqual(readStructParameter({ Watermark: JSON.stringify({ Value: value }) }, 'Watermark'), { Value: value });
});

test('flattened fields are read as an object whose values stay strings', () => {
  assert.deepEqual(readStructParameter({ 'Permission.Readonly': 'true', 'Permission.Print': 'false' }, 'Permission'), {
    Readonly: 'true',
    Print: 'false',
  });
});

test('flattened CredentialConfig.Chain.N fields become a 1-based array in index order', () => {
  const params = {
    'CredentialConfig.ServiceRole': 'AliyunSTSAssumeForIMMServiceRole',
    'CredentialConfig.Chain.2.Role': 'second',
    'CredentialConfig.Chain.1.Role': 'first',
    'CredentialConfig.Chain.1.AssumeRoleFor': '1023210024600000',
  };
  assert.deepEqual(readStructParameter(params, 'CredentialConfig'), {
    ServiceRole: 'AliyunSTSAssumeForIMMServiceRole',
    Chain: [{ Role: 'first', AssumeRoleFor: '1023210024600000' }, { Role: 'second' }],
  });
});

test('parameters that merely start with the same name are not part of the struct', () => {
  assert.equal(readStructParameter({ PermissionX: '1', 'PermissionY.A': '2' }, 'Permission'), undefined);
});

test('giving both JSON text and flattened fields is refused as ambiguous', () => {
  assertInvalid(
    () => readStructParameter({ Permission: '{"Readonly":true}', 'Permission.Print': 'true' }, 'Permission'),
    /^The parameter Permission is invalid: give it either as JSON text or as flattened fields, not both\.$/,
  );
});

test('flattened index 100 is accepted and 101 is refused', () => {
  const hundred: Record<string, string> = {};
  for (let n = 1; n <= 100; n++) hundred[`X.List.${n}`] = String(n);
  assert.equal((readStructParameter(hundred, 'X')!.List as unknown[]).length, 100);
  assertInvalid(() => readStructParameter({ ...hundred, 'X.List.101': '101' }, 'X'), /X\.List\.101 .*integers from 1 to 100/);
});

test('flattened index 0 and indices with leading zeros are refused', () => {
  assertInvalid(() => readStructParameter({ 'X.List.0': 'a' }, 'X'), /X\.List\.0 .*integers from 1 to 100/);
  assertInvalid(() => readStructParameter({ 'X.List.01': 'a' }, 'X'), /X\.List\.01 .*integers from 1 to 100/);
});

test('flattened indices with a gap are refused', () => {
  assertInvalid(() => readStructParameter({ 'X.List.1': 'a', 'X.List.3': 'c' }, 'X'), /X\.List\.2 .*from 1 without gaps/);
});

test('flattened negative, signed, exponent, empty or non-identifier segments are refused', () => {
  for (const key of ['X.List.-1', 'X.List.+1', 'X.List.1e2', 'X.', 'X..A', 'X.A.', 'X.__proto__']) {
    assertInvalid(() => readStructParameter({ [key]: 'v' }, 'X'), /^The parameter X\./);
  }
});

test('a flattened name used both as a value and as a struct is refused', () => {
  assertInvalid(() => readStructParameter({ 'X.A': 'v', 'X.A.B': 'w' }, 'X'), /given both as a value and as a struct/);
  assertInvalid(() => readStructParameter({ 'X.A.B': 'w', 'X.A': 'v' }, 'X'), /given both as a value and as a struct/);
});

test('flattened indices mixed with field names at one level are refused', () => {
  assertInvalid(() => readStructParameter({ 'X.A.1': 'v', 'X.A.B': 'w' }, 'X'), /X\.A .*mixes array indices and field names/);
});

test('flattened fields nested 8 levels deep are accepted and 9 are refused', () => {
  assert.ok(readStructParameter({ 'X.A.B.C.D.E.F.G.H': 'v' }, 'X'));
  assertInvalid(() => readStructParameter({ 'X.A.B.C.D.E.F.G.H.I': 'v' }, 'X'), /deeper than 8 levels/);
});
