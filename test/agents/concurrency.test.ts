// Concurrency, repetition and hostile input against the agents domain, as production traffic hits it.
import test from 'ava';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { agentRouteDefs, createMemoryImportService, createMemoryService, createTriggerService, type AgentContext } from '../../src/agents/index.ts';
import { isKradleError, type KradleError } from '../../src/errors/index.ts';
import { tenantNamespace } from '../../src/kinds/index.ts';
import { createTestRepo } from '../support/git-repo.ts';
import { uniqueName } from '../support/store.ts';
import { dispatchWorld, request, type World } from './dispatch-support.ts';
import { loadState, MEMORY_ONTOLOGY, memoryDocs, orgFiles } from './helpers.ts';

const world = dispatchWorld(test);
const admin = (org: string) => ({ subject: 'root', org, role: 'admin' as const });
const cleanup: (() => void)[] = [];
test.after.always(() => cleanup.forEach((f) => f()));

function tokenOf(w: World, org: string, run: string): string {
  const secret = w.kube.object({ apiVersion: 'v1', kind: 'Secret', namespace: tenantNamespace(org), name: `kradle-agent-${run}-token` }) as any;
  return secret.stringData?.token ?? Buffer.from(secret.data.token, 'base64').toString();
}

async function runEvents(w: World, org: string, run: string): Promise<string[]> {
  return (await w.store.events.since(0, { org, limit: 5000 })).filter((e) => e.name === run).map((e) => e.type);
}

const count = (list: string[], type: string) => list.filter((x) => x === type).length;

function deferred() {
  let open!: () => void;
  const promise = new Promise<void>((r) => { open = r; });
  return { promise, open };
}

// --- approvals ---

test('two approvers deciding at once: one decision wins, the other gets 409, the run starts once', async (t) => {
  const org = uniqueName('cc');
  const w = await world({ [org]: { requiresApproval: true } });
  const run = await w.dispatch.create(org, request());
  const approval = String(run.status.approvalRef);
  const results = await Promise.allSettled([
    w.approvals.decide(org, approval, { decision: 'approve' }, admin(org)),
    w.approvals.decide(org, approval, { decision: 'deny', reason: 'no' }, { subject: 'dana', org, role: 'writer' }),
  ]);
  const ok = results.filter((r) => r.status === 'fulfilled');
  const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
  t.is(ok.length, 1);
  t.is(refused.length, 1);
  t.is((refused[0]!.reason as KradleError).status, 409);
  const winner = (ok[0] as PromiseFulfilledResult<{ status: Record<string, unknown> }>).value.status.phase;
  const after = await w.dispatch.get(org, run.metadata.name);
  t.is(after.status.phase, winner === 'Approved' ? 'Running' : 'Failed');
  const events = await runEvents(w, org, run.metadata.name);
  t.is(count(events, 'RUN_STARTED') + count(events, 'RUN_FAILED'), 1);
  t.is(w.kube.objects('batch/v1', 'Job', tenantNamespace(org)).length, winner === 'Approved' ? 1 : 0);
});

test('approval decide bodies with wrong types get 400, and the approval stays Pending', async (t) => {
  const org = uniqueName('cc');
  const w = await world({ [org]: { requiresApproval: true } });
  const run = await w.dispatch.create(org, request());
  const approval = String(run.status.approvalRef);
  const route = agentRouteDefs({ dispatch: w.dispatch, approvals: w.approvals, triggers: { processEvent: async () => [] } }).find((r) => r.path.endsWith('/decide'))!;
  for (const body of [{ decision: ['approve'] }, { decision: 'approve', reason: { text: 'x' } }, { decision: 'deny', reason: 42 }, { decision: 7 }]) {
    const ctx = { params: { org, name: approval }, state: { principal: admin(org), body }, get: () => '' } as unknown as AgentContext;
    const err = (await t.throwsAsync(route.handler(ctx))) as KradleError;
    t.true(isKradleError(err), JSON.stringify(body));
    t.is(err.status, 400, JSON.stringify(body));
  }
  t.is((await w.store.resources.get('AgentApproval', tenantNamespace(org), approval))?.status.phase, 'Pending');
  t.is((await w.dispatch.get(org, run.metadata.name)).status.phase, 'AwaitingApproval');
});

