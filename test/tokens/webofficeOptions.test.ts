import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import path from 'node:path';
import { ApiError } from '../../src/core/errors.js';
import {
  fileFamily,
  parseCredentialConfig,
  parseGenerateParameters,
  parseRefreshParameters,
  parseSourceUri,
  type FileFamily,
  type WebofficeOptions,
} from '../../src/tokens/webofficeOptions.js';

const BASE = { ProjectName: 'test-project', SourceURI: 'oss://test-bucket/dir/test-object.docx' };

function generate(extra: Record<string, string> = {}): WebofficeOptions {
  return parseGenerateParameters({ ...BASE, ...extra }).options;
}

/** Asserts `fn` throws InvalidArgument (400) whose message equals or matches `message`. */
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

const required = (name: string) => `The parameter ${name} is required but not provided.`;
const json = (value: unknown) => JSON.stringify(value);
const chain = (hops: number) => Array.from({ length: hops }, (_, i) => ({ Role: `role${i + 1}` }));

// ----- Required parameters -------------------------------------------------------------------------------------

test('Generate without ProjectName or with an empty one gives the exact required message', () => {
  assertInvalid(() => parseGenerateParameters({ SourceURI: BASE.SourceURI }), required('ProjectName'));
  assertInvalid(() => parseGenerateParameters({ ...BASE, ProjectName: '' }), required('ProjectName'));
});

test('Generate without SourceURI or with an empty one gives the exact required message', () => {
  assertInvalid(() => parseGenerateParameters({ ProjectName: 'p' }), required('SourceURI'));
  assertInvalid(() => parseGenerateParameters({ ProjectName: 'p', SourceURI: '' }), required('SourceURI'));
});

test('Generate checks ProjectName before SourceURI', () => {
  assertInvalid(() => parseGenerateParameters({}), required('ProjectName'));
});

test('Refresh requires ProjectName, AccessToken and RefreshToken in that order, missing or empty', () => {
  assertInvalid(() => parseRefreshParameters({}), required('ProjectName'));
  assertInvalid(() => parseRefreshParameters({ ProjectName: '', AccessToken: 'a', RefreshToken: 'r' }), required('ProjectName'));
  assertInvalid(() => parseRefreshParameters({ ProjectName: 'p' }), required('AccessToken'));
  assertInvalid(() => parseRefreshParameters({ ProjectName: 'p', AccessToken: '', RefreshToken: 'r' }), required('AccessToken'));
  assertInvalid(() => parseRefreshParameters({ ProjectName: 'p', AccessToken: 'a' }), required('RefreshToken'));
  assertInvalid(() => parseRefreshParameters({ ProjectName: 'p', AccessToken: 'a', RefreshToken: '' }), required('RefreshToken'));
});

test('Refresh does not judge the token format and returns the values as given', () => {
  assert.deepEqual(parseRefreshParameters({ ProjectName: 'p', AccessToken: 'not hex!', RefreshToken: 'x', Other: 'ignored' }), {
    projectName: 'p',
    accessToken: 'not hex!',
    refreshToken: 'x',
  });
});

test('Refresh reads CredentialConfig as JSON text or flattened and validates it', () => {
  const params = { ProjectName: 'p', AccessToken: 'a', RefreshToken: 'r' };
  assert.deepEqual(parseRefreshParameters({ ...params, CredentialConfig: json({ ServiceRole: 'sr' }) }).credentialConfig, { ServiceRole: 'sr' });
  assert.deepEqual(parseRefreshParameters({ ...params, 'CredentialConfig.Chain.1.Role': 'r1' }).credentialConfig, { Chain: [{ Role: 'r1' }] });
  assertInvalid(() => parseRefreshParameters({ ...params, CredentialConfig: json({ Chain: chain(11) }) }), /CredentialConfig\.Chain .*at most 10 hops/);
});

// ----- Defaults and shape --------------------------------------------------------------------------------------

test('the minimal request yields defaults and no keys for absent options', () => {
  const result = parseGenerateParameters(BASE);
  assert.deepEqual(result, {
    projectName: 'test-project',
    options: {
      sourceUri: BASE.SourceURI,
      source: { bucket: 'test-bucket', key: 'dir/test-object.docx' },
      filename: 'test-object.docx',
      family: 'w',
      externalUploaded: false,
      hidecmb: false,
      cachePreview: false,
      permission: { Readonly: false, Rename: false, History: false, Copy: false, Export: false, Print: false },
      user: {},
    },
  });
});

