import test from 'ava';
import { pino } from 'pino';
import { createLeaderWork } from '../../src/server/leader-work.ts';

const logger = pino({ level: 'silent' });

function harness(failStarts = 0) {
  let leader = false;
  let failures = failStarts;
  const calls: string[] = [];
  const work = createLeaderWork({
    isLeader: () => leader,
    logger,
    intervalMs: 3_600_000,
    async start() {
      if (failures-- > 0) throw new Error('dispatcher could not start');
      calls.push('start');
    },
    async stop() {
      calls.push('stop');
    },
  });
  return { work, calls, setLeader: (v: boolean) => void (leader = v) };
}

test('a follower that later becomes leader starts the leader-only work; losing the lock stops it', async (t) => {
  const { work, calls, setLeader } = harness();
  await work.start();
  t.deepEqual(calls, []);
  t.false(work.running);
  setLeader(true);
  await work.check();
  await work.check();
  t.deepEqual(calls, ['start']);
  t.true(work.running);
  setLeader(false);
  await work.check();
  t.deepEqual(calls, ['start', 'stop']);
  setLeader(true);
  await work.check();
  await work.close();
  t.deepEqual(calls, ['start', 'stop', 'start', 'stop']);
  t.false(work.running);
});

test('a start that fails is retried at the next check; concurrent checks start once', async (t) => {
  const { work, calls, setLeader } = harness(1);
  setLeader(true);
  await work.check();
  t.false(work.running);
  await Promise.all([work.check(), work.check(), work.check()]);
  t.deepEqual(calls, ['start']);
  t.true(work.running);
  await work.close();
});