// --- callbacks ---

test('the same callback delivered twice at once completes the run once; its steps are counted once', async (t) => {
  const org = uniqueName('cc');
  const w = await world({ [org]: {} });
  const run = await w.dispatch.create(org, request());
  const name = run.metadata.name;
  const token = tokenOf(w, org, name);
  const body = { phase: 'Succeeded', costUsd: 0.5, steps: [{ event: 'started', stepKind: 'tool', stepId: 's1' }, { event: 'completed', stepKind: 'tool', stepId: 's1', durationMs: 3 }] };
  const results = await Promise.allSettled([w.dispatch.callback(org, name, token, body), w.dispatch.callback(org, name, token, body)]);
  t.is(results.filter((r) => r.status === 'fulfilled').length, 1);
  const refused = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  t.is((refused?.reason as KradleError).status, 409);
  const after = await w.dispatch.get(org, name);
  t.is(after.status.phase, 'Completed');
  t.deepEqual({ ...(after.status.steps as object), lastStepAt: undefined }, { started: 1, completed: 1, lastStepAt: undefined });
  const events = await runEvents(w, org, name);
  t.is(count(events, 'STEP_STARTED'), 1);
  t.is(count(events, 'STEP_COMPLETED'), 1);
  t.is(count(events, 'RUN_COMPLETED'), 1);
  t.true(events.lastIndexOf('STEP_COMPLETED') < events.indexOf('RUN_COMPLETED'), 'steps come before the completion');
  // A later redelivery changes nothing.
  t.is(((await t.throwsAsync(w.dispatch.callback(org, name, token, body))) as KradleError).status, 409);
  t.is(count(await runEvents(w, org, name), 'STEP_STARTED'), 1);
});

test('a callback after the deadline failed the run gets 409 and does not resurrect it', async (t) => {
  const org = uniqueName('cc');
  const w = await world({ [org]: {} });
  const run = await w.dispatch.create(org, request());
  const name = run.metadata.name;
  const token = tokenOf(w, org, name);
  const ref = { apiVersion: 'batch/v1', kind: 'Job', namespace: tenantNamespace(org), name: String(run.status.k8sJobName) };
  const job = w.kube.setStatus(ref, { failed: 1, conditions: [{ type: 'Failed', status: 'True', reason: 'DeadlineExceeded', message: 'too long' }] });
  const [observed, late] = await Promise.allSettled([w.dispatch.observeJob(job as any), w.dispatch.callback(org, name, token, { phase: 'Succeeded', steps: [{ event: 'started', stepKind: 'x' }] })]);
  t.is(observed.status, 'fulfilled');
  const after = await w.dispatch.get(org, name);
  if (late.status === 'rejected') {
    t.is((late.reason as KradleError).status, 409);
    t.is(after.status.phase, 'Failed');
    t.is(after.status.deadlineExceeded, true);
  } else {
    t.is(after.status.phase, 'Completed');
  }
  const events = await runEvents(w, org, name);
  t.is(count(events, 'RUN_FAILED') + count(events, 'RUN_COMPLETED'), 1);
  const again = (await t.throwsAsync(w.dispatch.callback(org, name, token, { phase: 'Succeeded' }))) as KradleError;
  t.is(again.status, 409);
  t.is((await w.dispatch.get(org, name)).status.phase, after.status.phase);
});

test('a callback with the token of another run is refused with 401 and changes nothing', async (t) => {
  const org = uniqueName('cc');
  const w = await world({ [org]: {} });
  const [a, b] = await Promise.all([w.dispatch.create(org, request()), w.dispatch.create(org, request())]);
  const err = (await t.throwsAsync(w.dispatch.callback(org, a.metadata.name, tokenOf(w, org, b.metadata.name), { phase: 'Succeeded' }))) as KradleError;
  t.is(err.status, 401);
  t.is((await w.dispatch.get(org, a.metadata.name)).status.phase, 'Running');
});

