// §7.3 notifications through the production wiring and the HTTP API: one per type, per org and recipient, each an event.
import test from 'ava';
import { claimWorkspace, WORKSPACE_KIND } from '../../src/agents/index.ts';
import { poolConfig } from '../../src/agents/workspaces/index.ts';
import { tenantNamespace } from '../../src/kinds/index.ts';
import { client } from '../support/api-client.ts';
import { uniqueName } from '../support/store.ts';
import { dispatchWorld, wiredApi } from './dispatch-support.ts';
import { doc } from './helpers.ts';

const world = dispatchWorld(test);

async function waitFor<T>(what: string, probe: () => Promise<T | undefined | false>): Promise<T> {
  for (let i = 0; i < 600; i++) {
    const v = await probe();
    if (v) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

test('run-complete, approval-needed, conflict-detected, workspace-ready and system notifications: list, read, read-all, count, preferences, events', async (t) => {
  const org = uniqueName('nt');
  const w = await world({ [org]: { extra: [
    doc('AgentStack', 'gated', { organizationRef: org, baseAgent: 'claude-code', model: 'claude-sonnet', adapter: 'mux', runtimeIdentity: 'fixer-bot', providerConfig: 'anthropic', requiresApproval: true }),
    doc('KradleWorkspacePolicy', 'warm', { organizationRef: org, mode: 'worktree', retentionPolicy: {}, warmPool: 0 }),
  ] } });
  const { api, as } = await wiredApi(t, w);
  const ada = await as(org, 'admin', 'ada');
  const dana = await as(org, 'writer', 'dana');
  const N = `/api/orgs/${org}/notifications`;

  // run-complete, to the requester
  const run = (await ada.post(`/api/orgs/${org}/agents/dispatch`, { stack: 'fixer', repository: 'api', ref: 'refs/heads/main' })).body;
  const secret = w.kube.object({ apiVersion: 'v1', kind: 'Secret', namespace: tenantNamespace(org), name: `kradle-agent-${run.metadata.name}-token` }) as any;
  const token = secret.stringData?.token ?? Buffer.from(secret.data.token, 'base64').toString();
  t.is((await client(api.url, token).post(`/api/orgs/${org}/agents/runs/${run.metadata.name}/callback`, { phase: 'Succeeded' })).status, 200);
  const done = await waitFor('run-complete', async () => (await ada.get(`${N}?unread=true`)).body.items.find((n: any) => n.type === 'run-complete'));
  t.like(done, { recipient: 'ada', severity: 'info', resource: { kind: 'AgentDispatchRun', name: run.metadata.name }, read: false });

  // approval-needed, to the org's approvers (Team maintainers/approvers): dana
  const gated = (await ada.post(`/api/orgs/${org}/agents/dispatch`, { stack: 'gated', repository: 'api', ref: 'refs/heads/main' })).body;
  t.is(gated.status.phase, 'AwaitingApproval');
  const asked = await waitFor('approval-needed', async () => (await dana.get(N)).body.items.find((n: any) => n.type === 'approval-needed'));
  t.like(asked, { recipient: 'dana', severity: 'warning', resource: { kind: 'AgentApproval', name: gated.status.approvalRef } });

  // conflict-detected, to the approvers
  await w.store.resources.create({ apiVersion: 'kradle.a5c.ai/v1alpha1', kind: 'ExternalSyncConflict', metadata: { name: 'c-1', namespace: tenantNamespace(org) }, spec: { organizationRef: org, providerRef: 'jira', resourceRef: 'Issue/x', conflictKind: 'field' } });
  await waitFor('conflict-detected', async () => (await dana.get(N)).body.items.find((n: any) => n.type === 'conflict-detected'));

  // workspace-ready, to the run's requester, when a workspace is claimed for it
  const pool = poolConfig(w.state, org, 'warm')!;
  await w.store.resources.create({ apiVersion: 'kradle.a5c.ai/v1alpha1', kind: WORKSPACE_KIND, metadata: { name: 'ws-ready', namespace: tenantNamespace(org), labels: { 'kradle.a5c.ai/workspace-policy': 'warm' } }, spec: { organizationRef: org, workspaceRef: 'ws-ready', status: 'managed', policy: 'warm' }, status: { phase: 'Ready' } });
  const claimed = await claimWorkspace({ store: w.store, clock: { now: () => new Date() }, random: () => Buffer.alloc(6, 1) }, org, pool, run.metadata.name);
  t.is(claimed.metadata.name, 'ws-ready');
  await waitFor('workspace-ready', async () => (await ada.get(N)).body.items.find((n: any) => n.type === 'workspace-ready'));

  // system, sent by an admin
  t.is((await ada.post(N, { recipient: 'dana', title: 'maintenance tonight' })).status, 201);
  t.is((await dana.post(N, { recipient: 'ada', title: 'nope' })).status, 403);

  const danaTypes = (await dana.get(N)).body.items.map((n: any) => n.type).sort();
  t.deepEqual(danaTypes, ['approval-needed', 'conflict-detected', 'system']);
  t.is((await dana.get(`${N}/unread-count`)).body.unread, 3);
  const first = (await dana.get(N)).body.items[0];
  t.like((await dana.post(`${N}/${first.id}/read`)).body, { id: first.id, read: true });
  t.is((await dana.get(`${N}/unread-count`)).body.unread, 2);
  t.is((await ada.post(`${N}/${first.id}/read`)).status, 404, 'another recipient\'s notification');
  t.is((await dana.post(`${N}/read-all`)).body.marked, 2);
  t.is((await dana.get(`${N}/unread-count`)).body.unread, 0);
  t.is((await dana.get(`${N}?recipient=ada`)).status, 403);
  t.true((await ada.get(`${N}?recipient=dana`)).body.items.length === 3);

  // preferences: a muted type is not recorded
  t.deepEqual((await ada.post(`${N}/preferences`, { muted: ['run-complete'] })).body, { muted: ['run-complete'] });
  t.is((await ada.post(`${N}/preferences`, { muted: ['everything'] })).status, 400);
  t.deepEqual((await ada.get(`${N}/preferences`)).body, { muted: ['run-complete'] });
  const before = (await ada.get(N)).body.items.length;
  t.is((await ada.post(N, { recipient: 'ada', title: 'still delivered: system is not muted' })).status, 201);
  t.is((await ada.get(N)).body.items.length, before + 1);

  const events = (await w.store.events.since(0, { org, limit: 5000 })).filter((e) => e.type === 'NOTIFICATION');
  t.deepEqual([...new Set(events.map((e) => (e.payload as any).type))].sort(), ['approval-needed', 'conflict-detected', 'run-complete', 'system', 'workspace-ready']);
});
