import test from 'ava';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';
import { GROUP, listKinds } from '../../src/kinds/index.ts';
import { buildCrds, crdFileName, crdYaml } from '../../src/cluster/crds.ts';
import { toStructural } from '../../src/cluster/structural-schema.ts';

const crdDir = fileURLToPath(new URL('../../manifests/crds/', import.meta.url));
const crds = buildCrds();

test('manifests/crds holds exactly the generated CRDs (run npm run gen:crds when this fails)', (t) => {
  const files = readdirSync(crdDir).filter((f) => f.endsWith('.yaml')).sort();
  t.deepEqual(files, crds.map(crdFileName).sort());
  for (const crd of crds) t.is(readFileSync(`${crdDir}${crdFileName(crd)}`, 'utf8'), crdYaml(crd), crdFileName(crd));
});

test('one CRD per config kind and none for runtime kinds', (t) => {
  const kinds = crds.map((c) => (c.spec as any).names.kind).sort();
  t.deepEqual(kinds, listKinds('config').map((d) => d.kind).sort());
  for (const d of listKinds('runtime')) t.false(kinds.includes(d.kind));
});

// What the apiserver requires of a structural schema, checked independently of the generator.
const TYPES = new Set(['object', 'array', 'string', 'integer', 'number', 'boolean']);
const ALLOWED = new Set([
  'type', 'format', 'description', 'enum', 'minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'multipleOf',
  'minLength', 'maxLength', 'pattern', 'minItems', 'maxItems', 'minProperties', 'maxProperties', 'required', 'items',
  'properties', 'additionalProperties', 'nullable', 'x-kubernetes-preserve-unknown-fields',
]);

function structuralProblems(node: any, path: string): string[] {
  const out: string[] = [];
  for (const key of Object.keys(node)) if (!ALLOWED.has(key)) out.push(`${path}: ${key} is not allowed`);
  const preserve = node['x-kubernetes-preserve-unknown-fields'] === true;
  if (node.type === undefined && !preserve) out.push(`${path}: no type and no x-kubernetes-preserve-unknown-fields`);
  if (node.type !== undefined && !TYPES.has(node.type)) out.push(`${path}: type ${JSON.stringify(node.type)}`);
  if (node.properties && node.additionalProperties !== undefined) out.push(`${path}: properties with additionalProperties`);
  if (node.type === 'array' && (typeof node.items !== 'object' || Array.isArray(node.items))) out.push(`${path}: array without items`);
  if (node.pattern !== undefined) {
    try { new RegExp(node.pattern); } catch { out.push(`${path}: bad pattern`); }
  }
  if (Array.isArray(node.enum) && node.type === 'string' && node.enum.some((v: unknown) => typeof v !== 'string')) out.push(`${path}: enum type`);
  if (typeof node.exclusiveMinimum === 'number' || typeof node.exclusiveMaximum === 'number') out.push(`${path}: numeric exclusive bound`);
  for (const [k, v] of Object.entries(node.properties ?? {})) out.push(...structuralProblems(v, `${path}.${k}`));
  if (node.items) out.push(...structuralProblems(node.items, `${path}[]`));
  if (typeof node.additionalProperties === 'object') out.push(...structuralProblems(node.additionalProperties, `${path}{}`));
  return out;
}

test('every CRD is what the apiserver accepts: structural schema, names, one stored version, status subresource', (t) => {
  for (const crd of crds) {
    const spec = crd.spec as any;
    t.is(crd.apiVersion, 'apiextensions.k8s.io/v1');
    t.is(crd.metadata.name, `${spec.names.plural}.${GROUP}`);
    t.is(spec.group, GROUP);
    t.is(spec.scope, 'Namespaced');
    t.regex(spec.names.plural, /^[a-z0-9]+$/);
    t.is(spec.names.singular, spec.names.kind.toLowerCase());
    t.is(spec.versions.length, 1);
    const [v] = spec.versions;
    t.like(v, { name: 'v1alpha1', served: true, storage: true, subresources: { status: {} } });
    const schema = v.schema.openAPIV3Schema;
    t.deepEqual(structuralProblems(schema, spec.names.kind), []);
    t.is(schema.type, 'object');
    t.deepEqual(schema.properties.metadata, { type: 'object' }, 'metadata: only name/generateName may be restricted');
    t.true(schema.properties.spec['x-kubernetes-preserve-unknown-fields']);
    t.true(schema.properties.status['x-kubernetes-preserve-unknown-fields']);
    const columns = v.additionalPrinterColumns.map((c: any) => c.name);
    t.deepEqual(columns.slice(-3), ['Ready', 'Phase', 'Age']);
    for (const c of v.additionalPrinterColumns) {
      t.regex(c.jsonPath, /^\./);
      t.true(['string', 'integer', 'number', 'boolean', 'date'].includes(c.type));
    }
  }
  const pool = crds.find((c) => (c.spec as any).names.kind === 'RunnerPool')!;
  t.deepEqual((pool.spec as any).versions[0].additionalPrinterColumns.slice(0, 2).map((c: any) => c.jsonPath), ['.spec.warmReplicas', '.spec.maxReplicas']);
});

test('the generated files parse as the CRD objects', (t) => {
  for (const crd of crds) t.deepEqual(YAML.parse(readFileSync(`${crdDir}${crdFileName(crd)}`, 'utf8')), crd);
});

test('toStructural drops what a CRD cannot express and keeps what it can', (t) => {
  const ref = { oneOf: [{ type: 'string', minLength: 1 }, { type: 'object', required: ['name'], properties: { name: { type: 'string' } } }] };
  const present = { not: { anyOf: [{ type: 'null' }, { const: '' }] } };
  t.deepEqual(toStructural(ref), { 'x-kubernetes-preserve-unknown-fields': true });
  t.deepEqual(toStructural({ allOf: [present, { type: 'integer', minimum: 0 }] }), { type: 'integer', minimum: 0 });
  t.deepEqual(toStructural(present), { 'x-kubernetes-preserve-unknown-fields': true });
  t.deepEqual(toStructural({ type: ['string', 'object'] }), { 'x-kubernetes-preserve-unknown-fields': true });
  t.deepEqual(toStructural({ const: 'x' }), { type: 'string', enum: ['x'] });
  t.deepEqual(toStructural({ type: 'number', exclusiveMinimum: 0 }), { type: 'number', minimum: 0, exclusiveMinimum: true });
  t.deepEqual(toStructural({ type: 'array' }), { type: 'array', items: { 'x-kubernetes-preserve-unknown-fields': true } });
  t.deepEqual(toStructural({ type: 'object', additionalProperties: { type: 'string' } }), {
    type: 'object',
    additionalProperties: { type: 'string' },
  });
  t.deepEqual(toStructural({ type: 'object', additionalProperties: false, properties: { a: { type: 'string', format: 'regex' } } }), {
    type: 'object',
    properties: { a: { type: 'string' } },
    'x-kubernetes-preserve-unknown-fields': true,
  });
});