test('a full request survives a JSON round trip unchanged', () => {
  const options = generate({
    UserData: 'u', PreviewPages: '10', Password: 'pw', ExternalUploaded: 'true', NotifyTopicName: 'topic',
    Notification: json({ MNS: { TopicName: 't' } }), Hidecmb: 'true', CachePreview: 'false', Referer: '*',
    Permission: json({ Readonly: true, Print: true, Export: true }), User: json({ Id: 'u1', Name: 'Alice' }),
    Watermark: json({ Type: 1, Value: 'secret', Rotate: -0.7853982, Horizontal: 50, Vertical: 100 }),
    CredentialConfig: json({ ServiceRole: 'sr', Chain: [{ Role: 'r', AssumeRoleFor: '1023210024600000', RoleType: 'user' }] }),
  });
  assert.deepEqual(JSON.parse(JSON.stringify(options)), options);
  assert.equal(options.previewPages, 10);
  assert.equal(options.externalUploaded, true);
  assert.equal(options.hidecmb, true);
  assert.deepEqual(options.watermark, { Type: 1, Value: 'secret', Rotate: -0.7853982, Horizontal: 50, Vertical: 100 });
});

test('parameters that are not ours are ignored', () => {
  assert.doesNotThrow(() => generate({ Action: 'GenerateWebofficeToken', Version: '2020-09-30', NotifyEndpoint: 'x' }));
});

test('an empty optional parameter counts as absent', () => {
  const options = generate({ Filename: '', PreviewPages: '', Hidecmb: '', Permission: '' });
  assert.equal(options.filename, 'test-object.docx');
  assert.equal(options.previewPages, undefined);
  assert.equal(options.hidecmb, false);
});

// ----- SourceURI -----------------------------------------------------------------------------------------------

test('parseSourceUri splits bucket and object key', () => {
  assert.deepEqual(parseSourceUri('oss://test-bucket/a/b/c.docx'), { bucket: 'test-bucket', key: 'a/b/c.docx' });
});

test('a SourceURI scheme other than oss:// is refused saying only oss:// is supported', () => {
  for (const uri of ['http://bkt/a.docx', 'https://bkt/a.docx', 's3://bkt/a.docx', 'OSS://bkt/a.docx', 'bkt/a.docx', 'oss:/bkt/a.docx']) {
    assertInvalid(() => generate({ SourceURI: uri }), /^The parameter SourceURI is invalid: only oss:\/\/ URIs are supported/);
  }
});

test('a SourceURI without an object is refused', () => {
  assertInvalid(() => parseSourceUri('oss://bucket'), /SourceURI .*object is missing/);
  assertInvalid(() => parseSourceUri('oss://bucket/'), /SourceURI .*object name must not be empty/);
});

test('bucket names of 3 and 63 characters are accepted, 2 and 64 are refused', () => {
  assert.equal(parseSourceUri(`oss://abc/a.docx`).bucket, 'abc');
  assert.equal(parseSourceUri(`oss://${'a'.repeat(63)}/a.docx`).bucket.length, 63);
  assertInvalid(() => parseSourceUri('oss://ab/a.docx'), /SourceURI .*bucket name must be 3 to 63/);
  assertInvalid(() => parseSourceUri(`oss://${'a'.repeat(64)}/a.docx`), /bucket name must be 3 to 63/);
});

test('bucket names with upper case, underscores, dots or edge hyphens are refused', () => {
  for (const bucket of ['Bucket', 'my_bucket', 'my.bucket', '-bucket', 'bucket-']) {
    assertInvalid(() => parseSourceUri(`oss://${bucket}/a.docx`), /bucket name must be 3 to 63/);
  }
  assert.equal(parseSourceUri('oss://0-a-9/a.docx').bucket, '0-a-9');
});

