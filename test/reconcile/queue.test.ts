import test from 'ava';
import { UpstreamError, ValidationError, WaitingError } from '../../src/errors/index.ts';
import { createBackoff, createWorkQueue, type HandlerResult } from '../../src/reconcile/index.ts';
import { createManualScheduler, settle } from '../support/manual-scheduler.ts';

/** A promise the test resolves by hand, to hold a handler mid-run. */
function gate() {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

test('add de-duplicates keys that are waiting', async (t) => {
  const hold = gate();
  const calls: string[] = [];
  const q = createWorkQueue({
    concurrency: 1,
    handler: async (key) => {
      calls.push(key);
      if (key === 'a') await hold.promise;
      return 'success';
    },
  });
  q.add('a');
  for (const k of ['b', 'b', 'c', 'b', 'c']) q.add(k);
  t.is(q.processing, 1);
  t.is(q.length, 2);
  hold.open();
  await q.whenIdle();
  t.deepEqual(calls, ['a', 'b', 'c']);
});

test('a key added while it runs runs once more afterwards, never concurrently', async (t) => {
  const holds = [gate(), gate(), gate()];
  let running = 0;
  let maxRunning = 0;
  let runs = 0;
  const q = createWorkQueue({
    concurrency: 4,
    handler: async () => {
      const mine = holds[runs++]!;
      maxRunning = Math.max(maxRunning, ++running);
      await mine.promise;
      running--;
      return 'success';
    },
  });
  q.add('a');
  q.add('a');
  q.add('a');
  t.is(q.processing, 1);
  t.is(q.length, 1, 'the re-add waits as one entry');
  holds[0]!.open();
  await settle();
  t.is(runs, 2);
  q.add('a');
  holds[1]!.open();
  holds[2]!.open();
  await q.whenIdle();
  t.is(runs, 3);
  t.is(maxRunning, 1);
});

test('concurrency is bounded and every key is served, one run per key at a time', async (t) => {
  const perKey = new Map<string, number>();
  let total = 0;
  let maxTotal = 0;
  let maxPerKey = 0;
  let runs = 0;
  const q = createWorkQueue({
    concurrency: 3,
    handler: async (key) => {
      runs++;
      perKey.set(key, (perKey.get(key) ?? 0) + 1);
      maxPerKey = Math.max(maxPerKey, perKey.get(key)!);
      maxTotal = Math.max(maxTotal, ++total);
      await settle();
      total--;
      perKey.set(key, perKey.get(key)! - 1);
      return 'success';
    },
  });
  const keys = Array.from({ length: 8 }, (_, i) => `k${i}`);
  for (let round = 0; round < 5; round++) {
    for (const k of keys) q.add(k);
    t.true(q.processing <= 3);
    await settle();
  }
  await q.whenIdle();
  t.is(maxTotal, 3);
  t.is(maxPerKey, 1);
  t.true(runs >= keys.length && runs <= keys.length * 5);
});

test('back-off grows per failure, is capped, and resets on success', async (t) => {
  const scheduler = createManualScheduler();
  let failuresLeft = 6;
  const attempts: number[] = [];
  const q = createWorkQueue({
    scheduler,
    backoff: { baseMs: 10, capMs: 80, random: () => 0 },
    handler: async () => {
      if (failuresLeft-- > 0) throw new UpstreamError('api server unavailable');
      return 'success';
    },
    onError: (_key, _err, info) => attempts.push(info.attempts),
  });
  q.add('a');
  await q.whenIdle();
  while (await scheduler.fireNext()) await q.whenIdle();
  t.deepEqual(scheduler.requested, [10, 20, 40, 80, 80, 80]);
  t.deepEqual(attempts, [1, 2, 3, 4, 5, 6]);

  failuresLeft = 1;
  q.add('a');
  await q.whenIdle();
  t.deepEqual(scheduler.pending(), [10], 'the count restarted after the success');
});

test('jitter takes an injected fraction off each delay and never exceeds the cap', (t) => {
  const b = createBackoff({ baseMs: 100, capMs: 1000, jitter: 0.5, random: () => 1 });
  t.deepEqual([1, 2, 3, 4, 5, 6].map(() => b.next('k')), [50, 100, 200, 400, 500, 500]);
  t.is(b.attempts('k'), 6);
  t.is(b.attempts('other'), 0);
  b.reset('k');
  t.is(b.next('k'), 50);
  const max = createBackoff({ baseMs: 100, capMs: 1000, random: () => 0 });
  for (let i = 0; i < 2000; i++) t.true(max.next('k') <= 1000);
});

test('a stalled error is not retried until the key is added again', async (t) => {
  const scheduler = createManualScheduler();
  let calls = 0;
  const seen: unknown[] = [];
  const q = createWorkQueue({
    scheduler,
    handler: async () => {
      calls++;
      throw new ValidationError('spec.replicas must be an integer');
    },
    onError: (_k, _e, info) => seen.push(info),
  });
  q.add('a');
  await q.whenIdle();
  t.is(q.delayed, 0);
  await scheduler.advance(3_600_000);
  t.is(calls, 1);
  t.deepEqual(seen, [{ disposition: 'stalled', attempts: 0, retryInMs: undefined }]);
  q.add('a');
  await q.whenIdle();
  t.is(calls, 2);
});

test('handler results and error dispositions pick the next delay', async (t) => {
  const cases: { name: string; outcome: () => HandlerResult; delays: number[] }[] = [
    { name: 'waiting error: fixed delay', outcome: () => { throw new WaitingError('CRD not installed'); }, delays: [500, 500, 500] },
    { name: 'plain error: back-off', outcome: () => { throw new Error('boom'); }, delays: [10, 20, 40] },
    { name: 'requeue: back-off', outcome: () => 'requeue', delays: [10, 20, 40] },
    { name: 'requeueAfterMs: that delay', outcome: () => ({ requeueAfterMs: 7000 }), delays: [7000, 7000, 7000] },
  ];
  for (const c of cases) {
    const scheduler = createManualScheduler();
    const q = createWorkQueue({
      scheduler,
      waitingDelayMs: 500,
      backoff: { baseMs: 10, capMs: 1000, random: () => 0 },
      handler: async () => c.outcome(),
    });
    q.add('a');
    await q.whenIdle();
    for (let i = 0; i < 2; i++) {
      await scheduler.fireNext();
      await q.whenIdle();
    }
    t.deepEqual(scheduler.requested, c.delays, c.name);
    await q.shutdown();
  }
});

test('addAfter keeps the earliest pending delay and a run cancels it', async (t) => {
  const scheduler = createManualScheduler();
  let calls = 0;
  const q = createWorkQueue({ scheduler, handler: async () => (calls++, 'success') });
  q.addAfter('a', 5000);
  q.addAfter('a', 9000);
  q.addAfter('a', 1000);
  t.deepEqual(scheduler.pending(), [1000]);
  q.add('a');
  await q.whenIdle();
  t.is(q.delayed, 0);
  await scheduler.advance(10_000);
  t.is(calls, 1);
});

test('graceful shutdown finishes in-flight work, aborts nothing and refuses new adds', async (t) => {
  const scheduler = createManualScheduler();
  const hold = gate();
  const calls: string[] = [];
  let aborted = false;
  const q = createWorkQueue({
    scheduler,
    concurrency: 1,
    handler: async (key, signal) => {
      calls.push(key);
      await hold.promise;
      aborted = signal.aborted;
      throw new UpstreamError('still failing');
    },
  });
  q.add('a');
  q.add('b');
  q.addAfter('c', 100);
  let done = false;
  const stopping = q.shutdown({ drain: true }).then(() => (done = true));
  t.false(q.add('d'));
  t.false(q.addAfter('d', 10));
  await settle();
  t.false(done, 'waits for the running handler');
  hold.open();
  await stopping;
  t.false(aborted);
  t.deepEqual(calls, ['a'], 'waiting keys are dropped, not started');
  t.is(q.processing, 0);
  t.deepEqual(scheduler.pending(), [], 'no retry and no delayed add survives shutdown');
});

test('hard shutdown aborts the signal of running handlers', async (t) => {
  const errors: unknown[] = [];
  const q = createWorkQueue({
    handler: (_key, signal) =>
      new Promise<HandlerResult>((_resolve, reject) => {
        signal.addEventListener('abort', () => reject(signal.reason));
      }),
    onError: (_k, e) => errors.push(e),
  });
  q.add('a');
  q.add('b');
  t.is(q.processing, 2);
  await q.shutdown({ drain: false });
  t.is(q.processing, 0);
  t.deepEqual(errors, [], 'the abort itself is not reported as a failure');
});
