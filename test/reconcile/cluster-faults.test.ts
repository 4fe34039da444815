// The sync engine against a cluster that misbehaves the way real ones do: every scenario ends converged or
// with a status naming the object and the reason, with bounded retries and back-off.
import test, { type ExecutionContext } from 'ava';
import { buildCrds, createLiveDriver } from '../../src/cluster/index.ts';
import type { SyncController } from '../../src/reconcile/sync/index.ts';
import { createTestRepo } from '../support/git-repo.ts';
import { startKubeApiServer, type KubeApiServer } from '../support/kube-api-server/index.ts';
import type { JsonObject } from '../support/kube-api-server/fields.ts';
import { testDrivers } from '../support/store.ts';
import { createTestSync, crdsFor, liveDriverFor, orgDocs } from '../support/sync-harness.ts';

const [pglite] = testDrivers(test);
const CRDS = crdsFor(['Organization', 'OrgNamespaceBinding', 'Team', 'AgentServiceAccount', 'RunnerPool'], buildCrds());
const GROUP = 'kradle.a5c.ai/v1alpha1';
const team = (slug: string) => ({ apiVersion: GROUP, kind: 'Team', namespace: `kradle-org-${slug}`, name: 'platform' });
const pool = (slug: string) => ({ apiVersion: GROUP, kind: 'RunnerPool', namespace: `kradle-org-${slug}`, name: 'default' });
const deployment = (slug: string) => ({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: `kradle-org-${slug}`, name: 'kradle-runner-default' });
const serviceAccount = (slug: string) => ({ apiVersion: 'v1', kind: 'ServiceAccount', namespace: `kradle-org-${slug}`, name: 'runner' });
const asa = (slug: string) => ({ apiVersion: GROUP, kind: 'AgentServiceAccount', namespace: `kradle-org-${slug}`, name: 'runner' });
const deploymentPath = (slug: string) => `/apis/apps/v1/namespaces/kradle-org-${slug}/deployments/kradle-runner-default`;
const teamPath = (slug: string) => `/apis/kradle.a5c.ai/v1alpha1/namespaces/kradle-org-${slug}/teams/platform`;
const replicas = (server: KubeApiServer, slug: string) => (server.object(deployment(slug))?.spec as { replicas?: number } | undefined)?.replicas;

type Condition = { type: string; status: string; reason: string; message: string };
const statusOf = (server: KubeApiServer, ref: ReturnType<typeof pool>) =>
  server.object(ref)?.status as { conditions?: Condition[]; lastAppliedRevision?: string; lastAttemptedRevision?: string } | undefined;
const ready = (server: KubeApiServer, ref: ReturnType<typeof pool>) => statusOf(server, ref)?.conditions?.find((c) => c.type === 'Ready');

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(check: () => boolean, what: string, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await sleep(25);
  }
}