test('an object key of 1023 bytes is accepted and 1024 bytes refused, counted in UTF-8 bytes', () => {
  const key = (bytes: number) => 'k'.repeat(bytes - '.docx'.length) + '.docx';
  assert.equal(parseSourceUri(`oss://bkt/${key(1023)}`).key.length, 1023);
  assertInvalid(() => parseSourceUri(`oss://bkt/${key(1024)}`), /SourceURI .*at most 1023 bytes/);
  const multiByte = '文'.repeat(340) + '.docx'; // 345 characters, 1025 bytes
  assertInvalid(() => parseSourceUri(`oss://bkt/${multiByte}`), /at most 1023 bytes/);
});

test('an object key with a leading slash is refused', () => {
  assertInvalid(() => parseSourceUri('oss://bkt//a.docx'), /SourceURI .*must not start with '\/'/);
});

test("an object key with '..' segments is refused, while dots inside names are fine", () => {
  for (const key of ['../a.docx', 'a/../b.docx', 'a/..', '..']) {
    assertInvalid(() => parseSourceUri(`oss://bkt/${key}`), /SourceURI .*'\.\.' segments/);
  }
  assert.equal(parseSourceUri('oss://bkt/a..b/..c.docx').key, 'a..b/..c.docx');
});

test("an object key with '.' or empty segments, or a trailing '/', is refused: each object has exactly one key", () => {
  for (const key of ['./private/x.docx', './/private/x.docx', 'private//x.docx', 'private/./x.docx', 'report.docx/', 'a/.', '.', './']) {
    assertInvalid(() => parseSourceUri(`oss://bkt/${key}`), /^The parameter SourceURI is invalid: the object name /);
  }
  assertInvalid(() => parseSourceUri('oss://bkt/private//x.docx'), /SourceURI .*empty segments/);
  assertInvalid(() => parseSourceUri('oss://bkt/report.docx/'), /SourceURI .*must not end with '\/'/);
  assertInvalid(() => parseSourceUri('oss://bkt/./private/x.docx'), /SourceURI .*'\.' segments/);
  // The same rules for every oss:// parameter, each error naming its own.
  assertInvalid(() => generate({ Notification: json({ ExtendedMessageURI: 'oss://bkt/a//b.json' }) }), /Notification\.ExtendedMessageURI .*empty segments/);
  assert.equal(parseSourceUri('oss://bkt/.hidden/a.b/.x.docx').key, '.hidden/a.b/.x.docx');
});

test('every object key accepted is its own normal form: no other spelling of it is accepted', () => {
  const segment = fc.stringMatching(/^[a.\/]{0,4}$/);
  fc.assert(
    fc.property(fc.array(segment, { minLength: 1, maxLength: 5 }), (parts) => {
      const key = parts.join('/');
      let accepted: string;
      try {
        accepted = parseSourceUri(`oss://bkt/${key}`).key;
      } catch (error) {
        assert.ok(error instanceof ApiError && error.code === 'InvalidArgument', String(error));
        return;
      }
      assert.equal(accepted, key);
      assert.equal(path.posix.normalize(key), key, 'the key is its normal form');
      assert.ok(!key.endsWith('/') && !key.startsWith('/'), key);
    }),
    { numRuns: 2000 },
  );
});

test('an object key with NUL or other control characters is refused', () => {
  for (const c of ['\u0000', '\n', '\r', '\t', '\u001f', '\u007f']) {
    assertInvalid(() => parseSourceUri(`oss://bkt/a${c}b.docx`), /SourceURI .*control characters/);
  }
});

// ----- Filename and family -------------------------------------------------------------------------------------

test('every supported extension maps to its family letter', () => {
  const families: Record<FileFamily, string[]> = {
    w: ['doc', 'docx', 'txt', 'dot', 'wps', 'wpt', 'dotx', 'docm', 'dotm', 'rtf'],
    s: ['et', 'xls', 'xlt', 'xlsx', 'xlsm', 'xltx', 'xltm', 'csv'],
    p: ['ppt', 'pptx', 'pptm', 'ppsx', 'ppsm', 'pps', 'potx', 'potm', 'dpt', 'dps'],
    f: ['pdf'],
  };
  for (const [family, extensions] of Object.entries(families)) {
    for (const extension of extensions) {
      assert.equal(fileFamily(`name.${extension}`), family, extension);
      assert.equal(generate({ Filename: `name.${extension}`, Permission: json({ Readonly: true }) }).family, family);
    }
  }
});

