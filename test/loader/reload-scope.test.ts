// What a reload re-checks (the changed documents and those whose references their change reaches) and the
// causal order of errors (a file that failed to parse first; the errors it causes name it).
import test from 'ava';
import { readFileSync } from 'node:fs';
import { createLoader } from '../../src/loader/index.ts';
import { createGitSource } from '../../src/source/index.ts';
import { createTestRepo, tempDir } from '../support/git-repo.ts';
import { fixtureRepo, FIXTURES } from './fixture-repo.ts';

const HEAD = 'apiVersion: kradle.a5c.ai/v1alpha1';
const ADAPTER = 'orgs/acme/zz-adapters/mux.yaml'; // sorts after the stacks that name it
const adapter = `${HEAD}\nkind: AgentAdapter\nmetadata:\n  name: mux\nspec:\n  organizationRef: acme\n  adapterType: cli\n  transport: stdio\n`;
const stack = (i: number) =>
  `${HEAD}\nkind: AgentStack\nmetadata:\n  name: s${i}\nspec:\n  organizationRef: acme\n  baseAgent: claude-code\n  adapter: mux\n  runtimeIdentity: bot\n`;
const repository = (i: number, visibility = 'private') =>
  `${HEAD}\nkind: Repository\nmetadata:\n  name: r${i}\nspec:\n  organizationRef: acme\n  visibility: ${visibility}\n`;

function generated() {
  const repo = createTestRepo(tempDir('kradle-reload-scope-'));
  const files: Record<string, string> = {
    'orgs/acme/organization.yaml': `${HEAD}\nkind: Organization\nmetadata:\n  name: acme\nspec:\n  displayName: Acme\n  namespaceName: kradle-org-acme\n`,
    'orgs/acme/bot.yaml': `${HEAD}\nkind: AgentServiceAccount\nmetadata:\n  name: bot\nspec:\n  organizationRef: acme\n  namespace: kradle-org-acme\n  serviceAccountName: bot\n`,
    [ADAPTER]: adapter,
  };
  for (let i = 0; i < 3; i++) files[`orgs/acme/agentstacks/s${i}.yaml`] = stack(i);
  for (let i = 0; i < 20; i++) files[`orgs/acme/repositories/r${i}.yaml`] = repository(i);
  repo.commit(files, 'generated');
  const source = createGitSource({ url: repo.dir });
  return { repo, snapshot: () => source.snapshot(repo.head()) };
}

test('a reload checks the changed document and the documents whose references it reaches, nothing else', async (t) => {
  const { repo, snapshot } = generated();
  t.teardown(repo.remove);
  const loader = createLoader();
  const cold = await loader.load(await snapshot());
  t.true(cold.ok);
  t.is(cold.stats.checkedDocuments, 26);

  repo.commit({ 'orgs/acme/repositories/r7.yaml': repository(7, 'internal') });
  const one = await loader.load(await snapshot());
  t.true(one.ok);
  t.is(one.stats.checkedDocuments, 1, 'a repository nobody names: only itself');

  repo.commit({ [ADAPTER]: null });
  const gone = await loader.load(await snapshot());
  t.false(gone.ok);
  if (gone.ok) return;
  t.deepEqual(gone.errors.map((e) => `${e.path} ${e.code}`), [0, 1, 2].map((i) => `orgs/acme/agentstacks/s${i}.yaml DANGLING_REF`));
  t.is(gone.stats.checkedDocuments, 3, 'the deleted adapter is still caught: its three referrers are checked again');

  repo.commit({ [ADAPTER]: adapter });
  const back = await loader.load(await snapshot());
  t.true(back.ok, 'adding it back clears them');
  t.is(back.stats.checkedDocuments, 4);
});

test('a file that failed to parse is reported first, and the errors it causes name it', async (t) => {
  const { repo, snapshot } = generated();
  t.teardown(repo.remove);
  const loader = createLoader();
  t.true((await loader.load(await snapshot())).ok);
  repo.commit({ [ADAPTER]: adapter.replace('  transport: stdio\n', '  transport: [stdio\n') });
  for (const r of [await loader.load(await snapshot()), await createLoader().load(await snapshot())]) {
    t.false(r.ok);
    if (r.ok) return;
    t.deepEqual(r.errors.map((e) => `${e.path} ${e.code}`), [
      `${ADAPTER} YAML_SYNTAX`,
      ...[0, 1, 2].map((i) => `orgs/acme/agentstacks/s${i}.yaml DANGLING_REF`),
    ]);
    for (const e of r.errors.slice(1)) t.regex(e.message, new RegExp(`names AgentAdapter mux, .*declared in ${ADAPTER}, which failed to parse`));
  }
});

test('documents of an org whose Organization failed to parse say so', async (t) => {
  const { repo, snapshot } = generated();
  t.teardown(repo.remove);
  repo.commit({ 'orgs/acme/organization.yaml': `${HEAD}\nkind: Organization\nmetadata:\n  name: acme\nspec:\n  displayName: [Acme\n  namespaceName: kradle-org-acme\n` });
  const r = await createLoader().load(await snapshot());
  t.false(r.ok);
  if (r.ok) return;
  t.is(r.errors[0]!.code, 'YAML_SYNTAX');
  t.is(r.errors[0]!.path, 'orgs/acme/organization.yaml');
  const missing = r.errors.filter((e) => e.code === 'MISSING_ORG');
  t.is(missing.length, 25);
  for (const e of missing) t.regex(e.message, /declared in orgs\/acme\/organization\.yaml, which failed to parse/);
});

test('positions of errors are found again from the repository (packed or loose), not from kept bytes', async (t) => {
  const repo = fixtureRepo('broken/many-errors-one-revision');
  t.teardown(repo.remove);
  const loose = await createLoader().load(await repo.snapshot());
  repo.git('repack', '-a', '-d', '-q');
  repo.git('prune-packed');
  const packed = await createLoader().load(await repo.snapshot());
  t.false(loose.ok);
  t.deepEqual(packed, { ...loose, stats: packed.stats });
  const expected = JSON.parse(readFileSync(`${FIXTURES}broken/many-errors-one-revision/expected.json`, 'utf8'));
  if (!packed.ok) t.deepEqual(packed.errors.map(({ path, line, column, code }) => ({ path, line, column, code })), expected);
});
