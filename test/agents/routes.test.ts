import test from 'ava';
import Koa from 'koa';
import type { AddressInfo } from 'node:net';
import { createAgentRoutes, createTriggerService } from '../../src/agents/index.ts';
import { errorMiddleware } from '../../src/api/error-middleware.ts';
import { tenantNamespace } from '../../src/kinds/index.ts';
import { uniqueName } from '../support/store.ts';
import { dispatchWorld, request, wiredApi } from './dispatch-support.ts';
import { doc } from './helpers.ts';

const world = dispatchWorld(test);

/** Stands in for the API's auth: `Authorization: Bearer role:subject:org` sets the principal (per-run tokens pass through). */
async function serve(w: Awaited<ReturnType<typeof world>>) {
  const app = new Koa();
  app.use(errorMiddleware() as Koa.Middleware);
  app.use(async (ctx, next) => {
    const m = /^Bearer (admin|writer|reader):([^:]+):(\S+)$/.exec(ctx.get('authorization'));
    if (m) ctx.state.principal = { role: m[1], subject: m[2], org: m[3] };
    await next();
  });
  const triggers = createTriggerService({ store: w.store, desired: () => w.state, dispatch: w.dispatch });
  app.use(createAgentRoutes({ dispatch: w.dispatch, approvals: w.approvals, triggers }).routes());
  const server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const call = async (method: string, path: string, token?: string, body?: unknown) => {
    const res = await fetch(base + path, { method, headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) }, body: body === undefined ? undefined : JSON.stringify(body) });
    return { status: res.status, body: (await res.json()) as any };
  };
  return { call, base, close: () => new Promise((r) => server.close(r)) };
}

test('HTTP: dispatch, list, callback with a wrong token is 401 and leaves the run unchanged, the right one completes it', async (t) => {
  const org = uniqueName('rt');
  const w = await world({ [org]: {} });
  const http = await serve(w);
  t.teardown(http.close);
  t.is((await http.call('POST', `/api/orgs/${org}/agents/dispatch`, `reader:bob:${org}`, request())).status, 403);
  t.is((await http.call('POST', `/api/orgs/${org}/agents/dispatch`, undefined, request())).status, 401);
  const created = await http.call('POST', `/api/orgs/${org}/agents/dispatch`, `writer:alice:${org}`, { stack: 'fixer', repo: 'api', ref: 'refs/heads/main' });
  t.is(created.status, 201);
  const name = created.body.metadata.name;
  t.is(created.body.status.phase, 'Running');
  const list = await http.call('GET', `/api/orgs/${org}/agents/runs`, `reader:bob:${org}`);
  t.deepEqual(list.body.items.map((r: any) => r.metadata.name), [name]);
  const secret = w.kube.object({ apiVersion: 'v1', kind: 'Secret', namespace: tenantNamespace(org), name: `kradle-agent-${name}-token` }) as any;
  const token = secret.stringData?.token ?? Buffer.from(secret.data.token, 'base64').toString();
  const path = `/api/orgs/${org}/agents/runs/${name}/callback`;
  const wrong = await http.call('POST', path, 'krt_not-the-token', { phase: 'Succeeded' });
  t.is(wrong.status, 401);
  t.is(wrong.body.error.code, 'UNAUTHORIZED');
  // The API token of an admin is not the run token either.
  t.is((await http.call('POST', path, `admin:root:${org}`, { phase: 'Succeeded' })).status, 401);
  t.is((await w.dispatch.get(org, name)).status.phase, 'Running');
  t.is((await http.call('POST', `/api/orgs/${org}/agents/runs/nope/callback`, token, { phase: 'Succeeded' })).status, 404);
  const ok = await http.call('POST', path, token, { phase: 'Succeeded', exitCode: 0, costUsd: 0.5 });
  t.deepEqual(ok, { status: 200, body: { ok: true } });
  t.is((await w.dispatch.get(org, name)).status.phase, 'Completed');
});

test('HTTP: a decider without the approver role gets 403; an admin approves', async (t) => {
  const org = uniqueName('rt');
  const w = await world({ [org]: { requiresApproval: true } });
  const http = await serve(w);
  t.teardown(http.close);
  const run = await w.dispatch.create(org, request());
  const path = `/api/orgs/${org}/agents/approvals/${String(run.status.approvalRef)}/decide`;
  const denied = await http.call('POST', path, `writer:carol:${org}`, { decision: 'approve', decidedBy: 'carol' });
  t.is(denied.status, 403);
  t.is(denied.body.error.code, 'FORBIDDEN');
  const ok = await http.call('POST', path, `admin:root:${org}`, { decision: 'approve', decidedBy: 'root' });
  t.is(ok.status, 200);
  t.is(ok.body.status.phase, 'Approved');
  t.is((await w.dispatch.get(org, run.metadata.name)).status.phase, 'Running');
});