test('extensions are matched case-insensitively and the Filename keeps its case', () => {
  assert.equal(fileFamily('REPORT.DOCX'), 'w');
  assert.equal(fileFamily('Sheet.XlSx'), 's');
  const options = generate({ SourceURI: 'oss://bkt/Deck.PPTX' });
  assert.equal(options.family, 'p');
  assert.equal(options.filename, 'Deck.PPTX');
});

test('fileFamily gives undefined for unknown or missing extensions', () => {
  for (const name of ['a.exe', 'report', '.docx', 'a.', 'a.docx.bak']) assert.equal(fileFamily(name), undefined, name);
});

test('Filename defaults to the last segment of the object key', () => {
  assert.equal(generate({ SourceURI: 'oss://bkt/a/b/c.xlsx' }).filename, 'c.xlsx');
});

test('Filename decides the family, not the object key', () => {
  const options = generate({ SourceURI: 'oss://bkt/blobs/0001.bin', Filename: 'test-Object.pptx' });
  assert.equal(options.family, 'p');
  assert.equal(options.filename, 'test-Object.pptx');
});

test('a Filename without an extension is refused', () => {
  for (const name of ['report', '.docx', 'report.']) {
    assertInvalid(() => generate({ Filename: name }), /^The parameter Filename is invalid: the file name must include an extension/);
  }
});

test('an unsupported Filename extension is refused naming the extension and listing the supported ones', () => {
  assertInvalid(
    () => generate({ Filename: 'setup.exe' }),
    /^The parameter Filename is invalid: the extension \.exe is not supported \(supported: doc, docx, .*, pdf\)\.$/,
  );
});

test('without Filename, a bad extension in the object key is refused naming SourceURI', () => {
  assertInvalid(() => generate({ SourceURI: 'oss://bkt/setup.exe' }), /^The parameter SourceURI is invalid: the extension \.exe is not supported/);
  assertInvalid(() => generate({ SourceURI: 'oss://bkt/README' }), /^The parameter SourceURI is invalid: the file name must include an extension/);
  assertInvalid(() => generate({ SourceURI: 'oss://bkt/dir/.docx' }), /^The parameter SourceURI is invalid: the file name must include an extension/);
});

test('a Filename of 255 characters is accepted and 256 refused', () => {
  const name = (length: number) => 'n'.repeat(length - '.docx'.length) + '.docx';
  assert.equal(generate({ Filename: name(255) }).filename.length, 255);
  assertInvalid(() => generate({ Filename: name(256) }), /^The parameter Filename is invalid: .*at most 255 characters/);
});

// ----- Scalars -------------------------------------------------------------------------------------------------

test("boolean parameters accept exactly 'true' and 'false'", () => {
  for (const name of ['ExternalUploaded', 'Hidecmb', 'CachePreview']) {
    assert.equal((generate({ [name]: 'true' }) as unknown as Record<string, unknown>)[name[0].toLowerCase() + name.slice(1)], true);
    assert.equal((generate({ [name]: 'false' }) as unknown as Record<string, unknown>)[name[0].toLowerCase() + name.slice(1)], false);
    for (const bad of ['TRUE', 'True', '1', '0', 'yes', ' true', 'true ']) {
      assertInvalid(() => generate({ [name]: bad }), `The parameter ${name} is invalid: it must be true or false.`);
    }
  }
});

test('UserData of exactly 2048 bytes is accepted and 2049 refused', () => {
  assert.equal(generate({ UserData: 'u'.repeat(2048) }).userData?.length, 2048);
  assertInvalid(() => generate({ UserData: 'u'.repeat(2049) }), 'The parameter UserData is invalid: it must be at most 2048 bytes (UTF-8).');
});

test('UserData is counted in UTF-8 bytes, not characters', () => {
  assert.ok(generate({ UserData: 'é'.repeat(1024) })); // 1024 characters, 2048 bytes
  assertInvalid(() => generate({ UserData: 'é'.repeat(1024) + 'a' }), /UserData .*2048 bytes/); // 1025 characters, 2049 bytes
});

