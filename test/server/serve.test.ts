import test from 'ava';
import { statSync } from 'node:fs';
import type { RunningServer } from '../../src/server/server.ts';
import { createTestRepo, type TestRepo } from '../support/git-repo.ts';
import { startKubeApiServer, type KubeApiServer } from '../support/kube-api-server/index.ts';
import { orgDocs } from '../support/sync-harness.ts';
import { startTestServer, type TestServer } from '../support/test-server.ts';

let kube: KubeApiServer;
let repo: TestRepo;
let server: RunningServer;
let token: string;
let api: TestServer['api'];
let first: string;

test.before(async () => {
  kube = await startKubeApiServer();
  repo = createTestRepo();
  first = repo.commit(orgDocs('acme'), 'add acme');
  ({ server, token, api } = await startTestServer({ repo: repo.dir, kubeconfig: kube.kubeConfigPath }));
});

test.after.always(async () => {
  await server?.close();
  await kube?.stop();
});

async function syncedTo(commit: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const { body } = await api('GET', '/api/sync');
    if (body?.syncedRevision === commit) return;
    await api('POST', '/api/sync?wait=60');
  }
  throw new Error(`never synced to ${commit}`);
}

test.serial('the first start writes a platform admin token to a private file, never to the log', (t) => {
  t.is(statSync(server.adminTokenFile!).mode & 0o777, 0o600);
  t.regex(token, /\S{20,}/);
});

test.serial('serve syncs the config repo into the cluster and serves it', async (t) => {
  await syncedTo(first);
  t.truthy(kube.object({ apiVersion: 'v1', kind: 'Namespace', name: 'kradle-org-acme' }));
  const teams = await api('GET', '/api/orgs/acme/resources?kind=Team');
  t.is(teams.status, 200);
  t.deepEqual(teams.body.items.map((i: any) => i.metadata.name), ['platform']);
  const summary = await api('GET', '/api/orgs/acme/summary');
  t.is(summary.status, 200);
});

test.serial('a write becomes a commit, is synced, and an invalid write commits nothing', async (t) => {
  const team = {
    apiVersion: 'kradle.a5c.ai/v1alpha1',
    kind: 'Team',
    metadata: { name: 'sre' },
    spec: { organizationRef: 'acme', displayName: 'SRE' },
  };
  const created = await api('POST', '/api/orgs/acme/resources', team);
  t.is(created.status, 201, JSON.stringify(created.body));
  t.is(repo.head(), created.body.commit);
  t.true(repo.git('show', '--stat', 'HEAD').includes('orgs/acme/teams/sre.yaml'));
  await syncedTo(created.body.commit);
  t.truthy(kube.object({ apiVersion: 'kradle.a5c.ai/v1alpha1', kind: 'Team', namespace: 'kradle-org-acme', name: 'sre' }));

  const before = repo.head();
  const invalid = await api('POST', '/api/orgs/acme/resources', { ...team, metadata: { name: 'bad' }, spec: { organizationRef: 'acme' } });
  t.is(invalid.status, 422);
  t.true(invalid.body.error.details.length > 0);
  t.is(repo.head(), before, 'no commit');
});

