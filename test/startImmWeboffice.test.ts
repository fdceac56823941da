/**
 * The programmatic API, used as an application's test suite would: a fresh instance per suite on a free port,
 * the official client pointed at its `endpoint`, a document put with `putDocument`, and `stop()` leaving
 * nothing behind. On SQLite (the default: a temporary data directory) and on PostgreSQL (`databaseUrl`).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { startImmWeboffice, type ImmWeboffice } from '../src/index.js';
import { SETTINGS } from '../src/config.js';
import { createClient } from './helpers/clients.js';
import { createPostgresSchema, enginesToRun } from './helpers/postgres.js';
import { makeDataDir } from './helpers/server.js';

const md5 = (text: string) => createHash('md5').update(text).digest('hex').toUpperCase();
const ENGINES = await enginesToRun();

for (const engine of ENGINES) {
  describe(`startImmWeboffice on ${engine}`, () => {
    let imm: ImmWeboffice;
    let dropSchema: (() => Promise<void>) | undefined;

    before(async () => {
      const schema = engine === 'postgres' ? await createPostgresSchema() : undefined;
      dropSchema = schema?.drop;
      imm = await startImmWeboffice(schema ? { databaseUrl: schema.url } : {});
    });

    after(async () => {
      await imm?.stop();
      await dropSchema?.();
    });

    test('says where it listens and who its root is: a free port on 127.0.0.1, a fresh account and key', () => {
      const url = new URL(imm.url);
      assert.equal(url.hostname, '127.0.0.1');
      assert.notEqual(url.port, '');
      assert.equal(imm.endpoint, `127.0.0.1:${url.port}`);
      assert.equal(imm.region, 'cn-hangzhou');
      assert.match(imm.accountId, /^\d{16}$/);
      assert.match(imm.accessKeyId, /^LTAI[A-Za-z0-9]{20}$/);
      assert.match(imm.accessKeySecret, /^[A-Za-z0-9]{30}$/);
    });

    test('an official client at `endpoint` creates a project, generates a token for a put document and refreshes it', async () => {
      const put = await imm.putDocument('oss://app-docs/contracts/offer.docx', 'document body');
      assert.deepEqual(put, { sourceUri: 'oss://app-docs/contracts/offer.docx', version: 1, size: 13, etag: md5('document body') });
      const again = await imm.putDocument('oss://app-docs/contracts/offer.docx', Buffer.from('second content'));
      assert.equal(again.version, 2, 'a second put is the next version of the same object, the bucket reused');

      const client = createClient('openapi-client ACS3-HMAC-SHA256 query', imm, { AccessKeyId: imm.accessKeyId, AccessKeySecret: imm.accessKeySecret });
      await client.call('CreateProject', { ProjectName: 'app-tests' });
      const token = await client.call('GenerateWebofficeToken', {
        ProjectName: 'app-tests',
        SourceURI: put.sourceUri,
        Permission: JSON.stringify({ Readonly: true }),
      });
      assert.match(token.AccessToken, /^[0-9a-f]{32}$/);
      assert.ok(String(token.WebofficeURL).startsWith(`${imm.url}/office/w/`), token.WebofficeURL);
      const refreshed = await client.call('RefreshWebofficeToken', { ProjectName: 'app-tests', AccessToken: token.AccessToken, RefreshToken: token.RefreshToken });
      assert.match(refreshed.AccessToken, /^[0-9a-f]{32}$/);
      assert.notEqual(refreshed.AccessToken, token.AccessToken);
      const next = await client.call('RefreshWebofficeToken', { ProjectName: 'app-tests', AccessToken: refreshed.AccessToken, RefreshToken: refreshed.RefreshToken });
      assert.ok(![token.AccessToken, refreshed.AccessToken].includes(next.AccessToken), 'the successor refreshes in turn');
    });

    test('putDocument refuses a URI the API would refuse, in the API\'s words', async () => {
      await assert.rejects(imm.putDocument('oss://Bad_Bucket/a.docx', 'x'), /SourceURI is invalid: the bucket name must be/);
    });
  });
}

describe('startImmWeboffice options', () => {
  test('stop() closes the port and removes the temporary data directory; a given dataDir is kept and reused', async () => {
    const first = await startImmWeboffice();
    assert.ok(fs.existsSync(first.dataDir));
    await first.stop();
    assert.ok(!fs.existsSync(first.dataDir), 'the temporary data directory is removed');
    await assert.rejects(fetch(`${first.url}/health`), 'nothing listens any more');

    const dataDir = makeDataDir('imm-embedded-');
    const kept = await startImmWeboffice({ dataDir });
    await kept.putDocument('oss://kept-bucket/a.docx', 'one');
    await kept.stop();
    assert.ok(fs.existsSync(path.join(dataDir, 'oss', 'kept-bucket', 'a.docx')), 'a given data directory is the caller\'s: kept');
    const reopened = await startImmWeboffice({ dataDir });
    try {
      assert.equal(reopened.accessKeyId, kept.accessKeyId, 'the same root on the same data');
      assert.equal((await reopened.putDocument('oss://kept-bucket/a.docx', 'two')).version, 2);
    } finally {
      await reopened.stop();
    }
  });

  test('settings are options by the camelCase name of their flag; the environment is not read; an unknown option is refused', async () => {
    for (const [name, setting] of Object.entries(SETTINGS)) {
      const camel = setting.flag.split(' ')[0].slice(2).replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
      assert.equal(name, camel, `option ${name} is the camelCase of ${setting.flag}`);
    }
    const saved = process.env.IMM_REGION;
    process.env.IMM_REGION = 'cn-from-environment';
    try {
      const imm = await startImmWeboffice({ region: 'cn-shanghai', accessTokenTtl: 120, publicUrl: 'https://office.example.test' });
      try {
        assert.equal(imm.region, 'cn-shanghai');
        await imm.putDocument('oss://opts-bucket/a.docx', 'x');
        const client = createClient('pop-core POST', imm, { AccessKeyId: imm.accessKeyId, AccessKeySecret: imm.accessKeySecret });
        await client.call('CreateProject', { ProjectName: 'p' });
        const token = await client.call('GenerateWebofficeToken', { ProjectName: 'p', SourceURI: 'oss://opts-bucket/a.docx' });
        assert.ok(String(token.WebofficeURL).startsWith('https://office.example.test/office/w/'), token.WebofficeURL);
        const lifetimeMs = Date.parse(token.AccessTokenExpiredTime) - Date.parse(token.RefreshTokenExpiredTime) + 86_400_000;
        assert.equal(lifetimeMs, 120_000, 'accessTokenTtl (seconds) sets the access token lifetime');
      } finally {
        await imm.stop();
      }
      const defaults = await startImmWeboffice();
      assert.equal(defaults.region, 'cn-hangzhou', 'IMM_REGION in the environment is ignored');
      await defaults.stop();
    } finally {
      if (saved === undefined) delete process.env.IMM_REGION;
      else process.env.IMM_REGION = saved;
    }
    await assert.rejects(startImmWeboffice({ portNumber: 1 } as never), /unknown option portNumber/);
    await assert.rejects(startImmWeboffice({ accessTokenTtl: -1 }), /IMM_ACCESS_TOKEN_TTL must be a number of seconds/);
  });
});
