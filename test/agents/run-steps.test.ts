import test from 'ava';
import { join } from 'node:path';
import { createMemoryImportService, type MemoryImportService } from '../../src/agents/index.ts';
import type { KradleError } from '../../src/errors/index.ts';
import { tenantNamespace } from '../../src/kinds/index.ts';
import { createTestRepo } from '../support/git-repo.ts';
import { uniqueName } from '../support/store.ts';
import { dispatchWorld, request, type World } from './dispatch-support.ts';
import { doc } from './helpers.ts';

const world = dispatchWorld(test);

function tokenOf(w: World, org: string, run: string): string {
  const secret = w.kube.object({ apiVersion: 'v1', kind: 'Secret', namespace: tenantNamespace(org), name: `kradle-agent-${run}-token` }) as { data?: { token: string }; stringData?: { token: string } };
  return secret.stringData?.token ?? Buffer.from(secret.data!.token, 'base64').toString();
}

async function runEvents(w: World, org: string, run: string): Promise<{ type: string; payload: Record<string, unknown> }[]> {
  const all = await w.store.events.since(0, { org, limit: 1000 });
  return all.filter((e) => e.name === run && /^(STEP_|RUN_)/.test(e.type)).map((e) => ({ type: e.type, payload: e.payload as Record<string, unknown> }));
}

test('a Running run has an AgentSession and a workspaceRef; reported steps become ordered events and counts', async (t) => {
  const org = uniqueName('st');
  const w = await world({ [org]: {} });
  const run = await w.dispatch.create(org, request());
  t.is(run.status.phase, 'Running');
  t.is(run.status.workspaceRef, `emptyDir/kradle-agent-${run.metadata.name}`);
  const session = await w.store.resources.get('AgentSession', tenantNamespace(org), String(run.status.sessionRef));
  t.like(session, { spec: { dispatchRun: run.metadata.name }, status: { phase: 'Active' } });
  const env = ((w.job(run.metadata.name) as any).spec.template.spec.containers[0].env as { name: string; value?: string }[]);
  t.is(env.find((e) => e.name === 'KRADLE_SESSION')?.value, run.status.sessionRef as string);
  t.regex(String(env.find((e) => e.name === 'KRADLE_STEPS_URL')?.value), /\/runs\/[^/]+\/steps$/);

  const token = tokenOf(w, org, run.metadata.name);
  const wrong = (await t.throwsAsync(w.dispatch.reportSteps(org, run.metadata.name, 'krt_wrong', { steps: [{ event: 'started', stepKind: 'tool' }] }))) as KradleError;
  t.is(wrong.status, 401);
  const bad = (await t.throwsAsync(w.dispatch.reportSteps(org, run.metadata.name, token, { steps: [{ event: 'paused', stepKind: 'tool' }] }))) as KradleError;
  t.is(bad.status, 400);
  await w.dispatch.reportSteps(org, run.metadata.name, token, { steps: [
    { event: 'started', stepKind: 'tool', toolName: 'bash', stepId: 's1' },
    { event: 'completed', stepKind: 'tool', toolName: 'bash', stepId: 's1', durationMs: 120 },
  ] });
  const after = await w.dispatch.reportSteps(org, run.metadata.name, token, { event: 'started', stepKind: 'reasoning', stepId: 's2' });
  t.like(after.status.steps, { started: 2, completed: 1 });
  const done = await w.dispatch.callback(org, run.metadata.name, token, { phase: 'Succeeded', steps: [{ event: 'completed', stepKind: 'reasoning', stepId: 's2', durationMs: 5 }] });
  t.like(done.status.steps, { started: 2, completed: 2 });
  t.deepEqual((await runEvents(w, org, run.metadata.name)).map((e) => [e.type, e.payload.stepId ?? null]), [
    ['RUN_CREATED', null], ['RUN_QUEUED', null], ['RUN_STARTED', null], ['STEP_STARTED', 's1'], ['STEP_COMPLETED', 's1'], ['STEP_STARTED', 's2'], ['STEP_COMPLETED', 's2'], ['RUN_COMPLETED', null],
  ]);
  const steps = (await runEvents(w, org, run.metadata.name)).filter((e) => e.type.startsWith('STEP_'));
  t.like(steps[0]!.payload, { runId: run.metadata.name, stepKind: 'tool', toolName: 'bash' });
  t.like(steps[1]!.payload, { runId: run.metadata.name, stepKind: 'tool', durationMs: 120 });
  t.is((await w.store.resources.get('AgentSession', tenantNamespace(org), String(run.status.sessionRef)))?.status.phase, 'Completed');
  const late = (await t.throwsAsync(w.dispatch.reportSteps(org, run.metadata.name, token, { event: 'started', stepKind: 'tool' }))) as KradleError;
  t.is(late.status, 409, 'a finished run takes no more steps');
});

test('a completed run callback carrying memory entries becomes an import merged on kradle/agent-memory/<run>', async (t) => {
  const org = uniqueName('sm');
  const repo = createTestRepo();
  t.teardown(() => repo.remove());
  repo.commit({ '.company-brain/graph/api.yaml': 'nodes:\n  - { id: api, kind: service }\n' }, 'seed');
  let imports: MemoryImportService | undefined;
  const w = await world({ [org]: { extra: [
    doc('Repository', 'company-brain', { organizationRef: org, visibility: 'private' }),
    doc('AgentMemoryRepository', 'brain', { organizationRef: org, repositoryRef: 'company-brain', defaultBranch: 'main', layoutProfile: 'company-brain-v1' }),
  ] } }, { memoryImports: { collect: (o, i) => imports!.collect(o, i) } });
  imports = createMemoryImportService({ store: w.store, desired: () => w.state, repos: () => ({ gitdir: join(repo.dir, '.git') }) });
  const run = await w.dispatch.create(org, request());
  const token = tokenOf(w, org, run.metadata.name);
  const badMemory = (await t.throwsAsync(w.dispatch.callback(org, run.metadata.name, token, { phase: 'Succeeded', memory: { entries: [{ type: 'gossip', id: 'x' }] } }))) as KradleError;
  t.is(badMemory.status, 422);
  t.is((await w.dispatch.get(org, run.metadata.name)).status.phase, 'Running', 'a bad memory section changes nothing');
  const entries = [{ type: 'runbook', id: 'flaky-test', title: 'Flaky test', body: 'Retry the integration job once.', confidence: 0.9 }];
  const done = await w.dispatch.callback(org, run.metadata.name, token, { phase: 'Succeeded', memory: { entries, transcriptRef: 'transcript-1' } });
  t.is(done.status.phase, 'Completed');
  t.is(done.status.memoryImportRef, `mi-${run.metadata.name}`);
  const imp = await imports.get(org, `mi-${run.metadata.name}`);
  t.like(imp.status, { phase: 'Merged', sourceType: 'run', transcriptRef: 'transcript-1', mergedEntryCount: 1 });
  t.is(repo.git('rev-parse', `kradle/agent-memory/${run.metadata.name}`), imp.status.commit as string);
});