// --- starts and retries ---

test('a second start while the first is still submitting the Job does not start the run twice', async (t) => {
  const org = uniqueName('cc');
  let gate: Promise<void> | undefined;
  const probing = deferred();
  const w = await world({ [org]: {} }, { transportHealthy: async () => { if (!gate) return false; probing.open(); await gate; return true; } });
  const run = await w.dispatch.create(org, request());
  t.is(run.status.phase, 'Queued');
  const release = deferred();
  gate = release.promise;
  const first = w.dispatch.start(org, run.metadata.name);
  await probing.promise; // the first start has claimed the run and is probing the transport
  const second = w.dispatch.start(org, run.metadata.name);
  const third = w.dispatch.retryQueued(org);
  await new Promise((r) => setTimeout(r, 50));
  release.open();
  const results = await Promise.allSettled([first, second, third]);
  t.deepEqual(results.map((r) => r.status), ['fulfilled', 'fulfilled', 'fulfilled'], JSON.stringify(results.map((r) => r.status === 'rejected' ? String(r.reason) : '')));
  const after = await w.dispatch.get(org, run.metadata.name);
  t.is(after.status.phase, 'Running');
  t.is(count(await runEvents(w, org, run.metadata.name), 'RUN_STARTED'), 1);
  // The token the Job reads is the one whose hash the store keeps.
  const token = tokenOf(w, org, run.metadata.name);
  const [row] = await w.store.query<{ token_hash: string }>('SELECT token_hash FROM agent_run_tokens WHERE org = $1 AND run = $2', [org, run.metadata.name]);
  t.is(row?.token_hash, createHash('sha256').update(token).digest('hex'));
  t.is((await w.dispatch.callback(org, run.metadata.name, token, { phase: 'Succeeded' })).status.phase, 'Completed');
});

test('a retry while the run is still Running is refused with 409 and launches nothing', async (t) => {
  const org = uniqueName('cc');
  const w = await world({ [org]: {} });
  const run = await w.dispatch.create(org, request());
  const err = (await t.throwsAsync(w.dispatch.retry(org, run.metadata.name, 'alice'))) as KradleError;
  t.is(err.status, 409);
  t.is((await w.dispatch.list(org)).items.length, 1);
  t.is(w.kube.objects('batch/v1', 'Job', tenantNamespace(org)).length, 1);
});

test('two retries of one failed run at once make one new run', async (t) => {
  const org = uniqueName('cc');
  const w = await world({ [org]: {} });
  const run = await w.dispatch.create(org, request());
  await w.dispatch.callback(org, run.metadata.name, tokenOf(w, org, run.metadata.name), { phase: 'Failed', errorMessage: 'flaky' });
  const results = await Promise.allSettled([w.dispatch.retry(org, run.metadata.name, 'alice'), w.dispatch.retry(org, run.metadata.name, 'bob')]);
  const made = results.filter((r): r is PromiseFulfilledResult<any> => r.status === 'fulfilled').map((r) => r.value.metadata.name);
  const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
  t.is(made.length, 1);
  t.is((refused[0]?.reason as KradleError).status, 409);
  const runs = (await w.dispatch.list(org)).items;
  t.is(runs.length, 2);
  t.is(w.kube.objects('batch/v1', 'Job', tenantNamespace(org)).length, 2);
  t.is((await w.dispatch.get(org, run.metadata.name)).status.retriedBy, made[0]);
});

// --- triggers ---

