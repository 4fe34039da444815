import test from 'ava';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { buildKindSchema } from '../../src/kinds/schema-builder.ts';
import { isConfigKind, isRuntimeKind, kindDefinition, listKinds, resolveKind } from '../../src/kinds/index.ts';
import { createSchemaValidator } from '../../src/schema/index.ts';

const schemaDir = fileURLToPath(new URL('../../schemas/', import.meta.url));

test('every kind of the registry has a schema file, and every schema file a kind', (t) => {
  const files = readdirSync(schemaDir).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -5)).sort();
  t.deepEqual(files, listKinds().map((d) => d.kind).sort());
});

test('schema files are what the registry generates (run npm run gen:schemas when this fails)', (t) => {
  for (const def of listKinds()) {
    const onDisk = JSON.parse(readFileSync(`${schemaDir}${def.kind}.json`, 'utf8'));
    t.deepEqual(onDisk, buildKindSchema(def), def.kind);
    t.deepEqual(onDisk.properties.spec.required, [...def.requiredSpec], `${def.kind} required spec fields`);
  }
});

test('the registry holds the spec kinds with their storage', (t) => {
  t.is(listKinds('config').length, 51);
  t.is(listKinds('runtime').length, 31);
  t.true(isConfigKind('AgentStack'));
  t.true(isRuntimeKind('AgentDispatchRun'));
  t.false(isConfigKind('Pod'));
  t.is(resolveKind('agentstacks')?.kind, 'AgentStack');
  t.is(resolveKind('runnerpool')?.kind, 'RunnerPool');
  t.deepEqual(kindDefinition('RunnerPool')?.requiredSpec, ['organizationRef', 'warmReplicas', 'maxReplicas']);
  t.true(kindDefinition('Organization')?.platformScoped);
});

const validator = createSchemaValidator();
const base = (kind: string, spec: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  apiVersion: 'kradle.a5c.ai/v1alpha1',
  kind,
  metadata: { name: 'sample' },
  spec,
  ...extra,
});

const cases: [string, unknown, string[]][] = [
  ['valid RunnerPool', base('RunnerPool', { organizationRef: 'acme', warmReplicas: 1, maxReplicas: 3 }), []],
  ['negative warmReplicas', base('RunnerPool', { organizationRef: 'acme', warmReplicas: -1, maxReplicas: 3 }), ['/spec/warmReplicas']],
  ['missing required field', base('Team', { organizationRef: 'acme' }), ['/spec/displayName']],
  ['empty required string', base('Team', { organizationRef: 'acme', displayName: '' }), ['/spec/displayName']],
  ['unknown spec field allowed', base('Team', { organizationRef: 'acme', displayName: 'A', futureField: 1 }), []],
  ['unknown top-level field refused', base('Team', { organizationRef: 'acme', displayName: 'A' }, { extra: 1 }), ['/extra']],
  ['approval action enum', base('AgentApproval', { organizationRef: 'a', dispatchRun: 'r', action: 'nap', requestedBy: 'u' }), ['/spec/action']],
  ['binding mode enum', base('PolicyBinding', { organizationRef: 'a', templateRef: 't', mode: 'sometimes' }), ['/spec/mode']],
  ['Kubernetes label keys and values', base('Team', { organizationRef: 'acme', displayName: 'A' }, {
    metadata: { name: 'sample', labels: { 'example.com/tier': 'gold', app: 'x_y.z-1', 'bad key': 'v', 'x/y/z': 'v', long: 'v'.repeat(64), empty: '' } },
  }), ['/metadata/labels/bad key', '/metadata/labels/long', '/metadata/labels/x~1y~1z']],
  ['annotation keys are qualified names, values free', base('Team', { organizationRef: 'acme', displayName: 'A' }, {
    metadata: { name: 'sample', annotations: { 'kradle.a5c.ai/note': 'any text: at all!', '-bad': 'v' } },
  }), ['/metadata/annotations/-bad']],
  ['wrong apiVersion', { ...base('Team', { organizationRef: 'acme', displayName: 'A' }), apiVersion: 'v1' }, ['/apiVersion']],
];

for (const [title, doc, pointers] of cases) {
  test(`schema: ${title}`, (t) => {
    t.deepEqual(validator.validate(doc).map((i) => i.pointer).sort(), pointers.sort());
  });
}
