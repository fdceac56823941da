/** Start-up: configuration → services → root account → HTTP server → ready line; and a clean stop. */
import type { Config } from './config.js';
import { createLogger } from './logger.js';
import { openServices, type Services } from './services.js';
import { buildApp } from './app.js';
import { ensureRootAccount } from './bootstrap.js';
import { startSweeper } from './sweeper.js';
import { startNotificationDeliverer } from './notifications/deliverer.js';

export interface RunningServer {
  url: string;
  app: ReturnType<typeof buildApp>;
  services: Services;
  /** The bootstrap root account and the key it was started with (the secret stays where it came from). */
  root: { AccountId: string; AccessKeyId: string; file?: string };
  stop(): Promise<void>;
}

/** How long a stop waits for running requests (each is bounded by the database timeouts well below this). */
const DRAIN_TIMEOUT_MS = 8_000;

/** `announce: false` keeps stdout to the caller (a test suite embedding the service): no ready line. */
export async function startServer(config: Config, options: { announce?: boolean } = {}): Promise<RunningServer> {
  const announce = options.announce ?? true;
  const log = createLogger(config.logLevel);
  let url = '';
  const services = await openServices(config, log, () => url, { cached: true });
  services.database.checkpointInBackground?.();
  const root = await ensureRootAccount(config, services);
  if (announce) announceRootAccount(root);
  const app = buildApp(services);
  const address = await app.listen({ host: config.host, port: config.port });
  const port = new URL(address).port;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  url = `${config.tlsCert ? 'https' : 'http'}://${host}:${port}`;
  const stopSweeper = startSweeper(services);
  const deliverer = startNotificationDeliverer({ outbox: services.notificationOutbox, topics: config.notifyTopics, log }, { timeoutMs: config.notifyTimeoutMs });
  log.info({ event: 'server.listening', url, database: services.database.engine, location: services.database.location, converter: services.converter.status().converter, notifyTopics: config.notifyTopics.map((t) => t.name) }, 'ready');
  if (announce) announceListening(url);

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      stopSweeper();
      // First: a request waiting for a conversion (an export, up to IMM_CONVERT_TIMEOUT) must not hold the stop
      // up; its LibreOffice is killed and its claim given back, so another node converts the version.
      await services.converter.close();
      await deliverer.stop(); // attempts in flight are given back to the outbox, due at once for any node
      await app.close(); // stops accepting, lets in-flight requests finish
      // A request whose client hung up is still being served: its rotation, usage and audit must land
      // before the database closes under it.
      if (!(await app.inFlight.drained(DRAIN_TIMEOUT_MS))) log.warn({ event: 'server.drain_timeout' }, 'requests still running after the drain timeout');
      await services.caches.close();
      await services.database.close();
      log.info({ event: 'server.stopped' }, 'stopped');
    })());
  return { url, app, services, root: { ...root.credentials, file: root.file }, stop };
}

/**
 * What stdout carries (the README's promise): on a first start the root account and its AccessKeyId (never the
 * secret), then the ready line. Also printed by the primary of several workers (workers.ts).
 */
export function announceRootAccount(root: Awaited<ReturnType<typeof ensureRootAccount>>): void {
  if (!root.created) return;
  const where = root.file ? `; its secret is in ${root.file}` : '';
  process.stdout.write(`root account ${root.credentials.AccountId}: AccessKeyId ${root.credentials.AccessKeyId}${where}\n`);
}

export function announceListening(url: string): void {
  process.stdout.write(`imm-weboffice listening on ${url}\n`);
}

/** For `imm-weboffice serve`: stop cleanly on SIGTERM/SIGINT, exit non-zero if stopping fails. */
export function stopOnSignals(server: RunningServer): void {
  const onSignal = (signal: NodeJS.Signals) => {
    server.services.log.info({ event: 'server.signal', signal }, 'stopping');
    server.stop().then(
      () => process.exit(0),
      (err) => {
        server.services.log.error({ err }, 'stopping failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
}
