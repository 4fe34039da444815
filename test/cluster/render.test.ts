import test from 'ava';
import { cpSync, existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';
import { command as render } from '../../src/cli/commands/render.ts';
import {
  createPlanOnlyDriver,
  objectIdentity,
  projectState,
  sortForApply,
  type KubeObject,
} from '../../src/cluster/index.ts';
import { MANAGED_BY_LABEL, ORG_LABEL, OWNER_LABEL } from '../../src/kinds/index.ts';
import { createLoader } from '../../src/loader/index.ts';
import { createGitSource } from '../../src/source/index.ts';
import { createTestRepo, tempDir, type TestRepo } from '../support/git-repo.ts';

const fixtures = fileURLToPath(new URL('../../fixtures/', import.meta.url));
const NOW = '2030-01-01T00:00:00Z';

function fixtureRepo(name: string): TestRepo {
  const dir = tempDir('kradle-render-');
  cpSync(join(fixtures, name), dir, { recursive: true });
  const repo = createTestRepo(dir);
  repo.commit({}, 'fixture');
  return repo;
}

/** Runs `kradle render` in process (serial tests only: it swaps the global console); returns the exit code and what it printed on stderr. */
async function runRender(args: string[]): Promise<{ code: number; stderr: string }> {
  const errors: string[] = [];
  const { error, log } = console;
  console.error = (...a: unknown[]) => void errors.push(a.join(' '));
  console.log = () => {};
  try {
    return { code: await render.run(args), stderr: errors.join('\n') };
  } finally {
    Object.assign(console, { error, log });
  }
}

function readRendered(out: string): { file: string; obj: KubeObject }[] {
  return readdirSync(out)
    .sort()
    .map((file) => {
      const docs = YAML.parseAllDocuments(readFileSync(join(out, file), 'utf8'));
      if (docs.length !== 1 || docs[0]!.errors.length) throw new Error(`${file}: not one YAML document`);
      return { file, obj: docs[0]!.toJS() as KubeObject };
    });
}

const CLUSTER_SCOPED = new Set(['CustomResourceDefinition', 'Namespace', 'ClusterRoleBinding', 'ClusterRole']);

test.serial('render writes every object of fixtures/config-repo, parseable and in dependency order', async (t) => {
  const repo = fixtureRepo('config-repo');
  const out = join(tempDir('kradle-render-out-'), 'manifests');
  t.teardown(() => rmSync(repo.dir, { recursive: true, force: true }));
  const { code } = await runRender(['--repo', repo.dir, '--out', out, '--now', NOW]);
  t.is(code, 0);
  const rendered = readRendered(out);
  const objs = rendered.map((r) => r.obj);
  t.true(objs.length > 60);
  for (const { file, obj } of rendered) {
    t.truthy(obj.apiVersion && obj.kind && obj.metadata?.name, file);
    t.is(obj.metadata.namespace === undefined, CLUSTER_SCOPED.has(obj.kind), `${file}: namespaced as its kind is`);
  }
  t.deepEqual(objs, sortForApply(objs), 'file order is apply order');
  const position = (kind: string, name: string) => objs.findIndex((o) => o.kind === kind && o.metadata.name === name);
  const crdOf = new Map(objs.filter((o) => o.kind === 'CustomResourceDefinition').map((o, i) => [(o.spec as any).names.kind, i]));
  objs.forEach((o, i) => {
    if (o.metadata.namespace) t.true(position('Namespace', o.metadata.namespace) >= 0 && position('Namespace', o.metadata.namespace) < i, `${o.kind} ${o.metadata.name}: namespace first`);
    if (o.apiVersion.startsWith('kradle.a5c.ai/')) t.true((crdOf.get(o.kind) ?? Infinity) < i, `${o.kind}: CRD first`);
    if (o.kind !== 'CustomResourceDefinition' && o.metadata.name !== 'kradle-system') {
      t.is(o.metadata.labels?.[MANAGED_BY_LABEL], 'kradle');
      t.truthy(o.metadata.labels?.[OWNER_LABEL]);
    }
  });
  for (const org of ['acme', 'globex', 'initech']) t.true(objs.some((o) => o.kind === 'Namespace' && o.metadata.labels?.[ORG_LABEL] === org));
});

test.serial('rendered grants name the Secret or ConfigMap and carry no data', async (t) => {
  const repo = fixtureRepo('config-repo');
  const out = tempDir('kradle-render-out-');
  t.teardown(() => rmSync(repo.dir, { recursive: true, force: true }));
  t.is((await runRender(['--repo', repo.dir, '--out', out, '--now', NOW])).code, 0);
  const objs = readRendered(out).map((r) => r.obj);
  t.false(objs.some((o) => o.kind === 'Secret' || o.kind === 'ConfigMap'));
  const grantRoles = objs.filter((o) => o.kind === 'Role' && /^Agent(Secret|Config)Grant\./.test(o.metadata.labels?.[OWNER_LABEL] ?? ''));
  t.true(grantRoles.length >= 2);
  for (const role of grantRoles) {
    t.false('data' in role || 'stringData' in role);
    for (const rule of role.rules as any[]) {
      t.deepEqual(rule.verbs, ['get']);
      t.is(rule.resourceNames.length, 1);
    }
  }
  const secretRole = grantRoles.find((o) => (o.rules as any[])[0].resources[0] === 'secrets')!;
  t.deepEqual((secretRole.rules as any[])[0].resourceNames, ['github-token']);
});

test.serial('an invalid revision writes nothing and reports every error with its position', async (t) => {
  const repo = fixtureRepo('broken/schema-violation');
  const out = join(tempDir('kradle-render-out-'), 'manifests');
  t.teardown(() => rmSync(repo.dir, { recursive: true, force: true }));
  const { code, stderr } = await runRender(['--repo', repo.dir, '--out', out]);
  t.is(code, 1);
  t.false(existsSync(out));
  t.regex(stderr, /orgs\/acme\/runnerpools\/default\.yaml:5:1: SCHEMA_VIOLATION/);
  t.regex(stderr, /orgs\/acme\/users\/bob\.yaml:4:3: SCHEMA_VIOLATION/);
  t.is((await runRender(['--repo', repo.dir])).code, 2, '--out is required');
});

test.serial('render at --rev, and a later render drops the files of objects that left the revision', async (t) => {
  const repo = fixtureRepo('config-repo');
  const first = repo.head();
  repo.commit({ 'orgs/acme/webhooksubscriptions/chatops.yaml': null }, 'remove a webhook subscription');
  const out = tempDir('kradle-render-out-');
  t.teardown(() => rmSync(repo.dir, { recursive: true, force: true }));
  const hooks = () => readRendered(out).filter((r) => r.obj.kind === 'WebhookSubscription' && r.obj.metadata.name === 'chatops');
  t.is((await runRender(['--repo', repo.dir, '--rev', first, '--out', out, '--now', NOW])).code, 0);
  t.is(hooks().length, 1);
  t.is((await runRender(['--repo', repo.dir, '--out', out, '--now', NOW])).code, 0);
  t.is(hooks().length, 0);
});

test('the plan-only driver records what it is given and reads it back in apply order', async (t) => {
  const repo = fixtureRepo('config-repo');
  t.teardown(() => rmSync(repo.dir, { recursive: true, force: true }));
  const source = createGitSource({ url: repo.dir });
  const loaded = await createLoader().load(await source.snapshot((await source.fetch()).commit));
  if (!loaded.ok) return t.fail(JSON.stringify(loaded.errors));
  const objects = projectState(loaded.state, { now: new Date(NOW) });
  const driver = createPlanOnlyDriver();
  t.is(driver.mode, 'plan-only');
  for (const o of [...objects].reverse()) t.is((await driver.apply(o)).action, 'planned');
  t.deepEqual(driver.planned(), objects, 'plan-only records exactly what render writes (CRDs aside)');

  const ns = objects.find((o) => o.kind === 'Namespace' && o.metadata.name === 'kradle-org-acme')!;
  const deployment = objects.find((o) => o.kind === 'Deployment' && o.metadata.namespace === 'kradle-org-acme')!;
  t.deepEqual(await driver.get({ apiVersion: 'v1', kind: 'Namespace', name: ns.metadata.name }), ns);
  const acmeDeployments = await driver.list('apps/v1', 'Deployment', { namespace: 'kradle-org-acme', labelSelector: `${ORG_LABEL}=acme,${MANAGED_BY_LABEL}` });
  t.deepEqual(acmeDeployments.map(objectIdentity), [objectIdentity(deployment)]);
  t.deepEqual(await driver.list('apps/v1', 'Deployment', { labelSelector: `${ORG_LABEL}!=acme` }), objects.filter((o) => o.kind === 'Deployment' && o.metadata.labels?.[ORG_LABEL] !== 'acme'));
  t.is(await driver.delete({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'kradle-org-acme', name: deployment.metadata.name }), 'planned');
  t.is(await driver.get({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'kradle-org-acme', name: deployment.metadata.name }), undefined);
  t.is(driver.planned().length, objects.length - 1);
  t.true(await driver.servesKind('kyverno.io/v1', 'Policy'));
  let fired = 0;
  const handle = await driver.watch('v1', 'Namespace', {}, () => fired++);
  await driver.apply(ns);
  handle.stop();
  t.is(fired, 0);
});
