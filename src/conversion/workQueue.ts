/**
 * A bounded queue: at most `concurrency` tasks run at once, the others wait in arrival order. Each task runs
 * on a numbered worker (0 … concurrency-1), so that per-worker resources (a LibreOffice profile) are never
 * shared by two tasks at once. A waiting task hears its place in the line whenever it changes.
 */
export interface WorkQueue {
  /** Runs `task` when a worker is free; `onWaiting(ahead)` says how many tasks will start before it (0 = next). */
  run<T>(task: (worker: number) => Promise<T>, onWaiting?: (ahead: number) => void): Promise<T>;
  /** Tasks waiting for a worker, and tasks running. */
  readonly waiting: number;
  readonly running: number;
  /** Refuses the waiting tasks with `reason` (running ones finish on their own). */
  close(reason: Error): void;
}

interface Waiting {
  start(worker: number): void;
  refuse(reason: Error): void;
  onWaiting?: (ahead: number) => void;
  told?: number;
}

export function workQueue(concurrency: number): WorkQueue {
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new Error(`a work queue needs at least one worker (got ${concurrency})`);
  const free = Array.from({ length: concurrency }, (_, i) => concurrency - 1 - i); // pop() hands out worker 0 first
  const line: Waiting[] = [];
  let closed: Error | undefined;

  const tellPlaces = () =>
    line.forEach((waiting, ahead) => {
      if (waiting.told === ahead) return;
      waiting.told = ahead;
      waiting.onWaiting?.(ahead);
    });
  const next = () => {
    while (free.length > 0 && line.length > 0) line.shift()!.start(free.pop()!);
    tellPlaces();
  };

  return {
    run<T>(task: (worker: number) => Promise<T>, onWaiting?: (ahead: number) => void): Promise<T> {
      if (closed) return Promise.reject(closed);
      return new Promise<T>((resolve, reject) => {
        line.push({
          onWaiting,
          refuse: reject,
          start: (worker) => {
            Promise.resolve()
              .then(() => task(worker))
              .then(resolve, reject)
              .finally(() => {
                free.push(worker);
                next();
              });
          },
        });
        next();
      });
    },
    get waiting() {
      return line.length;
    },
    get running() {
      return concurrency - free.length;
    },
    close(reason) {
      closed = reason;
      for (const waiting of line.splice(0)) waiting.refuse(reason);
    },
  };
}