test('PreviewPages accepts integers 1 to 5000 and refuses anything else', () => {
  assert.equal(generate({ PreviewPages: '1' }).previewPages, 1);
  assert.equal(generate({ PreviewPages: '5000' }).previewPages, 5000);
  for (const bad of ['5001', '0', '1.5', '-1', '1e3', ' 5', '0x10', 'ten', '99999999999999999999999']) {
    assertInvalid(() => generate({ PreviewPages: bad }), 'The parameter PreviewPages is invalid: it must be an integer between 1 and 5000.');
  }
});

test('Password, NotifyTopicName and Referer accept their limit and refuse one character more, naming it', () => {
  for (const [name, limit] of [['Password', 256], ['NotifyTopicName', 256], ['Referer', 1024]] as const) {
    assert.doesNotThrow(() => generate({ [name]: 'x'.repeat(limit) }));
    assertInvalid(() => generate({ [name]: 'x'.repeat(limit + 1) }), `The parameter ${name} is invalid: it must be at most ${limit} characters.`);
  }
});

// ----- Permission ----------------------------------------------------------------------------------------------

test('Permission accepts JSON booleans, true/false text and the flattened form', () => {
  assert.equal(generate({ Permission: json({ Readonly: true }) }).permission.Readonly, true);
  assert.equal(generate({ Permission: json({ Readonly: 'true' }) }).permission.Readonly, true);
  assert.equal(generate({ 'Permission.Readonly': 'true', 'Permission.Copy': 'false' }).permission.Readonly, true);
});

test('Permission flags that are not booleans are refused naming the flag', () => {
  for (const bad of [1, 'yes', null, 'TRUE']) {
    assertInvalid(() => generate({ Permission: json({ Copy: bad }) }), 'The parameter Permission.Copy is invalid: it must be true or false.');
  }
});

test('Permission refuses unknown keys naming them', () => {
  assertInvalid(() => generate({ Permission: json({ Readonly: true, Delete: true }) }), /^The parameter Permission is invalid: the key Delete is not supported/);
  assertInvalid(() => generate({ 'Permission.Edit': 'true' }), /the key Edit is not supported/);
});

test('Export without Print is refused and Export with Print accepted', () => {
  assertInvalid(() => generate({ Permission: json({ Export: true }) }), 'The parameter Permission is invalid: Export requires Print.');
  assert.equal(generate({ Permission: json({ Export: true, Print: true }) }).permission.Export, true);
});

test('a PDF without Readonly is refused and with Readonly accepted', () => {
  assertInvalid(() => generate({ SourceURI: 'oss://bkt/a.pdf' }), /^The parameter Permission is invalid: PDF .*Readonly must be true/);
  assert.equal(generate({ SourceURI: 'oss://bkt/a.pdf', Permission: json({ Readonly: true }) }).family, 'f');
});

test('a PDF with Export is refused even when Readonly and Print are set', () => {
  assertInvalid(
    () => generate({ SourceURI: 'oss://bkt/a.pdf', Permission: json({ Readonly: true, Print: true, Export: true }) }),
    /^The parameter Permission is invalid: PDF files cannot be exported/,
  );
});

test('CachePreview with Print is refused, either alone is accepted', () => {
  assertInvalid(() => generate({ CachePreview: 'true', Permission: json({ Print: true }) }), /^The parameter CachePreview is invalid: .*Print must be false/);
  assert.doesNotThrow(() => generate({ CachePreview: 'true' }));
  assert.doesNotThrow(() => generate({ Permission: json({ Print: true }) }));
});

// ----- User ----------------------------------------------------------------------------------------------------

test('User.Id of 15 letters or digits is accepted, 16 or other characters refused', () => {
  assert.equal(generate({ User: json({ Id: 'a1'.repeat(7) + 'Z' }) }).user.Id, 'a1a1a1a1a1a1a1Z');
  for (const bad of ['a'.repeat(16), 'ab-c', 'a b', '', 'ü']) {
    assertInvalid(() => generate({ User: json({ Id: bad }) }), 'The parameter User.Id is invalid: it must be 1 to 15 letters or digits.');
  }
  assertInvalid(() => generate({ User: json({ Id: 5 }) }), 'The parameter User.Id is invalid: it must be a string.');
});

test('User.Name of 32 characters is accepted and 33 refused', () => {
  assert.equal(generate({ User: json({ Name: 'n'.repeat(32) }) }).user.Name?.length, 32);
  assertInvalid(() => generate({ User: json({ Name: 'n'.repeat(33) }) }), 'The parameter User.Name is invalid: it must be at most 32 characters.');
});