test('the same trigger event processed at once by two service instances dispatches one run', async (t) => {
  const org = uniqueName('cc');
  const w = await world({ [org]: {} });
  const a = createTriggerService({ store: w.store, desired: () => w.state, dispatch: w.dispatch });
  const b = createTriggerService({ store: w.store, desired: () => w.state, dispatch: w.dispatch });
  const event = { type: 'pipeline-failure', source: { kind: 'Pipeline', name: 'build' }, repository: 'api' };
  const out = (await Promise.all([a.processEvent(org, event), b.processEvent(org, event), a.processEvent(org, event)])).flat().filter((o) => o.rule === 'fix-ci');
  t.is(out.filter((o) => o.decision === 'dispatched').length, 1);
  t.is(out.filter((o) => o.decision === 'deduplicated').length, 2);
  t.is((await w.dispatch.list(org)).items.length, 1);
  t.is(w.kube.objects('batch/v1', 'Job', tenantNamespace(org)).length, 1);
});

test('a trigger event with fields of the wrong type is refused with 400', async (t) => {
  const org = uniqueName('cc');
  const w = await world({ [org]: {} });
  const triggers = createTriggerService({ store: w.store, desired: () => w.state, dispatch: w.dispatch });
  const route = agentRouteDefs({ dispatch: w.dispatch, approvals: w.approvals, triggers }).find((r) => r.path.endsWith('/triggers/process'))!;
  for (const event of [
    { type: 'pipeline-failure', source: { kind: 'Pipeline', name: 'b' }, repository: 'api', uid: { x: 1 } },
    { type: 'pipeline-failure', source: { kind: 'Pipeline', name: 'b' }, repository: 'api', ref: ['main'] },
    { type: 'pipeline-failure', source: { kind: 7, name: 'b' }, repository: 'api' },
    { type: 'comment', source: { kind: 'Issue', name: '1' }, body: { text: '/kradle' } },
  ]) {
    const ctx = { params: { org }, state: { principal: admin(org), body: { event } }, get: () => '' } as unknown as AgentContext;
    const err = (await t.throwsAsync(route.handler(ctx))) as KradleError;
    t.is(err.status, 400, JSON.stringify(event));
  }
  t.is((await w.dispatch.list(org)).items.length, 0);
});

// --- memory ---

async function memoryWorld(twoRepos = false) {
  const org = uniqueName('cm');
  const repo = createTestRepo();
  cleanup.push(() => repo.remove());
  repo.commit({
    '.company-brain/ontology/schema.yaml': MEMORY_ONTOLOGY,
    '.company-brain/graph/services.yaml': 'nodes:\n  - { id: api, kind: service }\nedges: []\n',
  }, 'seed memory');
  const second = createTestRepo();
  cleanup.push(() => second.remove());
  second.commit({ '.company-brain/ontology/schema.yaml': MEMORY_ONTOLOGY }, 'seed second');
  const extra = [...memoryDocs(org), ...(twoRepos ? [JSON.stringify({ apiVersion: 'kradle.a5c.ai/v1alpha1', kind: 'AgentMemoryRepository', metadata: { name: 'brain2' }, spec: { organizationRef: org, repositoryRef: 'company-brain', defaultBranch: 'main', layoutProfile: 'company-brain-v1' } })] : [])];
  const state = await loadState(orgFiles(org, { extra }));
  const w = await world({ [uniqueName('cx')]: {} });
  const deps = { store: w.store, desired: () => state, repos: (r: { name: string }) => ({ gitdir: join(r.name === 'brain2' ? second.dir : repo.dir, '.git') }) };
  return { org, repo, second, store: w.store, memory: createMemoryService(deps), imports: createMemoryImportService(deps) };
}

const runbook = (name: string, text: string) => ({ path: `.company-brain/runbooks/${name}.md`, content: text });

