// Cron trigger rules on the reconcile engine: each tick fires once, a failed fire is retried for the same tick,
// a changed or removed rule follows the new desired state, only the leader fires. Time moves only when the test says so.
import test from 'ava';
import { pino } from 'pino';
import { createCronScheduler } from '../../src/agents/index.ts';
import { createLeadership } from '../../src/server/leadership.ts';
import type { Store } from '../../src/store/types.ts';
import { createManualScheduler, settle } from '../support/manual-scheduler.ts';
import { testDrivers, uniqueName } from '../support/store.ts';
import { doc, loadState, orgFiles } from './helpers.ts';

const rule = (org: string, cronExpression: string) =>
  doc('AgentTriggerRule', 'nightly', { organizationRef: org, sources: ['schedule'], agentStack: 'fixer', taskKind: 'fix', cronExpression });

test('a cron rule fires each tick once through processEvent, retries a failed tick, and follows the desired state', async (t) => {
  const org = 'cron';
  let state = await loadState(orgFiles(org, { extra: [rule(org, '*/15 * * * *')] }));
  const scheduler = createManualScheduler();
  const fired: string[] = [];
  let failNext = false;
  const errors: unknown[] = [];
  const cron = createCronScheduler({
    desired: () => state,
    scheduler,
    onError: (err) => void errors.push(err),
    triggers: {
      async processEvent(o, event) {
        t.is(o, org);
        fired.push(String(event.uid));
        if (failNext) {
          failNext = false;
          throw new Error('the store is down');
        }
        return [];
      },
    },
  });
  t.teardown(() => cron.stop());
  const step = async (fire: () => Promise<unknown>) => {
    await fire();
    await settle();
    await cron.idle();
  };

  t.is(cron.update(), 1);
  await cron.start();
  await step(settle);
  t.deepEqual(scheduler.pending(), [15 * 60_000], 'the queue waits for the first tick: no timer of its own');
  t.deepEqual(cron.next(), [{ rule: 'nightly', next: '1970-01-01T00:15:00.000Z' }]);
  await step(() => scheduler.fireNext());
  t.deepEqual(fired, ['schedule:nightly:1970-01-01T00:15']);

  failNext = true;
  await step(() => scheduler.fireNext());
  t.is(errors.length, 1);
  t.true(scheduler.pending()[0]! <= 100, 'retried with the engine back-off');
  await step(() => scheduler.fireNext());
  t.deepEqual(fired.slice(1), ['schedule:nightly:1970-01-01T00:30', 'schedule:nightly:1970-01-01T00:30'], 'the same tick again: its uid deduplicates');
  t.is(cron.next()[0]?.next, '1970-01-01T00:45:00.000Z');

  // A new state that leaves the rule as it was keeps its tick; a changed expression starts from now.
  t.is(cron.update(), 1);
  await step(settle);
  t.is(cron.next()[0]?.next, '1970-01-01T00:45:00.000Z');
  state = await loadState(orgFiles(org, { extra: [rule(org, '*/30 * * * *')] }), 'rev-2');
  t.is(cron.update(), 1);
  await step(settle);
  t.is(cron.next()[0]?.next, '1970-01-01T01:00:00.000Z');
  await scheduler.advance(30 * 60_000);
  await step(settle);
  t.is(fired.at(-1), 'schedule:nightly:1970-01-01T01:00');
  t.is(fired.filter((u) => u.endsWith('T00:45')).length, 0, 'the replaced expression did not fire');

  // Removed from the desired state: its pending wake-up finds nothing to fire.
  state = await loadState(orgFiles(org), 'rev-3');
  t.is(cron.update(), 0);
  const before = fired.length;
  await scheduler.advance(2 * 60 * 60_000);
  await step(settle);
  t.is(fired.length, before);
});

async function until(check: () => boolean, what: string, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

for (const d of testDrivers(test)) {
  test.serial(`${d.name}: a follower fires no cron tick; once it takes the leader lock it fires the next one`, async (t) => {
    const org = 'cron';
    const state = await loadState(orgFiles(org, { extra: [rule(org, '*/15 * * * *')] }));
    const lockName = uniqueName('lock');
    const replica = (store: Store) => {
      const scheduler = createManualScheduler();
      const fired: string[] = [];
      const cron = createCronScheduler({ desired: () => state, scheduler, triggers: { async processEvent(_org, event) { fired.push(String(event.uid)); return []; } } });
      const leadership = createLeadership({ store, logger: pino({ level: 'silent' }), lockName, retryMs: 20 });
      leadership.register(cron);
      // Every replica follows the desired state; the lock decides which one fires.
      t.is(cron.update(), 1);
      return { scheduler, fired, cron, leadership };
    };
    const store = await d.store();
    const a = replica(store);
    const b = replica(d.name === 'postgres' ? await d.second() : store);
    t.teardown(() => Promise.all([a.leadership.close(), b.leadership.close()]).then(() => undefined));
    await a.leadership.start();
    await b.leadership.start();
    t.true(a.leadership.leading);
    t.false(b.leadership.leading);
    await settle();
    await a.cron.idle();
    t.deepEqual(a.scheduler.pending(), [15 * 60_000], 'the leader waits for the first tick');
    t.deepEqual(b.scheduler.pending(), [], 'the follower waits for none');

    for (const r of [a, b]) await r.scheduler.advance(15 * 60_000);
    await settle();
    await a.cron.idle();
    t.deepEqual(a.fired, ['schedule:nightly:1970-01-01T00:15']);
    t.deepEqual(b.fired, [], 'the follower fired nothing');

    await a.leadership.close();
    await until(() => b.leadership.leading && b.scheduler.pending().length > 0, 'the follower taking the lock and waiting for a tick');
    await b.scheduler.advance(15 * 60_000);
    await settle();
    await b.cron.idle();
    t.deepEqual(b.fired, ['schedule:nightly:1970-01-01T00:30'], 'the new leader fires the next tick');
    t.is(a.fired.length, 1, 'the old leader fires no more');
    t.deepEqual(a.scheduler.pending(), []);
  });
}
