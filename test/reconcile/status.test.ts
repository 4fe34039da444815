import test, { type ExecutionContext } from 'ava';
import { buildCrds } from '../../src/cluster/index.ts';
import type { SyncController } from '../../src/reconcile/sync/index.ts';
import { createTestRepo } from '../support/git-repo.ts';
import { startKubeApiServer, type KubeApiServer } from '../support/kube-api-server/index.ts';
import { testDrivers, uniqueName } from '../support/store.ts';
import { createPlanOnlyDriver, createTestSync, crdsFor, liveDriverFor, orgDocs } from '../support/sync-harness.ts';

const [pglite] = testDrivers(test);
const CRDS = crdsFor(['Organization', 'OrgNamespaceBinding', 'Team', 'AgentServiceAccount', 'RunnerPool'], buildCrds());
const GROUP = 'kradle.a5c.ai/v1alpha1';

interface Cond { type: string; status: string; reason: string; message: string; lastTransitionTime: string; observedGeneration?: number }
interface Status {
  phase?: string; observedGeneration?: number; lastAppliedRevision?: string; lastAttemptedRevision?: string;
  conditions?: Cond[]; objects?: { kind: string; name: string; sync: string; health: string }[];
}

let server: KubeApiServer;
test.before(async () => {
  server = await startKubeApiServer();
});
test.after.always(async () => {
  await server?.stop();
});

const cr = (kind: string, org: string, name: string) => ({ apiVersion: GROUP, kind, namespace: kind === 'Organization' ? 'kradle-system' : `kradle-org-${org}`, name });
const statusOf = (kind: string, org: string, name: string) => (server.object(cr(kind, org, name))?.status ?? {}) as Status;
const generationOf = (kind: string, org: string, name: string) => (server.object(cr(kind, org, name))?.metadata as { generation: number }).generation;
const cond = (s: Status, type: string) => s.conditions?.find((c) => c.type === type);
const statusWrites = () => server.requests.filter((r) => r.method === 'PATCH' && r.path.split('?')[0]!.endsWith('/status')).length;

async function started(t: ExecutionContext, repoDir: string, driver = liveDriverFor(server)): Promise<SyncController> {
  const sync = createTestSync({ repoDir, store: await pglite!.store(), driver, crds: CRDS });
  t.teardown(() => sync.stop());
  await sync.start();
  await sync.trigger('test');
  return sync;
}

async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 400 && !check(); i++) await new Promise((r) => setTimeout(r, 25));
  if (!check()) throw new Error(`gave up waiting for ${what}`);
}

test.serial('after a sync every custom resource has its status; a pass that changes nothing writes none', async (t) => {
  const org = uniqueName('st');
  const repo = createTestRepo();
  const rev = repo.commit(orgDocs(org), 'add org');
  const sync = await started(t, repo.dir);
  for (const [kind, name] of [['Organization', org], ['Team', 'platform'], ['AgentServiceAccount', 'runner'], ['RunnerPool', 'default']] as const) {
    const s = statusOf(kind, org, name);
    t.is(s.lastAppliedRevision, rev, `${kind} lastAppliedRevision`);
    t.is(s.lastAttemptedRevision, rev, `${kind} lastAttemptedRevision`);
    t.is(s.observedGeneration, generationOf(kind, org, name), `${kind} observedGeneration`);
    t.deepEqual(s.conditions?.map((c) => c.type).slice(0, 3), ['Ready', 'Reconciling', 'Stalled'], kind);
    for (const c of s.conditions ?? []) {
      t.is(c.observedGeneration, generationOf(kind, org, name));
      t.truthy(Date.parse(c.lastTransitionTime));
    }
  }
  t.is(statusOf('Team', org, 'platform').phase, 'Ready');
  const orgStatus = statusOf('Organization', org, org);
  t.is(cond(orgStatus, 'Ready')?.status, 'True');
  t.deepEqual(orgStatus.objects?.find((o) => o.kind === 'Namespace'), { apiVersion: 'v1', kind: 'Namespace', name: `kradle-org-${org}`, sync: 'Synced', health: 'Healthy' });
  // No controller runs in the test server: the runner Deployment never becomes available by itself.
  const pool = statusOf('RunnerPool', org, 'default');
  t.is(cond(pool, 'Ready')?.status, 'Unknown');
  t.is(cond(pool, 'Reconciling')?.status, 'True');
  t.is(pool.phase, 'Reconciling');
  server.setStatus({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: `kradle-org-${org}`, name: 'kradle-runner-default' },
    { observedGeneration: 99, replicas: 2, updatedReplicas: 2, availableReplicas: 2, readyReplicas: 2 });
  await until(() => statusOf('RunnerPool', org, 'default').phase === 'Ready', 'the pool to turn Ready from its Deployment');
  t.not(cond(statusOf('RunnerPool', org, 'default'), 'Ready')?.lastTransitionTime, undefined);

  const writes = statusWrites();
  const teamTransition = cond(statusOf('Team', org, 'platform'), 'Ready')?.lastTransitionTime;
  repo.commit({ 'README.md': 'unrelated\n' }, 'no resource changes');
  await sync.trigger('test');
  t.is(statusWrites(), writes, 'a pass that changes nothing writes no status');
  t.is(cond(statusOf('Team', org, 'platform'), 'Ready')?.lastTransitionTime, teamTransition);
  t.is(statusOf('Team', org, 'platform').lastAppliedRevision, rev, 'an unchanged resource keeps its revision');

  const renamed = repo.commit({ [`orgs/${org}/teams/platform.yaml`]: orgDocs(org)[`orgs/${org}/teams/platform.yaml`]!.replace('Platform', 'Platform team') });
  await sync.trigger('test');
  t.is(statusWrites(), writes + 1, 'one changed resource, one status write');
  t.is(statusOf('Team', org, 'platform').lastAppliedRevision, renamed);
  t.is(statusOf('Team', org, 'platform').observedGeneration, 2);
  t.is(statusOf('Organization', org, org).lastAppliedRevision, rev);
});

