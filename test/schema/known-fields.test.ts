import test from 'ava';
import { createSchemaValidator } from '../../src/schema/index.ts';
import { specShape, unknownKeys } from '../../src/schema/known-fields.ts';

const schemaOf = (spec: Record<string, unknown>) => ({ type: 'object', properties: { metadata: { type: 'object' }, spec } });
const unknown = (spec: Record<string, unknown>, value: unknown) => unknownKeys(value, specShape(schemaOf(spec)), '/spec');

const ref = { oneOf: [{ type: 'string' }, { type: 'object', properties: { name: { type: 'string' } } }] };
const SPEC = {
  type: 'object',
  properties: {
    displayName: { not: { anyOf: [{ type: 'null' }, { const: '' }] } },
    git: { type: 'object', properties: { url: { type: 'string' } } },
    labels: { type: 'object', additionalProperties: { type: 'string' } },
    byPattern: { type: 'object', properties: { a: {} }, patternProperties: { '^x-': {} } },
    open: { type: 'object', properties: { a: {} }, additionalProperties: true },
    free: { type: 'object' },
    members: { type: 'array', items: ref },
    owner: { allOf: [{ not: { const: '' } }, ref] },
    anything: {},
  },
};

// Table-driven: what each kind of schema node lets through without a warning, and what it reports.
const cases: [title: string, value: unknown, expected: string[]][] = [
  ['listed fields, scalars and free-form values', { displayName: 'x', anything: { deep: { er: 1 } }, free: { any: 1 } }, []],
  ['a top-level typo', { displayName: 'x', parentTeam: 'ghost', maintainer: [] }, ['/spec/parentTeam', '/spec/maintainer']],
  ['a nested object listing its properties is checked', { git: { url: 'u', branch: 'main' } }, ['/spec/git/branch']],
  ['a map (additionalProperties schema) is not', { labels: { anything: 'goes' } }, []],
  ['nor an object with patternProperties or additionalProperties: true', { byPattern: { b: 1 }, open: { b: 1 } }, []],
  ['list items are checked by index', { members: ['a', { name: 'b', nmae: 'c' }] }, ['/spec/members/1/nmae']],
  ['a oneOf/allOf branch that lists properties checks the object form only', { owner: { name: 'x', kind: 'Team' } }, ['/spec/owner/kind']],
  ['a value of another type than the schema says is not looked into', { git: 'a string', members: { not: 'a list' } }, []],
  ['keys are escaped as JSON pointers', { 'a/b': 1, 'c~d': 2 }, ['/spec/a~1b', '/spec/c~0d']],
];

for (const [title, value, expected] of cases) {
  test(`unknown keys: ${title}`, (t) => {
    t.deepEqual(unknown(SPEC, value), expected);
  });
}

test('a spec schema without properties checks nothing; neither does a spec that is not an object', (t) => {
  t.is(specShape(schemaOf({ type: 'object' })), undefined);
  t.is(specShape({ type: 'object' }), undefined);
  t.deepEqual(unknown(SPEC, 'not an object'), []);
  t.deepEqual(unknown(SPEC, null), []);
});

test('the validator reports the unknown spec fields of a kind from its schema file, and none for a kind it does not know', (t) => {
  const v = createSchemaValidator();
  const team = {
    apiVersion: 'kradle.a5c.ai/v1alpha1', kind: 'Team', metadata: { name: 'web', labels: { any: 'label' } },
    spec: { organizationRef: 'acme', displayName: 'Web', parentTeam: 'ghost', maintainers: [{ name: 'a', namespace: 'acme' }] },
  };
  t.deepEqual(v.validate(team), [], 'an unknown spec field is valid (forward compatibility)');
  t.deepEqual(v.unknownFields(team), ['/spec/parentTeam']);
  t.deepEqual(v.unknownFields({ ...team, kind: 'NoSuchKind' }), []);
  t.deepEqual(v.unknownFields(null), []);
});
