import test from 'ava';
import { createResync } from '../../src/reconcile/index.ts';
import { createManualScheduler } from '../support/manual-scheduler.ts';

test('resync enqueues everything once per jittered interval until stopped', async (t) => {
  const scheduler = createManualScheduler();
  let runs = 0;
  const resync = createResync({ scheduler, intervalMs: 1000, jitter: 0.5, random: () => 0.5, enqueueAll: () => void runs++ });
  t.deepEqual(scheduler.pending(), [], 'nothing before start');
  resync.start();
  resync.start();
  t.deepEqual(scheduler.pending(), [1250], 'one timer, interval plus jitter');
  await scheduler.fireNext();
  await scheduler.fireNext();
  t.is(runs, 2);
  t.deepEqual(scheduler.pending(), [1250]);
  resync.stop();
  t.false(resync.running);
  t.deepEqual(scheduler.pending(), []);
  t.false(await scheduler.fireNext());
  t.is(runs, 2);
});

test('a failing enqueueAll is reported and the schedule goes on', async (t) => {
  const scheduler = createManualScheduler();
  const errors: unknown[] = [];
  let runs = 0;
  const resync = createResync({
    scheduler,
    intervalMs: 1000,
    jitter: 0,
    enqueueAll: async () => {
      if (runs++ === 0) throw new Error('inventory unavailable');
    },
    onError: (e) => errors.push(e),
  });
  resync.start();
  await scheduler.fireNext();
  t.is(errors.length, 1);
  t.deepEqual(scheduler.pending(), [1000]);
  await scheduler.fireNext();
  t.is(runs, 2);
  t.is(errors.length, 1);
  resync.stop();
});

test('stop during a running resync schedules nothing after it, and a restart keeps one chain', async (t) => {
  const scheduler = createManualScheduler();
  let release!: () => void;
  let runs = 0;
  const resync = createResync({
    scheduler,
    intervalMs: 1000,
    jitter: 0,
    enqueueAll: () => {
      runs++;
      return new Promise<void>((resolve) => (release = resolve));
    },
  });
  resync.start();
  await scheduler.fireNext();
  resync.stop();
  resync.start();
  release();
  await new Promise((r) => setImmediate(r));
  t.deepEqual(scheduler.pending(), [1000], 'only the restarted chain is pending');
  t.is(runs, 1);
  const now = resync.resyncNow();
  release();
  await now;
  t.is(runs, 2);
  t.deepEqual(scheduler.pending(), [1000], 'resyncNow does not move the schedule');
  resync.stop();
});
