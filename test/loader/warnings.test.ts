import test from 'ava';
import { readFileSync } from 'node:fs';
import { createLoader, type LoadResult } from '../../src/loader/index.ts';
import { fixtureRepo, FIXTURES } from './fixture-repo.ts';

const TEAM = 'orgs/acme/teams/platform.yaml';
const fixture = (path: string) => readFileSync(`${FIXTURES}config-repo/${path}`, 'utf8');
// The fixture's Team ends with `maintainers: [alice]` (line 10): the typos follow it.
const withTypos = `${fixture(TEAM)}  parentTeam: ghost\n  maintainer: [bob]\n`;
const where = (r: LoadResult) => r.warnings.map((w) => `${w.path}:${w.line}:${w.column} ${w.code} ${w.field}`);

test('the sample config repo loads without a warning', async (t) => {
  const repo = fixtureRepo('config-repo');
  t.teardown(repo.remove);
  const r = await createLoader().load(await repo.snapshot());
  t.true(r.ok);
  t.deepEqual(r.warnings, []);
});

test('an unknown spec field is a positioned warning; the revision stays valid and keeps the field', async (t) => {
  const repo = fixtureRepo('config-repo');
  t.teardown(repo.remove);
  repo.commit({ [TEAM]: withTypos });
  const r = await createLoader().load(await repo.snapshot());
  if (!r.ok) return t.fail(JSON.stringify(r.errors));
  t.deepEqual(where(r), [`${TEAM}:11:3 UNKNOWN_FIELD spec.parentTeam`, `${TEAM}:12:3 UNKNOWN_FIELD spec.maintainer`]);
  t.is(r.warnings[0]!.message, 'spec.parentTeam is not a field of Team; it is ignored');
  // Forward compatibility: the document is desired state as written.
  t.is(r.state.get('Team', 'acme', 'platform')!.object.spec.parentTeam, 'ghost');
});

test('map-typed fields, schema-listed fields, nested reference forms and metadata raise no warning', async (t) => {
  const repo = fixtureRepo('config-repo');
  t.teardown(repo.remove);
  repo.commit({
    'orgs/acme/teams/mapped.yaml': [
      'apiVersion: kradle.a5c.ai/v1alpha1',
      'kind: Team',
      'metadata:',
      '  name: mapped',
      '  labels: {any-label: x}',
      '  annotations: {kradle.a5c.ai/anything: y}',
      'spec:',
      '  organizationRef: acme',
      '  displayName: Mapped',
      '  members: [alice, {name: bob, namespace: acme}]',
      '  approvers: [alice]',
      '---',
      'apiVersion: kradle.a5c.ai/v1alpha1',
      'kind: AgentToolProfile',
      'metadata: {name: mapped}',
      'spec:',
      '  organizationRef: acme',
      '  filesystemPolicy: {read: ["**"], whatever: true}',
      '  approvalPolicyByTool: {shell: ask, any-tool-name: deny}',
      '',
    ].join('\n'),
  });
  const r = await createLoader().load(await repo.snapshot());
  t.true(r.ok, JSON.stringify(!r.ok && r.errors));
  t.deepEqual(where(r), []);
});

test('a nested typo names its path; a schema-invalid document warns besides its error', async (t) => {
  const repo = fixtureRepo('config-repo');
  t.teardown(repo.remove);
  repo.commit({
    [TEAM]: fixture(TEAM).replace('members: [alice, bob]', 'members: [alice, {name: bob, nmae: bobby}]'),
    'orgs/acme/teams/broken.yaml': 'apiVersion: kradle.a5c.ai/v1alpha1\nkind: Team\nmetadata:\n  name: broken\nspec:\n  organizationRef: acme\n  displayNme: Broken\n',
  });
  const r = await createLoader().load(await repo.snapshot());
  t.false(r.ok);
  t.deepEqual(where(r), [
    'orgs/acme/teams/broken.yaml:7:3 UNKNOWN_FIELD spec.displayNme',
    `${TEAM}:9:32 UNKNOWN_FIELD spec.members[1].nmae`,
  ]);
  t.deepEqual(!r.ok && r.errors.map((e) => e.code), ['SCHEMA_VIOLATION']);
});

