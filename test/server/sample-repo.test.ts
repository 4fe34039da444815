// The sample config repo served against the test API server: org namespaces and the resource metric.
import test from 'ava';
import { fileURLToPath } from 'node:url';
import { command as list } from '../../src/cli/commands/list.ts';
import type { RunningServer } from '../../src/server/server.ts';
import { startKubeApiServer, type KubeApiServer } from '../support/kube-api-server/index.ts';
import { startTestServer, type TestServer } from '../support/test-server.ts';

// The sample's globex names its own namespace (spec.namespaceName: globex-tenant), not kradle-org-globex.
const SAMPLE = fileURLToPath(new URL('../../fixtures/config-repo', import.meta.url));
const GLOBEX_NS = 'globex-tenant';

let kube: KubeApiServer;
let server: RunningServer;
let token: string;
let api: TestServer['api'];

test.before(async () => {
  kube = await startKubeApiServer();
  ({ server, token, api } = await startTestServer({ repo: SAMPLE, kubeconfig: kube.kubeConfigPath }));
  for (let i = 0; i < 600; i++) {
    const orgs = await api('GET', '/api/orgs');
    if (orgs.body?.organizations?.some((o: any) => o.slug === 'globex')) return;
    await new Promise((r) => setTimeout(r, 100));
  }
});

test.after.always(async () => {
  await server?.close();
  await kube?.stop();
});

test.serial('/api/orgs and /api/controller report the namespace the Organization names', async (t) => {
  const orgs = await api('GET', '/api/orgs');
  t.is(orgs.body.organizations.find((o: any) => o.slug === 'globex').namespace, GLOBEX_NS);
  t.is(orgs.body.organizations.find((o: any) => o.slug === 'acme').namespace, 'kradle-org-acme');
  const controller = await api('GET', '/api/controller?org=globex');
  t.is(controller.body.orgs.find((o: any) => o.slug === 'globex').namespace, GLOBEX_NS);
  t.is(controller.body.organizations[0].namespace, GLOBEX_NS);
  const repos = await api('GET', '/api/orgs/globex/resources?kind=Repository');
  t.true(repos.body.items.length > 0);
  t.true(repos.body.items.every((r: any) => r.metadata.namespace === GLOBEX_NS));
});

test.serial('kradle list organizations prints the namespace the Organization names', async (t) => {
  const out: string[] = [];
  const log = console.log;
  console.log = (...a: unknown[]) => void out.push(a.join(' '));
  try {
    t.is(await list.run(['organizations', '--server', server.url, '--token', token, '--format', 'json']), 0);
  } finally {
    console.log = log;
  }
  const items = JSON.parse(out.join('\n')).items;
  t.is(items.find((o: any) => o.slug === 'globex').namespace, GLOBEX_NS);
});

test.serial('API writes take every namespace form the loader takes: the tenant namespace, the slug, or none', async (t) => {
  const team = (name: string, namespace?: string) => ({
    apiVersion: 'kradle.a5c.ai/v1alpha1', kind: 'Team', metadata: { name, ...(namespace ? { namespace } : {}) }, spec: { organizationRef: 'globex', displayName: name },
  });
  for (const [name, ns] of [['by-tenant', GLOBEX_NS], ['by-slug', 'globex'], ['by-none', undefined]] as const) {
    const res = await api('POST', '/api/orgs/globex/resources', team(name, ns));
    t.is(res.status, 201, `${name}: ${JSON.stringify(res.body)}`);
    t.is(res.body.resource?.metadata?.namespace ?? GLOBEX_NS, GLOBEX_NS);
  }
  const wrong = await api('POST', '/api/orgs/globex/resources', team('by-default-form', 'kradle-org-globex'));
  t.is(wrong.status, 422);
  t.is(wrong.body.error.details[0].field, 'metadata.namespace');
});

test.serial("a secret of globex is written to the org's own namespace in the cluster", async (t) => {
  const res = await api('POST', '/api/orgs/globex/secrets', { name: 'deploy-key', data: { key: 'value' } });
  t.is(res.status, 201, JSON.stringify(res.body));
  t.truthy(kube.object({ apiVersion: 'v1', kind: 'Secret', namespace: GLOBEX_NS, name: 'deploy-key' }));
  t.falsy(kube.object({ apiVersion: 'v1', kind: 'Secret', namespace: 'kradle-org-globex', name: 'deploy-key' }));
});

test.serial('kradle_resources is set after a sync: resources by kind, org and sync status', async (t) => {
  let text = '';
  for (let i = 0; i < 300 && !/kradle_resources\{kind="Organization",org="globex"/.test(text); i++) {
    text = await (await fetch(`${server.url}/metrics`)).text();
    await new Promise((r) => setTimeout(r, 100));
  }
  t.regex(text, /kradle_resources\{kind="Organization",org="globex",status="\w+"\} 1\n/);
  const repos = [...text.matchAll(/kradle_resources\{kind="Repository",org="globex",status="\w+"\} (\d+)/g)].reduce((n, m) => n + Number(m[1]), 0);
  const listed = await api('GET', '/api/orgs/globex/resources?kind=Repository');
  t.is(repos, listed.body.items.length);
});
