/**
 * IMM_NOTIFY_TOPICS and IMM_NOTIFY_SECRET are checked at start: only http(s) URLs without credentials, MNS-style
 * topic names, each topic with a secret of at least 16 characters; both spellings (pairs or JSON) mean the same.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../../src/config.js';
import { parseNotifyTopics } from '../../src/notifications/notifyTopics.js';
import { signNotification, verifyNotification } from '../../src/notifications/signature.js';

const SECRET = 'sixteen or more chars';

test('topics as TOPIC=URL pairs or as JSON, with the shared secret or their own', () => {
  const pairs = parseNotifyTopics('saves=https://hooks.example.com/imm?x=1, audit-log=http://10.0.0.7:8080/in', SECRET);
  assert.deepEqual(pairs, [
    { name: 'saves', url: 'https://hooks.example.com/imm?x=1', secret: SECRET },
    { name: 'audit-log', url: 'http://10.0.0.7:8080/in', secret: SECRET },
  ]);
  const json = parseNotifyTopics(JSON.stringify({ saves: 'https://hooks.example.com/imm?x=1', own: { url: 'https://b.example/', secret: 'a secret of its very own' } }), SECRET);
  assert.deepEqual(json[0], pairs[0]);
  assert.deepEqual(json[1], { name: 'own', url: 'https://b.example/', secret: 'a secret of its very own' });
  assert.deepEqual(parseNotifyTopics(undefined, undefined), []);
  assert.deepEqual(loadConfig({ IMM_NOTIFY_TOPICS: 'saves=https://a.example/', IMM_NOTIFY_SECRET: SECRET }).notifyTopics, [{ name: 'saves', url: 'https://a.example/', secret: SECRET }]);
});

test('a bad topic list stops the start with a message naming what is wrong', () => {
  const refused: [string, string | undefined, RegExp][] = [
    ['saves=https://a.example/', undefined, /needs a secret of at least 16 characters/],
    ['saves=https://a.example/', 'short', /at least 16/],
    ['saves=ftp://a.example/', SECRET, /must be http\(s\)/],
    ['saves=https://user:pw@a.example/', SECRET, /must not hold a user or password/],
    ['saves', SECRET, /must be TOPIC=URL/],
    ['bad_name!=https://a.example/', SECRET, /letters, digits or hyphens/],
    ['a=https://a.example/,a=https://b.example/', SECRET, /twice/],
    ['{"a": 3}', SECRET, /needs a URL/],
    ['{not json', SECRET, /not valid JSON/],
    ['saves=not a url', SECRET, /is not a URL/],
  ];
  for (const [topics, secret, message] of refused) assert.throws(() => parseNotifyTopics(topics, secret), message, topics);
});

test('a signature verifies only for its body, its secret and a recent time', () => {
  const body = '{"Id":"1"}';
  const now = Date.now();
  const header = signNotification(SECRET, body, now);
  assert.match(header, /^t=\d+,v1=[0-9a-f]{64}$/);
  assert.ok(verifyNotification(SECRET, body, header, now));
  assert.ok(!verifyNotification(SECRET, '{"Id":"2"}', header, now));
  assert.ok(!verifyNotification('another secret of length', body, header, now));
  assert.ok(!verifyNotification(SECRET, body, header, now + 10 * 60_000), 'too old');
  assert.ok(!verifyNotification(SECRET, body, undefined, now));
});
