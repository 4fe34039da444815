import test from 'ava';
import { tenantNamespace } from '../../src/kinds/index.ts';
import { createQueuedRunRetry } from '../../src/reconcile/agent-runs/index.ts';
import { uniqueName } from '../support/store.ts';
import { dispatchWorld, request } from '../agents/dispatch-support.ts';

const world = dispatchWorld(test);
const quiet = { warn() {} };

async function until(check: () => Promise<boolean>, what: string, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('a run left Queued by failed Job creations is started by the leader with back-off once the cluster answers', async (t) => {
  const org = uniqueName('q');
  const w = await world({ [org]: {} });
  const jobs = new RegExp(`/namespaces/${tenantNamespace(org)}/jobs/`);
  w.kube.faults.failNext(3, { method: 'PATCH', path: jobs, status: 503 });
  const run = await w.dispatch.create(org, request());
  t.is(run.status.phase, 'Queued');
  const asked: string[] = [];
  const retry = createQueuedRunRetry({
    retryQueued: (o) => {
      asked.push(o);
      return w.dispatch.retryQueued(o);
    },
    orgs: () => [org],
    logger: quiet,
    resyncIntervalMs: 3_600_000,
    backoff: { baseMs: 10, capMs: 100 },
  });
  t.teardown(() => retry.stop());
  await retry.start();
  await until(async () => (await w.dispatch.get(org, run.metadata.name)).status.phase === 'Running', 'the run started');
  t.truthy(w.job(run.metadata.name), 'its Job exists');
  // Two more failed starts, then the one that worked: each retry came from the back-off, not a resync.
  t.is(asked.length, 3);
  t.is((await w.dispatch.get(org, run.metadata.name)).status.retryCount, 3);
  await retry.whenIdle();
  t.is(retry.add(org), true);
  await retry.whenIdle();
  t.is(asked.length, 4, 'an org with nothing Queued is looked at once and left alone');
});
