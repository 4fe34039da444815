import test from 'ava';
import Koa from 'koa';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createAgentRoutes } from '../../src/agents/index.ts';
import { errorMiddleware } from '../../src/api/error-middleware.ts';
import { tenantNamespace } from '../../src/kinds/index.ts';
import { uniqueName } from '../support/store.ts';
import { dispatchWorld, request, type World } from './dispatch-support.ts';
import { doc } from './helpers.ts';

const world = dispatchWorld(test);
const SECRET_VALUE = 'sk-live-do-not-leak-0123456789';

function richOrg(org: string): string[] {
  return [
    doc('Repository', 'svc', { organizationRef: org, visibility: 'private', defaultBranch: 'main', cloneUrl: 'https://git.example/acme/svc.git', credentialRef: { name: 'git-creds', key: 'token' } }),
    doc('AgentSecretGrant', 'fixer-git', { organizationRef: org, subject: 'fixer-bot', secretRef: { name: 'git-creds' }, keys: ['token'], purpose: 'clone' }),
    doc('AgentToolProfile', 'safe', { organizationRef: org, filesystemPolicy: 'workspace-only', approvalPolicyByTool: { bash: 'ask' } }),
    doc('AgentMcpServer', 'issues', { organizationRef: org, transport: 'http', scope: 'org', endpoint: 'https://mcp.example/issues' }),
    doc('AgentSkill', 'triage', { organizationRef: org, format: 'markdown', sourceRef: 'skills/triage.md' }),
    doc('AgentSubagent', 'tester', { organizationRef: org, rolePrompt: 'You write tests.', taskKinds: ['fix'] }),
    doc('AgentContextLabel', 'backend', { organizationRef: org, promptFragment: 'The service is written in Go.', allowedSources: ['docs/'] }),
    doc('AgentStack', 'rich', {
      organizationRef: org, baseAgent: 'claude-code', model: 'claude-sonnet', adapter: 'mux', runtimeIdentity: 'fixer-bot', providerConfig: 'anthropic',
      persona: 'You are a careful fixer.', toolProfile: 'safe', mcpServers: ['issues'], skills: ['triage'], subagents: ['tester'], contextLabels: ['backend'],
    }),
  ];
}

async function dispatchRich(w: World, org: string) {
  w.kube.put({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'anthropic-key', namespace: tenantNamespace(org) }, stringData: { apiKey: SECRET_VALUE } });
  return w.dispatch.create(org, request({ stack: 'rich', repository: 'svc', sourceRefs: ['refs/heads/feature'] }));
}

test('a run Job mounts its run-context ConfigMap (owned by the Job) and gets credentials only as secretKeyRefs', async (t) => {
  const org = uniqueName('rc');
  const w = await world({ [org]: { extra: richOrg(org) } });
  const run = await dispatchRich(w, org);
  t.is(run.status.phase, 'Running', String(run.status.lastError));
  const job = w.job(run.metadata.name) as any;
  const cm = w.kube.object({ apiVersion: 'v1', kind: 'ConfigMap', namespace: tenantNamespace(org), name: `kradle-agent-${run.metadata.name}-context` }) as any;
  t.truthy(cm, 'the ConfigMap exists');
  t.deepEqual(cm.metadata.ownerReferences.map((o: any) => [o.kind, o.uid]), [['Job', job.metadata.uid]]);
  const ctx = JSON.parse(cm.data['run-context.json']);
  t.like(ctx, {
    apiVersion: 'kradle.a5c.ai/run-context/v1', org, run: run.metadata.name, attempt: 1, taskKind: 'fix',
    repository: { name: 'svc', cloneUrl: 'https://git.example/acme/svc.git', ref: 'refs/heads/feature', defaultBranch: 'main' },
    stack: { name: 'rich', persona: 'You are a careful fixer.' },
    toolProfile: { name: 'safe', filesystemPolicy: 'workspace-only' },
    model: { provider: 'anthropic', model: 'claude-sonnet', transport: { protocol: 'websocket', codec: 'msgpack' } },
    callback: { tokenEnv: 'KRADLE_RUN_TOKEN' },
  });
  t.is(ctx.stack.prompt, 'You are a careful fixer.\n\nThe service is written in Go.');
  t.deepEqual(ctx.mcpServers, [{ name: 'issues', transport: 'http', scope: 'org', endpoint: 'https://mcp.example/issues' }]);
  t.deepEqual(ctx.skills.map((s: any) => s.name), ['triage']);
  t.deepEqual(ctx.subagents, [{ name: 'tester', rolePrompt: 'You write tests.', taskKinds: ['fix'] }]);
  t.deepEqual(ctx.contextBundle.sources, ['refs/heads/feature', 'docs/']);
  t.regex(ctx.contextBundle.digest, /^sha256:[0-9a-f]{64}$/);
  t.deepEqual(ctx.credentials.map((c: any) => [c.env, c.secret, c.key]), [['KRADLE_PROVIDER_CREDENTIAL', 'anthropic-key', 'apiKey'], ['KRADLE_GIT_TOKEN', 'git-creds', 'token']]);

  const container = job.spec.template.spec.containers[0];
  const env = Object.fromEntries(container.env.map((e: any) => [e.name, e]));
  t.is(env.KRADLE_RUN_CONTEXT.value, '/var/run/kradle/run-context.json');
  t.is(env.KRADLE_REPO_URL.value, 'https://git.example/acme/svc.git');
  t.is(env.KRADLE_REF.value, 'refs/heads/feature');
  t.deepEqual(env.KRADLE_GIT_TOKEN, { name: 'KRADLE_GIT_TOKEN', valueFrom: { secretKeyRef: { name: 'git-creds', key: 'token' } } });
  t.true(container.volumeMounts.some((m: any) => m.name === 'run-context' && m.mountPath === '/var/run/kradle' && m.readOnly));
  t.true(container.env.every((e: any) => e.value === undefined || !/secret|sk-/i.test(String(e.value))));
  t.false(JSON.stringify([job, cm, await w.store.events.since(0, { org, limit: 1000 })]).includes(SECRET_VALUE));
});

