// §7 workspaces: warm pool, race-free claims, release at the run's end, TTL and explicit archive, restart resume.
import test from 'ava';
import { createLiveDriver } from '../../src/cluster/live-driver.ts';
import { claimWorkspace, createWorkspaceController, createWorkspaceService, WORKSPACE_KIND, type WorkspaceController } from '../../src/agents/index.ts';
import { poolConfig } from '../../src/agents/workspaces/index.ts';
import { tenantNamespace } from '../../src/kinds/index.ts';
import type { StoredResource } from '../../src/store/index.ts';
import { uniqueName } from '../support/store.ts';
import { dispatchWorld, request, type World } from './dispatch-support.ts';
import { doc } from './helpers.ts';

const world = dispatchWorld(test);
// Serial: the worlds share one store, so a workspace controller of one test sees another test's org (absent from
// its desired state) and archives that org's workspaces as policy-removed.

const pooled = (org: string, retention: Record<string, unknown> = { ttlSeconds: 600 }) => [
  doc('KradleWorkspacePolicy', 'warm', { organizationRef: org, mode: 'worktree', retentionPolicy: retention, warmPool: 1, volumeSpec: { size: '1Gi' } }),
  doc('AgentStack', 'pooled', { organizationRef: org, baseAgent: 'claude-code', model: 'claude-sonnet', adapter: 'mux', runtimeIdentity: 'fixer-bot', providerConfig: 'anthropic', workspacePolicy: 'warm' }),
];

function clockAt(start = Date.parse('2026-12-01T10:00:00Z')) {
  let t = start;
  return { now: () => new Date(t), advance: (ms: number) => void (t += ms) };
}

function controllerFor(t: { teardown(fn: () => unknown): void }, w: World, clock = clockAt()): WorkspaceController {
  const c = createWorkspaceController({ store: w.store, driver: createLiveDriver({ kubeConfig: w.kube.kubeConfig }), desired: () => w.state, clock, resyncMs: 3_600_000 });
  t.teardown(() => c.stop());
  return c;
}

// A runtime workspace's claim is kradle-rws-<name>; a record made before that (no status.pvcName) keeps kradle-ws-<name>.
const pvcRef = (org: string, ws: string, prefix = 'kradle-rws-') => ({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace: tenantNamespace(org), name: `${prefix}${ws}` });
const all = async (w: World, org: string) => (await w.store.resources.list(WORKSPACE_KIND, { namespace: tenantNamespace(org) })).items;

