import test from 'ava';
import { readFileSync } from 'node:fs';
import { createLoader, type LoadResult } from '../../src/loader/index.ts';
import { fixtureRepo, FIXTURES } from './fixture-repo.ts';

const comparable = (r: LoadResult) =>
  r.ok
    ? { ok: true, resources: [...r.state.resources.values()], orgs: r.state.orgs(), byOrg: r.state.orgs().map((o) => r.state.byOrg(o).map((d) => d.key)) }
    : { ok: false, errors: r.errors };

const fixture = (path: string) => readFileSync(`${FIXTURES}config-repo/${path}`, 'utf8');
const TPS = 'orgs/initech/repositories/tps-reports.yaml';
const ORG = 'orgs/initech/organization.yaml';

// Each step is one commit; the long-lived loader reuses what it memoized, a fresh one starts cold.
const steps: [string, Record<string, string | null>][] = [
  ['a copy of a document at a second path: a duplicate, both reported', { 'orgs/initech/repositories/copy.yaml': fixture(TPS) }],
  ['the copy removed: valid again', { 'orgs/initech/repositories/copy.yaml': null }],
  ['an org moves to another tenant namespace: every document of it is placed again (one still names the old one)', { [ORG]: fixture(ORG).replace('namespaceName: kradle-org-initech', 'namespaceName: initech-ns') }],
  ['a new document in a new org', { 'orgs/umbrella/organization.yaml': fixture(ORG).replace(/initech/g, 'umbrella'), 'orgs/umbrella/repositories/r.yaml': fixture(TPS).replace(/initech/g, 'umbrella') }],
  ['that org deleted: its document has no org', { 'orgs/umbrella/organization.yaml': null }],
  ['back to the fixture', { [ORG]: fixture(ORG), 'orgs/umbrella/repositories/r.yaml': null }],
];

test('every incremental reload equals a cold load of the same revision (state, indexes, errors)', async (t) => {
  const repo = fixtureRepo('config-repo');
  t.teardown(repo.remove);
  const loader = createLoader();
  const first = await loader.load(await repo.snapshot());
  t.true(first.ok);
  const seen = new Set<string>();
  for (const [what, files] of steps) {
    repo.commit(files, what);
    const snap = await repo.snapshot();
    const warm = await loader.load(snap);
    const cold = await createLoader().load(snap);
    t.deepEqual(comparable(warm), comparable(cold), what);
    for (const code of warm.ok ? ['ok'] : warm.errors.map((e) => e.code)) seen.add(code);
  }
  // The steps do exercise both outcomes and the cross-document errors.
  t.true(seen.has('ok'));
  t.true(seen.has('DUPLICATE_RESOURCE'));
  t.true(seen.has('MISSING_ORG'));
  t.true(seen.has('NAMESPACE_MISMATCH'));
});

test('alternating between two revisions (a diff) reuses both and stays exact', async (t) => {
  const repo = fixtureRepo('config-repo');
  t.teardown(repo.remove);
  const base = repo.head();
  const head = repo.commit({ 'orgs/initech/repositories/copy.yaml': fixture(TPS) });
  const loader = createLoader();
  const parsed: number[] = [];
  for (const commit of [base, head, base, head]) {
    const snap = await repo.snapshot(commit);
    const r = await loader.load(snap);
    t.deepEqual(comparable(r), comparable(await createLoader().load(snap)));
    parsed.push(r.stats.parsedFiles);
  }
  t.deepEqual(parsed.slice(1), [0, 0, 0], 'the copy has the blob of an existing file; nothing is parsed twice');
});
