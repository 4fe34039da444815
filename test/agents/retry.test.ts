// §6.8 retries through the API and `kradle retry`: a new run per attempt, each attempt record ending with its run.
import test from 'ava';
import { agentRouteDefs } from '../../src/agents/index.ts';
import type { RouteDef } from '../../src/api/index.ts';
import { tenantNamespace } from '../../src/kinds/index.ts';
import { client, makeToken, startApi, type Running } from '../support/api-client.ts';
import { configOf, fakeSync } from '../support/api-fakes.ts';
import { runKradle } from '../support/kradle-cli.ts';
import { uniqueName } from '../support/store.ts';
import { dispatchWorld, request, type World } from './dispatch-support.ts';

const world = dispatchWorld(test);
const kradle = (args: string[], env: Record<string, string>) => runKradle(args, { env });

async function api(t: { teardown(fn: () => unknown): void }, w: World): Promise<Running> {
  const extraRoutes = agentRouteDefs({ dispatch: w.dispatch, approvals: w.approvals, triggers: { processEvent: async () => [] } }) as unknown as RouteDef[];
  const running = await startApi({ store: w.store, config: configOf(() => w.state), sync: fakeSync(), extraRoutes });
  t.teardown(() => running.close());
  return running;
}

async function failJob(w: World, org: string, run: string) {
  const current = await w.dispatch.get(org, run);
  const job = w.kube.setStatus({ apiVersion: 'batch/v1', kind: 'Job', namespace: tenantNamespace(org), name: String(current.status.k8sJobName) }, { failed: 1, conditions: [{ type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded', message: 'pod exited 1' }] });
  return w.dispatch.observeJob(job as never);
}

const attempt = (w: World, org: string, name: string) => w.store.resources.get('AgentDispatchAttempt', tenantNamespace(org), name);

test('a failed run is retried by `kradle retry` as a new run with the next attempt; every attempt ends with its run', async (t) => {
  const org = uniqueName('rt');
  const w = await world({ [org]: {} });
  const running = await api(t, w);
  const token = await makeToken(running.app, org, 'writer', 'wendy');
  const first = await w.dispatch.create(org, request());
  t.is((await attempt(w, org, `${first.metadata.name}-a1`))?.status.phase, 'Running');
  t.is((await failJob(w, org, first.metadata.name))?.status.phase, 'Failed');
  t.like((await attempt(w, org, `${first.metadata.name}-a1`))?.status, { phase: 'Failed', retryable: true });

  const out = await kradle(['retry', first.metadata.name, '--org', org], { KRADLE_SERVER: running.url, KRADLE_TOKEN: token });
  t.is(out.code, 0, out.stderr);
  const [name, phase, , n] = out.stdout.trim().split(/\s+/);
  t.is(phase, 'Running');
  t.is(n, '2');
  const second = await w.dispatch.get(org, name!);
  t.like(second.spec, { attemptNumber: 2, retryOf: first.metadata.name, requestedBy: 'wendy' });
  t.is((await w.dispatch.get(org, first.metadata.name)).status.retriedBy, name);
  t.like((await attempt(w, org, `${name}-a2`))?.spec, { attemptReason: 'retry' });

  const again = await client(running.url, token).post(`/api/orgs/${org}/agents/runs/${first.metadata.name}/retry`);
  t.is(again.status, 409, 'a run is retried once');
  t.regex(again.body.error.message, /already retried/);

  const secret = w.kube.object({ apiVersion: 'v1', kind: 'Secret', namespace: tenantNamespace(org), name: `kradle-agent-${name}-token` }) as any;
  const runToken = secret.stringData?.token ?? Buffer.from(secret.data.token, 'base64').toString();
  await w.dispatch.callback(org, name!, runToken, { phase: 'Succeeded' });
  t.like((await attempt(w, org, `${name}-a2`))?.status, { phase: 'Completed', exitCode: 0 });
});

test('a run marked not retryable says why, on the route and in `kradle retry`', async (t) => {
  const org = uniqueName('rt');
  const w = await world({ [org]: { withoutSecretGrant: true } });
  const running = await api(t, w);
  const token = await makeToken(running.app, org, 'writer', 'wendy');
  const run = await w.dispatch.create(org, request());
  t.is(run.status.phase, 'Failed');
  const res = await client(running.url, token).post(`/api/orgs/${org}/agents/runs/${run.metadata.name}/retry`);
  t.is(res.status, 409);
  t.regex(res.body.error.message, /not retryable \(MISSING_SECRET_GRANT: SecretsAdmitted/);
  t.is(res.body.error.details[0].code, 'NOT_RETRYABLE');
  const out = await kradle(['retry', run.metadata.name, '--org', org], { KRADLE_SERVER: running.url, KRADLE_TOKEN: token });
  t.is(out.code, 1);
  t.regex(out.stderr, /409 CONFLICT: run .* is not retryable/);
  const reader = await makeToken(running.app, org, 'reader', 'rita');
  t.is((await client(running.url, reader).post(`/api/orgs/${org}/agents/runs/${run.metadata.name}/retry`)).status, 403);
  t.is((await w.store.resources.list('AgentDispatchRun', { namespace: tenantNamespace(org) })).items.length, 1, 'no new run');
});