test('User.Name allows letters, digits and - _ + / = @ only', () => {
  assert.equal(generate({ 'User.Name': 'a-b_c+d/e=f@9' }).user.Name, 'a-b_c+d/e=f@9');
  assert.equal(generate({ User: json({ Name: '张三' }) }).user.Name, '张三');
  for (const bad of ['a b', '<script>', 'a.b', 'a!', '']) {
    assertInvalid(() => generate({ User: json({ Name: bad }) }), /^The parameter User\.Name is invalid: it must be letters, digits and/);
  }
});

test('User.Avatar must be an http(s) URL of at most 1024 characters', () => {
  const url = (length: number) => 'https://cdn.example.com/' + 'a'.repeat(length - 'https://cdn.example.com/'.length);
  assert.equal(generate({ User: json({ Avatar: url(1024) }) }).user.Avatar?.length, 1024);
  assert.ok(generate({ User: json({ Avatar: 'http://example.com/a.png' }) }));
  for (const bad of [url(1025), 'ftp://example.com/a.png', 'javascript:alert(1)', 'not a url', '/a.png']) {
    assertInvalid(() => generate({ User: json({ Avatar: bad }) }), 'The parameter User.Avatar is invalid: it must be an http(s) URL of at most 1024 characters.');
  }
});

test('User refuses unknown keys', () => {
  assertInvalid(() => generate({ User: json({ Id: 'a', Email: 'x@y' }) }), /^The parameter User is invalid: the key Email is not supported/);
});

// ----- Watermark -----------------------------------------------------------------------------------------------

test('Watermark.Type accepts 0 and 1 (numbers or flattened text) and refuses others', () => {
  assert.equal(generate({ Watermark: json({ Type: 0 }) }).watermark?.Type, 0);
  assert.deepEqual(generate({ 'Watermark.Type': '1', 'Watermark.Value': 'v' }).watermark, { Type: 1, Value: 'v' });
  for (const bad of [2, -1, 0.5, '2', 'text', true]) {
    assertInvalid(() => generate({ Watermark: json({ Type: bad }) }), /^The parameter Watermark\.Type is invalid: it must be 0 \(none\) or 1 \(text\)\.$/);
  }
});

test('Watermark.Value is required and non-empty when Type is 1', () => {
  assertInvalid(() => generate({ Watermark: json({ Type: 1 }) }), 'The parameter Watermark.Value is invalid: it is required when Type is 1.');
  assertInvalid(() => generate({ Watermark: json({ Type: 1, Value: '' }) }), 'The parameter Watermark.Value is invalid: it is required when Type is 1.');
  assert.deepEqual(generate({ Watermark: json({ Type: 0 }) }).watermark, { Type: 0 });
});

test('Watermark Value accepts 256 characters, FillStyle and Font 64, and refuse one more', () => {
  for (const [key, limit] of [['Value', 256], ['FillStyle', 64], ['Font', 64]] as const) {
    assert.doesNotThrow(() => generate({ Watermark: json({ [key]: 'x'.repeat(limit) }) }));
    assertInvalid(() => generate({ Watermark: json({ [key]: 'x'.repeat(limit + 1) }) }), `The parameter Watermark.${key} is invalid: it must be at most ${limit} characters.`);
  }
  assertInvalid(() => generate({ Watermark: json({ Font: 12 }) }), 'The parameter Watermark.Font is invalid: it must be a string.');
});

test('Watermark.Rotate accepts finite numbers and numeric text, refuses the rest', () => {
  assert.equal(generate({ 'Watermark.Rotate': '-0.7853982' }).watermark?.Rotate, -0.7853982);
  assert.equal(generate({ Watermark: json({ Rotate: 3 }) }).watermark?.Rotate, 3);
  for (const bad of ['abc', '', 'Infinity', '1e400', 'NaN', null, '1,5']) {
    assertInvalid(() => generate({ Watermark: json({ Rotate: bad }) }), /^The parameter Watermark\.Rotate is invalid: it must be a finite number/);
  }
});

