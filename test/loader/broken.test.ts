import test from 'ava';
import { readdirSync, readFileSync } from 'node:fs';
import { createLoader, LOAD_ERROR_CODES } from '../../src/loader/index.ts';
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