test('memory updates at once, for one run and for several runs on one repository: each lands, nothing lost', async (t) => {
  const m = await memoryWorld();
  const jobs = [
    ...Array.from({ length: 4 }, (_, i) => ({ sourceRun: 'run-same', changes: [runbook(`same-${i}`, `# Same ${i}\n`)] })),
    ...Array.from({ length: 4 }, (_, i) => ({ sourceRun: `run-${i}`, changes: [runbook(`own-${i}`, `# Own ${i}\n`)] })),
  ];
  const updates = await Promise.all(jobs.map((j) => m.memory.proposeUpdate(m.org, j)));
  t.true(updates.every((u) => typeof u.status.commit === 'string'));
  const same = m.repo.git('ls-tree', '-r', '--name-only', 'kradle/agent-memory/run-same').split('\n').filter((p) => p.includes('same-'));
  t.is(same.length, 4, 'every update of the same run is on its branch');
  for (let i = 0; i < 4; i++) t.is(m.repo.git('show', `kradle/agent-memory/run-${i}:.company-brain/runbooks/own-${i}.md`), `# Own ${i}`);
  t.regex(m.repo.git('fsck', '--no-dangling'), /^$/);
});

test('the same diff proposed to two memory repositories lands in both', async (t) => {
  const m = await memoryWorld(true);
  const changes = [runbook('shared', '# Shared\n')];
  const a = await m.memory.proposeUpdate(m.org, { memoryRepository: 'brain', sourceRun: 'run-x', changes });
  const b = await m.memory.proposeUpdate(m.org, { memoryRepository: 'brain2', sourceRun: 'run-x', changes });
  t.is(a.spec.memoryRepository, 'brain');
  t.is(b.spec.memoryRepository, 'brain2');
  t.is(m.second.git('show', 'kradle/agent-memory/run-x:.company-brain/runbooks/shared.md'), '# Shared');
  t.is(m.repo.git('show', 'kradle/agent-memory/run-x:.company-brain/runbooks/shared.md'), '# Shared');
});

test('memory update paths that escape the layout or name git internals are refused, and nothing is committed', async (t) => {
  const m = await memoryWorld();
  const bad = [
    '../outside.md', '/etc/passwd', '.git/config', '.company-brain/runbooks/../../x.md', '.company-brain/runbooks/.git/config',
    '.company-brain/runbooks/.GIT/hooks/post-commit', '.company-brain/graph/a\u0000b.yaml', '.company-brain/runbooks/a\\..\\b.md',
    '.company-brain/runbooks/line\nbreak.md', '.company-brain/runbooks/.gitmodules',
  ];
  for (const path of bad) {
    const err = (await t.throwsAsync(m.memory.proposeUpdate(m.org, { sourceRun: 'run-evil', changes: [{ path, content: '# x\n' }] }))) as KradleError;
    t.true(isKradleError(err), JSON.stringify(path));
    t.is(err.status, 422, JSON.stringify(path));
  }
  t.throws(() => m.repo.git('rev-parse', '--verify', '-q', 'kradle/agent-memory/run-evil'));
});

test('a file of the layout cannot also be used as a directory (no corrupt tree, a 422)', async (t) => {
  const m = await memoryWorld();
  const err = (await t.throwsAsync(m.memory.proposeUpdate(m.org, { sourceRun: 'run-d', changes: [{ path: '.company-brain/graph/services.yaml/x.yaml', content: 'nodes: []\n' }] }))) as KradleError;
  t.true(isKradleError(err));
  t.is(err.status, 422);
  t.regex(err.details.map((d) => d.message).join('\n'), /services\.yaml is a file/);
  const both = (await t.throwsAsync(m.memory.proposeUpdate(m.org, { sourceRun: 'run-d', changes: [runbook('a', '# a\n'), { path: '.company-brain/runbooks/a.md/b.md', content: '# b\n' }] }))) as KradleError;
  t.true(isKradleError(both));
  t.regex(m.repo.git('fsck', '--no-dangling'), /^$/);
});

test('a secret in a memory file path is refused without echoing it', async (t) => {
  const m = await memoryWorld();
  const secret = 'ghp_abcdefghijklmnopqrstuvwxyz0123456789';
  const err = (await t.throwsAsync(m.memory.proposeUpdate(m.org, { sourceRun: 'run-s', changes: [runbook(secret, '# fine\n')] }))) as KradleError;
  t.is(err.status, 422);
  t.false(JSON.stringify({ message: err.message, details: err.details }).includes(secret));
});

