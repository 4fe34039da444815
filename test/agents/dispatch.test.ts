import test from 'ava';
import { createHash } from 'node:crypto';
import type { KradleError } from '../../src/errors/index.ts';
import { tenantNamespace } from '../../src/kinds/index.ts';
import { uniqueName } from '../support/store.ts';
import { createJobController } from '../../src/agents/index.ts';
import { createLiveDriver } from '../../src/cluster/live-driver.ts';
import { dispatchWorld, request } from './dispatch-support.ts';

const world = dispatchWorld(test);

test('a dispatch runs as a Job with the stack identity, the token from a Secret owned by the Job, and an attempt record', async (t) => {
  const org = uniqueName('d');
  const w = await world({ [org]: {} });
  const run = await w.dispatch.create(org, request());
  t.is(run.status.phase, 'Running');
  for (const f of ['createdAt', 'queuedAt', 'startedAt', 'k8sJobName', 'budgetCheckResult', 'resolvedTransport', 'attemptNumber']) t.truthy(run.status[f] ?? null, f);
  t.deepEqual(run.status.resolvedTransport, { protocol: 'websocket', codec: 'msgpack', binding: 'mux-gw', endpoint: 'wss://mux.example/v1' });
  const job = w.job(run.metadata.name) as any;
  t.truthy(job);
  const pod = job.spec.template.spec;
  t.is(pod.serviceAccountName, 'fixer-bot');
  const env = Object.fromEntries(pod.containers[0].env.map((e: any) => [e.name, e]));
  t.is(env.KRADLE_CALLBACK_URL.value, `https://kradle.test/api/orgs/${org}/agents/runs/${run.metadata.name}/callback`);
  t.deepEqual(env.KRADLE_RUN_TOKEN.valueFrom.secretKeyRef.name, `kradle-agent-${run.metadata.name}-token`);
  t.is(env.KRADLE_RUN_TOKEN.value, undefined);
  t.is(pod.containers[0].envFrom, undefined);
  t.deepEqual(env.KRADLE_PROVIDER_CREDENTIAL.valueFrom.secretKeyRef, { name: 'anthropic-key', key: 'apiKey' });
  t.true(job.spec.activeDeadlineSeconds > 0);
  const secret = w.kube.object({ apiVersion: 'v1', kind: 'Secret', namespace: tenantNamespace(org), name: `kradle-agent-${run.metadata.name}-token` }) as any;
  t.is(secret.metadata.ownerReferences[0].uid, job.metadata.uid);
  const token = secret.stringData?.token ?? Buffer.from(secret.data.token, 'base64').toString();
  const attempt = await w.store.resources.get('AgentDispatchAttempt', tenantNamespace(org), `${run.metadata.name}-a1`);
  t.is(attempt?.status.k8sJobName, `kradle-agent-${run.metadata.name}`);
  // The token is stored only hashed: it appears in no record, event or table row.
  const rows = await w.store.query<{ token_hash: string }>('SELECT token_hash FROM agent_run_tokens WHERE run = $1', [run.metadata.name]);
  t.is(rows[0]?.token_hash, createHash('sha256').update(token).digest('hex'));
  const everything = JSON.stringify([
    (await w.store.resources.list('AgentDispatchRun', { namespace: tenantNamespace(org) })).items,
    (await w.store.resources.list('AgentDispatchAttempt', { namespace: tenantNamespace(org) })).items,
    await w.store.events.since(0, { org }),
  ]);
  t.false(everything.includes(token));
  const types = (await w.store.events.since(0, { org })).filter((e) => e.name === run.metadata.name).map((e) => e.type);
  t.deepEqual(types.filter((x) => /^RUN_/.test(x)), ['RUN_CREATED', 'RUN_QUEUED', 'RUN_STARTED']);

  const wrong = (await t.throwsAsync(w.dispatch.callback(org, run.metadata.name, 'krt_wrong', { phase: 'Succeeded' }))) as KradleError;
  t.is(wrong.status, 401);
  t.is((await w.dispatch.get(org, run.metadata.name)).status.phase, 'Running');
  t.is(((await t.throwsAsync(w.dispatch.callback(org, run.metadata.name, undefined, { phase: 'Succeeded' }))) as KradleError).status, 401);
  const done = await w.dispatch.callback(org, run.metadata.name, token, { phase: 'Succeeded', exitCode: 0, costUsd: 1.25, artifacts: [{ kind: 'patch', digest: 'sha256:abc', path: 'fix.diff' }] });
  t.is(done.status.phase, 'Completed');
  t.is(done.status.costUsd, 1.25);
  t.is(done.status.exitCode, 0);
  t.truthy(done.status.completedAt);
  const arts = (await w.store.resources.list('KradleArtifact', { namespace: tenantNamespace(org) })).items;
  t.deepEqual(arts.map((a) => [a.spec.dispatchRun, a.spec.kind, a.spec.digest]), [[run.metadata.name, 'patch', 'sha256:abc']]);
});

test('a missing secret grant: the run fails in permission review and no Job is created', async (t) => {
  const org = uniqueName('d');
  const w = await world({ [org]: { withoutSecretGrant: true } });
  const run = await w.dispatch.create(org, request());
  t.is(run.status.phase, 'Failed');
  t.is(run.status.reason, 'MISSING_SECRET_GRANT');
  t.regex(String(run.status.lastError), /SecretsAdmitted.*anthropic-key/);
  t.is(w.job(run.metadata.name), undefined);
  t.is(w.kube.objects('batch/v1', 'Job', tenantNamespace(org)).length, 0);
});

