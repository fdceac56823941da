/**
 * The conversion queue: never more than its concurrency at once, tasks start in arrival order, each on a
 * worker no other running task has, and a waiting task hears its place in the line as it moves up.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { workQueue } from '../../src/conversion/workQueue.js';

/** A task that runs until the test lets it finish. */
function gate(): { open(): void; opened: Promise<void>; finished?: boolean } {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { open, opened };
}

test('at most `concurrency` tasks run at once, they start in arrival order, each on a worker of its own', async () => {
  await fc.assert(
    fc.asyncProperty(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 12 }), fc.array(fc.nat(), { minLength: 12, maxLength: 12 }), async (concurrency, count, finishOrder) => {
      const queue = workQueue(concurrency);
      const gates = Array.from({ length: count }, gate);
      const started: number[] = [];
      const busyWorkers = new Set<number>();
      let running = 0;
      let most = 0;
      const done = gates.map((g, i) =>
        queue.run(async (worker) => {
          assert.ok(!busyWorkers.has(worker), `worker ${worker} is free when task ${i} starts`);
          assert.ok(worker >= 0 && worker < concurrency);
          busyWorkers.add(worker);
          started.push(i);
          most = Math.max(most, ++running);
          await g.opened;
          running--;
          busyWorkers.delete(worker);
          return i;
        }),
      );
      // Let the tasks finish in an arbitrary order, one at a time, whichever are running.
      for (let finished = 0; finished < count; finished++) {
        await new Promise((resolve) => setImmediate(resolve));
        const runningNow = started.filter((i) => !gates[i].finished);
        const pick = runningNow[finishOrder[finished] % runningNow.length];
        gates[pick].finished = true;
        gates[pick].open();
      }
      assert.deepEqual(await Promise.all(done), gates.map((_, i) => i));
      assert.deepEqual(started, gates.map((_, i) => i), 'started in arrival order');
      assert.equal(most, Math.min(concurrency, count));
      assert.equal(queue.running + queue.waiting, 0);
    }),
  );
});

test('a waiting task hears how many start before it, down to 0, before it runs', async () => {
  const queue = workQueue(1);
  const first = gate();
  const heard: number[][] = [[], [], []];
  const log: string[] = [];
  const running = queue.run(async () => first.opened);
  const waiting = [0, 1, 2].map((i) =>
    queue.run(
      async () => void log.push(`run ${i} after hearing ${heard[i].join(',')}`),
      (ahead) => heard[i].push(ahead),
    ),
  );
  assert.deepEqual(heard, [[0], [1], [2]]);
  assert.equal(queue.waiting, 3);
  first.open();
  await running;
  await Promise.all(waiting);
  assert.deepEqual(log, ['run 0 after hearing 0', 'run 1 after hearing 1,0', 'run 2 after hearing 2,1,0']);
});

test('closing refuses the waiting tasks and any new one; the running one finishes', async () => {
  const queue = workQueue(1);
  const first = gate();
  const running = queue.run(async () => (await first.opened, 'finished'));
  const waiting = queue.run(async () => 'never');
  queue.close(new Error('stopping'));
  await assert.rejects(waiting, /stopping/);
  await assert.rejects(queue.run(async () => 'late'), /stopping/);
  first.open();
  assert.equal(await running, 'finished');
});