test('memory imports mask secrets in attribute keys, not only in values', async (t) => {
  const m = await memoryWorld();
  const secret = 'sk-ant-abcdefghijklmnopqrstuvwxyz0123';
  const imp = await m.imports.collect(m.org, {
    source: { kind: 'AgentDispatchRun', name: 'run-k' }, actor: 'alice',
    entries: [{ type: 'entity', id: 'billing', kind: 'service', attributes: { [secret]: 'owner', [`token=${secret}`]: 'x', nested: { [secret]: 1 } }, confidence: 0.9 }],
  });
  const all = JSON.stringify([imp, await m.store.events.since(0, { org: m.org, limit: 5000 })]);
  t.false(all.includes(secret));
  t.false(m.repo.git('log', '--all', '-p').includes(secret));
});

test('a memory query with a snapshot whose commit is gone gets a clear error, not a crash', async (t) => {
  const m = await memoryWorld();
  const first = await m.memory.query(m.org, { query: 'api', requester: 'alice' });
  // Force-push the default branch to a fresh history and collect the old commits away.
  m.repo.git('checkout', '-q', '--orphan', 'fresh');
  m.repo.git('commit', '-q', '--allow-empty', '-m', 'rewritten');
  m.repo.git('branch', '-f', 'main', 'fresh');
  m.repo.git('checkout', '-q', 'main');
  m.repo.git('branch', '-D', 'fresh');
  m.repo.git('reflog', 'expire', '--expire=now', '--all');
  m.repo.git('gc', '-q', '--prune=now');
  t.throws(() => m.repo.git('cat-file', '-e', first.commit));
  const err = (await t.throwsAsync(m.memory.query(m.org, { query: 'api', snapshot: first.snapshot, requester: 'alice' }))) as KradleError;
  t.true(isKradleError(err), String(err));
  t.true([404, 409, 410].includes(err.status));
  t.regex(err.message, new RegExp(first.snapshot));
});

test('memory queries with fields of the wrong type get 400, not a crash', async (t) => {
  const m = await memoryWorld();
  const bad: Record<string, unknown>[] = [
    { kinds: 'graph' }, { kinds: [1] }, { ref: { name: 'main' } }, { ref: '../../../../etc/passwd' }, { snapshot: { name: 'x' } }, { memoryRepository: ['brain'] },
  ];
  for (const over of bad) {
    const err = (await t.throwsAsync(m.memory.query(m.org, { query: 'api', requester: 'alice', ...(over as object) }))) as KradleError;
    t.true(isKradleError(err), JSON.stringify(over));
    t.true([400, 404].includes(err.status), JSON.stringify(over));
  }
});

test('memory updates with a malformed change list, huge or non-UTF-8 files end in a 422, never a crash', async (t) => {
  const m = await memoryWorld();
  const bad: unknown[] = ['x', {}, [{ path: 1, content: 'x' }], [runbook('big', `# big\n${'a'.repeat(600 * 1024)}\n`)], Array.from({ length: 201 }, (_, i) => runbook(`r${i}`, '# r\n'))];
  for (const changes of bad) {
    const err = (await t.throwsAsync(m.memory.proposeUpdate(m.org, { sourceRun: 'run-h', changes: changes as never }))) as KradleError;
    t.true(isKradleError(err), String(err));
    t.is(err.status, 422);
  }
  // A lone surrogate cannot be UTF-8: the stored digest and the committed blob agree on its replacement.
  const odd = await m.memory.proposeUpdate(m.org, { sourceRun: 'run-h', changes: [runbook('odd', '# odd \ud800\n')] });
  const blob = m.repo.git('cat-file', 'blob', `${String(odd.status.commit)}:.company-brain/runbooks/odd.md`);
  t.is(createHash('sha256').update(`${blob}\n`).digest('hex'), (odd.spec.changes as { sha256: string }[])[0]!.sha256);
});
