import test from 'ava';
import { readFileSync } from 'node:fs';
import { listKinds, PLATFORM_NAMESPACE } from '../../src/kinds/index.ts';
import { createLoader, type DesiredState, type LoadResult } from '../../src/loader/index.ts';
import { fixtureRepo, FIXTURES } from './fixture-repo.ts';

function stateOf(t: { fail(m: string): void }, r: LoadResult): DesiredState {
  if (!r.ok) {
    t.fail(r.errors.map((e) => `${e.path}:${e.line}: ${e.code} ${e.message}`).join('\n'));
    throw new Error('load failed');
  }
  return r.state;
}

test('the sample config repo loads: every config kind, three orgs, counts per org', async (t) => {
  const repo = fixtureRepo('config-repo');
  t.teardown(repo.remove);
  const state = stateOf(t, await createLoader().load(await repo.snapshot()));
  t.is(state.revision, repo.first);
  t.deepEqual(state.orgs(), ['acme', 'globex', 'initech']);
  const unused = listKinds('config').filter((d) => state.byKind(d.kind).length === 0).map((d) => d.kind);
  t.deepEqual(unused, [], 'every config kind of the registry appears in the fixture');
  t.is(state.byOrg('globex').length, 10);
  t.is(state.byOrg('initech').length, 3);
  t.is(state.byKind('AgentTriggerRule').length, 3);
  t.is(state.byKind('PolicyTemplate').length, 3);
  t.is(state.resources.size, 70);
});

test('documents are placed in their org namespace, whichever way they spell it', async (t) => {
  const repo = fixtureRepo('config-repo');
  t.teardown(repo.remove);
  const state = stateOf(t, await createLoader().load(await repo.snapshot()));
  const hank = state.get('User', 'globex', 'hank')!;
  t.is(hank.key, 'User/globex-tenant/hank', 'the slug as namespace resolves to the tenant namespace');
  t.is(hank.object.metadata.labels?.['kradle.a5c.ai/org'], 'globex');
  t.is(state.get('Team', 'globex', 'founders')?.id.namespace, 'globex-tenant');
  t.is(state.get('User', 'acme', 'bob')?.id.namespace, 'kradle-org-acme', 'no namespace: the tenant namespace');
  const platform = state.get('PolicyTemplate', null, 'disallow-latest-tag')!;
  t.is(platform.org, null);
  t.is(platform.id.namespace, PLATFORM_NAMESPACE);
  t.is(state.get('Organization', 'globex', 'globex')?.id.namespace, PLATFORM_NAMESPACE);
  t.is(state.get('OrgNamespaceBinding', 'acme', 'acme')?.id.namespace, PLATFORM_NAMESPACE);
  const tps = state.get('Repository', 'initech', 'tps-reports')!;
  t.is(tps.source.path, 'orgs/initech/repositories/tps-reports.yaml');
  t.is(tps.source.line, 1);
  t.regex(tps.hash, /^[0-9a-f]{64}$/);
});

test('a document in the original Kradle style hashes like its plain equivalent', async (t) => {
  const repo = fixtureRepo('config-repo');
  t.teardown(repo.remove);
  const loader = createLoader();
  const before = stateOf(t, await loader.load(await repo.snapshot()));
  const path = 'orgs/initech/repositories/tps-reports.yaml';
  const plain = readFileSync(`${FIXTURES}config-repo/${path}`, 'utf8').replace(/\n  namespace:[^\n]*\n  labels:\n(    [^\n]*\n)+/, '\n');
  t.notRegex(plain, /labels|namespace/);
  repo.commit({ [path]: plain });
  const after = stateOf(t, await loader.load(await repo.snapshot()));
  t.is(after.get('Repository', 'initech', 'tps-reports')!.hash, before.get('Repository', 'initech', 'tps-reports')!.hash);
});

test('a revision is atomic: one bad file gives every error and no state', async (t) => {
  const repo = fixtureRepo('config-repo');
  t.teardown(repo.remove);
  repo.commit({
    'orgs/acme/runnerpools/burst.yaml':
      'apiVersion: kradle.a5c.ai/v1alpha1\nkind: RunnerPool\nmetadata:\n  name: burst\nspec:\n  organizationRef: acme\n  warmReplicas: 9\n  maxReplicas: 3\n',
    'orgs/acme/agentstacks/reviewer.yaml': readFileSync(`${FIXTURES}config-repo/orgs/acme/agentstacks/reviewer.yaml`, 'utf8').replace('adapter: agent-mux', 'adapter: gone'),
  });
  const r = await createLoader().load(await repo.snapshot());
  t.false(r.ok);
  if (r.ok) return;
  t.is(r.revision, repo.head());
  t.false('state' in r);
  t.deepEqual(r.errors.map((e) => [e.path, e.line, e.code]), [
    ['orgs/acme/agentstacks/reviewer.yaml', 12, 'DANGLING_REF'],
    ['orgs/acme/runnerpools/burst.yaml', 7, 'INVALID_VALUE'],
  ]);
});

test('a new revision re-parses only the blob that changed; the semantic pass still sees everything', async (t) => {
  const repo = fixtureRepo('config-repo');
  t.teardown(repo.remove);
  const loader = createLoader();
  const first = await loader.load(await repo.snapshot());
  t.is(first.stats.parsedFiles, first.stats.files);
  const path = 'orgs/acme/runnerpools/default.yaml';
  repo.commit({ [path]: readFileSync(`${FIXTURES}config-repo/${path}`, 'utf8').replace('maxReplicas: 8', 'maxReplicas: 12') });
  const second = await loader.load(await repo.snapshot());
  t.is(second.stats.parsedFiles, 1);
  t.is(second.stats.cachedFiles, second.stats.files - 1);
  t.is(stateOf(t, second).get('RunnerPool', 'acme', 'default')?.object.spec.maxReplicas, 12);
  // Removing a referenced document breaks its referrers, though their blobs come from the cache.
  repo.commit({ 'orgs/acme/agentadapters/agent-mux.yaml': null });
  const third = await loader.load(await repo.snapshot());
  t.is(third.stats.parsedFiles, 0);
  t.false(third.ok);
  if (!third.ok) t.deepEqual([...new Set(third.errors.map((e) => `${e.path} ${e.code}`))], ['orgs/acme/agentstacks/reviewer.yaml DANGLING_REF']);
});
