// The runner assigner as a loop on the engine: Jobs queued before it starts, Jobs queued while it runs, a runner
// registered later (poke), release at a Job's end, and a restart after a stop.
import test from 'ava';
import { tenantNamespace } from '../../src/kinds/index.ts';
import { createRunnerAssigner, createRunnerRegistry } from '../../src/runners/index.ts';
import { testDrivers, uniqueName } from '../support/store.ts';

const [pglite] = testDrivers(test);

async function until(check: () => Promise<boolean>, what: string, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

test('queued Jobs are assigned to Idle runners of their pool whenever they were queued, and free them when they end', async (t) => {
  const store = await pglite!.store();
  const org = uniqueName('as');
  const ns = tenantNamespace(org);
  const runners = createRunnerRegistry(store);
  const errors: unknown[] = [];
  const assigner = createRunnerAssigner({ store, runners, resyncMs: 3_600_000, onError: (err) => void errors.push(err) });
  t.teardown(() => assigner.stop());
  const job = (name: string) => ({ apiVersion: 'kradle.a5c.ai/v1alpha1', kind: 'Job', metadata: { name, namespace: ns }, spec: { organizationRef: org, pipeline: 'p1', step: name, runnerPool: 'default' }, status: { phase: 'Queued' } });
  const phase = async (name: string) => (await store.resources.get('Job', ns, name))?.status;

  await runners.register(org, 'default', 'r1');
  await store.resources.create(job('before-start'));
  await assigner.start();
  await until(async () => (await phase('before-start'))?.phase === 'Running', 'the Job queued before the start');
  t.is((await phase('before-start'))?.runnerRef, 'r1');

  // No Idle runner: the next Job waits; a runner registered later is found by poke (what the route calls).
  await store.resources.create(job('while-running'));
  await assigner.idle();
  t.is((await phase('while-running'))?.phase, 'Queued');
  await runners.register(org, 'default', 'r2');
  await assigner.poke();
  await until(async () => (await phase('while-running'))?.phase === 'Running', 'the Job queued while the loop ran');
  t.is((await phase('while-running'))?.runnerRef, 'r2');

  // A Job's end releases its runner, through its record's event.
  const done = (await store.resources.get('Job', ns, 'before-start'))!;
  await store.resources.updateStatus({ ...done, status: { ...done.status, phase: 'Succeeded' } });
  await until(async () => (await runners.pool(org, 'default')).counts.Idle === 1, 'r1 released');

  // Started again after a stop, it lists what was queued meanwhile.
  await assigner.stop();
  await store.resources.create(job('after-stop'));
  await assigner.start();
  await until(async () => (await phase('after-stop'))?.phase === 'Running', 'the Job queued while stopped');
  t.is((await phase('after-stop'))?.runnerRef, 'r1');
  t.deepEqual(errors, []);
});
