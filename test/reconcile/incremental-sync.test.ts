// A pass after a one-file commit looks only at what the commit changed (and what reads it): after each of a
// run of random commits, what the incremental controller applied, recorded and announced must equal what a new
// controller (fresh memory, so a full pass) makes of the same revision on a store and cluster of its own.
import test, { type ExecutionContext } from 'ava';
import { buildCrds } from '../../src/cluster/index.ts';
import { createStore } from '../../src/store/index.ts';
import type { Store } from '../../src/store/types.ts';
import { createTestRepo } from '../support/git-repo.ts';
import { startKubeApiServer, type KubeApiServer } from '../support/kube-api-server/index.ts';
import { createTestSync, crdsFor, liveDriverFor } from '../support/sync-harness.ts';
import { seededRandom as random } from '../support/seeded-random.ts';

const CRDS = crdsFor(
  ['Organization', 'OrgNamespaceBinding', 'Team', 'AgentServiceAccount', 'RunnerPool', 'AgentRoleBinding', 'AgentSecretGrant', 'PolicyTemplate', 'PolicyBinding', 'PolicyExceptionRequest'],
  buildCrds(),
);
const GROUP = 'kradle.a5c.ai/v1alpha1';
const ORGS = ['inca', 'incb'];
/** Every kind whose objects are compared, as the cluster serves them (Kyverno's Policy is not served: it fails). */
const KINDS: [string, string][] = [
  ...CRDS.map((c): [string, string] => [GROUP, (c.spec as { names: { kind: string } }).names.kind]),
  ['v1', 'Namespace'], ['v1', 'ServiceAccount'], ['apps/v1', 'Deployment'],
  ['rbac.authorization.k8s.io/v1', 'Role'], ['rbac.authorization.k8s.io/v1', 'RoleBinding'], ['rbac.authorization.k8s.io/v1', 'ClusterRoleBinding'],
];

const doc = (kind: string, name: string, spec: Record<string, unknown>, namespace?: string) =>
  JSON.stringify({ apiVersion: GROUP, kind, metadata: { name, ...(namespace ? { namespace } : {}) }, spec });

/** The repo as a model: path -> text; teams move between orgs, service accounts get shared names. */
function initialFiles(): Record<string, string> {
  const files: Record<string, string> = {
    'platform/policytemplates.yaml': [
      doc('PolicyTemplate', 'owner-label', { displayName: 'Owner', targetKinds: ['Deployment'], kyverno: { validate: { message: 'owner', pattern: { metadata: { labels: { owner: '?*' } } } } } }, 'kradle-system'),
      doc('PolicyTemplate', 'no-latest', { displayName: 'No latest', targetKinds: ['Pod'], kyverno: { validate: { message: 'tag', pattern: { spec: { containers: [{ image: '!*:latest' }] } } } } }, 'kradle-system'),
    ].join('\n---\n'),
  };
  for (const org of ORGS) {
    const at = (p: string) => `orgs/${org}/${p}`;
    files[at('organization.yaml')] = doc('Organization', org, { displayName: org, namespaceName: `kradle-org-${org}` });
    files[at('agentserviceaccounts/runner.yaml')] = doc('AgentServiceAccount', 'runner', { organizationRef: org, namespace: `kradle-org-${org}`, serviceAccountName: 'runner' });
    files[at('agentserviceaccounts/bot.yaml')] = doc('AgentServiceAccount', 'bot', { organizationRef: org, namespace: `kradle-org-${org}`, serviceAccountName: 'bot' });
    files[at('runnerpools/default.yaml')] = doc('RunnerPool', 'default', { organizationRef: org, warmReplicas: 1, maxReplicas: 2, runtimeIdentity: 'runner' });
    files[at('agentrolebindings/bot-view.yaml')] = doc('AgentRoleBinding', 'bot-view', { organizationRef: org, subject: 'bot', roleRef: { name: 'view' }, scope: 'namespace' });
    files[at('agentsecretgrants/bot-token.yaml')] = doc('AgentSecretGrant', 'bot-token', { organizationRef: org, subject: 'runner', secretRef: { name: 'token' }, purpose: 'deploys' });
    files[at('policybindings/owner.yaml')] = doc('PolicyBinding', 'owner', { organizationRef: org, templateRef: 'owner-label', mode: 'audit' });
    files[at('policyexceptionrequests/legacy.yaml')] = doc('PolicyExceptionRequest', 'legacy', {
      organizationRef: org, policyRef: 'owner', justification: 'retired soon', expiresAt: '2099-01-01T00:00:00Z', approved: true,
    });
    for (let i = 0; i < 3; i++) files[at(`teams/t${i}.yaml`)] = doc('Team', `t${i}`, { organizationRef: org, displayName: `T${i}` });
  }
  return files;
}

type Op = (files: Record<string, string>) => { change: Record<string, string | null>; what: string };

