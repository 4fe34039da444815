import test, { type ExecutionContext } from 'ava';
import type { SyncController } from '../../src/reconcile/sync/index.ts';
import { createWorkspaceController, WORKSPACE_KIND } from '../../src/agents/workspaces/index.ts';
import { buildCrds, healthOf } from '../../src/cluster/index.ts';
import { createLoader } from '../../src/loader/index.ts';
import { createSyncController } from '../../src/reconcile/sync/index.ts';
import { createLeadership } from '../../src/server/leadership.ts';
import { createGitSource } from '../../src/source/index.ts';
import { createTestRepo } from '../support/git-repo.ts';
import { startKubeApiServer, type KubeApiServer } from '../support/kube-api-server/index.ts';
import { testDrivers } from '../support/store.ts';
import { createPlanOnlyDriver, createTestSync, crdsFor, liveDriverFor, orgDocs, quietLogger } from '../support/sync-harness.ts';

const [pglite] = testDrivers(test);
const CRDS = crdsFor(['Organization', 'OrgNamespaceBinding', 'Team', 'AgentServiceAccount', 'RunnerPool'], buildCrds());
const ns = (slug: string) => ({ apiVersion: 'v1', kind: 'Namespace', name: `kradle-org-${slug}` });
const team = (slug: string) => ({ apiVersion: 'kradle.a5c.ai/v1alpha1', kind: 'Team', namespace: `kradle-org-${slug}`, name: 'platform' });
const deployment = (slug: string) => ({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: `kradle-org-${slug}`, name: 'kradle-runner-default' });

let server: KubeApiServer;
test.before(async () => {
  server = await startKubeApiServer();
});
test.after.always(async () => {
  await server?.stop();
});

function track(t: ExecutionContext, sync: SyncController): SyncController {
  t.teardown(() => sync.stop());
  return sync;
}