test('Watermark Horizontal and Vertical accept 0 to 10000 and refuse -1 and 10000.5', () => {
  for (const key of ['Horizontal', 'Vertical']) {
    assert.equal((generate({ Watermark: json({ [key]: 0 }) }).watermark as Record<string, unknown>)[key], 0);
    assert.equal((generate({ [`Watermark.${key}`]: '10000' }).watermark as Record<string, unknown>)[key], 10000);
    for (const bad of [-1, 10000.5, '10001', 'wide']) {
      assertInvalid(() => generate({ Watermark: json({ [key]: bad }) }), `The parameter Watermark.${key} is invalid: it must be a number from 0 to 10000.`);
    }
  }
});

test('Watermark refuses unknown keys and is absent when not given', () => {
  assertInvalid(() => generate({ Watermark: json({ Opacity: 1 }) }), /^The parameter Watermark is invalid: the key Opacity is not supported/);
  assert.equal('watermark' in generate(), false);
});

// ----- Notification --------------------------------------------------------------------------------------------

test('Notification accepts MNS, RocketMQ objects and an oss:// ExtendedMessageURI', () => {
  const notification = { MNS: { TopicName: 't', Endpoint: 'e' }, RocketMQ: { TopicName: 'r' }, ExtendedMessageURI: 'oss://bkt/msg.json' };
  assert.deepEqual(generate({ Notification: json(notification) }).notification, notification);
});

test('Notification refuses unknown keys, non-object MNS/RocketMQ and non-oss ExtendedMessageURI', () => {
  assertInvalid(() => generate({ Notification: json({ Kafka: {} }) }), /^The parameter Notification is invalid: the key Kafka is not supported/);
  assertInvalid(() => generate({ Notification: json({ MNS: 'topic' }) }), 'The parameter Notification.MNS is invalid: it must be an object.');
  assertInvalid(() => generate({ Notification: json({ RocketMQ: [] }) }), 'The parameter Notification.RocketMQ is invalid: it must be an object.');
  assertInvalid(
    () => generate({ Notification: json({ ExtendedMessageURI: 'https://x/y.json' }) }),
    /^The parameter Notification\.ExtendedMessageURI is invalid: only oss:\/\//,
  );
});

// ----- CredentialConfig ----------------------------------------------------------------------------------------

test('parseCredentialConfig accepts the documented structure', () => {
  const config = {
    ServiceRole: 'AliyunSTSAssumeForIMMServiceRole',
    Policy: json({ Statement: [{ Action: 'oss:*', Effect: 'Allow', Resource: '*' }], Version: '1' }),
    Chain: [{ AssumeRoleFor: '1023210024600000', Role: 'AliyunOSSRole', RoleType: 'user' }, { Role: 'svc', RoleType: 'service' }],
  };
  assert.deepEqual(parseCredentialConfig(config), config);
});

test('flattened CredentialConfig.Chain.N fields are parsed into an array of hops', () => {
  const options = generate({
    'CredentialConfig.ServiceRole': 'sr',
    'CredentialConfig.Chain.1.Role': 'r1',
    'CredentialConfig.Chain.1.AssumeRoleFor': '123',
    'CredentialConfig.Chain.2.Role': 'r2',
    'CredentialConfig.Chain.2.RoleType': 'service',
  });
  assert.deepEqual(options.credentialConfig, {
    ServiceRole: 'sr',
    Chain: [{ Role: 'r1', AssumeRoleFor: '123' }, { Role: 'r2', RoleType: 'service' }],
  });
});

test('a Chain of 10 hops is accepted and 11 refused', () => {
  assert.equal(parseCredentialConfig({ Chain: chain(10) }).Chain?.length, 10);
  assertInvalid(() => parseCredentialConfig({ Chain: chain(11) }), 'The parameter CredentialConfig.Chain is invalid: it must have at most 10 hops.');
});

test('each hop needs a non-empty Role, named by its 1-based position', () => {
  assertInvalid(() => parseCredentialConfig({ Chain: [{ Role: 'a' }, { RoleType: 'user' }] }), 'The parameter CredentialConfig.Chain.2.Role is invalid: it is required in every hop.');
  assertInvalid(() => parseCredentialConfig({ Chain: [{ Role: '' }] }), 'The parameter CredentialConfig.Chain.1.Role is invalid: it must not be empty.');
});

