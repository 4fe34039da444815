// The persisted status model: one writer saves it, every replica's API reads it, a new leader continues it.
import test, { type ExecutionContext } from 'ava';
import { buildCrds } from '../../src/cluster/index.ts';
import type { SyncController } from '../../src/reconcile/sync/index.ts';
import type { Store } from '../../src/store/types.ts';
import { client, makeToken, startApi } from '../support/api-client.ts';
import { fakeSecrets, fakeSync } from '../support/api-fakes.ts';
import { createTestRepo } from '../support/git-repo.ts';
import { startKubeApiServer, type KubeApiServer } from '../support/kube-api-server/index.ts';
import { testDrivers, uniqueName, type TestDriver } from '../support/store.ts';
import { createTestSync, crdsFor, liveDriverFor, orgDocs } from '../support/sync-harness.ts';

const CRDS = crdsFor(['Organization', 'OrgNamespaceBinding', 'Team', 'AgentServiceAccount', 'RunnerPool'], buildCrds());

let kube: KubeApiServer;
test.before(async () => {
  kube = await startKubeApiServer();
});
test.after.always(async () => {
  await kube?.stop();
});

interface Cond { type: string; status: string; reason: string; lastTransitionTime: string }
async function until(check: () => boolean | Promise<boolean>, what: string, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

interface ObjectView { target: { kind: string; name: string }; syncStatus: string; health: string }

/** A replica: its own sync controller and API on a store of the shared database. */
async function replica(t: ExecutionContext, repoDir: string, store: Store, org: string) {
  const sync: SyncController = createTestSync({ repoDir, store, driver: liveDriverFor(kube), crds: CRDS });
  const api = await startApi({ store, config: { current: sync.current, lastError: sync.lastError }, sync: fakeSync(), secrets: fakeSecrets() });
  t.teardown(async () => {
    await api.close();
    await sync.stop();
  });
  const c = client(api.url, await makeToken(api.app, org, 'reader'));
  const team = async () => (await c.get(`/api/orgs/${org}/resources/Team/platform`)).body.status as { phase?: string; conditions?: Cond[]; lastAppliedRevision?: string };
  const identity = async () => (await c.get(`/api/orgs/${org}/resources/AgentServiceAccount/runner`)).body.status as { phase?: string; conditions?: Cond[]; objects?: ObjectView[] };
  return { sync, team, identity };
}

for (const d of testDrivers(test)) suite(d);

function suite(d: TestDriver) {
  // PGlite admits one process: its two replicas share one store, as two servers share one database.
  const secondStore = async () => (d.name === 'pglite' ? d.store() : d.second());

  test.serial(`${d.name}: a follower's API serves the Ready and phase the leader saved; a new leader continues the model`, async (t) => {
    const org = uniqueName('rep');
    const repo = createTestRepo();
    const rev = repo.commit(orgDocs(org), 'add org');
    const store = await d.store();
    const leader = await replica(t, repo.dir, store, org);
    const follower = await replica(t, repo.dir, await secondStore(), org);
    await leader.sync.start();
    await follower.sync.start();
    await leader.sync.trigger('test');
    await follower.sync.trigger('test');
    t.true(leader.sync.status().leader);
    t.false(follower.sync.status().leader);

    const fromLeader = await leader.team();
    const fromFollower = await follower.team();
    t.is(fromLeader.phase, 'Ready');
    t.is(fromLeader.conditions?.find((c) => c.type === 'Ready')?.status, 'True');
    t.is(fromLeader.lastAppliedRevision, rev);
    t.deepEqual(fromFollower.conditions, fromLeader.conditions, 'the follower serves the same conditions');
    t.is(fromFollower.phase, fromLeader.phase);

    const events = (await store.events.since(0, { org, limit: 10_000 })).filter((e) => e.type === 'ResourceStatusChanged');
    const teamEvent = events.find((e) => e.kind === 'Team' && e.name === 'platform');
    t.truthy(teamEvent, 'each status change is an event of its org');
    t.is(teamEvent!.namespace, `kradle-org-${org}`);
    t.like(teamEvent!.payload as object, { revision: rev, phase: 'Ready', ready: 'True', health: 'Healthy' });

    // The leader goes; the follower takes over from the saved model rather than starting blank.
    const readySince = fromLeader.conditions!.find((c) => c.type === 'Ready')!.lastTransitionTime;
    await leader.sync.stop();
    const docs = orgDocs(org);
    const path = `orgs/${org}/teams/platform.yaml`;
    const renamed = repo.commit({ [path]: docs[path]!.replace('displayName: Platform', 'displayName: Platform Team') }, 'rename');
    // The leadership manager retries the lock on its own clock (about every second).
    for (let i = 0; i < 300 && !follower.sync.status().leader; i++) await new Promise((r) => setTimeout(r, 50));
    t.true(follower.sync.status().leader);
    await follower.sync.trigger('takeover');
    const after = await follower.team();
    t.is(after.lastAppliedRevision, renamed);
    t.is(after.conditions?.find((c) => c.type === 'Ready')?.lastTransitionTime, readySince, 'Ready stayed True: its transition time is kept');
    const stored = await store.statuses.get(`Team/kradle-org-${org}/platform`);
    t.is(stored?.revision, renamed);
    t.deepEqual((kube.object({ apiVersion: 'kradle.a5c.ai/v1alpha1', kind: 'Team', namespace: `kradle-org-${org}`, name: 'platform' })?.status as { conditions?: Cond[] }).conditions, after.conditions,
      'the custom resource carries the stored status');
  });

  test.serial(`${d.name}: a resource read shows an object deleted by hand as Missing until self-heal brings it back, as its conditions say`, async (t) => {
    const org = uniqueName('heal');
    const repo = createTestRepo();
    repo.commit(orgDocs(org), 'add org');
    const replicaOf = await replica(t, repo.dir, await d.store(), org);
    await replicaOf.sync.start();
    await replicaOf.sync.trigger('test');
    const sa = { apiVersion: 'v1', kind: 'ServiceAccount', namespace: `kradle-org-${org}`, name: 'runner' };
    const saView = async () => (await replicaOf.identity()).objects?.find((o) => o.target.kind === 'ServiceAccount');
    t.like(await saView(), { syncStatus: 'Synced', health: 'Healthy' });

    // Self-heal cannot bring it back while the API server refuses the apply.
    kube.faults.failNext(1000, { status: 503, method: 'PATCH', path: `/api/v1/namespaces/kradle-org-${org}/serviceaccounts/runner` });
    t.teardown(() => kube.faults.clear());
    kube.remove(sa);
    await until(async () => (await replicaOf.identity()).conditions?.find((c) => c.type === 'Ready')?.reason === 'ObjectMissing', 'the conditions to say the object is missing');
    t.like(await saView(), { syncStatus: 'Missing', health: 'Missing' }, 'the object list agrees with the conditions');

    kube.faults.clear();
    await until(() => kube.object(sa) !== undefined, 'self-heal recreating the object');
    await until(async () => (await saView())?.syncStatus === 'Synced', 'the object shown Synced again');
    t.like(await saView(), { syncStatus: 'Synced', health: 'Healthy' });
  });
}