test('the loader keeps its model: a one-file reload that adds a typo shows it, one that fixes it drops it', async (t) => {
  const repo = fixtureRepo('config-repo');
  t.teardown(repo.remove);
  const loader = createLoader();
  const clean = await loader.load(await repo.snapshot());
  t.deepEqual(clean.warnings, []);
  const other = 'orgs/globex/users/hank.yaml';
  const steps: [string, Record<string, string | null>, string[]][] = [
    ['typo added', { [TEAM]: withTypos }, [`${TEAM}:11:3 UNKNOWN_FIELD spec.parentTeam`, `${TEAM}:12:3 UNKNOWN_FIELD spec.maintainer`]],
    ['a typo in a file that sorts before it', { [other]: `${fixture(other)}  emial: x\n` }, [
      `${TEAM}:11:3 UNKNOWN_FIELD spec.parentTeam`, `${TEAM}:12:3 UNKNOWN_FIELD spec.maintainer`, `${other}:${fixture(other).split('\n').length}:3 UNKNOWN_FIELD spec.emial`,
    ]],
    ['an unrelated file changed: the same warnings', { 'orgs/acme/users/bob.yaml': `${fixture('orgs/acme/users/bob.yaml')}# edited\n` }, [
      `${TEAM}:11:3 UNKNOWN_FIELD spec.parentTeam`, `${TEAM}:12:3 UNKNOWN_FIELD spec.maintainer`, `${other}:${fixture(other).split('\n').length}:3 UNKNOWN_FIELD spec.emial`,
    ]],
    ['one typo fixed', { [TEAM]: withTypos.replace('  maintainer: [bob]\n', '') }, [
      `${TEAM}:11:3 UNKNOWN_FIELD spec.parentTeam`, `${other}:${fixture(other).split('\n').length}:3 UNKNOWN_FIELD spec.emial`,
    ]],
    ['the file with warnings deleted', { [other]: null }, [`${TEAM}:11:3 UNKNOWN_FIELD spec.parentTeam`]],
    ['all fixed', { [TEAM]: fixture(TEAM) }, []],
  ];
  for (const [what, files, expected] of steps) {
    repo.commit(files, what);
    const snap = await repo.snapshot();
    const warm = await loader.load(snap);
    t.true(warm.ok, what);
    t.is(warm.stats.parsedFiles, Object.values(files).filter((f) => f !== null).length, `${what}: only the changed file is parsed`);
    t.deepEqual(where(warm), expected, what);
    t.deepEqual(warm.warnings, (await createLoader().load(snap)).warnings, `${what}: as a cold load`);
  }
});

test('a file parsed on a worker warns as one parsed on the main thread, positions included', async (t) => {
  const repo = fixtureRepo('config-repo');
  t.teardown(repo.remove);
  repo.commit({ [TEAM]: withTypos, 'orgs/acme/users/alice.yaml': `${fixture('orgs/acme/users/alice.yaml')}  emial: typo\n` });
  const snap = await repo.snapshot();
  for (const check of [false, true]) {
    const run = (loader: ReturnType<typeof createLoader>) => (check ? loader.check(snap) : loader.load(snap));
    const onWorkers = await run(createLoader({ parallelFrom: 1, parseOnMainThread: false }));
    const here = await run(createLoader({ parallelFrom: Infinity }));
    t.true((onWorkers.stats.parsedOnWorkers ?? 0) > 0);
    t.is(here.stats.parsedOnWorkers, 0);
    t.is(onWorkers.warnings.length, 3);
    t.deepEqual(onWorkers.warnings, here.warnings);
  }
});

test('a big file, parsed on a worker alone with its positions made there, warns at the fields themselves', async (t) => {
  const repo = fixtureRepo('config-repo');
  t.teardown(repo.remove);
  // Over WORKER_ONLY_BYTES: never parsed on the main thread.
  const big = Array.from({ length: 600 }, (_, i) => [
    'apiVersion: kradle.a5c.ai/v1alpha1', 'kind: User', 'metadata:', `  name: u${i}`, 'spec:', '  organizationRef: acme',
    `  displayName: User number ${i} of a long generated list`, `  email: u${i}@example.com`, ...(i % 100 === 7 ? ['  emial: typo'] : []),
  ].join('\n')).join('\n---\n');
  const path = 'orgs/acme/users/many.yaml';
  repo.commit({ [path]: `${big}\n` });
  const r = await createLoader().load(await repo.snapshot());
  t.is(r.stats.parsedOnWorkers, 1);
  t.is(r.warnings.length, 6);
  const lines = big.split('\n');
  for (const w of r.warnings) t.is(lines[w.line - 1]!.slice(w.column - 1), 'emial: typo', `${w.path}:${w.line}:${w.column}`);
});
