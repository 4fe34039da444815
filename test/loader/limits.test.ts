import test from 'ava';
import { createLoader, LIMITS, type LoadResult } from '../../src/loader/index.ts';
import { fixtureRepo } from './fixture-repo.ts';

const head = (name: string) =>
  `apiVersion: kradle.a5c.ai/v1alpha1\nkind: Team\nmetadata:\n  name: ${name}\nspec:\n  organizationRef: acme\n  displayName: ${name}\n`;
/** A Team whose spec holds `n` more keys, one per line from line 8. */
const wideTeam = (name: string, n: number) => head(name) + Array.from({ length: n }, (_, i) => `  k${i}: ${i}\n`).join('');
const errorsOf = (r: LoadResult) => (r.ok ? [] : r.errors.map(({ path, line, column, code }) => `${path}:${line}:${column} ${code}`));
const messagesOf = (r: LoadResult) => (r.ok ? '' : r.errors.map((e) => e.message).join('\n'));

test('a mapping at the keys limit loads; one key more is a positioned LIMIT_EXCEEDED naming the field', async (t) => {
  const repo = fixtureRepo('config-repo');
  t.teardown(repo.remove);
  const loader = createLoader();
  // displayName and organizationRef are spec keys too.
  repo.commit({ 'orgs/acme/teams/wide.yaml': wideTeam('wide', LIMITS.keysPerMapping - 2) });
  const atLimit = await loader.load(await repo.snapshot());
  t.deepEqual(errorsOf(atLimit), []);
  t.is(Object.keys(atLimit.ok ? atLimit.state.get('Team', 'acme', 'wide')!.object.spec : {}).length, LIMITS.keysPerMapping);
  repo.commit({ 'orgs/acme/teams/wide.yaml': wideTeam('wide', LIMITS.keysPerMapping - 1) });
  const over = await loader.load(await repo.snapshot());
  // The first key past the limit is key 10,001 of spec: line 8 holds the third.
  t.deepEqual(errorsOf(over), [`orgs/acme/teams/wide.yaml:${8 + LIMITS.keysPerMapping - 2}:3 LIMIT_EXCEEDED`]);
  t.regex(messagesOf(over), /^\/spec holds 10,001 keys, over the limit of 10,000 per mapping$/);
});

test('a document over the size limit is refused at its `---`; the file\'s other documents still parse', async (t) => {
  const repo = fixtureRepo('config-repo');
  t.teardown(repo.remove);
  const big = `${head('big')}  notes: "${'x'.repeat(LIMITS.documentChars)}"\n`;
  repo.commit({ 'orgs/acme/teams/big.yaml': `${head('small')}---\n${big}---\n${head('broken').replace('name: broken', 'name: [broken')}` });
  const r = await createLoader().load(await repo.snapshot());
  t.deepEqual(errorsOf(r), ['orgs/acme/teams/big.yaml:8:1 LIMIT_EXCEEDED', 'orgs/acme/teams/big.yaml:22:1 YAML_SYNTAX']);
  t.regex(messagesOf(r), /the document holds 1,048,7\d\d characters, over the limit of 1,048,576 per document/);
});

test('a file over the size limit is refused before it is parsed', async (t) => {
  const repo = fixtureRepo('config-repo');
  t.teardown(repo.remove);
  repo.commit({ 'orgs/acme/teams/huge.yaml': `${head('huge')}${`# ${'y'.repeat(1021)}\n`.repeat(LIMITS.fileBytes / 1024)}` });
  const r = await createLoader().load(await repo.snapshot());
  t.deepEqual(errorsOf(r), ['orgs/acme/teams/huge.yaml:1:1 LIMIT_EXCEEDED']);
  t.regex(messagesOf(r), /the file holds 8,388,7\d\d bytes, over the limit of 8,388,608/);
});

test('duplicate keys are a YAML_SYNTAX error at the second key, in block and flow mappings', async (t) => {
  const repo = fixtureRepo('config-repo');
  t.teardown(repo.remove);
  repo.commit({ 'orgs/acme/teams/dup.yaml': `${head('dup')}  displayName: again\n  lead: {name: a, name: b}\n  levels: {1: one, "1": one as text}\n` });
  const r = await createLoader().load(await repo.snapshot());
  t.deepEqual(errorsOf(r), ['orgs/acme/teams/dup.yaml:8:3 YAML_SYNTAX', 'orgs/acme/teams/dup.yaml:9:19 YAML_SYNTAX']);
  t.regex(messagesOf(r), /Map keys must be unique: \/spec\/displayName is written twice/);
});

test('nesting thousands of levels deep (deep enough to overflow the parser\'s stack) is one LIMIT_EXCEEDED, not an error per level', async (t) => {
  const repo = fixtureRepo('config-repo');
  t.teardown(repo.remove);
  for (const n of [1_000, 5_000]) {
    repo.commit({ 'orgs/acme/teams/deep.yaml': `${head('deep')}  x: ${'['.repeat(n)}${']'.repeat(n)}\n` });
    const r = await createLoader().load(await repo.snapshot());
    t.deepEqual(errorsOf(r), ['orgs/acme/teams/deep.yaml:8:104 LIMIT_EXCEEDED'], `${n} levels`);
    t.regex(messagesOf(r), /^\/spec\/x(\/0)+ nests deeper than 100 levels$/);
  }
});