test.serial('a preview validates and plans a branch without applying it', async (t) => {
  repo.git('checkout', '-q', '-b', 'feature');
  const head = repo.commit({
    'orgs/acme/runnerpools/default.yaml': orgDocs('acme')['orgs/acme/runnerpools/default.yaml']!.replace('maxReplicas: 4', 'maxReplicas: 6'),
    'orgs/acme/teams/platform.yaml': `${orgDocs('acme')['orgs/acme/teams/platform.yaml']}  parentTeam: ghost\n`,
  }, 'more runners, and a typo');
  repo.git('checkout', '-q', 'main');
  const preview = await api('POST', '/api/previews', { base: 'main', head: 'feature' });
  t.is(preview.status, 200, JSON.stringify(preview.body));
  t.true(preview.body.valid);
  const changed = preview.body.plan.changed.find((c: any) => c.kind === 'RunnerPool');
  t.deepEqual(changed.changes.map((c: any) => c.pointer), ['/spec/maxReplicas']);
  t.true(changed.objects.some((o: any) => o.kind === 'Deployment'));
  // The typo does not make head invalid; it is a warning, at its line.
  t.deepEqual(preview.body.warnings.map((w: any) => `${w.path}:${w.line}:${w.column} ${w.code} ${w.field}`), ['orgs/acme/teams/platform.yaml:8:3 UNKNOWN_FIELD spec.parentTeam']);
  t.not((await api('GET', '/api/sync')).body.syncedRevision, head, 'a preview applies nothing');
  // A revision git would refuse is a 400, not a file of the git directory read as a ref (HEAD, here).
  const escape = await api('POST', '/api/previews', { base: 'main', head: 'refs/heads/../../HEAD' });
  t.is(escape.status, 400, JSON.stringify(escape.body));
  t.is(escape.body.error.code, 'BAD_REQUEST');
  t.is(escape.body.error.details[0].code, 'INVALID_REVISION');
});

test.serial('agent routes are served with the API envelope', async (t) => {
  const res = await api('POST', '/api/orgs/acme/agents/dispatch', { stack: 'missing', repository: 'api', sourceRefs: ['main'], taskKind: 'review' });
  t.is(res.status, 201, JSON.stringify(res.body));
  const run = res.body.run ?? res.body;
  t.is(run.status.phase, 'Failed', 'the permission review fails a run of an unknown stack');
  t.regex(JSON.stringify(run.status), /missing/);
  const unauthorized = await fetch(`${server.url}/api/orgs/acme/agents/dispatch`, { method: 'POST' });
  t.is(unauthorized.status, 401);
  t.truthy(((await unauthorized.json()) as any).error.code);
});

test.serial('stack readiness reaches the AgentStack custom resource status beside the sync conditions', async (t) => {
  const stack = `apiVersion: kradle.a5c.ai/v1alpha1
kind: AgentAdapter
metadata:
  name: mux
spec:
  organizationRef: acme
  adapterType: agent-mux
  transport: http
---
apiVersion: kradle.a5c.ai/v1alpha1
kind: AgentStack
metadata:
  name: reviewer
spec:
  organizationRef: acme
  baseAgent: claude-code
  adapter: mux
  runtimeIdentity: runner
  secretRefs: [provider-key]
`;
  const commit = repo.commit({ 'orgs/acme/agentstacks/reviewer.yaml': stack }, 'a stack whose secret is not granted');
  await syncedTo(commit);
  const ref = { apiVersion: 'kradle.a5c.ai/v1alpha1', kind: 'AgentStack', namespace: 'kradle-org-acme', name: 'reviewer' };
  let conditions: { type: string; status: string; message?: string }[] = [];
  for (let i = 0; i < 100 && !conditions.some((c) => c.type === 'SecretsAdmitted'); i++) {
    conditions = ((kube.object(ref) as any)?.status?.conditions ?? []) as typeof conditions;
    if (!conditions.some((c) => c.type === 'SecretsAdmitted')) await new Promise((r) => setTimeout(r, 100));
  }
  const byType = new Map(conditions.map((c) => [c.type, c]));
  t.is(byType.get('SecretsAdmitted')?.status, 'False', JSON.stringify(conditions));
  t.regex(byType.get('SecretsAdmitted')?.message ?? '', /provider-key/);
  t.is(byType.get('Ready')?.status, 'False', 'a False readiness condition makes Ready False');
  t.truthy(byType.get('Reconciling'), 'the sync conditions stay');
  t.is(conditions.filter((c) => c.type === 'Ready').length, 1, 'one Ready condition, merged by type');

  const read = await api('GET', '/api/orgs/acme/resources/AgentStack/reviewer');
  t.is(read.status, 200);
  const apiConditions = read.body.status.conditions as { type: string; status: string }[];
  t.is(apiConditions.find((c) => c.type === 'SecretsAdmitted')?.status, 'False', 'the API shows what the CR shows');
  t.truthy(read.body.status.lastAppliedRevision);
});