test('AssumeRoleFor accepts digits only', () => {
  assert.equal(parseCredentialConfig({ Chain: [{ Role: 'r', AssumeRoleFor: '1023210024600000' }] }).Chain?.[0].AssumeRoleFor, '1023210024600000');
  for (const bad of ['12a', '', '-1', '10232100246xxxxx']) {
    assertInvalid(() => parseCredentialConfig({ Chain: [{ Role: 'r', AssumeRoleFor: bad }] }), /^The parameter CredentialConfig\.Chain\.1\.AssumeRoleFor is invalid: .*digits only/);
  }
});

test("RoleType accepts 'user' and 'service' only", () => {
  assert.ok(parseCredentialConfig({ Chain: [{ Role: 'r', RoleType: 'user' }, { Role: 's', RoleType: 'service' }] }));
  assertInvalid(() => parseCredentialConfig({ Chain: [{ Role: 'r', RoleType: 'User' }] }), "The parameter CredentialConfig.Chain.1.RoleType is invalid: it must be 'user' or 'service'.");
});

test('Policy must be JSON text of an object', () => {
  for (const bad of ['not json', '[]', '"s"']) {
    assertInvalid(() => parseCredentialConfig({ Policy: bad }), 'The parameter CredentialConfig.Policy is invalid: it must be a JSON object.');
  }
  assertInvalid(() => parseCredentialConfig({ Policy: { Version: '1' } }), 'The parameter CredentialConfig.Policy is invalid: it must be a string.');
});

test('CredentialConfig refuses unknown keys, at the top and in a hop', () => {
  assertInvalid(() => parseCredentialConfig({ Role: 'r' }), /^The parameter CredentialConfig is invalid: the key Role is not supported/);
  assertInvalid(() => parseCredentialConfig({ Chain: [{ Role: 'r' }, { Role: 'r', OwnerId: '1' }] }), /^The parameter CredentialConfig\.Chain\.2 is invalid: the key OwnerId is not supported/);
  assertInvalid(() => parseCredentialConfig({ Chain: { Role: 'r' } }), 'The parameter CredentialConfig.Chain is invalid: it must be an array.');
});

test('ServiceRole must be a non-empty string', () => {
  assertInvalid(() => parseCredentialConfig({ ServiceRole: '' }), 'The parameter CredentialConfig.ServiceRole is invalid: it must not be empty.');
  assertInvalid(() => parseCredentialConfig({ ServiceRole: 1 }), 'The parameter CredentialConfig.ServiceRole is invalid: it must be a string.');
});

// ----- Property ------------------------------------------------------------------------------------------------

test('for arbitrary parameter maps, parseGenerateParameters returns or throws InvalidArgument, never anything else', () => {
  const names = [
    'ProjectName', 'SourceURI', 'Filename', 'UserData', 'PreviewPages', 'Password', 'ExternalUploaded', 'NotifyTopicName',
    'Notification', 'Hidecmb', 'CachePreview', 'Referer', 'Permission', 'User', 'Watermark', 'CredentialConfig',
    'Permission.Readonly', 'Permission.Export', 'User.Id', 'Watermark.Type', 'Watermark.Value', 'CredentialConfig.Chain.1.Role',
    'CredentialConfig.Chain.2', 'CredentialConfig.Policy', 'Notification.MNS.TopicName', '__proto__', 'constructor', 'toString',
  ];
  const key = fc.oneof(fc.constantFrom(...names), fc.string());
  const value = fc.oneof(
    fc.string(),
    fc.constantFrom('', 'true', 'false', '1', '5001', 'oss://bkt/a.docx', 'oss://bkt/a.pdf', 'a.exe', '{}', '[]', 'null', '{"Readonly":true}'),
    fc.json(),
  );
  const params = fc.tuple(fc.boolean(), fc.dictionary(key, value)).map(([withBase, extra]) => (withBase ? { ...BASE, ...extra } : extra));
  fc.assert(
    fc.property(params, (p) => {
      try {
        parseGenerateParameters(p);
      } catch (error) {
        assert.ok(error instanceof ApiError, `not an ApiError: ${String(error)}`);
        assert.equal(error.code, 'InvalidArgument');
        assert.equal(error.status, 400);
      }
    }),
    { numRuns: 2000 },
  );
});
