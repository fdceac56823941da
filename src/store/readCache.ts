/**
 * Per-process caches of what nearly every request reads and almost nothing changes: AccessKeys with their
 * opened secrets, RAM users and roles, the parsed policies that decide for a principal, projects, bucket owners.
 *
 * Invalidation is explicit, never a time to live:
 * - every change to those tables raises `cache_generation` in its own transaction (triggers); a process that
 *   reads another value drops everything. SQLite reads it at the start of every request (a few microseconds;
 *   once for all the requests that arrive in the same turn of the event loop, which are concurrent anyway),
 *   so a change by any process — another server, the CLI — applies at once. PostgreSQL hears of it by
 *   LISTEN/NOTIFY at each commit, and reads the counter every POLL_INTERVAL_MS besides, so a change made on
 *   another node applies there within that interval even if a notification is lost;
 * - the node that makes a change drops its caches itself before it answers (`invalidate`), so the change applies
 *   at once there;
 * - a value read while the caches were dropped is not kept (the epoch check): it may predate the change.
 * Only found values are kept (an unknown AccessKeyId is looked up again, and cannot fill the memory), at most
 * MAX_ENTRIES per lookup. Sessions and tokens are never cached: every check of a token reads the database.
 */
import type { DatabaseHandle } from './database.js';

export const POLL_INTERVAL_MS = 250;
const MAX_ENTRIES = 10_000;

export interface ReadCache {
  /** Called at the start of each request: on SQLite, reads the counter (and drops the caches if it moved). */
  sync(): Promise<void>;
  /** Drops every cached value (after a change made by this process, before its answer). */
  invalidate(): void;
  /** `lookup` with its found results cached, keyed by its arguments. */
  memo<A extends unknown[], R>(name: string, lookup: (...args: A) => Promise<R>): (...args: A) => Promise<R>;
  /** Stops listening and polling. */
  close(): Promise<void>;
}

export function readCache(database: DatabaseHandle, onError: (err: unknown) => void): ReadCache {
  let epoch = 0;
  let seen: number | undefined;
  const maps = new Map<string, Map<string, unknown>>();
  const invalidate = () => {
    epoch++;
    maps.clear();
  };
  const observe = (generation: number) => {
    if (generation !== seen) {
      seen = generation;
      invalidate();
    }
  };
  const read = async () => {
    try {
      observe(await database.cacheGeneration());
    } catch (err) {
      // Unknown: drop everything rather than trust what may be stale; the request's own queries report the outage.
      seen = undefined;
      invalidate();
      onError(err);
    }
  };

  // The requests parsed in one turn of the event loop share one read (the turn ends at the next check phase).
  let readOfThisTurn: Promise<void> | undefined;
  const readOncePerTurn = () => {
    if (readOfThisTurn === undefined) {
      readOfThisTurn = read();
      setImmediate(() => (readOfThisTurn = undefined));
    }
    return readOfThisTurn;
  };

  let stopListening: (() => Promise<void>) | undefined;
  let poller: NodeJS.Timeout | undefined;
  if (database.listenForChanges) {
    stopListening = database.listenForChanges(invalidate);
    // One poll at a time: when the database stops answering, polls must not pile up and take the pool's connections.
    let polling: Promise<void> | undefined;
    poller = setInterval(() => {
      polling ??= read().finally(() => (polling = undefined));
    }, POLL_INTERVAL_MS);
    poller.unref();
    void read();
  }

  return {
    sync: database.listenForChanges ? async () => {} : readOncePerTurn,
    invalidate,
    memo<A extends unknown[], R>(name: string, lookup: (...args: A) => Promise<R>) {
      return async (...args: A): Promise<R> => {
        const key = JSON.stringify(args);
        const cached = maps.get(name)?.get(key);
        if (cached !== undefined) return cached as R;
        const startedIn = epoch;
        const value = await lookup(...args);
        if (value !== undefined && startedIn === epoch) {
          let map = maps.get(name);
          if (!map) maps.set(name, (map = new Map()));
          if (map.size >= MAX_ENTRIES) map.clear();
          map.set(key, value);
        }
        return value;
      };
    },
    async close() {
      clearInterval(poller);
      await stopListening?.();
    },
  };
}

/** No caching at all: for the CLI, whose every command reads the database afresh. */
export function noReadCache(): ReadCache {
  return { sync: async () => {}, invalidate: () => {}, memo: (_name, lookup) => lookup, close: async () => {} };
}

type AsyncFunctions = Record<string, (...args: any[]) => Promise<unknown>>;

/**
 * A store whose lookups named in `cachedLookups` are cached, and whose every other function drops the caches
 * when it ends (whatever it changed applies at once on this node, to the rest of the same request too).
 */
export function cachedStore<S extends AsyncFunctions>(caches: ReadCache, name: string, store: S, cachedLookups: readonly (keyof S & string)[]): S {
  const wrapped: AsyncFunctions = {};
  for (const [key, fn] of Object.entries(store)) {
    wrapped[key] = cachedLookups.includes(key)
      ? caches.memo(`${name}.${key}`, fn)
      : async (...args: unknown[]) => {
          try {
            return await fn(...args);
          } finally {
            caches.invalidate();
          }
        };
  }
  return wrapped as S;
}