async function until(check: () => boolean, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test.serial('a new org is applied, a removed team is pruned, a bad commit applies nothing', async (t) => {
  const store = await pglite!.store();
  const repo = createTestRepo();
  const first = repo.commit(orgDocs('alpha'), 'add alpha');
  const sync = track(t, createTestSync({ repoDir: repo.dir, store, driver: liveDriverFor(server), crds: CRDS }));
  await sync.start();
  await sync.trigger('test');
  t.is(sync.status().syncedRevision, first);
  t.truthy(server.object(ns('alpha')), 'namespace created');
  t.truthy(server.object(team('alpha')), 'Team custom resource created');
  t.is((server.object(deployment('alpha'))?.spec as { replicas: number }).replicas, 2);

  const second = repo.commit(orgDocs('beta'), 'add beta');
  await sync.trigger('test');
  t.truthy(server.object(ns('beta')));
  t.is(sync.status().syncedRevision, second);

  repo.commit({ 'orgs/alpha/teams/platform.yaml': null }, 'remove team');
  await sync.trigger('test');
  t.is(server.object(team('alpha')), undefined, 'removed team pruned');
  t.truthy(server.object(team('beta')), 'the other org keeps its team');
  const inventory = await store.inventory.list({ sourceKey: 'Team/kradle-org-alpha/platform' });
  t.deepEqual(inventory, []);
  const platform = await store.inventory.list({ sourceKey: 'kradle/platform' });
  t.true(platform.some((e) => e.target.kind === 'CustomResourceDefinition'));
  t.true(platform.every((e) => e.org === null), 'CRDs and the platform namespace belong to no org');

  const good = sync.status().syncedRevision;
  // Status writes (PATCH .../status) say the revision is invalid; nothing else may be written.
  const writes = () => server.requests.filter((r) => r.method !== 'GET' && !r.path.split('?')[0]!.endsWith('/status')).length;
  const requestsBefore = writes();
  const bad = repo.commit({
    'orgs/beta/runnerpools/default.yaml': orgDocs('beta')['orgs/beta/runnerpools/default.yaml']!.replace('warmReplicas: 2', 'warmReplicas: 9'),
    'orgs/beta/teams/broken.yaml': 'kind: Team\nmetadata: [unclosed\n',
  }, 'bad');
  await sync.trigger('test');
  const status = sync.status();
  t.is(status.syncedRevision, good, 'last good revision stays');
  t.is(status.lastAttemptedRevision, bad);
  t.is(status.lastOutcome, 'ValidationFailed');
  t.true(sync.lastError().length >= 2, 'every error reported');
  t.true(sync.lastError().every((e) => e.path && e.line));
  t.is(writes(), requestsBefore, 'nothing applied to the cluster');
  t.is((server.object(deployment('beta'))?.spec as { replicas: number }).replicas, 2);
  const runs = await store.syncRuns.list({ limit: 1 });
  t.is(runs[0]?.outcome, 'ValidationFailed');
  t.is(runs[0]?.revision, bad);
  await sync.stop();
});

test.serial('an object another resource takes over keeps one inventory row, under its new owner', async (t) => {
  const store = await pglite!.store();
  const repo = createTestRepo();
  repo.commit(orgDocs('iota'), 'add iota');
  const sync = track(t, createTestSync({ repoDir: repo.dir, store, driver: liveDriverFor(server), crds: CRDS }));
  await sync.start();
  await sync.trigger('test');
  const owners = async () =>
    (await store.inventory.list()).filter((e) => e.target.kind === 'OrgNamespaceBinding' && e.target.name === 'iota').map((e) => e.sourceKey);
  t.deepEqual(await owners(), ['Organization/kradle-system/iota'], 'the Organization records its binding');

  const binding = { apiVersion: 'kradle.a5c.ai/v1alpha1', kind: 'OrgNamespaceBinding', metadata: { name: 'iota' }, spec: { organizationRef: 'iota', namespace: 'kradle-org-iota' } };
  repo.commit({ 'orgs/iota/orgnamespacebinding.yaml': JSON.stringify(binding) }, 'declare the binding');
  await sync.trigger('test');
  t.deepEqual(await owners(), ['OrgNamespaceBinding/kradle-system/iota'], 'the declared binding takes the object over');

  repo.commit({ 'orgs/iota/orgnamespacebinding.yaml': null }, 'undeclare it');
  await sync.trigger('test');
  t.deepEqual(await owners(), ['Organization/kradle-system/iota'], 'and gives it back');
  t.truthy(server.object({ apiVersion: 'kradle.a5c.ai/v1alpha1', kind: 'OrgNamespaceBinding', namespace: 'kradle-system', name: 'iota' }));
});

test.serial('a hand edit is reverted and a hand-deleted object comes back', async (t) => {
  const store = await pglite!.store();
  const repo = createTestRepo();
  repo.commit(orgDocs('gamma'), 'add gamma');
  const sync = track(t, createTestSync({ repoDir: repo.dir, store, driver: liveDriverFor(server), crds: CRDS }));
  await sync.start();
  await sync.trigger('test');
  const live = server.object(deployment('gamma'))!;
  server.put({ ...live, spec: { ...(live.spec as object), replicas: 7 } }, 'kubectl-edit');
  await until(() => (server.object(deployment('gamma'))?.spec as { replicas: number }).replicas === 2, 'replicas reverted');
  t.pass('replicas reverted to the declared 2');
  server.remove({ apiVersion: 'v1', kind: 'ServiceAccount', namespace: 'kradle-org-gamma', name: 'runner' });
  server.remove(ns('gamma'));
  await until(() => Boolean(server.object({ apiVersion: 'v1', kind: 'ServiceAccount', namespace: 'kradle-org-gamma', name: 'runner' })), 'service account recreated');
  t.truthy(server.object(ns('gamma')), 'namespace recreated');
  await sync.stop();
});

test.serial('a status-only change is not drift (no re-apply), a hand-edited label is', async (t) => {
  const store = await pglite!.store();
  const repo = createTestRepo();
  repo.commit(orgDocs('eta'), 'add eta');
  const sync = track(t, createTestSync({ repoDir: repo.dir, store, driver: liveDriverFor(server), crds: CRDS }));
  await sync.start();
  await sync.trigger('test');
  const path = '/apis/apps/v1/namespaces/kradle-org-eta/deployments/kradle-runner-default';
  const patches = () => server.requests.filter((r) => r.method === 'PATCH' && r.path.split('?')[0] === path).length;
  await new Promise((r) => setTimeout(r, 500)); // let the watch deliver the events of the pass itself
  const before = patches();
  // A controller's status update (as kube-controller-manager writes as pods come and go), then a hand edit
  // of a label on the same object: the watch delivers both in order, so once the label is reverted the
  // status event has been handled too.
  server.setStatus(deployment('eta'), { replicas: 2, readyReplicas: 1, observedGeneration: 1 });
  type Meta = { labels: Record<string, string> };
  const orgLabel = () => (server.object(deployment('eta'))?.metadata as Meta | undefined)?.labels['kradle.a5c.ai/org'];
  const live = server.object(deployment('eta'))!;
  const meta = live.metadata as Meta;
  server.put({ ...live, metadata: { ...meta, labels: { ...meta.labels, 'kradle.a5c.ai/org': 'someone-else' } } }, 'kubectl-edit');
  await until(() => orgLabel() === 'eta', 'label reverted');
  t.is(patches() - before, 1, 'one re-apply: for the label, none for the status update');
  await sync.stop();
});

test.serial("a pass's own writes are not drift: an updated object is applied once, a pruned one stays gone", async (t) => {
  const store = await pglite!.store();
  const repo = createTestRepo();
  const docs = orgDocs('theta');
  repo.commit(docs, 'add theta');
  const sync = track(t, createTestSync({ repoDir: repo.dir, store, driver: liveDriverFor(server), crds: CRDS }));
  await sync.start();
  await sync.trigger('test');
  const path = '/apis/apps/v1/namespaces/kradle-org-theta/deployments/kradle-runner-default';
  const patches = () => server.requests.filter((r) => r.method === 'PATCH' && r.path.split('?')[0] === path).length;
  await new Promise((r) => setTimeout(r, 500));
  const before = patches();
  repo.commit({
    'orgs/theta/runnerpools/default.yaml': docs['orgs/theta/runnerpools/default.yaml']!.replace('warmReplicas: 2', 'warmReplicas: 3'),
    'orgs/theta/teams/platform.yaml': null,
  }, 'scale up, remove team');
  await sync.trigger('test');
  // The watch delivers the pass's own update and delete; neither may be repaired with the previous revision.
  await new Promise((r) => setTimeout(r, 1000));
  t.is(patches() - before, 1, 'the pass applied the Deployment once; no repair followed');
  t.is((server.object(deployment('theta'))?.spec as { replicas: number }).replicas, 3);
  t.is(server.object(team('theta')), undefined, 'the pruned team was not brought back');
  await sync.stop();
});

test.serial('a revision that declares nothing prunes nothing unless allowEmpty is set', async (t) => {
  const store = await pglite!.store();
  const repo = createTestRepo();
  const docs = orgDocs('iota');
  const good = repo.commit(docs, 'add iota');
  const sync = track(t, createTestSync({ repoDir: repo.dir, store, driver: liveDriverFor(server), crds: CRDS }));
  await sync.start();
  await sync.trigger('test');
  // As a mistyped path or a bad merge would: every document gone at once.
  const empty = repo.commit(Object.fromEntries(Object.keys(docs).map((path) => [path, null])), 'remove everything');
  await sync.trigger('test');
  t.is(sync.status().lastOutcome, 'ValidationFailed');
  t.is(sync.status().lastAttemptedRevision, empty);
  t.is(sync.status().syncedRevision, good, 'the last good revision stays applied');
  t.deepEqual(sync.lastError().map((e) => e.code), ['EMPTY_REVISION']);
  t.truthy(server.object(ns('iota')), 'nothing pruned');
  t.truthy(server.object(team('iota')));
  await sync.stop();

  const allowing = track(t, createTestSync({ repoDir: repo.dir, store, driver: liveDriverFor(server), crds: CRDS, allowEmpty: true }));
  await allowing.start();
  await allowing.trigger('test');
  t.is(allowing.status().lastOutcome, 'Succeeded');
  t.is(server.object(team('iota')), undefined, 'asked for: the empty revision prunes');
  await allowing.stop();
});

test.serial('an object of a document annotated kradle.a5c.ai/prune: disabled is left in place, not deleted', async (t) => {
  const store = await pglite!.store();
  const repo = createTestRepo();
  const docs = orgDocs('kappa');
  const path = 'orgs/kappa/teams/platform.yaml';
  repo.commit({ ...docs, [path]: docs[path]!.replace('  name: platform\n', '  name: platform\n  annotations:\n    kradle.a5c.ai/prune: disabled\n') }, 'add kappa');
  const sync = track(t, createTestSync({ repoDir: repo.dir, store, driver: liveDriverFor(server), crds: CRDS }));
  await sync.start();
  await sync.trigger('test');
  t.is((server.object(team('kappa'))?.metadata as { annotations?: Record<string, string> }).annotations?.['kradle.a5c.ai/prune'], 'disabled');
  repo.commit({ [path]: null }, 'remove the team');
  await sync.trigger('test');
  t.is(sync.status().lastOutcome, 'Succeeded');
  t.truthy(server.object(team('kappa')), 'left in the cluster');
  t.deepEqual(await store.inventory.list({ sourceKey: 'Team/kradle-org-kappa/platform' }), [], 'and no longer tracked');
  const [run] = await store.syncRuns.list({ limit: 1 });
  t.like(run?.counts, { pruned: 0, keptOnPrune: 1 });
  const skipped = (await store.events.since(0)).filter((e) => e.type === 'PruneSkipped');
  t.is(skipped.length, 1);
  await sync.stop();
});

test.serial('prune never deletes a workspace PVC: the pool\'s claims survive every pass, and a claim a runtime workspace took over outlives its config resource', async (t) => {
  const store = await pglite!.store();
  const repo = createTestRepo();
  const ns = 'kradle-org-mu';
  const crds = crdsFor(['Organization', 'OrgNamespaceBinding', 'Team', 'AgentServiceAccount', 'RunnerPool', 'Repository', 'KradleWorkspace', 'KradleWorkspacePolicy'], buildCrds());
  const doc = (kind: string, name: string, spec: string) => `apiVersion: kradle.a5c.ai/v1alpha1\nkind: ${kind}\nmetadata:\n  name: ${name}\nspec:\n  organizationRef: mu\n${spec}`;
  const review = 'orgs/mu/kradleworkspaces/review.yaml';
  repo.commit({
    ...orgDocs('mu'),
    'orgs/mu/repositories/api.yaml': doc('Repository', 'api', '  visibility: private\n'),
    'orgs/mu/kradleworkspacepolicies/warm.yaml': doc('KradleWorkspacePolicy', 'warm', '  mode: worktree\n  retentionPolicy: {}\n  warmPool: 1\n  volumeSpec: { size: 1Gi }\n'),
    [review]: doc('KradleWorkspace', 'review', '  repository: api\n  volumeSpec: { size: 1Gi }\n'),
  }, 'add mu');
  const driver = liveDriverFor(server);
  let sync = track(t, createTestSync({ repoDir: repo.dir, store, driver, crds }));
  await sync.start();
  await sync.trigger('test');
  const workspaces = createWorkspaceController({ store, driver, desired: () => sync.current(), resyncMs: 3_600_000 });
  t.teardown(() => workspaces.stop());
  await workspaces.start();
  const claim = (name: string) => server.object({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace: ns, name });
  const pooled = async () => (await store.resources.list(WORKSPACE_KIND, { namespace: ns })).items.map((w) => String(w.status.pvcName));
  let pool: string[] = [];
  await until(() => (void pooled().then((p) => (pool = p)), pool.length === 1 && claim(pool[0]!) !== undefined), 'the warm workspace\'s PVC');
  t.is((claim(pool[0]!)!.metadata as { labels: Record<string, string> }).labels['app.kubernetes.io/managed-by'], 'kradle', 'labelled like the objects prune owns');
  t.true(pool[0]!.startsWith('kradle-rws-'), 'a runtime claim name no config KradleWorkspace (kradle-ws-<name>) can produce');
  t.deepEqual(await store.inventory.list({ sourceKey: `KradleWorkspace/${ns}/${pool[0]!.slice('kradle-rws-'.length)}` }), [], 'and never in the inventory');

  // While no controller leads, a runtime workspace takes over the claim of the config one (same claim name):
  // it is that workspace's volume now. The next leader's pass prunes the config resource.
  await sync.stop();
  const taken = claim('kradle-ws-review')!;
  const meta = taken.metadata as { labels: Record<string, string>; annotations: Record<string, string> };
  const { 'kradle.a5c.ai/source': _source, ...annotations } = meta.annotations;
  server.put({ ...taken, metadata: { ...meta, annotations, labels: { ...meta.labels, 'kradle.a5c.ai/owner': 'KradleWorkspaceRuntime.review' } } }, 'kradle-workspaces');
  repo.commit({ [review]: null, 'orgs/mu/teams/platform.yaml': null }, 'remove the workspace and the team');
  sync = track(t, createTestSync({ repoDir: repo.dir, store, driver, crds }));
  await sync.start();
  await sync.trigger('test');
  t.is(sync.status().lastOutcome, 'Succeeded');
  t.is(server.object(team('mu')), undefined, 'prune still deletes what it owns');
  t.truthy(claim('kradle-ws-review'), 'the taken-over claim is left in place');
  t.truthy(claim(pool[0]!), 'the pool\'s claim is untouched by a full pass');
  t.deepEqual(await store.inventory.list({ sourceKey: `KradleWorkspace/${ns}/review` }), [], 'and forgotten by the inventory');
  // The leader's start queued a pass of its own: the prune is in one of the last two runs.
  t.deepEqual((await store.syncRuns.list({ limit: 2 })).map((r) => r.counts.keptOnPrune ?? 0).sort(), [0, 1]);
  const skipped = (await store.events.since(0)).filter((e) => e.type === 'PruneSkipped').at(-1)?.payload as { kept: { name: string; reason: string }[] };
  t.like(skipped.kept[0], { name: 'kradle-ws-review', reason: 'NotOwned' });
  await sync.trigger('again');
  t.truthy(claim('kradle-ws-review'));
  t.truthy(claim(pool[0]!));

  // A config KradleWorkspace named like the runtime one gets a claim of its own; its prune leaves the runtime claim.
  const runtimeName = pool[0]!.slice('kradle-rws-'.length);
  const twin = `orgs/mu/kradleworkspaces/${runtimeName}.yaml`;
  repo.commit({ [twin]: doc('KradleWorkspace', runtimeName, '  repository: api\n  volumeSpec: { size: 2Gi }\n') }, 'a config workspace named like the runtime one');
  await sync.trigger('twin');
  t.like(claim(`kradle-ws-${runtimeName}`), { spec: { resources: { requests: { storage: '2Gi' } } } }, 'the config workspace has a claim of its own');
  t.like(claim(pool[0]!), { spec: { resources: { requests: { storage: '1Gi' } } } }, 'the runtime claim is untouched');
  repo.commit({ [twin]: null }, 'remove the config workspace');
  await sync.trigger('twin removed');
  t.is(claim(`kradle-ws-${runtimeName}`), undefined, 'the config claim is pruned');
  t.truthy(claim(pool[0]!), 'the runtime claim survives the prune');
});

test.serial('a controller that leads again after another one announced diffs its resource events against that announcement', async (t) => {
  const store = await pglite!.store();
  const repo = createTestRepo();
  const docs = orgDocs('nu');
  const path = 'orgs/nu/teams/platform.yaml';
  const rename = (name: string) => repo.commit({ [path]: docs[path]!.replace('displayName: Platform', `displayName: ${name}`) }, `rename to ${name}`);
  repo.commit(docs, 'add nu');
  const loader = createLoader();
  const first = createSyncController({
    source: createGitSource({ url: repo.dir, ref: 'main' }), load: (snap) => loader.load(snap), store, driver: liveDriverFor(server),
    healthOf: (obj) => healthOf(obj), logger: quietLogger, crds: CRDS, pollIntervalMs: 3_600_000, resyncIntervalMs: 3_600_000,
  });
  t.teardown(() => first.stop());
  const lead = async () => {
    const leadership = createLeadership({ store, logger: quietLogger });
    leadership.register(first.leaderWork);
    await leadership.start();
    t.teardown(() => leadership.close());
    return leadership;
  };
  await first.start();
  const firstTerm = await lead();
  await first.trigger('test');
  t.true(first.status().leader);
  await firstTerm.close();

  // Another controller leads meanwhile and announces a change of the team.
  const second = track(t, createTestSync({ repoDir: repo.dir, store, driver: liveDriverFor(server), crds: CRDS }));
  const secondRename = rename('Platform Two');
  await second.start();
  await second.trigger('test');
  t.true(second.status().leader);
  await second.stop();

  const third = rename('Platform Three');
  await lead();
  await first.trigger('test');
  t.true(first.status().leader);
  const changed = (await store.events.since(0, { org: 'nu', limit: 10_000 })).filter((e) => e.type === 'ResourceChanged' && e.kind === 'Team');
  t.deepEqual(changed.map((e) => e.payload as { revision: string; previousRevision: string }).map((p) => [p.revision, p.previousRevision]).slice(-1), [[third, secondRename]],
    'the change is told against what the other leader announced, not what this one remembered');
});

test.serial('a controller restarted on an invalid revision serves and guards the last good one', async (t) => {
  const store = await pglite!.store();
  const repo = createTestRepo();
  const good = repo.commit(orgDocs('lambda'), 'add lambda');
  const first = track(t, createTestSync({ repoDir: repo.dir, store, driver: liveDriverFor(server), crds: CRDS }));
  await first.start();
  await first.trigger('test');
  await first.stop();
  const bad = repo.commit({ 'orgs/lambda/teams/broken.yaml': 'kind: Team\nmetadata: [unclosed\n' }, 'bad');

  const second = track(t, createTestSync({ repoDir: repo.dir, store, driver: liveDriverFor(server), crds: CRDS }));
  await second.start();
  await second.trigger('test');
  const status = second.status();
  t.is(status.lastOutcome, 'ValidationFailed');
  t.is(status.lastAttemptedRevision, bad);
  t.is(status.syncedRevision, good, 'the last good revision, from the sync history');
  t.true(second.lastError().length > 0, 'the errors are those of the invalid revision');
  t.truthy(second.current()?.get('Team', 'lambda', 'platform'), 'reads serve the last good revision, not nothing');
  const sa = { apiVersion: 'v1', kind: 'ServiceAccount', namespace: 'kradle-org-lambda', name: 'runner' };
  server.remove(sa);
  await until(() => Boolean(server.object(sa)), 'a hand-deleted object of the last good revision recreated');
  t.pass();
  await second.stop();
});

test.serial('a pass that throws part-way records its run as Failed, not Running forever', async (t) => {
  const store = await pglite!.store();
  const repo = createTestRepo();
  const revision = repo.commit(orgDocs('mu'), 'add mu');
  let failures = 1;
  const bound = (target: object, prop: string | symbol) => {
    const v = Reflect.get(target, prop);
    return typeof v === 'function' ? v.bind(target) : v;
  };
  // The database goes away once, between the load and the plan.
  const inventory = new Proxy(store.inventory, {
    get: (inv, prop) => (prop === 'list' && failures-- > 0 ? async () => { throw new Error('connection to the database lost'); } : bound(inv, prop)),
  });
  const flaky = new Proxy(store, { get: (target, prop) => (prop === 'inventory' ? inventory : bound(target, prop)) });
  const sync = track(t, createTestSync({ repoDir: repo.dir, store: flaky, driver: liveDriverFor(server), crds: CRDS }));
  await sync.start();
  await sync.trigger('test').catch(() => undefined);
  while (sync.status().lastOutcome !== 'Succeeded') await sync.trigger('retry').catch(() => undefined);
  const runs = (await store.syncRuns.list({ limit: 50 })).filter((r) => r.revision === revision).reverse();
  t.like(runs[0], { outcome: 'Failed' });
  t.is(runs[0]!.errors[0]?.code, 'SYNC_ERROR');
  t.truthy(runs[0]!.finishedAt);
  t.false(runs.some((r) => r.outcome === 'Running'), 'no run left Running');
  await sync.stop();
});

test.serial('API server errors: the sync backs off and converges', async (t) => {
  const store = await pglite!.store();
  const repo = createTestRepo();
  repo.commit(orgDocs('delta'), 'add delta');
  const sync = track(t, createTestSync({ repoDir: repo.dir, store, driver: liveDriverFor(server), crds: CRDS }));
  server.faults.failNext(5, { status: 500, method: 'PATCH' });
  const revision = repo.head();
  await sync.start();
  await sync.trigger('test');
  while (sync.status().lastOutcome !== 'Succeeded') await sync.trigger('retry');
  const outcomes = (await store.syncRuns.list({ limit: 50 })).filter((r) => r.revision === revision).map((r) => r.outcome).reverse();
  t.not(outcomes[0], 'Succeeded', 'the first pass saw the faults');
  t.true(outcomes[0] === 'PartiallyApplied' || outcomes[0] === 'Failed');
  t.is(outcomes.at(-1), 'Succeeded');
  t.truthy(server.object(deployment('delta')));
  await sync.stop();
});

test.serial('a controller killed mid-sync converges after restart with no duplicate creates', async (t) => {
  const store = await pglite!.store();
  const repo = createTestRepo();
  repo.commit(orgDocs('epsilon'), 'add epsilon');
  const first = track(t, createTestSync({ repoDir: repo.dir, store, driver: liveDriverFor(server), crds: CRDS }));
  // The pass dies part-way: namespaces and RBAC land, the workloads and custom resources do not.
  server.faults.failNext(1000, { status: 500, method: 'PATCH', path: /deployments|teams|runnerpools/ });
  await first.start();
  await first.trigger('test');
  await first.stop();
  server.faults.clear();
  const posts = () => server.requests.filter((r) => r.method === 'POST').length;
  const before = posts();
  const second = track(t, createTestSync({ repoDir: repo.dir, store, driver: liveDriverFor(server), crds: CRDS }));
  await second.start();
  await second.trigger('test');
  t.is(second.status().lastOutcome, 'Succeeded');
  t.truthy(server.object(deployment('epsilon')));
  t.is(posts(), before, 'server-side apply only: no create that could duplicate');
  t.is(server.objects('apps/v1', 'Deployment', 'kradle-org-epsilon').length, 1);
  await second.stop();
});

test.serial('plan-only mode records the same objects the live driver applies', async (t) => {
  const store = await pglite!.store();
  const repo = createTestRepo();
  repo.commit(orgDocs('zeta'), 'add zeta');
  const planOnly = createPlanOnlyDriver();
  const sync = track(t, createTestSync({ repoDir: repo.dir, store, driver: planOnly, crds: CRDS }));
  await sync.start();
  await sync.trigger('test');
  t.is(sync.status().mode, 'plan-only');
  const planned = planOnly.planned().filter((o) => o.metadata.namespace === 'kradle-org-zeta' || o.metadata.name === 'kradle-org-zeta');
  t.true(planned.length >= 5);
  await sync.stop();
  const live = track(t, createTestSync({ repoDir: repo.dir, store: await pglite!.store(), driver: liveDriverFor(server), crds: CRDS }));
  await live.start();
  await live.trigger('test');
  for (const obj of planned) {
    t.truthy(server.object({ apiVersion: obj.apiVersion, kind: obj.kind, namespace: obj.metadata.namespace, name: obj.metadata.name }), `${obj.kind}/${obj.metadata.name}`);
  }
  const entries = await store.inventory.list({ org: 'zeta' });
  t.true(entries.length > 0);
  await sync.stop();
  await live.stop();
});

test.serial('a pass announcing more resources than one statement holds records every one, and a later removal of them all', async (t) => {
  const store = await pglite!.store();
  const repo = createTestRepo();
  const teamFile = (i: number) => `orgs/many/teams/t-${i}.yaml`;
  const teams = Object.fromEntries(Array.from({ length: 1_050 }, (_, i) => [teamFile(i),
    `apiVersion: kradle.a5c.ai/v1alpha1\nkind: Team\nmetadata: {name: t-${i}}\nspec: {organizationRef: many, displayName: T ${i}}\n`]));
  repo.commit({ ...orgDocs('many'), ...teams }, 'add many teams');
  const announcedTeams = async () => (await store.query<{ n: number }>("SELECT count(*)::int AS n FROM announced_resources WHERE kind = 'Team'"))[0]!.n;
  const sync = track(t, createTestSync({ repoDir: repo.dir, store, driver: createPlanOnlyDriver(), crds: CRDS }));
  await sync.start();
  await sync.trigger('test');
  t.is(await announcedTeams(), 1_051, 'every team recorded as announced (the org has one of its own)');
  const created = (await store.events.since(0, { org: 'many', limit: 100_000 })).filter((e) => e.type === 'ResourceCreated' && e.kind === 'Team');
  t.is(created.length, 1_051);

  repo.commit(Object.fromEntries(Object.keys(teams).map((path) => [path, null])), 'remove them');
  await sync.trigger('test');
  t.is(await announcedTeams(), 1, 'every removed team left the announcement');
  const deleted = (await store.events.since(0, { org: 'many', limit: 100_000 })).filter((e) => e.type === 'ResourceDeleted' && e.kind === 'Team');
  t.is(deleted.length, 1_050);
});