test.serial('a bad commit: lastAttemptedRevision and ValidationFailed, lastAppliedRevision stays', async (t) => {
  const org = uniqueName('bad');
  const repo = createTestRepo();
  const good = repo.commit(orgDocs(org), 'add org');
  const sync = await started(t, repo.dir);
  const before = cond(statusOf('Team', org, 'platform'), 'Ready')!;
  const bad = repo.commit({ [`orgs/${org}/teams/broken.yaml`]: 'kind: Team\nmetadata: [unclosed\npassword: hunter2\n' }, 'bad');
  await sync.trigger('test');
  const s = statusOf('Team', org, 'platform');
  t.is(s.lastAppliedRevision, good);
  t.is(s.lastAttemptedRevision, bad);
  t.is(s.phase, 'Stalled');
  const ready = cond(s, 'Ready')!;
  t.is(ready.status, 'False');
  t.is(ready.reason, 'ValidationFailed');
  t.regex(ready.message, new RegExp(`orgs/${org}/teams/broken.yaml:\\d+:\\d+`));
  t.true(ready.message.length <= 1024);
  t.false(ready.message.includes('hunter2'));
  t.not(ready.lastTransitionTime, before.lastTransitionTime);
  t.is(cond(s, 'Stalled')?.status, 'True');
  t.is(cond(s, 'Reconciling')?.status, 'False');

  const fixed = repo.commit({ [`orgs/${org}/teams/broken.yaml`]: null }, 'fix');
  await sync.trigger('test');
  const healed = statusOf('Team', org, 'platform');
  t.is(cond(healed, 'Ready')?.status, 'True');
  t.is(cond(healed, 'Stalled')?.status, 'False');
  t.is(healed.lastAttemptedRevision, fixed);
  t.is(healed.lastAppliedRevision, fixed);
});

test.serial('a hand-deleted object shows in its owner status until self-heal brings it back', async (t) => {
  const org = uniqueName('heal');
  const repo = createTestRepo();
  repo.commit(orgDocs(org), 'add org');
  await started(t, repo.dir);
  const sa = { apiVersion: 'v1', kind: 'ServiceAccount', namespace: `kradle-org-${org}`, name: 'runner' };
  const saState = () => statusOf('AgentServiceAccount', org, 'runner').objects?.find((o) => o.kind === 'ServiceAccount');
  t.is(saState()?.health, 'Healthy');
  // Repairs fail for a while, so the missing object is visible in between (no race with self-heal).
  server.faults.failNext(1_000, { status: 500, method: 'PATCH', path: /serviceaccounts\/runner$/ });
  server.remove(sa);
  await until(() => saState()?.health === 'Missing', 'the owner to show the object missing');
  const s = statusOf('AgentServiceAccount', org, 'runner');
  t.is(saState()?.sync, 'Missing');
  t.is(cond(s, 'Ready')?.status, 'False');
  t.is(cond(s, 'Ready')?.reason, 'ObjectMissing');
  t.is(cond(s, 'Reconciling')?.status, 'True');
  server.faults.clear();
  await until(() => saState()?.health === 'Healthy', 'the owner to show the object back');
  t.truthy(server.object(sa));
  t.is(cond(statusOf('AgentServiceAccount', org, 'runner'), 'Ready')?.status, 'True');
});