test('HTTP: pipeline-failure events coalesce and a fork launches nothing', async (t) => {
  const org = uniqueName('rt');
  const w = await world({ [org]: {} });
  const http = await serve(w);
  t.teardown(http.close);
  const path = `/api/orgs/${org}/agents/events/pipeline-failure`;
  const a = await http.call('POST', path, `writer:ci:${org}`, { name: 'build-1', repository: 'api', ref: 'refs/heads/main' });
  const b = await http.call('POST', path, `writer:ci:${org}`, { name: 'build-1', repository: 'api', ref: 'refs/heads/main' });
  const fork = await http.call('POST', path, `writer:ci:${org}`, { name: 'build-2', repository: 'api', fork: true });
  const fix = (r: any) => r.body.results.find((x: any) => x.rule === 'fix-ci').decision;
  t.deepEqual([a.status, fix(a), fix(b), fix(fork)], [200, 'dispatched', 'deduplicated', 'rejected']);
  t.is((await http.call('POST', path, `writer:ci:${org}`, {})).status, 400);
  t.is((await w.store.resources.list('AgentDispatchRun', { namespace: tenantNamespace(org) })).items.length, 1);
});

test('CLI: kradle dispatch posts to the API with flags and prints the run', async (t) => {
  const org = uniqueName('rt');
  const w = await world({ [org]: {} });
  const http = await serve(w);
  t.teardown(http.close);
  const { command } = await import('../../src/cli/commands/dispatch.ts');
  const lines: string[] = [];
  const log = console.log;
  console.log = (s: string) => void lines.push(s);
  try {
    const code = await command.run(['--org', org, '--stack', 'fixer', '--repo', 'api', '--ref', 'refs/heads/main', '--server', http.base, '--token', `writer:alice:${org}`]);
    t.is(code, 0);
  } finally {
    console.log = log;
  }
  t.regex(lines[0]!, /^run-[0-9a-f]{12} Running$/);
  t.is(await command.run(['--org', org]), 2);
});

test('HTTP and CLI: a dispatch naming only its stack takes the one Repository it can mean and its default branch, else a 400 naming what to pass', async (t) => {
  const org = uniqueName('rd');
  const stack = (name: string, extra: Record<string, unknown> = {}) => doc('AgentStack', name, { organizationRef: org, baseAgent: 'claude-code', model: 'claude-sonnet', adapter: 'mux', runtimeIdentity: 'fixer-bot', providerConfig: 'anthropic', ...extra });
  const w = await world({ [org]: { extra: [
    doc('Repository', 'web', { organizationRef: org, visibility: 'private', defaultBranch: 'develop' }),
    doc('Repository', 'docs', { organizationRef: org, visibility: 'private' }),
    doc('KradleWorkspacePolicy', 'only-web', { organizationRef: org, mode: 'worktree', retentionPolicy: { ttlSeconds: 600 }, allowedRepositories: ['web'] }),
    doc('KradleWorkspacePolicy', 'api-or-docs', { organizationRef: org, mode: 'worktree', retentionPolicy: { ttlSeconds: 600 }, allowedRepositories: ['api', 'docs'] }),
    stack('web-only', { workspacePolicy: 'only-web' }), stack('two-repos', { workspacePolicy: 'api-or-docs' }),
  ] } });
  const http = await serve(w);
  t.teardown(http.close);
  const dispatch = (body: Record<string, unknown>) => http.call('POST', `/api/orgs/${org}/agents/dispatch`, `writer:alice:${org}`, body);
  const ambiguous = await dispatch({ stack: 'fixer' });
  t.is(ambiguous.status, 400);
  t.is(ambiguous.body.error.message, `dispatch needs repository, sourceRefs: org ${org} declares 3 repositories (api, docs, web): pass repository`);
  const policy = await dispatch({ stack: 'two-repos' });
  t.is(policy.status, 400);
  t.regex(policy.body.error.message, /the workspace policy api-or-docs of stack two-repos allows 2 repositories \(api, docs\): pass repository$/);
  const undeclared = await dispatch({ stack: 'fixer', repository: 'ghost' });
  t.is(undeclared.status, 400);
  t.is(undeclared.body.error.message, `dispatch needs sourceRefs: Repository ghost is not declared in org ${org}, so it has no default branch: pass ref`);
  t.is((await w.store.resources.list('AgentDispatchRun', { namespace: tenantNamespace(org) })).items.length, 0, 'no run for a refused request');

  const byPolicy = await dispatch({ stack: 'web-only' });
  t.is(byPolicy.status, 201, JSON.stringify(byPolicy.body));
  t.like(byPolicy.body.spec, { repository: 'web', sourceRefs: ['refs/heads/develop'] });
  const noBranch = await dispatch({ stack: 'fixer', repository: 'docs' });
  t.is(noBranch.status, 201, JSON.stringify(noBranch.body));
  t.like(noBranch.body.spec, { repository: 'docs', sourceRefs: ['refs/heads/main'] });
  const given = await dispatch({ stack: 'fixer', repository: 'web', ref: 'refs/heads/fix' });
  t.like(given.body.spec, { repository: 'web', sourceRefs: ['refs/heads/fix'] });

  // kradle dispatch sends what it is given and the API fills in the rest, the same way.
  const { command } = await import('../../src/cli/commands/dispatch.ts');
  const out: string[] = [];
  const [log, error] = [console.log, console.error];
  console.log = (s: string) => void out.push(s);
  console.error = (s: string) => void out.push(s);
  try {
    t.is(await command.run(['--org', org, '--stack', 'web-only', '--server', http.base, '--token', `writer:alice:${org}`]), 0);
    t.is(await command.run(['--org', org, '--stack', 'fixer', '--server', http.base, '--token', `writer:alice:${org}`]), 1);
  } finally {
    [console.log, console.error] = [log, error];
  }
  t.regex(out[0]!, /^run-[0-9a-f]{12} \S+$/);
  t.like((await w.dispatch.get(org, out[0]!.split(' ')[0]!)).spec, { repository: 'web', sourceRefs: ['refs/heads/develop'] });
  t.regex(out[1]!, /400 BAD_REQUEST dispatch needs repository, sourceRefs: .* 3 repositories \(api, docs, web\): pass repository$/);
});

