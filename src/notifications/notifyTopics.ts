/**
 * IMM_NOTIFY_TOPICS (with IMM_NOTIFY_SECRET): where save notifications go, checked at start. Nothing but the
 * URLs named here is ever called.
 */

/** An MNS topic name, the operator's URL of it, and the secret signing what is sent there. */
export interface NotifyTopic {
  name: string;
  url: string;
  secret: string;
}

const TOPIC_NAME = /^[A-Za-z0-9][A-Za-z0-9-]{0,255}$/;
const MIN_SECRET_CHARACTERS = 16;

/**
 * IMM_NOTIFY_TOPICS: the only places save notifications are ever sent. Either `TOPIC=URL` pairs separated by
 * commas, or a JSON object `{"TOPIC": "URL"}` / `{"TOPIC": {"url": "URL", "secret": "…"}}` (a secret of its own).
 * Topics are MNS topic names (letters, digits, hyphens); URLs are http(s) without user or password (the
 * signature authenticates); every topic needs a secret of at least 16 characters, its own or IMM_NOTIFY_SECRET.
 */
export function parseNotifyTopics(text: string | undefined, sharedSecret: string | undefined): NotifyTopic[] {
  if (text === undefined || text.trim() === '') return [];
  const value = text.trim();
  let entries: [string, unknown][];
  if (value.startsWith('{')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(value);
    } catch {
      throw new Error('IMM_NOTIFY_TOPICS is not valid JSON');
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('IMM_NOTIFY_TOPICS must be a JSON object of topic names');
    entries = Object.entries(parsed);
  } else {
    entries = value.split(',').map((pair) => {
      const equals = pair.indexOf('=');
      if (equals < 0) throw new Error(`IMM_NOTIFY_TOPICS entries must be TOPIC=URL (bad entry: ${pair.trim()})`);
      return [pair.slice(0, equals).trim(), pair.slice(equals + 1).trim()];
    });
  }
  const seen = new Set<string>();
  return entries.map(([name, target]) => {
    if (!TOPIC_NAME.test(name)) throw new Error(`IMM_NOTIFY_TOPICS: topic ${JSON.stringify(name)} must be 1 to 256 letters, digits or hyphens, starting with a letter or digit`);
    if (seen.has(name)) throw new Error(`IMM_NOTIFY_TOPICS names the topic ${name} twice`);
    seen.add(name);
    const own = typeof target === 'object' && target !== null ? (target as { url?: unknown; secret?: unknown }) : { url: target };
    if (typeof own.url !== 'string') throw new Error(`IMM_NOTIFY_TOPICS: topic ${name} needs a URL`);
    let url: URL;
    try {
      url = new URL(own.url);
    } catch {
      throw new Error(`IMM_NOTIFY_TOPICS: the URL of topic ${name} is not a URL`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`IMM_NOTIFY_TOPICS: the URL of topic ${name} must be http(s)`);
    if (url.username || url.password) throw new Error(`IMM_NOTIFY_TOPICS: the URL of topic ${name} must not hold a user or password (requests are signed instead)`);
    const secret = own.secret === undefined ? sharedSecret : own.secret;
    if (typeof secret !== 'string' || [...secret].length < MIN_SECRET_CHARACTERS) {
      throw new Error(`topic ${name} of IMM_NOTIFY_TOPICS needs a secret of at least ${MIN_SECRET_CHARACTERS} characters (IMM_NOTIFY_SECRET, or its own "secret")`);
    }
    return { name, url: url.toString(), secret };
  });
}
