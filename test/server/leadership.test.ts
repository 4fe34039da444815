import test from 'ava';
import { pino } from 'pino';
import { createLeadership, type LeaderOnly } from '../../src/server/leadership.ts';
import type { Store } from '../../src/store/types.ts';
import { testDrivers, uniqueName, type TestDriver } from '../support/store.ts';

const logger = pino({ level: 'silent' });

async function until(check: () => boolean | Promise<boolean>, what: string, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Leader-only work that records its transitions; `failStarts` first starts throw. */
function work(name: string, failStarts = 0) {
  const calls: string[] = [];
  let failures = failStarts;
  const w: LeaderOnly & { calls: string[]; running: boolean } = {
    name,
    calls,
    running: false,
    async start() {
      if (failures-- > 0) throw new Error(`${name} could not start`);
      calls.push('start');
      w.running = true;
    },
    async stop() {
      calls.push('stop');
      w.running = false;
    },
  };
  return w;
}

for (const d of testDrivers(test)) suite(d);

function suite(d: TestDriver) {
  test.serial(`${d.name}: one replica leads and runs every registered loop; the other follows and takes over when it closes`, async (t) => {
    const store = await d.store();
    const lockName = uniqueName('lock');
    const a = createLeadership({ store, logger, lockName, retryMs: 50 });
    const b = createLeadership({ store: d.name === 'postgres' ? await d.second() : store, logger, lockName, retryMs: 50 });
    const [a1, a2, b1] = [work('a1'), work('a2'), work('b1')];
    a.register(a1);
    a.register(a2);
    b.register(b1);
    t.teardown(() => Promise.all([a.close(), b.close()]).then(() => undefined));
    await a.start();
    await b.start();
    t.true(a.leading);
    t.false(b.leading);
    t.deepEqual([a1.calls, a2.calls, b1.calls], [['start'], ['start'], []]);

    await a.close();
    t.deepEqual([a1.calls, a2.calls], [['start', 'stop'], ['start', 'stop']]);
    await until(() => b1.running, 'the follower starting its work');
    t.true(b.leading);
  });

  test.serial(`${d.name}: work that fails to start is retried; work registered while leading starts at once`, async (t) => {
    const store = await d.store();
    const m = createLeadership({ store, logger, lockName: uniqueName('lock'), retryMs: 50 });
    t.teardown(() => m.close());
    const flaky = work('flaky', 2);
    m.register(flaky);
    await m.start();
    t.true(m.leading);
    await until(() => flaky.running, 'the flaky work started on a later try');
    t.deepEqual(flaky.calls, ['start']);
    const late = work('late');
    m.register(late);
    await until(() => late.running, 'late work started');
    await m.close();
    t.deepEqual([flaky.calls, late.calls], [['start', 'stop'], ['start', 'stop']]);
  });

  if (d.name !== 'postgres') return;

  test.serial(`${d.name}: a replica whose leader session is terminated stops its work, and one replica takes the lock`, async (t) => {
    const lockName = uniqueName('lock');
    const a = createLeadership({ store: await d.second(), logger, lockName, retryMs: 200 });
    const aWork = work('a');
    a.register(aWork);
    await a.start();
    t.true(a.leading);
    const admin: Store = await d.second();
    // Another replica keeps trying the lock while the leader's session is killed (a network cut, a failover).
    const b = createLeadership({ store: await d.second(), logger, lockName, retryMs: 20 });
    const bWork = work('b');
    b.register(bWork);
    t.teardown(() => Promise.all([a.close(), b.close()]).then(() => undefined));
    await b.start();
    t.false(b.leading);
    const killed = Date.now();
    await admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1`, [`kradle-leader:${lockName}`]);
    // Its stop is waited for as a recorded call, not as `running` false: on a loaded machine the old leader may
    // win the lock back between two looks, and only one of the two replicas leading is promised.
    await until(() => aWork.calls.includes('stop'), 'the old leader stopping its work');
    t.log(`leader-only work stopped ${Date.now() - killed} ms after the session was terminated`);
    await until(() => a.leading || b.leading, 'a leader again');
    t.not(a.leading, b.leading, 'exactly one leader');
    t.is(aWork.running, a.leading);
    t.is(bWork.running, b.leading);
  });
}