test('HTTP: agent routes read bodies like every API route: 413 over 1 MiB, 415 for text/plain, 400 for deep nesting', async (t) => {
  const org = uniqueName('rb');
  const w = await world({ [org]: {} });
  const http = await serve(w);
  t.teardown(http.close);
  const auth = { authorization: `Bearer writer:alice:${org}` };
  const post = async (path: string, body: string, type = 'application/json') => {
    const res = await fetch(http.base + path, { method: 'POST', headers: { 'content-type': type, ...auth }, body });
    return { status: res.status, body: (await res.json()) as any };
  };
  for (const path of [`/api/orgs/${org}/agents/dispatch`, `/api/orgs/${org}/agents/events/comment`]) {
    const deep = '['.repeat(20_000) + ']'.repeat(20_000);
    const nested = await post(path, `{"stack":${deep}}`);
    t.is(nested.status, 400, path);
    t.is(nested.body.error.code, 'BAD_REQUEST');
    const big = await post(path, JSON.stringify({ stack: 'x'.repeat(10 * 1024 * 1024) }));
    t.is(big.status, 413, path);
    t.is(big.body.error.code, 'PAYLOAD_TOO_LARGE');
    const plain = await post(path, JSON.stringify({ stack: 'fixer' }), 'text/plain');
    t.is(plain.status, 415, path);
    const nul = await post(path, JSON.stringify({ stack: 'fix\u0000er', repo: 'api', ref: 'main' }));
    t.is(nul.status, 400, path);
  }
  t.is((await w.store.resources.list('AgentDispatchRun', { namespace: tenantNamespace(org) })).items.length, 0);
});

test('API: agent and runner routes acting on an org the revision does not declare are 404; 403 first for another org\'s token; runtime reads still answer', async (t) => {
  const org = uniqueName('ud');
  const w = await world({ [org]: { extra: [doc('RunnerPool', 'default', { organizationRef: org, warmReplicas: 0, maxReplicas: 1 })] } });
  const { as } = await wiredApi(t, w, { leader: false });
  const platform = await as('*', 'admin', 'root');
  const other = await as(uniqueName('other'), 'admin', 'root');
  const comment = { kind: 'PullRequest', name: 'pr-1', body: '/kradle fix it', repository: 'api' };
  for (const [method, path, body] of [
    ['POST', 'agents/events/comment', comment],
    ['POST', 'agents/dispatch', request()],
    ['GET', 'runners/pools/default', undefined],
    ['POST', 'runners/pools/default/runners', { name: 'r1' }],
  ] as const) {
    const call = (c: typeof platform, o: string) => (method === 'GET' ? c.get(`/api/orgs/${o}/${path}`) : c.post(`/api/orgs/${o}/${path}`, body));
    const res = await call(platform, 'nosuch');
    t.is(res.status, 404, path);
    t.like(res.body.error, { code: 'NOT_FOUND', message: 'organization nosuch not found' }, path);
    t.is((await call(other, 'nosuch')).status, 403, `${path} with another org's token`);
    t.true((await call(platform, org)).status < 300, `${path} of the declared org`);
  }
  // A pool the declared org does not declare is a 404 too: it has no runners to show, and takes none.
  for (const res of [await platform.get(`/api/orgs/${org}/runners/pools/defualt`), await platform.post(`/api/orgs/${org}/runners/pools/defualt/runners`, { name: 'r2' })]) {
    t.is(res.status, 404);
    t.like(res.body.error, { code: 'NOT_FOUND', message: `RunnerPool defualt not found in org ${org}` });
  }
  t.deepEqual((await platform.get(`/api/orgs/${org}/runners/pools/default`)).body.runners.map((r: { name: string }) => r.name), ['r1']);
  // Runs are runtime records, which an org may hold before it is declared.
  t.deepEqual((await platform.get('/api/orgs/nosuch/agents/runs')).body.items, []);
});