test('a commit id as source ref is the context commit; an ungranted repository credential is left out', async (t) => {
  const org = uniqueName('rc');
  const extra = richOrg(org).filter((d) => !d.includes('"fixer-git"'));
  const w = await world({ [org]: { extra } });
  const sha = 'a'.repeat(40);
  const run = await w.dispatch.create(org, request({ stack: 'rich', repository: 'svc', sourceRefs: [sha] }));
  const cm = w.kube.object({ apiVersion: 'v1', kind: 'ConfigMap', namespace: tenantNamespace(org), name: `kradle-agent-${run.metadata.name}-context` }) as any;
  const ctx = JSON.parse(cm.data['run-context.json']);
  t.is(ctx.repository.commit, sha);
  t.is(ctx.repository.ref, undefined);
  t.deepEqual(ctx.credentials.map((c: any) => c.env), ['KRADLE_PROVIDER_CREDENTIAL']);
  const env = (w.job(run.metadata.name) as any).spec.template.spec.containers[0].env.map((e: any) => e.name);
  t.true(env.includes('KRADLE_COMMIT'));
  t.false(env.includes('KRADLE_GIT_TOKEN'));
});

test('the reference agent in examples/ follows the contract against a real server: steps, then a callback that completes the run', async (t) => {
  const org = uniqueName('rc');
  const w = await world({ [org]: { extra: richOrg(org) } });
  const app = new Koa();
  app.use(errorMiddleware());
  app.use(createAgentRoutes({ dispatch: w.dispatch, approvals: w.approvals, triggers: { processEvent: async () => [] } }).routes());
  const server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  t.teardown(() => server.close());
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const run = await dispatchRich(w, org);
  const name = run.metadata.name;
  // What the kubelet would do: mount the ConfigMap and fill the env from the Job and its Secrets.
  const dir = await mkdtemp(join(tmpdir(), 'kradle-agent-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const cm = w.kube.object({ apiVersion: 'v1', kind: 'ConfigMap', namespace: tenantNamespace(org), name: `kradle-agent-${name}-context` }) as any;
  await writeFile(join(dir, 'run-context.json'), cm.data['run-context.json']);
  const secret = w.kube.object({ apiVersion: 'v1', kind: 'Secret', namespace: tenantNamespace(org), name: `kradle-agent-${name}-token` }) as any;
  const token = secret.stringData?.token ?? Buffer.from(secret.data.token, 'base64').toString();
  const jobEnv = (w.job(name) as any).spec.template.spec.containers[0].env as { name: string; value?: string }[];
  const env: Record<string, string> = { PATH: process.env.PATH ?? '' };
  for (const e of jobEnv) if (e.value !== undefined) env[e.name] = e.value.replace('https://kradle.test', base);
  Object.assign(env, { KRADLE_RUN_CONTEXT: join(dir, 'run-context.json'), KRADLE_RUN_TOKEN: token });
  const { stdout } = await promisify(execFile)(process.execPath, ['examples/reference-agent/agent.mjs'], { env });
  t.regex(stdout, /"repository":"svc"/);
  const done = await w.dispatch.get(org, name);
  t.is(done.status.phase, 'Completed');
  t.like(done.status.steps, { started: 1, completed: 1 });
});
