/**
 * Save notifications, delivered from the durable outbox to a real HTTP receiver, on both engines: retried with
 * backoff until the receiver accepts, each attempt signed and carrying the same id; kept across a node's stop
 * and restart while the receiver is down; never delivered by two nodes at once; sent nowhere but the
 * configured URL (no redirects followed, an unconfigured topic given up).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { installationsUnderTest, type Installation } from '../helpers/installations.js';
import { sleep } from '../helpers/serverData.js';
import { createLogger } from '../../src/logger.js';
import { putDocument, saveVersion } from '../../src/documents/documentVersions.js';
import { saveNotification, type SaveEvent } from '../../src/notifications/saveEvents.js';
import { startNotificationDeliverer, type DelivererSettings, type NotificationDeliverer } from '../../src/notifications/deliverer.js';
import { NOTIFICATION_ID_HEADER, SIGNATURE_HEADER, verifyNotification } from '../../src/notifications/signature.js';
import type { Services } from '../../src/services.js';

const SECRET = 'a receiver secret of some length';
const BUCKET = 'notified';
const FAST = { pollIntervalMs: 50, retryBaseMs: 40, retryMaxMs: 200, timeoutMs: 10_000 };

interface Received {
  id: string | undefined;
  body: string;
  signed: boolean;
  /** When it arrived (ms since the epoch). */
  atMs: number;
}

/**
 * A receiver answering each request with `answer(n)` (n = requests so far, from 1) — a status, or a redirect
 * to another URL — recording what came.
 */
