import test, { type ExecutionContext } from 'ava';
import { buildCrds } from '../../src/cluster/index.ts';
import { RUNNER_POOL_LABEL } from '../../src/cluster/index.ts';
import { poolScale } from '../../src/reconcile/runners/index.ts';
import type { Store } from '../../src/store/types.ts';
import { createTestRepo } from '../support/git-repo.ts';
import { startKubeApiServer, type KubeApiServer } from '../support/kube-api-server/index.ts';
import { testDrivers, uniqueName } from '../support/store.ts';
import { createPlanOnlyDriver, createTestSync, crdsFor, liveDriverFor, orgDocs } from '../support/sync-harness.ts';

const [pglite] = testDrivers(test);
const CRDS = crdsFor(['Organization', 'OrgNamespaceBinding', 'Team', 'AgentServiceAccount', 'RunnerPool'], buildCrds());

interface PoolStatus { queueDepth?: number; runningJobs?: number; desiredReplicas?: number; readyReplicas?: number; poolPhase?: string; scaling?: string }

let server: KubeApiServer;
test.before(async () => {
  server = await startKubeApiServer();
});
test.after.always(async () => {
  await server?.stop();
});

async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 400 && !check(); i++) await new Promise((r) => setTimeout(r, 25));
  if (!check()) throw new Error(`gave up waiting for ${what}`);
}

function job(org: string, name: string, pool: { spec?: string; label?: string }) {
  return {
    apiVersion: 'kradle.a5c.ai/v1alpha1', kind: 'Job',
    metadata: { name, namespace: `kradle-org-${org}`, ...(pool.label ? { labels: { [RUNNER_POOL_LABEL]: pool.label } } : {}) },
    spec: { organizationRef: org, pipeline: 'build', step: name, ...(pool.spec ? { runnerPool: pool.spec } : {}) },
  };
}

async function setPhase(store: Store, org: string, name: string, phase: string): Promise<void> {
  const current = (await store.resources.get('Job', `kradle-org-${org}`, name))!;
  await store.resources.updateStatus({ ...current, status: { phase } });
}

async function setup(t: ExecutionContext, driver = liveDriverFor(server)) {
  const org = uniqueName('rp');
  const repo = createTestRepo();
  repo.commit(orgDocs(org), 'add org');
  const store = await pglite!.store();
  // Every pass is a full resync: the pass re-applies the Deployment each time and must not fight the scaler.
  const sync = createTestSync({ repoDir: repo.dir, store, driver, crds: CRDS, resyncIntervalMs: 1 });
  t.teardown(() => sync.stop());
  await sync.start();
  await sync.trigger('test');
  const pool = { apiVersion: 'kradle.a5c.ai/v1alpha1', kind: 'RunnerPool', namespace: `kradle-org-${org}`, name: 'default' };
  const dep = { apiVersion: 'apps/v1', kind: 'Deployment', namespace: `kradle-org-${org}`, name: 'kradle-runner-default' };
  return { org, store, sync, pool, dep };
}

test('desiredReplicas = clamp(warm + queued, warm, max); phase and scaling from the Deployment', (t) => {
  t.is(poolScale({ warm: 2, max: 4 }, { queued: 0, running: 0 }, { replicas: 0, ready: 0 }).desiredReplicas, 2);
  t.is(poolScale({ warm: 2, max: 4 }, { queued: 1, running: 0 }, { replicas: 2, ready: 2 }).desiredReplicas, 3);
  t.is(poolScale({ warm: 2, max: 4 }, { queued: 9, running: 0 }, { replicas: 2, ready: 2 }).desiredReplicas, 4);
  t.is(poolScale({ warm: 3, max: 1 }, { queued: 2, running: 0 }, { replicas: 0, ready: 0 }).desiredReplicas, 3, 'max below warm: warm wins');
  t.like(poolScale({ warm: 1, max: 4 }, { queued: 0, running: 1 }, { replicas: 1, ready: 1 }), { poolPhase: 'Active', scaling: 'Stable' });
  t.like(poolScale({ warm: 1, max: 4 }, { queued: 0, running: 0 }, { replicas: 3, ready: 3 }), { poolPhase: 'Idle', scaling: 'ScalingDown' });
  t.like(poolScale({ warm: 1, max: 4 }, { queued: 2, running: 0 }, { replicas: 0, ready: 0 }), { poolPhase: 'Empty', scaling: 'ScalingUp' });
});

test.serial('a pool status and its Deployment follow the Job records in the store', async (t) => {
  const { org, store, sync, pool, dep } = await setup(t);
  const status = () => (server.object(pool)?.status ?? {}) as PoolStatus;
  const replicas = () => (server.object(dep)?.spec as { replicas?: number } | undefined)?.replicas;
  t.like(status(), { queueDepth: 0, desiredReplicas: 2, readyReplicas: 0, poolPhase: 'Empty', scaling: 'ScalingUp' });
  t.is(replicas(), 2);

  for (const name of ['j1', 'j2']) await store.resources.create(job(org, name, { spec: 'default' }));
  await store.resources.create(job(org, 'j3', { label: 'default' }));
  await store.resources.create(job(org, 'other', { spec: 'another-pool' }));
  await until(() => status().queueDepth === 3, 'queue depth 3');
  t.is(status().desiredReplicas, 4, 'clamped to maxReplicas');
  await until(() => replicas() === 4, 'the Deployment scaled to 4');

  await setPhase(store, org, 'j1', 'Running');
  await until(() => status().queueDepth === 2 && status().runningJobs === 1, 'one job running');
  server.setStatus(dep, { observedGeneration: 9, replicas: 4, updatedReplicas: 4, readyReplicas: 4, availableReplicas: 4 });
  await until(() => status().poolPhase === 'Active', 'the pool active');
  t.like(status(), { readyReplicas: 4, desiredReplicas: 4, scaling: 'Stable' });

  await sync.trigger('full resync');
  t.is(replicas(), 4, 'the next (full) pass applies the scaled replicas, not warmReplicas');
  const live = server.object(dep)!;
  server.put({ ...live, spec: { ...(live.spec as object), replicas: 9 } }, 'kubectl-edit');
  await until(() => replicas() === 4, 'a hand edit reverted to desiredReplicas');

  await setPhase(store, org, 'j1', 'Succeeded');
  for (const name of ['j2', 'j3']) await store.resources.delete('Job', `kradle-org-${org}`, name);
  await until(() => status().queueDepth === 0, 'queue drained');
  await until(() => replicas() === 2, 'scaled back to warmReplicas');
  t.like(status(), { desiredReplicas: 2, poolPhase: 'Idle', scaling: 'ScalingDown' });
  t.deepEqual(server.managers(dep).filter((m) => m.fields.includes('.spec.replicas')).map((m) => m.manager), ['kradle'], 'one owner of spec.replicas');
});

test.serial('plan-only: the pool status and the recorded Deployment follow the queue too', async (t) => {
  const planOnly = createPlanOnlyDriver();
  const { org, store, pool, dep } = await setup(t, planOnly);
  await store.resources.create(job(org, 'q1', { spec: 'default' }));
  await until(() => (planOnly.plannedStatus(pool) as PoolStatus | undefined)?.queueDepth === 1, 'planned queue depth 1');
  t.is((planOnly.plannedStatus(pool) as PoolStatus).desiredReplicas, 3);
  const plannedReplicas = () => (planOnly.planned().find((o) => o.kind === 'Deployment' && o.metadata.namespace === dep.namespace)?.spec as { replicas?: number }).replicas;
  await until(() => plannedReplicas() === 3, 'planned replicas 3');
  t.is(plannedReplicas(), 3);
});
