import test from 'ava';
import { readFileSync } from 'node:fs';
import { createLoader, type DesiredState, type LoadResult } from '../../src/loader/index.ts';
import { diffFields, diffStates, isEmptyDiff } from '../../src/plan/index.ts';
import { fixtureRepo, FIXTURES } from '../loader/fixture-repo.ts';

const cases: [string, unknown, unknown, ReturnType<typeof diffFields>][] = [
  ['equal objects, any key order', { a: 1, b: { c: [1, 2] } }, { b: { c: [1, 2] }, a: 1 }, []],
  ['scalar replaced', { a: 1 }, { a: 2 }, [{ pointer: '/a', op: 'replace', from: 1, to: 2 }]],
  ['key added and removed', { a: 1 }, { b: 2 }, [{ pointer: '/a', op: 'remove', from: 1 }, { pointer: '/b', op: 'add', to: 2 }]],
  ['list grows', { l: [1] }, { l: [1, 2, 3] }, [{ pointer: '/l/1', op: 'add', to: 2 }, { pointer: '/l/2', op: 'add', to: 3 }]],
  ['list shrinks from the tail backwards', { l: [1, 2, 3] }, { l: [1] }, [{ pointer: '/l/2', op: 'remove', from: 3 }, { pointer: '/l/1', op: 'remove', from: 2 }]],
  ['type change replaces whole', { a: { b: 1 } }, { a: [1] }, [{ pointer: '/a', op: 'replace', from: { b: 1 }, to: [1] }]],
  ['pointer escaping', { 'kradle.a5c.ai/org': 'a', 'x~y': 1 }, { 'kradle.a5c.ai/org': 'b', 'x~y': 1 }, [{ pointer: '/kradle.a5c.ai~1org', op: 'replace', from: 'a', to: 'b' }]],
];

for (const [name, from, to, expected] of cases) {
  test(`diffFields: ${name}`, (t) => t.deepEqual(diffFields(from, to), expected));
}

function ok(r: LoadResult): DesiredState {
  if (!r.ok) throw new Error(r.errors.map((e) => e.message).join('\n'));
  return r.state;
}

test('diffStates between two commits: created, changed with field changes, deleted, sorted by key', async (t) => {
  const repo = fixtureRepo('config-repo');
  t.teardown(repo.remove);
  const loader = createLoader();
  const base = ok(await loader.load(await repo.snapshot()));
  const pool = 'orgs/acme/runnerpools/default.yaml';
  repo.commit({
    [pool]: readFileSync(`${FIXTURES}config-repo/${pool}`, 'utf8').replace('maxReplicas: 8', 'maxReplicas: 10').replace('  trustBoundary: internal\n', ''),
    'orgs/acme/kradleprojects/api-v2.yaml': null,
    'orgs/globex/repositories/web.yaml': 'apiVersion: kradle.a5c.ai/v1alpha1\nkind: Repository\nmetadata: {name: web}\nspec: {organizationRef: globex, visibility: public}\n',
    'orgs/globex/repositories/aaa.yaml': 'apiVersion: kradle.a5c.ai/v1alpha1\nkind: Repository\nmetadata: {name: aaa}\nspec: {organizationRef: globex, visibility: public}\n',
  });
  const head = ok(await loader.load(await repo.snapshot()));
  const d = diffStates(base, head);
  t.is(d.baseRevision, repo.first);
  t.is(d.headRevision, repo.head());
  t.deepEqual(d.created.map((r) => r.key), ['Repository/globex-tenant/aaa', 'Repository/globex-tenant/web']);
  t.deepEqual(d.deleted.map((r) => r.key), ['KradleProject/kradle-org-acme/api-v2']);
  t.deepEqual(d.changed.map((c) => [c.key, c.changes]), [
    ['RunnerPool/kradle-org-acme/default', [
      { pointer: '/spec/maxReplicas', op: 'replace', from: 8, to: 10 },
      { pointer: '/spec/trustBoundary', op: 'remove', from: 'internal' },
    ]],
  ]);
  t.is(d.unchanged, base.resources.size - 2);
  t.false(isEmptyDiff(d));
});

test('diffStates: same state is empty; no base creates everything', async (t) => {
  const repo = fixtureRepo('config-repo');
  t.teardown(repo.remove);
  const state = ok(await createLoader().load(await repo.snapshot()));
  t.true(isEmptyDiff(diffStates(state, state)));
  const all = diffStates(undefined, state);
  t.is(all.created.length, state.resources.size);
  t.is(all.baseRevision, null);
  t.deepEqual(all.created.map((r) => r.key), [...all.created.map((r) => r.key)].sort());
});
