/**
 * `IMM_WORKERS` > 1: one primary process and that many server processes sharing the port (node:cluster). The
 * primary migrates the database and makes sure the root account exists once, before any worker starts (so
 * they do not race on a first start), prints the ready line when every worker listens, replaces a worker that
 * dies, and on SIGTERM/SIGINT stops every worker gracefully (each drains its own requests) before it exits.
 * Every worker is a whole server on the shared database: caches, rate limits and nonces behave as between nodes.
 */
import cluster, { type Worker } from 'node:cluster';
import type { Config } from './config.js';
import { createLogger } from './logger.js';
import { openServices } from './services.js';
import { ensureRootAccount } from './bootstrap.js';
import { announceListening, announceRootAccount, startServer, stopOnSignals } from './server.js';

interface Listening {
  type: 'imm-weboffice.listening';
  url: string;
}

/** In a worker: serve, and tell the primary where. */
export async function serveAsWorker(config: Config): Promise<void> {
  const server = await startServer(config, { announce: false });
  stopOnSignals(server);
  process.send?.({ type: 'imm-weboffice.listening', url: server.url } satisfies Listening);
}

export async function serveWithWorkers(config: Config): Promise<void> {
  const log = createLogger(config.logLevel);
  const services = await openServices(config, log);
  try {
    announceRootAccount(await ensureRootAccount(config, services));
  } finally {
    await services.database.close();
  }

  let stopping = false;
  let announced = false;
  const listening = new Set<Worker>();
  const fork = () => {
    const worker = cluster.fork();
    worker.on('message', (message: Listening) => {
      if (message?.type !== 'imm-weboffice.listening') return;
      listening.add(worker);
      if (!announced && listening.size === config.workers) {
        announced = true;
        log.info({ event: 'server.listening', url: message.url, workers: config.workers }, 'ready');
        announceListening(message.url);
      }
    });
    worker.on('exit', (code, signal) => {
      listening.delete(worker);
      if (stopping) return;
      log.error({ event: 'worker.exited', pid: worker.process.pid, code, signal }, 'a worker exited; starting another');
      fork();
    });
  };
  for (let i = 0; i < config.workers; i++) fork();

  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    log.info({ event: 'server.signal', signal, workers: config.workers }, 'stopping the workers');
    const workers = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined);
    // A worker still starting (a replacement, say) has no handler yet and dies of the signal itself: it had
    // no request to drain, so that is a clean stop too.
    const exited = workers.map((w) => new Promise<number>((resolve) => (w.isDead() ? resolve(0) : w.once('exit', (code, by) => resolve(by === signal ? 0 : (code ?? 1))))));
    for (const w of workers) w.process.kill(signal);
    void Promise.all(exited).then((codes) => process.exit(codes.every((c) => c === 0) ? 0 : 1));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}
