// §9: every gated action waits for an approval bound to its digest, enforced where the action happens.
import test from 'ava';
import { agentRouteDefs, createApprovalService } from '../../src/agents/index.ts';
import type { RouteDef } from '../../src/api/index.ts';
import { tenantNamespace } from '../../src/kinds/index.ts';
import { client, startApi } from '../support/api-client.ts';
import { fakeConfig, fakeSync } from '../support/api-fakes.ts';
import { testDrivers, uniqueName } from '../support/store.ts';
import { dispatchWorld, memoryRepo, request, wiredApi, type World } from './dispatch-support.ts';
import { doc } from './helpers.ts';

const world = dispatchWorld(test);

const gatedStack = (org: string, name: string, extra: Record<string, unknown>) => doc('AgentStack', name, {
  organizationRef: org, baseAgent: 'claude-code', model: 'claude-sonnet', adapter: 'mux', runtimeIdentity: 'fixer-bot', providerConfig: 'anthropic', ...extra,
});

function runToken(w: World, org: string, run: string): string {
  const s = w.kube.object({ apiVersion: 'v1', kind: 'Secret', namespace: tenantNamespace(org), name: `kradle-agent-${run}-token` }) as any;
  return s.stringData?.token ?? Buffer.from(s.data.token, 'base64').toString();
}

const approvalsOf = async (w: World, org: string, run: string) =>
  (await w.store.resources.list('AgentApproval', { namespace: tenantNamespace(org), labelSelector: `kradle.a5c.ai/dispatch-run=${run}` })).items;

test('a gated memory write-back waits for an approval of its diff and proceeds when it is approved', async (t) => {
  const org = uniqueName('gw');
  const { repo, docs } = memoryRepo(t, org);
  const w = await world({ [org]: { extra: [
    ...docs,
    gatedStack(org, 'writer', { approvalRequiredFor: ['write-back'] }),
  ] } });
  const { as } = await wiredApi(t, w, { leader: false });
  const admin = await as(org, 'admin', 'ada');
  const run = (await admin.post(`/api/orgs/${org}/agents/dispatch`, { stack: 'writer', repository: 'api', ref: 'refs/heads/main', taskKind: 'fix' })).body;
  t.is(run.status.phase, 'Running', JSON.stringify(run.status));
  const changes = [{ path: '.company-brain/runbooks/flaky.md', content: '# Flaky\nRetry once.\n' }];
  const first = await admin.post(`/api/orgs/${org}/agents/memory/updates`, { sourceRun: run.metadata.name, changes });
  t.is(first.status, 202);
  t.like(first.body.status, { phase: 'AwaitingApproval' });
  const again = await admin.post(`/api/orgs/${org}/agents/memory/updates`, { sourceRun: run.metadata.name, changes });
  t.is(again.status, 202);
  const pending = await approvalsOf(w, org, run.metadata.name);
  t.deepEqual(pending.map((a) => [a.spec.action, a.status.phase, a.metadata.name]), [['write-back', 'Pending', first.body.status.approvalRef]]);
  t.is(pending[0]!.spec.artifactDigest, first.body.spec.diffDigest, 'the approval is bound to the diff digest');
  t.throws(() => repo.git('rev-parse', '--verify', `kradle/agent-memory/${run.metadata.name}`), undefined, 'nothing is committed before the approval');

  const decided = await admin.post(`/api/orgs/${org}/agents/approvals/${first.body.status.approvalRef}/decide`, { decision: 'approve' });
  t.is(decided.status, 200);
  const update = await w.store.resources.get('AgentMemoryUpdate', tenantNamespace(org), first.body.metadata.name);
  t.like(update?.status, { phase: 'Proposed', approvalRef: first.body.status.approvalRef });
  t.is(update?.status.pendingChanges, undefined);
  t.is(repo.git('rev-parse', `kradle/agent-memory/${run.metadata.name}`), update?.status.commit as string);

  // Another diff of the same run is another digest: the first approval does not cover it.
  const other = await admin.post(`/api/orgs/${org}/agents/memory/updates`, { sourceRun: run.metadata.name, changes: [{ path: '.company-brain/runbooks/other.md', content: '# Other\n' }] });
  t.is(other.status, 202);
  t.not(other.body.status.approvalRef, first.body.status.approvalRef);
});