async function receiver(answer: (n: number, id: string | undefined) => number | string | Promise<number>, port = 0) {
  const received: Received[] = [];
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', async () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const id = request.headers[NOTIFICATION_ID_HEADER] as string | undefined;
      received.push({ id, body, signed: verifyNotification(SECRET, body, request.headers[SIGNATURE_HEADER] as string | undefined), atMs: Date.now() });
      const answered = await answer(received.length, id);
      if (typeof answered === 'string') response.writeHead(302, { location: answered }).end();
      else response.writeHead(answered).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  server.unref(); // a failed test must not keep the file's process alive
  return { received, port: (server.address() as AddressInfo).port, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

async function until(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await sleep(25);
  }
}

const { engines, open, skipped } = await installationsUnderTest();
if (skipped) console.log(`# ${skipped}`);

for (const engine of engines) {
  describe(`notification delivery on ${engine}`, () => {
    let installation: Installation;
    let node: Services;
    const deliverers: NotificationDeliverer[] = [];
    const log = createLogger('silent');
    const deliverer = (services: Services, url: string, settings: Partial<DelivererSettings> = {}) => {
      const started = startNotificationDeliverer({ outbox: services.notificationOutbox, topics: [{ name: 'saves', url, secret: SECRET }], log }, { ...FAST, ...settings });
      deliverers.push(started);
      return started;
    };
    /** A real save with its notification, as the document API makes one. */
    const save = async (services: Services, key: string, text: string) => {
      const notify = saveNotification({ topic: 'saves', projectName: 'docs', fileId: 'e'.repeat(40), sourceUri: `oss://${BUCKET}/${key}`, user: { Id: 'u7' }, userData: 'opaque' });
      return saveVersion(services, BUCKET, key, Buffer.from(text), { notify });
    };

    before(async () => {
      installation = await open(engine);
      node = await installation.node();
      const { AccountId } = await node.accounts.createAccount();
      assert.ok(await node.buckets.create(BUCKET, AccountId));
      await node.objects.createBucket(BUCKET);
    });
    after(async () => {
      await Promise.all(deliverers.map((d) => d.stop()));
      await installation.dispose();
    });

    test('a receiver failing the first 3 attempts gets the event on the 4th, every attempt signed and with the same id', async () => {
      const hook = await receiver((n) => (n <= 3 ? 503 : 200));
      const version = await save(node, 'retried.docx', 'saved once');
      const running = deliverer(node, hook.url);
      await until(() => hook.received.length >= 4, 'the receiver accepted one');
      const [first] = hook.received;
      const event = JSON.parse(first.body) as SaveEvent;
      // The accepted answer is recorded before the deliverer stops (stopping mid-attempt gives the row back).
      await until(async () => Boolean((await node.notificationOutbox.get(event.Id))?.delivered_at_ms), 'the delivery was recorded');
      await running.stop();
      assert.deepEqual([event.EventType, event.Version, event.ETag, event.SourceURI, event.UserData, event.ProjectName], ['save', version.version, version.etag, `oss://${BUCKET}/retried.docx`, 'opaque', 'docs']);
      for (const attempt of hook.received) {
        assert.deepEqual([attempt.id, attempt.body, attempt.signed], [event.Id, first.body, true]);
      }
      // Backoff: each retry waits at least 3/4 of base · 2^(attempts so far), so the waits grow.
      const waits = hook.received.slice(1, 4).map((r, i) => r.atMs - hook.received[i].atMs);
      waits.forEach((wait, i) => assert.ok(wait >= 0.75 * FAST.retryBaseMs * 2 ** i - 5, `retry ${i + 1} waited ${wait} ms`));
      assert.ok(waits[2] > waits[0], `the waits grow: ${waits.join(', ')} ms`);
      const row = await node.notificationOutbox.get(event.Id);
      // Four, unless an accepted answer came too late for its attempt: then it is sent again (at least once).
      assert.equal(row?.attempts, hook.received.length);
      assert.ok(row?.delivered_at_ms);
      await hook.close();
    });

    test('a receiver down while the node is stopped and restarted still gets the event', async () => {
      const parked = await receiver(() => 200);
      const { port } = parked;
      await parked.close(); // nothing listens there now: every attempt is refused
      await save(node, 'durable.docx', 'saved while the receiver is down');
      const first = await installation.node();
      const beforeStop = deliverer(first, `http://127.0.0.1:${port}/hook`);
      await until(async () => (await pendingAttempts(first)) >= 1, 'an attempt failed');
      await beforeStop.stop();
      await first.database.close();

      const hook = await receiver(() => 200, port);
      const restarted = await installation.node();
      const afterRestart = deliverer(restarted, hook.url);
      await until(() => hook.received.some((r) => (JSON.parse(r.body) as SaveEvent).SourceURI.endsWith('/durable.docx')), 'the restarted node delivered it');
      await afterRestart.stop();
      assert.ok(hook.received.every((r) => r.signed));
      await hook.close();
    });

    test('two nodes delivering one outbox never send the same notification twice, nor at once', async () => {
      const inFlight = new Set<string>();
      const overlaps: string[] = [];
      const hook = await receiver(async (_, id) => {
        if (inFlight.has(id!)) overlaps.push(id!);
        inFlight.add(id!);
        await sleep(20);
        inFlight.delete(id!);
        return 200;
      });
      for (let i = 0; i < 30; i++) await save(node, `many-${i}.docx`, `document ${i}`);
      const [one, two] = [await installation.node(), await installation.node()];
      const both = [deliverer(one, hook.url, { nodeId: 'node-one', batchSize: 3 }), deliverer(two, hook.url, { nodeId: 'node-two', batchSize: 3 })];
      await until(() => hook.received.length >= 30, 'all 30 delivered');
      await sleep(300); // time for a duplicate to show up, if there were one
      await Promise.all(both.map((d) => d.stop()));
      const ids = hook.received.map((r) => r.id!);
      assert.equal(new Set(ids).size, 30);
      assert.equal(ids.length, 30, 'each delivered exactly once');
      assert.deepEqual(overlaps, []);
      await hook.close();
    });

    test('nothing is sent but to the configured URL: no redirect is followed, an unknown topic is given up', async () => {
      let elsewhere = 0;
      const away = await receiver(() => (elsewhere++, 200));
      const hook = await receiver((n) => (n === 1 ? away.url : 200));
      await putDocument(node, BUCKET, 'unknown-topic.docx', Buffer.from('base'));
      const lost = await saveVersion(node, BUCKET, 'unknown-topic.docx', Buffer.from('announced on a topic nobody configured'), {
        notify: saveNotification({ topic: 'not-configured', projectName: 'docs', fileId: 'e'.repeat(40), sourceUri: 'oss://x/y', user: {} }),
      });
      await save(node, 'redirected.docx', 'redirected once');
      const running = deliverer(node, hook.url);
      await until(() => hook.received.length >= 2, 'retried after the redirect');
      await running.stop();
      assert.equal(elsewhere, 0, 'the redirect target was never called');
      assert.equal(hook.received[0].id, hook.received[1].id);
      const given = await node.database.db.selectFrom('notification_outbox').selectAll().where('topic', '=', 'not-configured').execute();
      assert.equal(given.length, 1);
      assert.ok(given[0].given_up_at_ms);
      assert.match(given[0].last_error ?? '', /not in IMM_NOTIFY_TOPICS/);
      assert.equal(lost.version, 2);
      await Promise.all([hook.close(), away.close()]);
    });
  });
}

/** Attempts recorded on rows not yet delivered. */
async function pendingAttempts(services: Services): Promise<number> {
  const rows = await services.database.db.selectFrom('notification_outbox').select('attempts').where('delivered_at_ms', 'is', null).where('given_up_at_ms', 'is', null).execute();
  return rows.reduce((sum, row) => sum + row.attempts, 0);
}