function ops(rnd: ReturnType<typeof random>): Op[] {
  const teams = (files: Record<string, string>) => Object.keys(files).filter((p) => p.includes('/teams/'));
  let serial = 0;
  const addTeam: Op = () => {
    const org = rnd.pick(ORGS);
    const name = `n${serial++}`;
    return { change: { [`orgs/${org}/teams/${name}.yaml`]: doc('Team', name, { organizationRef: org, displayName: name }) }, what: `add team ${org}/${name}` };
  };
  // Deletes and moves can take every team (about 4 seeds in 10,000): an op on a team then adds one instead.
  const onTeam = (op: (files: Record<string, string>, path: string) => ReturnType<Op>): Op => (files) => {
    const all = teams(files);
    return all.length > 0 ? op(files, rnd.pick(all)) : addTeam(files);
  };
  return [
    onTeam((files, path) => {
      const o = JSON.parse(files[path]!);
      o.spec.displayName = `edited ${serial++}`;
      return { change: { [path]: JSON.stringify(o) }, what: `edit ${path}` };
    }),
    addTeam,
    onTeam((_files, path) => ({ change: { [path]: null }, what: `delete ${path}` })),
    onTeam((files, path) => {
      const o = JSON.parse(files[path]!);
      const to = ORGS.find((org) => org !== o.spec.organizationRef)!;
      o.spec.organizationRef = to;
      const target = `orgs/${to}/teams/${o.metadata.name}.yaml`;
      if (files[target]) return { change: { [path]: null }, what: `delete ${path} (its name is taken in ${to})` };
      return { change: { [path]: null, [target]: JSON.stringify(o) }, what: `move ${path} to ${to}` };
    }),
    // Read by the role binding, the grant and the pool; two service accounts of one name are one object.
    () => {
      const org = rnd.pick(ORGS);
      const who = rnd.pick(['runner', 'bot']);
      const sa = rnd.pick(['runner', 'bot', 'shared', `sa${serial++}`]);
      return { change: { [`orgs/${org}/agentserviceaccounts/${who}.yaml`]: doc('AgentServiceAccount', who, { organizationRef: org, namespace: `kradle-org-${org}`, serviceAccountName: sa }) }, what: `${org}/${who} runs as ${sa}` };
    },
    // Read by every binding (and, through them, every exception): a platform template.
    (files) => {
      const o = files['platform/policytemplates.yaml']!.split('\n---\n').map((t) => JSON.parse(t));
      o[0].spec.targetKinds = [rnd.pick(['Deployment', 'StatefulSet', 'Job'])];
      return { change: { 'platform/policytemplates.yaml': o.map((x) => JSON.stringify(x)).join('\n---\n') }, what: 'edit a template' };
    },
    () => {
      const org = rnd.pick(ORGS);
      const templateRef = rnd.pick(['owner-label', 'no-latest']);
      return { change: { [`orgs/${org}/policybindings/owner.yaml`]: doc('PolicyBinding', 'owner', { organizationRef: org, templateRef, mode: rnd.pick(['audit', 'enforce']) }) }, what: `${org} binds ${templateRef}` };
    },
    // Read by the Organization: a declared binding replaces the one it projects.
    (files) => {
      const org = rnd.pick(ORGS);
      const path = `orgs/${org}/orgnamespacebinding.yaml`;
      if (files[path]) return { change: { [path]: null }, what: `${org} binding undeclared` };
      return { change: { [path]: doc('OrgNamespaceBinding', org, { organizationRef: org, namespace: `kradle-org-${org}` }) }, what: `${org} binding declared` };
    },
    (files) => {
      const org = rnd.pick(ORGS);
      const path = `orgs/${org}/agentrolebindings/bot-view.yaml`;
      const o = JSON.parse(files[path]!);
      o.spec.scope = rnd.pick(['namespace', 'cluster']);
      // A cluster-scoped binding of a ClusterRole not named kradle-* is refused: a revision that fails to load.
      o.spec.roleRef = { name: rnd.pick(['view', 'edit', 'kradle-viewer']) };
      return { change: { [path]: JSON.stringify(o) }, what: `${org} role binding edited` };
    },
  ];
}

async function openStore(t: ExecutionContext): Promise<Store> {
  const store = createStore({ dataDir: 'memory://' });
  t.teardown(() => store.close());
  await store.migrate();
  return store;
}

