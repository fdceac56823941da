/**
 * The background deliverer of the notification outbox, one per node (started with the server, like the
 * sweeper). It leases due rows, POSTs each to its topic's URL (IMM_NOTIFY_TOPICS: nothing else is ever called,
 * redirects are not followed), signed (see signature.ts), within IMM_NOTIFY_TIMEOUT per attempt. A 2xx
 * delivers the row; anything else is tried again later, with exponential backoff (jittered, capped), until
 * `giveUpAfterMs`. Rows live in the database, so a crash, a stop or a receiver that is down loses nothing.
 */
import { newLeaseOwner } from '../core/leaseOwner.js';
import type { Logger } from 'pino';
import type { NotifyTopic } from './notifyTopics.js';
import type { NotificationOutboxStore, OutboxRow } from '../store/notificationOutbox.js';
import { NOTIFICATION_ID_HEADER, SIGNATURE_HEADER, signNotification } from './signature.js';

export interface DelivererDeps {
  outbox: NotificationOutboxStore;
  topics: NotifyTopic[];
  log: Logger;
}

export interface DelivererSettings {
  /** One attempt's limit (IMM_NOTIFY_TIMEOUT). */
  timeoutMs: number;
  /** This node's name on leases (default host:pid:random). */
  nodeId?: string;
  /** How often the outbox is looked at when nothing woke the deliverer. */
  pollIntervalMs?: number;
  /** Rows leased (and delivered in parallel) at once. */
  batchSize?: number;
  /** The first retry waits about this long, each next one twice as long, up to `retryMaxMs`. */
  retryBaseMs?: number;
  retryMaxMs?: number;
  /** A row still undelivered this long after it was written is given up (and logged as an error). */
  giveUpAfterMs?: number;
}

export interface NotificationDeliverer {
  /** Looks at the outbox now (after a save on this node) instead of at the next poll. */
  wake(): void;
  /** Stops polling, aborts attempts in flight (their rows are given back, due at once) and waits for them. */
  stop(): Promise<void>;
}

const DEFAULTS = { pollIntervalMs: 1000, batchSize: 16, retryBaseMs: 1000, retryMaxMs: 15 * 60_000, giveUpAfterMs: 72 * 3600_000 };
/** A lease outlasts an attempt by this much: the time to record its outcome. */
const LEASE_MARGIN_MS = 5000;

export function startNotificationDeliverer(deps: DelivererDeps, settings: DelivererSettings): NotificationDeliverer {
  const { outbox, log } = deps;
  const options = { ...DEFAULTS, ...settings };
  const owner = settings.nodeId ?? newLeaseOwner();
  const topics = new Map(deps.topics.map((topic) => [topic.name, topic]));
  const leaseMs = options.timeoutMs + LEASE_MARGIN_MS;
  const abort = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let wokenWhileRunning = false;

  const backoffMs = (attempts: number) => {
    const ceiling = Math.min(options.retryMaxMs, options.retryBaseMs * 2 ** Math.min(attempts, 30));
    return Math.round(ceiling * (0.75 + Math.random() * 0.25));
  };

  async function deliver(row: OutboxRow): Promise<void> {
    const topic = topics.get(row.topic);
    if (!topic) {
      await outbox.giveUp(row.id, owner, `the topic ${row.topic} is not in IMM_NOTIFY_TOPICS`, Date.now());
      log.warn({ event: 'notification.unknown_topic', id: row.id, topic: row.topic }, 'notification dropped: its topic is not configured');
      return;
    }
    if (Date.now() - row.created_at_ms > options.giveUpAfterMs) {
      await outbox.giveUp(row.id, owner, `undelivered after ${row.attempts} attempts`, Date.now());
      log.error({ event: 'notification.given_up', id: row.id, topic: row.topic, attempts: row.attempts }, 'notification given up');
      return;
    }
    let error: string;
    try {
      const timestampMs = Date.now();
      const response = await fetch(topic.url, {
        method: 'POST',
        body: row.body,
        redirect: 'manual',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'imm-weboffice',
          [NOTIFICATION_ID_HEADER]: row.id,
          [SIGNATURE_HEADER]: signNotification(topic.secret, row.body, timestampMs),
        },
        signal: AbortSignal.any([AbortSignal.timeout(options.timeoutMs), abort.signal]),
      });
      await response.body?.cancel().catch(() => {});
      if (response.status >= 200 && response.status < 300) {
        await outbox.delivered(row.id, owner, Date.now());
        log.info({ event: 'notification.delivered', id: row.id, topic: row.topic, attempts: row.attempts + 1 }, 'notification delivered');
        return;
      }
      error = `HTTP ${response.status}`;
    } catch (err) {
      if (abort.signal.aborted) return outbox.release(row.id, owner);
      const cause = (err as { cause?: { code?: string } }).cause?.code;
      error = (err as Error).name === 'TimeoutError' ? `no answer within ${options.timeoutMs / 1000} s` : (cause ?? (err as Error).message);
    }
    const retryInMs = backoffMs(row.attempts);
    await outbox.failed(row.id, owner, error, Date.now() + retryInMs);
    log.warn({ event: 'notification.retry', id: row.id, topic: row.topic, attempts: row.attempts + 1, error, retryInMs }, 'notification not delivered; will retry');
  }

  async function drain(): Promise<void> {
    for (;;) {
      const rows = await outbox.claimDue(owner, Date.now(), leaseMs, options.batchSize);
      await Promise.all(rows.map((row) => deliver(row).catch((err) => log.error({ err, event: 'notification.failed', id: row.id }, 'recording a delivery failed'))));
      if (rows.length < options.batchSize || abort.signal.aborted) return;
    }
  }

  const schedule = (delayMs: number) => {
    if (abort.signal.aborted) return;
    clearTimeout(timer);
    timer = setTimeout(tick, delayMs);
    timer.unref();
  };

  function tick(): void {
    if (running) {
      wokenWhileRunning = true;
      return;
    }
    wokenWhileRunning = false;
    running = drain()
      .catch((err) => log.error({ err, event: 'notification.outbox_failed' }, 'reading the notification outbox failed; will retry'))
      .finally(() => {
        running = undefined;
        schedule(wokenWhileRunning ? 0 : options.pollIntervalMs);
      });
  }

  schedule(0);
  return {
    wake: () => schedule(0),
    async stop() {
      abort.abort();
      clearTimeout(timer);
      await running;
    },
  };
}