/** A pass that never finishes fails the test instead of hanging it. */
async function finishes<T>(p: Promise<T>, what: string, ms = 60_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} never finished`)), ms)));
  try {
    return await Promise.race([p, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

async function serverFor(t: ExecutionContext): Promise<KubeApiServer> {
  const server = await startKubeApiServer();
  t.teardown(() => server.stop());
  return server;
}

function track(t: ExecutionContext, server: KubeApiServer, sync: SyncController): SyncController {
  // Held requests are let go first, or stopping would wait for a pass stuck on one.
  t.teardown(async () => {
    server.faults.clear();
    await sync.stop();
  });
  return sync;
}

async function runsOf(revision: string) {
  const store = await pglite!.store();
  return (await store.syncRuns.list({ limit: 100 })).filter((r) => r.revision === revision).reverse();
}

test.serial('422 Invalid for one object: the rest is applied, the status names the object and the field', async (t) => {
  const server = await serverFor(t);
  const store = await pglite!.store();
  const repo = createTestRepo();
  const revision = repo.commit(orgDocs('inv'), 'add inv');
  server.faults.failNext(2, {
    status: 422, method: 'PATCH', path: '/api/v1/namespaces/kradle-org-inv/serviceaccounts/runner',
    message: 'ServiceAccount "runner" is invalid: imagePullSecrets[0].name: Invalid value: "hunter2"',
    causes: [{ reason: 'FieldValueInvalid', message: 'Invalid value: "hunter2": must be a DNS subdomain', field: 'imagePullSecrets[0].name' }],
  });
  const sync = track(t, server, createTestSync({ repoDir: repo.dir, store, driver: liveDriverFor(server), crds: CRDS }));
  await sync.start();
  await sync.trigger('test');
  t.true((await runsOf(revision)).every((r) => r.outcome === 'PartiallyApplied'));
  t.truthy(server.object(team('inv')), 'the other objects are applied');
  t.truthy(server.object(deployment('inv')));
  t.is(server.object(serviceAccount('inv')), undefined);
  const cond = ready(server, asa('inv'));
  t.is(cond?.status, 'False');
  t.is(cond?.reason, 'ApplyFailed');
  t.regex(cond?.message ?? '', /ServiceAccount kradle-org-inv\/runner/);
  t.regex(cond?.message ?? '', /imagePullSecrets\[0\]\.name/, 'the status names the field');
  t.notRegex(cond?.message ?? '', /hunter2/, 'but not the value');
  t.not(statusOf(server, asa('inv'))?.lastAppliedRevision, revision, 'a half-applied revision is not the applied one');

  await sync.trigger('retry');
  t.truthy(server.object(serviceAccount('inv')), 'the next pass applies it');
  t.is(ready(server, asa('inv'))?.status, 'True');
  t.is(statusOf(server, asa('inv'))?.lastAppliedRevision, revision);
  t.is((await runsOf(revision)).at(-1)?.outcome, 'Succeeded');
});

test.serial('429 Too Many Requests with Retry-After: the request is retried after the delay, the pass succeeds', async (t) => {
  const server = await serverFor(t);
  const store = await pglite!.store();
  const repo = createTestRepo();
  const revision = repo.commit(orgDocs('busy'), 'add busy');
  server.faults.failNext(2, { status: 429, method: 'PATCH', path: '/apis/apps/v1/', retryAfterSeconds: 1, message: 'Too many requests, please try again later.' });
  const sync = track(t, server, createTestSync({ repoDir: repo.dir, store, driver: liveDriverFor(server), crds: CRDS }));
  await sync.start();
  await sync.trigger('test');
  const outcomes = (await runsOf(revision)).map((r) => r.outcome);
  t.true(outcomes.every((o) => o === 'Succeeded'), outcomes.join());
  t.is(replicas(server, 'busy'), 2);
  const patches = server.requests.filter((r) => r.method === 'PATCH' && r.path.startsWith(deploymentPath('busy')) && !r.path.includes('/status'));
  t.true(patches.length >= 3, 'two throttled attempts, then the one that landed');
});

test.serial('a request that never answers in the middle of a prune times out: the pass finishes, the next one converges', async (t) => {
  const server = await serverFor(t);
  const store = await pglite!.store();
  const repo = createTestRepo();
  repo.commit(orgDocs('hang'), 'add hang');
  const driver = createLiveDriver({ kubeConfig: server.kubeConfig, requestTimeoutMs: 1_000 });
  const sync = track(t, server, createTestSync({ repoDir: repo.dir, store, driver, crds: CRDS }));
  await sync.start();
  await sync.trigger('test');
  const removed = repo.commit({ 'orgs/hang/teams/platform.yaml': null }, 'remove the team');
  const stalled = server.faults.hold({ method: 'DELETE', path: teamPath('hang') });
  await finishes(sync.trigger('test'), 'a pass whose DELETE hangs');
  const [run] = await runsOf(removed);
  t.is(run?.outcome, 'PartiallyApplied');
  t.true(run?.errors.some((e) => e.code === 'PRUNE_FAILED' && e.message.includes('Team/kradle-org-hang/platform')), JSON.stringify(run?.errors));
  t.is((await store.inventory.list({ sourceKey: 'Team/kradle-org-hang/platform' })).length, 1, 'still tracked: the prune is retried');
  t.true(stalled.held() >= 1);
  stalled.release();
  await finishes(sync.trigger('retry'), 'the next pass');
  t.is(server.object(team('hang')), undefined);
  t.deepEqual(await store.inventory.list({ sourceKey: 'Team/kradle-org-hang/platform' }), []);
  t.is((await runsOf(removed)).at(-1)?.outcome, 'Succeeded');
});

test.serial('a watch answered 410 Gone over and over backs off instead of re-listing in a tight loop', async (t) => {
  const server = await serverFor(t);
  const store = await pglite!.store();
  const repo = createTestRepo();
  repo.commit(orgDocs('gone'), 'add gone');
  const sync = track(t, server, createTestSync({ repoDir: repo.dir, store, driver: liveDriverFor(server), crds: CRDS }));
  await sync.start();
  await sync.trigger('test');
  await until(() => server.openWatches() >= 5, 'the owned kinds watched');
  const lists = () => server.requests.filter((r) => r.method === 'GET' && r.path.includes('labelSelector') && !r.path.includes('watch=true')).length;
  server.faults.expireNextWatches(1_000_000);
  const before = lists();
  server.faults.dropWatches();
  await sleep(3_000);
  const relists = lists() - before;
  // Backing off (200 ms doubling) allows a handful per watched kind; a tight loop makes thousands.
  t.true(relists < 100, `${relists} re-lists in 3 s`);
  server.faults.clear();
  // The watches recover once the server does: self-heal works again.
  await until(() => server.openWatches() >= 5, 'watches re-established', 60_000);
  const live = server.object(deployment('gone'))!;
  server.put({ ...live, spec: { ...(live.spec as object), replicas: 9 } }, 'kubectl-edit');
  await until(() => replicas(server, 'gone') === 2, 'the hand edit reverted', 60_000);
  t.pass();
});

test.serial('an object edited by hand in a tight loop: self-heal backs off rather than fight at full speed', async (t) => {
  const server = await serverFor(t);
  const store = await pglite!.store();
  const repo = createTestRepo();
  repo.commit(orgDocs('fight'), 'add fight');
  const sync = track(t, server, createTestSync({ repoDir: repo.dir, store, driver: liveDriverFor(server), crds: CRDS }));
  await sync.start();
  await sync.trigger('test');
  await until(() => server.openWatches() >= 5, 'the owned kinds watched');
  const patches = () => server.requests.filter((r) => r.method === 'PATCH' && r.path.split('?')[0] === deploymentPath('fight')).length;
  const before = patches();
  // Another controller (or a script) that puts its value back every time Kradle reverts it.
  let edits = 0;
  const fightUntil = Date.now() + 3_000;
  while (Date.now() < fightUntil) {
    if (replicas(server, 'fight') !== 7) {
      const live = server.object(deployment('fight'))!;
      server.put({ ...live, spec: { ...(live.spec as object), replicas: 7 } }, 'other-controller');
      edits++;
    }
    await sleep(5);
  }
  const repairs = patches() - before;
  t.true(repairs >= 1, 'drift is repaired');
  t.true(repairs < 25, `${repairs} repairs against ${edits} edits in 3 s`);
  // Once the other writer stops, the object converges.
  await until(() => replicas(server, 'fight') === 2, 'replicas back to the declared 2', 120_000);
  t.pass();
});

test.serial('a failed status write is retried by the next pass, even when nothing changed', async (t) => {
  const server = await serverFor(t);
  const store = await pglite!.store();
  const repo = createTestRepo();
  repo.commit(orgDocs('stw'), 'add stw');
  server.faults.failNext(1, { status: 500, method: 'PATCH', path: /\/teams\/platform\/status$/ });
  const sync = track(t, server, createTestSync({ repoDir: repo.dir, store, driver: liveDriverFor(server), crds: CRDS }));
  await sync.start();
  await sync.trigger('test');
  t.truthy(server.object(team('stw')));
  await sync.trigger('resync');
  const writes = server.requests.filter((r) => r.method === 'PATCH' && r.path.split('?')[0] === `${teamPath('stw')}/status`).length;
  t.true(writes >= 2, 'the failed write and its retry');
  await until(() => ready(server, team('stw')) !== undefined, 'the status written');
  t.is(ready(server, team('stw'))?.status, 'True');
});

test.serial('a discovery error is not mistaken for a kind the cluster does not serve', async (t) => {
  const server = await serverFor(t);
  const store = await pglite!.store();
  const repo = createTestRepo();
  const revision = repo.commit(orgDocs('disc'), 'add disc');
  server.faults.failNext(1, { status: 503, method: 'GET', path: /^\/apis\/apps\/v1$/, message: 'the server is currently unable to handle the request' });
  const sync = track(t, server, createTestSync({ repoDir: repo.dir, store, driver: liveDriverFor(server), crds: CRDS }));
  await sync.start();
  await sync.trigger('test');
  const runs = await runsOf(revision);
  t.false(runs.some((r) => r.errors.some((e) => e.code === 'KIND_NOT_SERVED')), JSON.stringify(runs.map((r) => r.errors)));
  t.not(ready(server, pool('disc'))?.reason, 'KindNotServed');
  await sync.trigger('retry');
  t.truthy(server.object(deployment('disc')));
  t.is((await runsOf(revision)).at(-1)?.outcome, 'Succeeded');
});

test.serial('an object replaced between the prune\'s read and its DELETE is not deleted: the pass succeeds, the next one looks again', async (t) => {
  const server = await serverFor(t);
  const store = await pglite!.store();
  const repo = createTestRepo();
  repo.commit(orgDocs('swap'), 'add swap');
  const sync = track(t, server, createTestSync({ repoDir: repo.dir, store, driver: liveDriverFor(server), crds: CRDS }));
  await sync.start();
  await sync.trigger('test');
  const ours = server.object(team('swap'))!;
  const removed = repo.commit({ 'orgs/swap/teams/platform.yaml': null }, 'remove the team');
  // The prune has read our team and its DELETE waits at the server...
  const slow = server.faults.hold({ method: 'DELETE', path: teamPath('swap') });
  const pass = sync.trigger('test');
  await until(() => slow.held() === 1, 'the prune under way');
  // ...while someone deletes it and creates another of the same name, with no marks of ours.
  server.remove(team('swap'));
  const { uid: _u, resourceVersion: _r, managedFields: _m, labels: _l, annotations: _a, ...meta } = ours.metadata as JsonObject;
  const theirs = server.put({ ...ours, metadata: meta }, 'someone-else');
  slow.release();
  await finishes(pass, 'the pass');
  t.is((server.object(team('swap'))?.metadata as { uid?: string } | undefined)?.uid, (theirs.metadata as { uid: string }).uid, 'the replacement survives');
  const [run] = await runsOf(removed);
  t.is(run?.outcome, 'Succeeded', JSON.stringify(run?.errors));
  t.is((await store.inventory.list({ sourceKey: 'Team/kradle-org-swap/platform' })).length, 1, 'still tracked: looked at again');

  await finishes(sync.trigger('retry'), 'the next pass');
  t.truthy(server.object(team('swap')), 'not ours: left in place');
  t.deepEqual(await store.inventory.list({ sourceKey: 'Team/kradle-org-swap/platform' }), [], 'and forgotten');
});

test.serial('a repair in flight when a pass prunes its object does not bring the object back', async (t) => {
  const server = await serverFor(t);
  const store = await pglite!.store();
  const repo = createTestRepo();
  repo.commit(orgDocs('race'), 'add race');
  const sync = track(t, server, createTestSync({ repoDir: repo.dir, store, driver: liveDriverFor(server), crds: CRDS }));
  await sync.start();
  await sync.trigger('test');
  await until(() => server.openWatches() >= 5, 'the owned kinds watched');
  // The repair's apply reaches a slow server and waits there...
  const slow = server.faults.hold({ method: 'PATCH', path: new RegExp(`${teamPath('race')}$`) });
  const live = server.object(team('race'))!;
  const meta = live.metadata as { labels: Record<string, string> };
  server.put({ ...live, metadata: { ...meta, labels: { ...meta.labels, 'kradle.a5c.ai/org': 'someone-else' } } }, 'kubectl-edit');
  await until(() => slow.held() === 1, 'the repair under way');
  // ...while a pass prunes the object.
  repo.commit({ 'orgs/race/teams/platform.yaml': null }, 'remove the team');
  const pass = sync.trigger('test');
  const deletes = () => server.requests.filter((r) => r.method === 'DELETE' && r.path.split('?')[0] === teamPath('race')).length;
  await until(() => deletes() > 0, 'the prune', 3_000).catch(() => undefined);
  slow.release();
  await finishes(pass, 'the pass');
  await until(() => server.object(team('race')) !== undefined, 'a repair bringing the team back', 2_000).catch(() => undefined);
  t.is(server.object(team('race')), undefined, 'the pruned team stays gone');
  t.deepEqual(await store.inventory.list({ sourceKey: 'Team/kradle-org-race/platform' }), []);
});

test.serial('two controllers on one store: only the leader applies and records runs; the other takes over when it stops', async (t) => {
  const server = await serverFor(t);
  const store = await pglite!.store();
  const repo = createTestRepo();
  repo.commit(orgDocs('duo'), 'add duo');
  const first = track(t, server, createTestSync({ repoDir: repo.dir, store, driver: liveDriverFor(server), crds: CRDS }));
  const second = track(t, server, createTestSync({ repoDir: repo.dir, store, driver: liveDriverFor(server), crds: CRDS }));
  await first.start();
  await second.start();
  await first.trigger('test');
  await second.trigger('test');
  t.true(first.status().leader);
  t.false(second.status().leader);
  const docs = orgDocs('duo');
  const path = 'orgs/duo/teams/platform.yaml';
  const revision = repo.commit({ [path]: docs[path]!.replace('displayName: Platform', 'displayName: Platform Team') }, 'rename');
  const displayName = () => (server.object(team('duo'))?.spec as { displayName?: string } | undefined)?.displayName;
  server.faults.failNext(1, { status: 500, method: 'PATCH', path: new RegExp(`${teamPath('duo')}$`) });
  await first.trigger('test');
  await second.trigger('test');
  t.is(displayName(), 'Platform', 'the leader failed to apply the Team; the follower applied nothing');
  t.deepEqual((await runsOf(revision)).map((r) => r.outcome), ['PartiallyApplied'], 'the follower records no run of its own');
  t.is(second.status().lastOutcome, 'Loaded', 'the follower claims no sync it did not do');
  t.is(first.status().lastOutcome, 'PartiallyApplied');
  t.is(second.status().syncedRevision, revision, 'the follower reports the revision the leader applied');
  t.is(first.status().state, 'Failed');
  t.like(second.status(), { state: 'Failed', message: first.status().message }, 'the follower reports the leader\'s failure, not Idle');
  t.is((await store.syncRuns.lastGood())?.outcome, 'PartiallyApplied');

  await first.stop();
  await until(() => second.status().leader, 'the follower taking the lock');
  await second.trigger('takeover');
  t.true(second.status().leader);
  t.is(displayName(), 'Platform Team', 'the new leader converges');
  t.is((await runsOf(revision)).at(-1)?.outcome, 'Succeeded');
  t.is(second.status().state, 'Idle');
});