for (const d of testDrivers(test)) {
  test(`[${d.name}] concurrent requests for one run and action are one approval (the database decides)`, async (t) => {
    const org = uniqueName('ga');
    const approvals = createApprovalService({ store: await d.store(), desired: () => undefined });
    const all = await Promise.all(Array.from({ length: 8 }, (_, i) => approvals.request(org, { dispatchRun: 'run-same', action: 'release', requestedBy: `agent-${i}`, artifactDigest: 'sha256:x' })));
    t.is(new Set(all.map((a) => a.metadata.name)).size, 1);
    const { items } = await (await d.store()).resources.list('AgentApproval', { namespace: tenantNamespace(org) });
    t.is(items.length, 1);
    const other = await approvals.request(org, { dispatchRun: 'run-same', action: 'escalation', requestedBy: 'agent' });
    t.not(other.metadata.name, all[0]!.metadata.name, 'another action is another approval');
  });
}

test('secret-access gates the credentials of the Job; an agent asks before gated tools and releases', async (t) => {
  const org = uniqueName('gs');
  const w = await world({ [org]: { extra: [
    doc('AgentToolProfile', 'careful', { organizationRef: org, filesystemPolicy: 'workspace-only', approvalPolicyByTool: { bash: 'ask' } }),
    gatedStack(org, 'careful', { approvalRequiredFor: ['secret-access', 'release'], toolProfile: 'careful' }),
  ] } });
  const admin = { subject: 'ada', org, role: 'admin' as const };
  const run = await w.dispatch.create(org, request({ stack: 'careful' }));
  t.is(run.status.phase, 'AwaitingApproval');
  t.is(w.job(run.metadata.name), undefined, 'no Job (and no credential) before the approval');
  const [secretAccess] = await approvalsOf(w, org, run.metadata.name);
  t.like(secretAccess?.spec, { action: 'secret-access' });
  t.regex(String(secretAccess?.spec.artifactDigest), /^sha256:/);
  await w.approvals.decide(org, secretAccess!.metadata.name, { decision: 'approve' }, admin);
  const running = await w.dispatch.get(org, run.metadata.name);
  t.is(running.status.phase, 'Running');
  const token = runToken(w, org, run.metadata.name);

  const api = await startApi({ store: w.store, config: fakeConfig([]), sync: fakeSync(), extraRoutes: agentRouteDefs({ dispatch: w.dispatch, approvals: w.approvals, triggers: { processEvent: async () => [] } }) as unknown as RouteDef[] });
  t.teardown(() => api.close());
  const agent = client(api.url, token);
  const path = `/api/orgs/${org}/agents/runs/${run.metadata.name}/actions`;
  t.like((await agent.post(path, { action: 'tool-use', tool: 'ls' })).body, { allowed: true, gated: false });
  const bash = await agent.post(path, { action: 'tool-use', tool: 'bash' });
  t.is(bash.status, 202);
  t.like(bash.body, { allowed: false });
  await w.approvals.decide(org, bash.body.approvalRef, { decision: 'approve' }, admin);
  t.like((await agent.post(path, { action: 'tool-use', tool: 'bash' })).body, { allowed: true, gated: true, approvalRef: bash.body.approvalRef });

  const release = await agent.post(path, { action: 'release', digest: 'sha256:artifact-1' });
  t.is(release.status, 202);
  await w.approvals.decide(org, release.body.approvalRef, { decision: 'deny', reason: 'not this week' }, admin);
  const denied = await agent.post(path, { action: 'release', digest: 'sha256:artifact-1' });
  t.is(denied.status, 403);
  t.regex(denied.body.error.message, /release was denied by ada/);
  t.is((await agent.post(path, { action: 'release', digest: 'sha256:artifact-2' })).status, 202, 'a new artifact asks again');
  t.is((await client(api.url, 'krt_wrong').post(path, { action: 'release' })).status, 401);
  t.is((await agent.post(path, { action: 'deploy' })).status, 400);
});
