import test from 'ava';
import { readdirSync, readFileSync } from 'node:fs';
import { createLoader, LOAD_ERROR_CODES } from '../../src/loader/index.ts';
import { createGitSource } from '../../src/source/index.ts';
import { createTestRepo } from '../support/git-repo.ts';
import { fixtureRepo, FIXTURES } from './fixture-repo.ts';

interface Expected {
  path: string;
  line: number;
  column: number;
  code: string;
}

const cases = readdirSync(`${FIXTURES}broken`).sort();
const expectedOf = (c: string): Expected[] => JSON.parse(readFileSync(`${FIXTURES}broken/${c}/expected.json`, 'utf8'));
// One loader for all cases, as the controller keeps one: cached blobs must not leak errors between revisions.
const loader = createLoader();

test('there is a broken case for every error class', (t) => {
  t.true(cases.length >= 12);
  const covered = new Set(cases.flatMap((c) => expectedOf(c).map((e) => e.code)));
  t.deepEqual(LOAD_ERROR_CODES.filter((code) => !covered.has(code)), []);
});

for (const c of cases) {
  test(`broken/${c}: exactly the expected errors, positioned`, async (t) => {
    const repo = fixtureRepo(`broken/${c}`);
    t.teardown(repo.remove);
    const r = await loader.load(await repo.snapshot());
    t.false(r.ok);
    if (r.ok) return;
    t.deepEqual(r.errors.map(({ path, line, column, code }) => ({ path, line, column, code })), expectedOf(c));
    for (const e of r.errors) t.true(e.message.length > 10, `${e.code} says what is wrong`);
  });
}

test('error messages name the field and the right place', async (t) => {
  const messages = async (c: string) => {
    const repo = fixtureRepo(`broken/${c}`);
    t.teardown(repo.remove);
    const r = await loader.load(await repo.snapshot());
    return r.ok ? [] : r.errors.map((e) => e.message);
  };
  t.regex((await messages('runtime-kind-in-repo'))[0]!, /runtime API \(POST \/api\/orgs\/<org>\/resources\)/);
  t.regex((await messages('unsupported-api-group'))[0]!, /not supported yet/);
  t.regex((await messages('schema-violation')).join('\n'), /\/spec\/maxReplicas is required/);
  t.regex((await messages('dangling-ref')).join('\n'), /spec\.skills\[\] names AgentSkill code-review/);
});

test('a missing kind says it is missing, and a kind spelt in lower case or as a plural names the kind meant', async (t) => {
  const repo = createTestRepo();
  t.teardown(repo.remove);
  const doc = (kind: string) => `apiVersion: kradle.a5c.ai/v1alpha1\n${kind}metadata:\n  name: x\nspec:\n  organizationRef: acme\n`;
  repo.commit({ 'a.yaml': doc(''), 'orgs/acme/teams/f.yaml': doc(''), 'b.yaml': doc('kind: team\n'), 'c.yaml': doc('kind: agentstacks\n'), 'd.yaml': doc('kind: Widget\n'), 'e.yaml': doc('kind: 7\n') });
  const source = createGitSource({ url: repo.dir });
  const r = await createLoader().load(await source.snapshot(repo.head()));
  t.false(r.ok);
  if (r.ok) return;
  t.deepEqual(r.errors.map((e) => `${e.path}:${e.line}:${e.column}: ${e.code} ${e.message}`), [
    'a.yaml:1:1: UNKNOWN_KIND the document has no kind (see `kradle kinds`)',
    'b.yaml:2:1: UNKNOWN_KIND "team" is not a kind of kradle.a5c.ai: did you mean Team? (see `kradle kinds`)',
    'c.yaml:2:1: UNKNOWN_KIND "agentstacks" is not a kind of kradle.a5c.ai: did you mean AgentStack? (see `kradle kinds`)',
    'd.yaml:2:1: UNKNOWN_KIND "Widget" is not a kind of kradle.a5c.ai (see `kradle kinds`)',
    'e.yaml:2:1: UNKNOWN_KIND 7 is not a kind of kradle.a5c.ai (see `kradle kinds`)',
    'orgs/acme/teams/f.yaml:1:1: UNKNOWN_KIND the document has no kind: add kind: Team, as its directory suggests (see `kradle kinds`)',
  ]);
});
