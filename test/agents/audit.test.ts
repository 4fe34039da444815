// §13: agent-domain actions reach the audit log with actor and org, queryable by the audit route.
import test from 'ava';
import { tenantNamespace } from '../../src/kinds/index.ts';
import { createAgentAuditor } from '../../src/agents/audit.ts';
import { createStore } from '../../src/store/index.ts';
import { uniqueName } from '../support/store.ts';
import { dispatchWorld, memoryRepo, wiredApi } from './dispatch-support.ts';
import { doc } from './helpers.ts';

const world = dispatchWorld(test);

test('dispatch, retry, approvals and decisions, memory imports, external sync and conflict resolution are audited', async (t) => {
  const org = uniqueName('au');
  const memory = memoryRepo(t, org);
  const w = await world({ [org]: { extra: [
    ...memory.docs,
    doc('AgentStack', 'gated', { organizationRef: org, baseAgent: 'claude-code', model: 'claude-sonnet', adapter: 'mux', runtimeIdentity: 'fixer-bot', providerConfig: 'anthropic', requiresApproval: true }),
  ] } });
  const { as } = await wiredApi(t, w);
  const ada = await as(org, 'admin', 'ada');
  const A = `/api/orgs/${org}/agents`;

  const gated = (await ada.post(`${A}/dispatch`, { stack: 'gated', repository: 'api', ref: 'refs/heads/main' })).body;
  await ada.post(`${A}/approvals/${gated.status.approvalRef}/decide`, { decision: 'deny', reason: 'no' });
  const run = (await ada.post(`${A}/dispatch`, { stack: 'fixer', repository: 'api', ref: 'refs/heads/main' })).body;
  const job = { apiVersion: 'batch/v1', kind: 'Job', namespace: tenantNamespace(org), name: `kradle-agent-${run.metadata.name}` };
  w.kube.setStatus(job, { failed: 1, conditions: [{ type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded' }] });
  // The leader's Job controller sees the failure; then the run is retried by ada.
  for (let i = 0; i < 400 && (await w.dispatch.get(org, run.metadata.name)).status.phase !== 'Failed'; i++) await new Promise((r) => setTimeout(r, 50));
  t.is((await ada.post(`${A}/runs/${run.metadata.name}/retry`)).status, 201);
  const imp = await ada.post(`${A}/memory/imports`, { source: { kind: 'Manual', name: 'notes-1' }, entries: [{ type: 'runbook', id: 'r1', title: 'Restart', body: 'Restart the pod.' }] });
  t.true(imp.status < 300, JSON.stringify(imp.body));
  await w.store.resources.create({ apiVersion: 'kradle.a5c.ai/v1alpha1', kind: 'ExternalSyncEvent', metadata: { name: 'ev-1', namespace: tenantNamespace(org) }, spec: { organizationRef: org, providerRef: 'jira', eventKind: 'Applied', resourceRef: 'Issue/x' } }, { actor: 'sync-bot' });
  const conflict = await w.store.resources.create({ apiVersion: 'kradle.a5c.ai/v1alpha1', kind: 'ExternalSyncConflict', metadata: { name: 'c-1', namespace: tenantNamespace(org) }, spec: { organizationRef: org, providerRef: 'jira', resourceRef: 'Issue/x', conflictKind: 'field' }, status: { phase: 'Open' } }, { actor: 'sync-bot' });
  await w.store.resources.updateStatus({ ...conflict, status: { phase: 'Resolved', strategy: 'prefer-kradle' } }, { actor: 'ada' });

  const wanted = ['dispatch', 'approval-request', 'approval-decision', 'run-complete', 'retry', 'memory-import', 'external-sync', 'conflict-resolution'];
  let actions: Set<string> = new Set();
  let entries: any[] = [];
  for (let i = 0; i < 400 && !wanted.every((a) => actions.has(a)); i++) {
    entries = (await ada.get(`/api/orgs/${org}/audit?limit=500`)).body.items;
    actions = new Set(entries.map((e: any) => e.action));
    await new Promise((r) => setTimeout(r, 50));
  }
  t.deepEqual(wanted.filter((a) => !actions.has(a)), []);
  t.true(entries.every((e: any) => e.org === org));
  t.like(entries.find((e: any) => e.action === 'approval-decision'), { actor: 'ada', outcome: 'Denied' });
  t.like(entries.find((e: any) => e.action === 'retry'), { actor: 'ada', outcome: `of ${run.metadata.name}` });
  t.like(entries.find((e: any) => e.action === 'conflict-resolution'), { actor: 'ada', outcome: 'prefer-kradle' });
  t.like(entries.find((e: any) => e.action === 'external-sync'), { actor: 'sync-bot' });
  t.true(entries.some((e: any) => e.action === 'dispatch' && e.actor === 'ada' && e.resource.name === run.metadata.name));
  const filtered = (await ada.get(`/api/orgs/${org}/audit?action=retry`)).body.items;
  t.is(filtered.length, 1);
});

test('events that audit nothing move the cursor past them, and a restarted auditor audits nothing twice', async (t) => {
  const store = createStore({ dataDir: 'memory://' });
  await store.migrate();
  t.teardown(() => store.close());
  const org = uniqueName('cur');
  let auditor = createAgentAuditor({ store });
  await auditor.start();
  const noise = (i: number) => store.events.publish({ org, type: 'ResourceChanged', kind: 'Team', name: `team-${i}` });
  await noise(1);
  await noise(2);
  await store.events.publish({ org, type: 'MEMORY_IMPORT_SUCCEEDED', kind: 'AgentMemoryImport', name: 'imp-1', actor: 'ada' });
  await noise(3);
  const last = await noise(4);
  for (let i = 0; i < 400 && (await store.cursors.get('agent-audit')) !== last.seq; i++) await new Promise((r) => setTimeout(r, 25));
  t.is(await store.cursors.get('agent-audit'), last.seq);
  await auditor.stop();

  auditor = createAgentAuditor({ store });
  await auditor.start();
  const after = await store.events.publish({ org, type: 'MEMORY_IMPORT_FAILED', kind: 'AgentMemoryImport', name: 'imp-2', actor: 'ada' });
  for (let i = 0; i < 400 && (await store.cursors.get('agent-audit')) !== after.seq; i++) await new Promise((r) => setTimeout(r, 25));
  await auditor.stop();
  const entries = await store.audit.query({ org });
  t.deepEqual(entries.map((e) => `${e.action} ${e.outcome}`).sort(), ['memory-import FAILED', 'memory-import SUCCEEDED']);
});