/** What a controller left: the cluster's owned objects, the inventory, the status model and the announcement. */
async function outcome(store: Store, server: KubeApiServer) {
  const objects: Record<string, unknown> = {};
  for (const [apiVersion, kind] of KINDS) {
    for (const o of server.objects(apiVersion, kind)) {
      const meta = o.metadata as { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
      if (meta.labels?.['app.kubernetes.io/managed-by'] !== 'kradle') continue;
      const { metadata: _m, status: _s, ...body } = o;
      objects[`${kind}/${meta.namespace ?? ''}/${meta.name}`] = { labels: meta.labels, annotations: meta.annotations, ...body };
    }
  }
  const inventory = Object.fromEntries((await store.inventory.list()).map((e) => {
    const { revision: _r, updatedAt: _u, target, ...rest } = e as typeof e & { updatedAt?: string };
    return [`${target.kind}/${target.namespace ?? ''}/${target.name}`, rest];
  }));
  const statuses = Object.fromEntries((await store.statuses.list()).map((r) => {
    const s = r.status as { conditions?: { type: string; status: string; reason: string; message: string }[]; objects?: unknown; phase?: unknown };
    // Revisions and generations say when a resource last changed, which differs by design.
    return [r.sourceKey, { org: r.org, phase: r.phase, ready: r.ready, health: r.health, objects: s.objects, conditions: s.conditions?.map(({ type, status, reason, message }) => ({ type, status, reason, message })) }];
  }));
  const announced = (await store.query<{ key: string; org: string | null; hash: string }>('SELECT key, org, hash FROM announced_resources ORDER BY key'));
  return { objects, inventory, statuses, announced };
}

test('after each random commit, the incremental pass leaves what a full pass on fresh memory leaves', async (t) => {
  t.timeout(300_000);
  const seed = Number(process.env.KRADLE_TEST_SEED ?? Date.now() % 100_000);
  t.log(`seed ${seed} (KRADLE_TEST_SEED replays it)`);
  const rnd = random(seed);
  const [serverA, serverB] = await Promise.all([startKubeApiServer(), startKubeApiServer()]);
  t.teardown(() => Promise.all([serverA.stop(), serverB.stop()]));
  const [storeA, storeB] = [await openStore(t), await openStore(t)];
  const repo = createTestRepo();
  t.teardown(() => repo.remove());
  const files = initialFiles();
  repo.commit(files, 'initial');
  const incremental = createTestSync({ repoDir: repo.dir, store: storeA, driver: liveDriverFor(serverA), crds: CRDS });
  t.teardown(() => incremental.stop());
  await incremental.start();
  await incremental.trigger('test');
  const [first] = await storeA.syncRuns.list({ limit: 1 });
  t.not(first?.outcome, 'ValidationFailed', `the first pass: ${JSON.stringify(first?.errors.slice(0, 3))}`);

  const all = ops(rnd);
  let faulted: string | undefined;
  for (let step = 0; step < 14; step++) {
    // Now and then a team edit whose apply fails once: the next pass (another file's commit) must still retry it.
    const failing = step % 4 === 2;
    const { change, what } = (failing ? all[0]! : rnd.pick(all))(files);
    const undo = Object.fromEntries(Object.keys(change).map((p) => [p, files[p] ?? null]));
    for (const [path, text] of Object.entries(change)) {
      if (text === null) delete files[path];
      else files[path] = text;
    }
    const fault = failing ? Object.entries(change)[0] : undefined;
    if (fault) {
      const name = JSON.parse(fault[1]!).metadata.name as string;
      serverA.faults.failNext(1, { status: 500, method: 'PATCH', path: new RegExp(`/teams/${name}(\\?|$)`) });
    }
    let rev = repo.commit(change, what);
    await incremental.trigger('test');
    const [run] = await storeA.syncRuns.list({ limit: 1 });
    if (run?.outcome === 'ValidationFailed') {
      // Refused (every status says so); the revert is what is compared, after a pass that applied nothing.
      for (const [path, text] of Object.entries(undo)) {
        if (text === null) delete files[path];
        else files[path] = text;
      }
      rev = repo.commit(undo, `revert ${what}`);
      await incremental.trigger('test');
      faulted = `${what} (refused, then reverted)`;
    }
    if (fault) {
      t.log(`step ${step}: ${what}: ${run?.outcome} ${JSON.stringify(run?.errors.map((e) => e.message.slice(0, 80)))}`);
      faulted = `${what} (its apply failed once)`;
      continue;
    }
    const full = createTestSync({ repoDir: repo.dir, store: storeB, driver: liveDriverFor(serverB), crds: CRDS });
    await full.start();
    await full.trigger('test');
    await full.stop();
    const [a, b] = [await outcome(storeA, serverA), await outcome(storeB, serverB)];
    const at = `step ${step} (${what}${faulted ? `, after ${faulted}` : ''}) at ${rev.slice(0, 8)}, seed ${seed}`;
    t.deepEqual(a.objects, b.objects, `cluster objects, ${at}`);
    t.deepEqual(a.inventory, b.inventory, `inventory, ${at}`);
    t.deepEqual(a.statuses, b.statuses, `status model, ${at}`);
    t.deepEqual(a.announced, b.announced, `announced resources, ${at}`);
    faulted = undefined;
  }
});