test('a cross-org reference is denied with CROSS_ORG_REF_DENIED', async (t) => {
  const org = uniqueName('d');
  const other = uniqueName('o');
  const w = await world({ [org]: {}, [other]: {} });
  for (const over of [{ repository: `${other}/api` }, { stack: { name: 'fixer', namespace: `kradle-org-${other}` } }, { sourceRefs: [{ org: other, name: 'main' }] }]) {
    const run = await w.dispatch.create(org, request(over));
    t.is(run.status.phase, 'Failed');
    t.is(run.status.reason, 'CROSS_ORG_REF_DENIED');
  }
  t.is(w.kube.objects('batch/v1', 'Job', tenantNamespace(org)).length, 0);
});

test('a run over the org budget fails with budget-exceeded', async (t) => {
  const org = uniqueName('d');
  const w = await world({ [org]: { budgetLimitUsd: 0.1 } });
  const run = await w.dispatch.create(org, request());
  t.is(run.status.phase, 'Failed');
  t.is(run.status.reason, 'budget-exceeded');
  t.is(w.job(run.metadata.name), undefined);
});

test('Job deadline exceeded fails the run through the Job watch', async (t) => {
  const org = uniqueName('d');
  const w = await world({ [org]: {} });
  const jobs = createJobController({ store: w.store, driver: createLiveDriver({ kubeConfig: w.kube.kubeConfig }), observeJob: (job) => w.dispatch.observeJob(job), namespaceOf: tenantNamespace });
  await jobs.start();
  t.teardown(() => jobs.stop());
  const run = await w.dispatch.create(org, request());
  const ref = { apiVersion: 'batch/v1', kind: 'Job', namespace: tenantNamespace(org), name: String(run.status.k8sJobName) };
  w.kube.setStatus(ref, { conditions: [{ type: 'Complete', status: 'False' }] });
  w.kube.setStatus(ref, { failed: 1, conditions: [{ type: 'Failed', status: 'True', reason: 'DeadlineExceeded', message: 'Job was active longer than specified deadline' }] });
  let current = await w.dispatch.get(org, run.metadata.name);
  for (let i = 0; i < 200 && current.status.phase === 'Running'; i++) {
    await new Promise((r) => setTimeout(r, 25));
    current = await w.dispatch.get(org, run.metadata.name);
  }
  t.is(current.status.phase, 'Failed');
  t.is(current.status.deadlineExceeded, true);
  t.truthy(current.status.failedAt);
});

test('a succeeded Job without a callback leaves the run Running', async (t) => {
  const org = uniqueName('d');
  const w = await world({ [org]: {} });
  const run = await w.dispatch.create(org, request());
  const ref = { apiVersion: 'batch/v1', kind: 'Job', namespace: tenantNamespace(org), name: String(run.status.k8sJobName) };
  const job = w.kube.setStatus(ref, { succeeded: 1, conditions: [{ type: 'Complete', status: 'True' }] });
  await w.dispatch.observeJob(job as any);
  t.is((await w.dispatch.get(org, run.metadata.name)).status.phase, 'Running');
});

test('an apply failure keeps the run Queued with a retry condition; a retry later starts it', async (t) => {
  const org = uniqueName('d');
  const w = await world({ [org]: {} });
  w.kube.faults.failNext(1, { method: 'PATCH', path: new RegExp(`/namespaces/${tenantNamespace(org)}/jobs/`), status: 503 });
  const run = await w.dispatch.create(org, request());
  t.is(run.status.phase, 'Queued');
  const cond = (run.status.conditions as any[]).find((c) => c.type === 'JobSubmitted');
  t.is(cond.status, 'False');
  t.is(cond.reason, 'JobApplyFailed');
  const [again] = await w.dispatch.retryQueued(org);
  t.is(again?.status.phase, 'Running');
});

test('a transport outage keeps the run Queued, never Failed', async (t) => {
  const org = uniqueName('d');
  let up = false;
  const w = await world({ [org]: {} }, { transportHealthy: async () => up });
  const run = await w.dispatch.create(org, request());
  t.is(run.status.phase, 'Queued');
  t.is((run.status.conditions as any[])[0].reason, 'TransportUnavailable');
  t.is(w.job(run.metadata.name), undefined);
  up = true;
  t.is((await w.dispatch.start(org, run.metadata.name)).status.phase, 'Running');
});

test('a retry is a new run with the next attempt number; run names never collide', async (t) => {
  const org = uniqueName('d');
  const w = await world({ [org]: {} });
  const runs = await Promise.all(Array.from({ length: 5 }, () => w.dispatch.create(org, request())));
  t.is(new Set(runs.map((r) => r.metadata.name)).size, 5);
  // §6.8: only a failed run is retried.
  const secret = w.kube.object({ apiVersion: 'v1', kind: 'Secret', namespace: tenantNamespace(org), name: `kradle-agent-${runs[0]!.metadata.name}-token` }) as any;
  const token = secret.stringData?.token ?? Buffer.from(secret.data.token, 'base64').toString();
  await w.dispatch.callback(org, runs[0]!.metadata.name, token, { phase: 'Failed', errorMessage: 'flaky' });
  const retried = await w.dispatch.retry(org, runs[0]!.metadata.name, 'alice');
  t.not(retried.metadata.name, runs[0]!.metadata.name);
  t.is(retried.spec.attemptNumber, 2);
  t.is(retried.status.attemptNumber, 2);
  t.truthy(await w.store.resources.get('AgentDispatchAttempt', tenantNamespace(org), `${retried.metadata.name}-a2`));
});