test.serial('conditions set by another domain merge by type and survive the next pass', async (t) => {
  const org = uniqueName('ext');
  const repo = createTestRepo();
  repo.commit(orgDocs(org), 'add org');
  const sync = await started(t, repo.dir);
  const key = `Team/kradle-org-${org}/platform`;
  await sync.statusWriter.merge(key, { conditions: [
    { type: 'AdapterReady', status: 'True', reason: 'Resolved', message: 'adapter found' },
    { type: 'IdentityReady', status: 'False', reason: 'MissingIdentity', message: 'no service account' },
  ] });
  let s = statusOf('Team', org, 'platform');
  t.deepEqual(s.conditions?.map((c) => c.type), ['Ready', 'Reconciling', 'Stalled', 'AdapterReady', 'IdentityReady']);
  t.is(cond(s, 'Ready')?.reason, 'MissingIdentity', 'a False readiness condition makes Ready False');
  await sync.statusWriter.merge(key, { conditions: [{ type: 'IdentityReady', status: 'True', reason: 'Resolved', message: 'ok' }] });
  repo.commit({ [`orgs/${org}/teams/platform.yaml`]: orgDocs(org)[`orgs/${org}/teams/platform.yaml`]!.replace('Platform', 'Renamed') });
  await sync.trigger('test');
  s = statusOf('Team', org, 'platform');
  t.is(cond(s, 'AdapterReady')?.status, 'True', 'kept by the pass');
  t.is(cond(s, 'IdentityReady')?.status, 'True', 'merged by type');
  t.is(cond(s, 'Ready')?.status, 'True');
  t.deepEqual((await (await pglite!.store()).statuses.get(key))?.status.conditions, s.conditions, 'the stored status is the one written');
});

test.serial('plan-only mode records each status and says it is plan-only', async (t) => {
  const org = uniqueName('plan');
  const repo = createTestRepo();
  const rev = repo.commit(orgDocs(org), 'add org');
  const driver = createPlanOnlyDriver();
  await started(t, repo.dir, driver);
  const s = driver.plannedStatus(cr('Team', org, 'platform')) as Status | undefined;
  t.is(s?.phase, 'Planned');
  t.is(cond(s!, 'Ready')?.status, 'Unknown');
  t.is(cond(s!, 'Ready')?.reason, 'PlanOnly');
  t.is(s?.lastAttemptedRevision, rev);
  t.is(s?.lastAppliedRevision, undefined, 'nothing was applied');
  t.is((driver.plannedStatus(cr('RunnerPool', org, 'default')) as Status).objects?.[0]?.sync, 'Planned');
  t.false(driver.planned().some((o) => 'status' in o), 'planned objects stay manifests');
});

test.serial('a missing CRD (Kyverno) marks only the resources that need it', async (t) => {
  const org = uniqueName('kns');
  const repo = createTestRepo();
  repo.commit({
    ...orgDocs(org),
    'platform/policytemplates/no-latest.yaml': `apiVersion: ${GROUP}\nkind: PolicyTemplate\nmetadata:\n  name: no-latest\nspec:\n  displayName: No latest\n  targetKinds: [Pod]\n  kyverno:\n    rules:\n      - name: no-latest\n        match: {any: [{resources: {kinds: [Pod]}}]}\n`,
    [`orgs/${org}/policybindings/no-latest.yaml`]: `apiVersion: ${GROUP}\nkind: PolicyBinding\nmetadata:\n  name: no-latest\nspec:\n  organizationRef: ${org}\n  templateRef: no-latest\n  mode: audit\n`,
  }, 'policy without kyverno');
  const crds = crdsFor(['Organization', 'OrgNamespaceBinding', 'Team', 'AgentServiceAccount', 'RunnerPool', 'PolicyTemplate', 'PolicyBinding'], buildCrds());
  const sync = createTestSync({ repoDir: repo.dir, store: await pglite!.store(), driver: liveDriverFor(server), crds });
  t.teardown(() => sync.stop());
  await sync.start();
  await sync.trigger('test');
  const binding = statusOf('PolicyBinding', org, 'no-latest');
  t.is(cond(binding, 'Ready')?.status, 'False');
  t.is(cond(binding, 'Ready')?.reason, 'KindNotServed');
  t.regex(cond(binding, 'Ready')!.message, /kyverno\.io/);
  t.is(cond(binding, 'Stalled')?.status, 'True');
  t.is(binding.lastAppliedRevision, undefined, 'not everything it needs was applied');
  t.is(cond(statusOf('Team', org, 'platform'), 'Ready')?.status, 'True', 'the rest applies and is Ready');
});
