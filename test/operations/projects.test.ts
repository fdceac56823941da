/**
 * CreateProject / GetProject / ListProjects / UpdateProject / DeleteProject on a real server, through pop-core.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createAccount, startServer, type RootCredentials, type TestServer } from '../helpers/server.js';
import { expectFailure, expectOk, popClient, type PopClient } from '../helpers/popClient.js';
import { openDocument } from '../helpers/documentApi.js';
import { createBucket, sleep, TIME_WITH_NANOS, writeObject } from '../helpers/serverData.js';

let server: TestServer;
let root: PopClient;
let other: RootCredentials;
let otherClient: PopClient;

before(async () => {
  server = await startServer();
  root = popClient(server, server.root);
  other = await createAccount(server.env);
  otherClient = popClient(server, other);
});

after(async () => {
  await server?.stop();
});

interface Project { ProjectName: string; Description: string; ServiceRole: string; CreateTime: string; UpdateTime: string }

async function listAll(client: PopClient, params: Record<string, string>): Promise<{ pages: string[][]; tokens: string[] }> {
  const pages: string[][] = [];
  const tokens: string[] = [];
  let next = '';
  for (let i = 0; i < 100; i++) {
    const body = await client.call<{ Projects: Project[]; NextToken: string }>('ListProjects', { ...params, ...(next ? { NextToken: next } : {}) });
    pages.push(body.Projects.map((p) => p.ProjectName));
    tokens.push(body.NextToken);
    if (!body.NextToken) return { pages, tokens };
    next = body.NextToken;
  }
  throw new Error('ListProjects never ended');
}

describe('project lifecycle', () => {
  test('CreateProject returns the Project with the default ServiceRole, the description and equal create/update times', async () => {
    const body = await root.call<{ RequestId: string; Project: Project }>('CreateProject', { ProjectName: 'lifecycle-1', Description: 'first project' });
    assert.match(body.RequestId, /^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$/);
    const p = body.Project;
    assert.equal(p.ProjectName, 'lifecycle-1');
    assert.equal(p.Description, 'first project');
    assert.equal(p.ServiceRole, 'AliyunIMMDefaultRole');
    assert.match(p.CreateTime, TIME_WITH_NANOS);
    assert.equal(p.UpdateTime, p.CreateTime);
    assert.ok(Math.abs(Date.parse(p.CreateTime) - Date.now()) < 60_000);
  });

  test('CreateProject keeps a given ServiceRole; the description defaults to empty', async () => {
    const p = (await root.call<{ Project: Project }>('CreateProject', { ProjectName: 'lifecycle-role', ServiceRole: 'MyCustomRole' })).Project;
    assert.equal(p.ServiceRole, 'MyCustomRole');
    assert.equal(p.Description, '');
  });

  test('GetProject returns the same Project (POST and GET)', async () => {
    const created = (await root.call<{ Project: Project }>('CreateProject', { ProjectName: 'lifecycle-get', Description: 'd' })).Project;
    assert.deepEqual((await root.call<{ Project: Project }>('GetProject', { ProjectName: 'lifecycle-get' })).Project, created);
    assert.deepEqual((await root.call<{ Project: Project }>('GetProject', { ProjectName: 'lifecycle-get' }, 'GET')).Project, created);
  });

  test('UpdateProject changes the description (and the role when given), moves UpdateTime and keeps CreateTime', async () => {
    const created = (await root.call<{ Project: Project }>('CreateProject', { ProjectName: 'lifecycle-update', Description: 'old' })).Project;
    await sleep(5);
    const updated = (await root.call<{ Project: Project }>('UpdateProject', { ProjectName: 'lifecycle-update', Description: 'new' })).Project;
    assert.equal(updated.Description, 'new');
    assert.equal(updated.ServiceRole, 'AliyunIMMDefaultRole');
    assert.equal(updated.CreateTime, created.CreateTime);
    assert.match(updated.UpdateTime, TIME_WITH_NANOS);
    assert.ok(updated.UpdateTime > created.UpdateTime, 'UpdateTime moves forward');
    const role = (await root.call<{ Project: Project }>('UpdateProject', { ProjectName: 'lifecycle-update', ServiceRole: 'OtherRole' })).Project;
    assert.equal(role.ServiceRole, 'OtherRole');
    assert.equal(role.Description, 'new', 'an absent Description is left as it is');
    assert.deepEqual((await root.call<{ Project: Project }>('GetProject', { ProjectName: 'lifecycle-update' })).Project, role);
  });

  test('DeleteProject removes it: GetProject is then ResourceNotFound 404', async () => {
    await root.call('CreateProject', { ProjectName: 'lifecycle-delete' });
    const body = await root.call<Record<string, unknown>>('DeleteProject', { ProjectName: 'lifecycle-delete' });
    assert.match(String(body.RequestId), /^[0-9A-F-]{36}$/);
    expectFailure(await root.attempt('GetProject', { ProjectName: 'lifecycle-delete' }), 'ResourceNotFound', 404, /lifecycle-delete/);
    expectFailure(await root.attempt('DeleteProject', { ProjectName: 'lifecycle-delete' }), 'ResourceNotFound', 404);
  });

  test('a missing project is ResourceNotFound 404 for Get, Update and Delete', async () => {
    for (const action of ['GetProject', 'UpdateProject', 'DeleteProject']) {
      const failure = expectFailure(await root.attempt(action, { ProjectName: 'never-created' }), 'ResourceNotFound', 404, /never-created/);
      assert.deepEqual(Object.keys(failure.body).sort(), ['Code', 'HostId', 'Message', 'Recommend', 'RequestId']);
    }
  });

  test('a duplicate name is ResourceAlreadyExists 409 and leaves the first project unchanged', async () => {
    const first = (await root.call<{ Project: Project }>('CreateProject', { ProjectName: 'duplicate', Description: 'one' })).Project;
    expectFailure(await root.attempt('CreateProject', { ProjectName: 'duplicate', Description: 'two' }), 'ResourceAlreadyExists', 409, /duplicate/);
    assert.deepEqual((await root.call<{ Project: Project }>('GetProject', { ProjectName: 'duplicate' })).Project, first);
  });
});

describe('project names', () => {
  test('a name of 129 characters is refused naming the length rule; 128 is accepted', async () => {
    const long = 'a'.repeat(129);
    expectFailure(await root.attempt('CreateProject', { ProjectName: long }), 'InvalidArgument', 400, /ProjectName.*1 to 128 characters/);
    expectOk(await root.attempt('CreateProject', { ProjectName: 'b'.repeat(128) }));
  });

  test('a name with a character other than letters, digits, - and _ is refused naming the character rule', async () => {
    for (const name of ['has.dot', 'has space', 'slash/name', 'ümlaut']) {
      expectFailure(await root.attempt('CreateProject', { ProjectName: name }), 'InvalidArgument', 400, /ProjectName.*letters, digits, hyphens \(-\) and underscores \(_\)/);
    }
  });

  test('a name starting with a digit or a hyphen is refused naming the first-character rule; _ and letters may start it', async () => {
    expectFailure(await root.attempt('CreateProject', { ProjectName: '1project' }), 'InvalidArgument', 400, /ProjectName.*must start with a letter or an underscore/);
    expectFailure(await root.attempt('CreateProject', { ProjectName: '-project' }), 'InvalidArgument', 400, /ProjectName.*must start with a letter or an underscore/);
    expectOk(await root.attempt('CreateProject', { ProjectName: '_underscore-1' }));
    expectOk(await root.attempt('CreateProject', { ProjectName: 'Z9' }));
  });

  test('a missing or empty name is "The parameter ProjectName is required but not provided."', async () => {
    for (const action of ['CreateProject', 'GetProject', 'UpdateProject', 'DeleteProject']) {
      expectFailure(await root.attempt(action, {}), 'InvalidArgument', 400, 'The parameter ProjectName is required but not provided.');
      expectFailure(await root.attempt(action, { ProjectName: '' }), 'InvalidArgument', 400, 'The parameter ProjectName is required but not provided.');
    }
  });

  test('Description over 256 characters and a malformed ServiceRole are refused naming the parameter', async () => {
    expectFailure(await root.attempt('CreateProject', { ProjectName: 'described', Description: 'd'.repeat(257) }), 'InvalidArgument', 400, /Description.*256/);
    expectFailure(await root.attempt('CreateProject', { ProjectName: 'described', ServiceRole: 'bad role!' }), 'InvalidArgument', 400, /ServiceRole/);
    expectFailure(await root.attempt('GetProject', { ProjectName: 'described' }), 'ResourceNotFound', 404);
    expectOk(await root.attempt('CreateProject', { ProjectName: 'described', Description: 'd'.repeat(256) }));
    expectFailure(await root.attempt('UpdateProject', { ProjectName: 'described', Description: 'e'.repeat(257) }), 'InvalidArgument', 400, /Description/);
    assert.equal((await root.call<{ Project: Project }>('GetProject', { ProjectName: 'described' })).Project.Description, 'd'.repeat(256));
  });

  test('names are validated before the project is looked up', async () => {
    expectFailure(await root.attempt('GetProject', { ProjectName: '9nope' }), 'InvalidArgument', 400);
  });
});

describe('ListProjects', () => {
  const names = Array.from({ length: 11 }, (_, i) => `page-${String(i).padStart(2, '0')}`);

  before(async () => {
    for (const name of names) await root.call('CreateProject', { ProjectName: name });
    // Neighbours that a prefix must leave out.
    await root.call('CreateProject', { ProjectName: 'pagf-00' });
    await root.call('CreateProject', { ProjectName: 'PAGE-upper' });
    await otherClient.call('CreateProject', { ProjectName: 'page-of-other-account' });
  });

  test('MaxResults and NextToken walk every project exactly once, in order', async () => {
    const { pages, tokens } = await listAll(root, { MaxResults: '4' });
    assert.ok(pages.slice(0, -1).every((page) => page.length === 4));
    assert.ok(pages.length >= 2);
    assert.equal(tokens.at(-1), '');
    const all = pages.flat();
    assert.equal(new Set(all).size, all.length, 'a project is listed twice');
    for (const name of names) assert.ok(all.includes(name), `${name} is missing`);
    assert.ok(!all.includes('page-of-other-account'));
    assert.deepEqual(all, [...all].sort(), 'sorted by name');
    // Without paging: the same set in one page (default 100).
    const single = await root.call<{ Projects: Project[]; NextToken: string }>('ListProjects', {});
    assert.deepEqual(single.Projects.map((p) => p.ProjectName), all);
    assert.equal(single.NextToken, '');
  });

  test('Prefix selects names that start with it (case-sensitive); paging works with it', async () => {
    const { pages } = await listAll(root, { Prefix: 'page-', MaxResults: '3' });
    assert.deepEqual(pages.flat(), names);
    assert.equal(pages.length, 4);
    const one = await root.call<{ Projects: Project[] }>('ListProjects', { Prefix: 'page-1' });
    assert.deepEqual(one.Projects.map((p) => p.ProjectName), ['page-10']);
  });

  test('each listed project has the full Project shape', async () => {
    const body = await root.call<{ Projects: Project[] }>('ListProjects', { Prefix: 'page-00' });
    assert.equal(body.Projects.length, 1);
    const [p] = body.Projects;
    assert.deepEqual(Object.keys(p).sort(), ['CreateTime', 'Description', 'ProjectName', 'ServiceRole', 'UpdateTime']);
    assert.equal(p.ServiceRole, 'AliyunIMMDefaultRole');
  });

  test('a MaxResults out of range is InvalidArgument naming MaxResults', async () => {
    expectFailure(await root.attempt('ListProjects', { MaxResults: '201' }), 'InvalidArgument', 400, /MaxResults/);
    expectFailure(await root.attempt('ListProjects', { MaxResults: '-1' }), 'InvalidArgument', 400, /MaxResults/);
  });
});

describe('accounts and tokens', () => {
  test('a project of another account is invisible (ResourceNotFound) and its name is free for this account', async () => {
    await otherClient.call('CreateProject', { ProjectName: 'private-project' });
    expectFailure(await root.attempt('GetProject', { ProjectName: 'private-project' }), 'ResourceNotFound', 404);
    expectFailure(await root.attempt('UpdateProject', { ProjectName: 'private-project', Description: 'x' }), 'ResourceNotFound', 404);
    expectFailure(await root.attempt('DeleteProject', { ProjectName: 'private-project' }), 'ResourceNotFound', 404);
    expectOk(await root.attempt('CreateProject', { ProjectName: 'private-project', Description: 'mine' }));
    // Both exist, each with its own description.
    assert.equal((await otherClient.call<{ Project: Project }>('GetProject', { ProjectName: 'private-project' })).Project.Description, '');
    assert.equal((await root.call<{ Project: Project }>('GetProject', { ProjectName: 'private-project' })).Project.Description, 'mine');
  });

  test('deleting a project revokes its tokens; a project re-created under the same name does not revive them', async () => {
    await root.call('CreateProject', { ProjectName: 'doomed' });
    await createBucket(server, server.root.AccountId, 'doomed-bucket');
    const uri = writeObject(server, 'doomed-bucket', 'doc.docx');
    const first = await root.call<Record<string, string>>('GenerateWebofficeToken', { ProjectName: 'doomed', SourceURI: uri });
    const second = await root.call<Record<string, string>>('GenerateWebofficeToken', { ProjectName: 'doomed', SourceURI: uri });
    const refreshed = await root.call<Record<string, string>>('RefreshWebofficeToken', { ProjectName: 'doomed', AccessToken: second.AccessToken, RefreshToken: second.RefreshToken });
    const opened = (token: string) => openDocument(server, first.WebofficeURL, token);
    assert.equal((await opened(first.AccessToken)).status, 200);
    assert.equal((await opened(refreshed.AccessToken)).status, 200);

    await root.call('DeleteProject', { ProjectName: 'doomed' });
    for (const token of [first.AccessToken, second.AccessToken, refreshed.AccessToken]) {
      const session = await opened(token);
      assert.equal(session.status, 401);
      assert.equal(session.body.Code, 'TokenRevoked');
    }
    // The project is gone: refresh answers for the project first.
    expectFailure(await root.attempt('RefreshWebofficeToken', { ProjectName: 'doomed', AccessToken: first.AccessToken, RefreshToken: first.RefreshToken }), 'ResourceNotFound', 404);

    await root.call('CreateProject', { ProjectName: 'doomed' });
    for (const pair of [first, refreshed]) {
      const failure = await root.attempt('RefreshWebofficeToken', { ProjectName: 'doomed', AccessToken: pair.AccessToken, RefreshToken: pair.RefreshToken });
      assert.ok(!failure.ok && ['InvalidToken', 'TokenRevoked'].includes(failure.code) && failure.status === 400, JSON.stringify(failure));
      assert.equal((await opened(pair.AccessToken)).body.Code, 'TokenRevoked');
    }
    // The new project works normally.
    const fresh = await root.call<Record<string, string>>('GenerateWebofficeToken', { ProjectName: 'doomed', SourceURI: uri });
    assert.equal((await opened(fresh.AccessToken)).status, 200);
    expectOk(await root.attempt('RefreshWebofficeToken', { ProjectName: 'doomed', AccessToken: fresh.AccessToken, RefreshToken: fresh.RefreshToken }));
  });
});