async function waitFor<T>(what: string, probe: () => Promise<T | undefined> | T | undefined): Promise<T> {
  for (let i = 0; i < 600; i++) {
    const v = await probe();
    if (v) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** What a storage provisioner does: every Pending PVC of the org becomes Bound. */
async function bindAll(w: World, org: string): Promise<void> {
  for (const ws of await all(w, org)) {
    if (w.kube.object(pvcRef(org, ws.metadata.name))) w.kube.setStatus(pvcRef(org, ws.metadata.name), { phase: 'Bound' });
  }
}

async function phaseOf(w: World, org: string, name: string): Promise<StoredResource | undefined> {
  return w.store.resources.get(WORKSPACE_KIND, tenantNamespace(org), name);
}

test.serial('warm pool -> claim by a run -> release at its end -> TTL archive (PVC released, metadata kept)', async (t) => {
  const org = uniqueName('ws');
  const w = await world({ [org]: { extra: pooled(org) } });
  const clock = clockAt();
  const c = controllerFor(t, w, clock);
  await c.start();
  const warm = await waitFor('a warm workspace provisioning', async () => (await all(w, org)).find((x) => x.status.phase === 'Provisioning'));
  t.like(w.kube.object(pvcRef(org, warm.metadata.name)), { spec: { resources: { requests: { storage: '1Gi' } } } });
  await bindAll(w, org);
  await waitFor('Ready', async () => (await phaseOf(w, org, warm.metadata.name))?.status.phase === 'Ready');

  const run = await w.dispatch.create(org, request({ stack: 'pooled' }));
  t.is(run.status.phase, 'Running');
  t.is(run.status.workspaceRef, warm.metadata.name, 'the run claimed the warm workspace');
  t.like((await phaseOf(w, org, warm.metadata.name))?.status, { phase: 'InUse', runRef: run.metadata.name });
  const volumes = (w.job(run.metadata.name) as any).spec.template.spec.volumes;
  t.deepEqual(volumes[0], { name: 'workspace', persistentVolumeClaim: { claimName: `kradle-rws-${warm.metadata.name}` } });
  // The pool refills: another warm workspace is provisioned while this one is in use.
  await waitFor('a second warm workspace', async () => (await all(w, org)).length === 2);

  const secret = w.kube.object({ apiVersion: 'v1', kind: 'Secret', namespace: tenantNamespace(org), name: `kradle-agent-${run.metadata.name}-token` }) as any;
  await w.dispatch.callback(org, run.metadata.name, secret.stringData?.token ?? Buffer.from(secret.data.token, 'base64').toString(), { phase: 'Succeeded' });
  const released = await waitFor('release', async () => { const x = await phaseOf(w, org, warm.metadata.name); return x?.status.phase === 'Ready' ? x : undefined; });
  t.like(released.status, { runRef: null, lastRunRef: run.metadata.name });

  clock.advance(601_000);
  c.enqueue(org, warm.metadata.name);
  const archived = await waitFor('archive', async () => { const x = await phaseOf(w, org, warm.metadata.name); return x?.status.phase === 'Archived' ? x : undefined; });
  t.like(archived.status, { archiveReason: 'ttl-expired', pvcPhase: 'Released', lastRunRef: run.metadata.name });
  t.is(w.kube.object(pvcRef(org, warm.metadata.name)), undefined, 'the PVC is deleted');
  const events = (await w.store.events.since(0, { org, limit: 2000 })).filter((e) => e.kind === WORKSPACE_KIND && e.name === warm.metadata.name);
  const phases = events.map((e) => (e.payload as StoredResource).status?.phase).filter((p, i, a) => p !== a[i - 1]);
  t.deepEqual(phases, ['Pending', 'Provisioning', 'Ready', 'InUse', 'Ready', 'Archiving', 'Archived']);
});

test.serial('two concurrent runs never hold one workspace', async (t) => {
  const org = uniqueName('wc');
  const w = await world({ [org]: { extra: pooled(org) } });
  const c = controllerFor(t, w);
  await c.start();
  await waitFor('a warm workspace provisioning', async () => (await all(w, org)).some((x) => x.status.phase === 'Provisioning'));
  await bindAll(w, org);
  await waitFor('Ready', async () => (await all(w, org)).some((x) => x.status.phase === 'Ready'));
  await c.stop();
  const pool = poolConfig(w.state, org, 'warm')!;
  const deps = { store: w.store, clock: { now: () => new Date() }, random: (n: number) => Buffer.from(uniqueName('r').padEnd(n, 'x')).subarray(0, n) };
  const claims = await Promise.all(Array.from({ length: 6 }, (_, i) => claimWorkspace(deps, org, pool, `run-c${i}`)));
  t.is(new Set(claims.map((x) => x.metadata.name)).size, 6, 'six runs, six workspaces');
  const held = (await all(w, org)).filter((x) => x.status.runRef);
  t.is(held.length, 6);
  t.is(new Set(held.map((x) => x.status.runRef)).size, 6);
  t.is(held.filter((x) => x.status.phase === 'InUse').length, 1, 'only one claimed the Ready workspace; the others were provisioned for their runs');
  t.is((await claimWorkspace(deps, org, pool, 'run-c0')).metadata.name, claims[0]!.metadata.name, 'a repeated claim keeps the first');
});

test.serial('a restart resumes every workspace mid-transition; a failed run archives; an explicit archive waits for release', async (t) => {
  const org = uniqueName('wr');
  const w = await world({ [org]: { extra: pooled(org) } });
  const first = controllerFor(t, w);
  await first.start();
  const warm = await waitFor('a warm workspace provisioning', async () => (await all(w, org)).find((x) => x.status.phase === 'Provisioning'));
  await first.stop();
  // While no controller runs: the PVC binds, and the record of another is left in Archiving (a crash before the delete).
  await bindAll(w, org);
  const stuck = await w.store.resources.create({ apiVersion: 'kradle.a5c.ai/v1alpha1', kind: WORKSPACE_KIND, metadata: { name: 'ws-stuck', namespace: tenantNamespace(org), labels: { 'kradle.a5c.ai/workspace-policy': 'warm' } }, spec: { organizationRef: org, workspaceRef: 'ws-stuck', status: 'managed', policy: 'warm' }, status: { phase: 'Archiving' } });
  w.kube.put({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'kradle-ws-ws-stuck', namespace: tenantNamespace(org) }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } });
  const second = controllerFor(t, w);
  await second.start();
  await waitFor('Provisioning -> Ready after restart', async () => (await phaseOf(w, org, warm.metadata.name))?.status.phase === 'Ready');
  await waitFor('Archiving -> Archived after restart', async () => (await phaseOf(w, org, stuck.metadata.name))?.status.phase === 'Archived');
  t.is(w.kube.object(pvcRef(org, 'ws-stuck', 'kradle-ws-')), undefined, 'a record made before runtime claim names deletes the claim it has');

  // A failed run's workspace is archived (retentionPolicy.archiveOnFailure defaults to true).
  const run = await w.dispatch.create(org, request({ stack: 'pooled' }));
  t.is(run.status.workspaceRef, warm.metadata.name);
  const ws = createWorkspaceService(w.store);
  await ws.archive(org, warm.metadata.name, 'ada');
  t.is((await phaseOf(w, org, warm.metadata.name))?.status.phase, 'InUse', 'an InUse workspace is archived only when released');
  const job = { apiVersion: 'batch/v1', kind: 'Job', namespace: tenantNamespace(org), name: String(run.status.k8sJobName) };
  await w.dispatch.observeJob(w.kube.setStatus(job, { failed: 1, conditions: [{ type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded' }] }) as never);
  const archived = await waitFor('archived after the failed run', async () => { const x = await phaseOf(w, org, warm.metadata.name); return x?.status.phase === 'Archived' ? x : undefined; });
  t.like(archived.status, { archiveReason: 'requested', lastRunRef: run.metadata.name, archiveRequestedBy: 'ada' });
  t.true((await all(w, org)).some((x) => x.metadata.name !== warm.metadata.name && x.status.phase !== 'Archived'), 'the pool keeps a warm workspace');
});

test.serial("a workspace's PVC is made, watched and released in the namespace the Organization names", async (t) => {
  const org = uniqueName('wsns');
  const namespace = `${org}-tenant`;
  const w = await world({ [org]: { extra: pooled(org), namespace } });
  const c = controllerFor(t, w);
  await c.start();
  const warm = await waitFor('a warm workspace provisioning', async () => (await all(w, org)).find((x) => x.status.phase === 'Provisioning'));
  const ref = { ...pvcRef(org, warm.metadata.name), namespace };
  t.truthy(w.kube.object(ref), 'the PVC is in the declared namespace');
  t.falsy(w.kube.object(pvcRef(org, warm.metadata.name)), 'and not in kradle-org-<slug>');
  w.kube.setStatus(ref, { phase: 'Bound' });
  await waitFor('Ready, seen through the PVC in the declared namespace', async () => (await phaseOf(w, org, warm.metadata.name))?.status.phase === 'Ready');
  const run = await w.dispatch.create(org, request({ stack: 'pooled' }));
  t.is(run.status.workspaceRef, warm.metadata.name);
  t.truthy(w.job(run.metadata.name), "the run's Job is in the declared namespace too");
});
