import test from 'ava';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { listKinds } from '../../src/kinds/index.ts';
import { createSchemaValidator, precompileSchemas } from '../../src/schema/index.ts';

// The build (scripts/build.mjs) precompiles the schemas into dist/; the tests run on the sources, so these
// check that a validator using the generated code answers exactly as one compiling the schemas at run time.

const schemaDir = fileURLToPath(new URL('../../schemas/', import.meta.url));
const sample = fileURLToPath(new URL('../../fixtures/config-repo/', import.meta.url));

function yamlFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? yamlFiles(join(dir, e.name)) : /\.ya?ml$/.test(e.name) ? [join(dir, e.name)] : [],
  );
}

/** The sample repo's documents, each also broken three ways, and a bare document of every kind. */
function documents(): unknown[] {
  const docs: unknown[] = [];
  for (const file of yamlFiles(sample)) {
    for (const d of parseAllDocuments(readFileSync(file, 'utf8'))) {
      const doc = (Array.isArray(d) ? undefined : d.toJS()) as Record<string, unknown> | null | undefined;
      if (!doc || typeof doc !== 'object') continue;
      docs.push(doc);
      docs.push({ ...doc, spec: { ...(doc.spec as object), notAField: 1 } });
      docs.push({ ...doc, metadata: {} });
      docs.push({ ...doc, spec: 'a string' });
    }
  }
  for (const { kind } of listKinds()) docs.push({ apiVersion: 'kradle.a5c.ai/v1alpha1', kind, metadata: { name: 'x' }, spec: {} });
  return docs;
}

const withTemp = (run: (dir: string) => void) => {
  const dir = mkdtempSync(join(tmpdir(), 'kradle-precompiled-'));
  try {
    run(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};

test('precompiled validators report exactly what compiled schemas report, for every kind', (t) => {
  withTemp((out) => {
    t.is(precompileSchemas(schemaDir, out), listKinds().length);
    const fromBuild = createSchemaValidator(schemaDir, out);
    const atRunTime = createSchemaValidator(schemaDir, null);
    const docs = documents();
    let invalid = 0;
    for (const doc of docs) {
      const expected = atRunTime.validate(doc);
      t.deepEqual(fromBuild.validate(doc), expected);
      if (expected.length) invalid++;
    }
    // The comparison covered failures as well as passes.
    t.true(invalid > docs.length / 2 && invalid < docs.length);
    t.deepEqual(fromBuild.counts(), { precompiled: listKinds().length, compiled: 0 });
    t.deepEqual(atRunTime.counts(), { precompiled: 0, compiled: listKinds().length });
  });
});

test('a schema edited after the build is compiled from its new text, not served stale', (t) => {
  withTemp((dir) => {
    const schemas = join(dir, 'schemas/');
    const out = join(dir, 'compiled');
    cpSync(schemaDir, schemas, { recursive: true });
    precompileSchemas(schemas, out);
    const orgFile = join(schemas, 'Organization.json');
    const org = JSON.parse(readFileSync(orgFile, 'utf8'));
    org.required.push('addedAfterBuild');
    writeFileSync(orgFile, JSON.stringify(org));
    const v = createSchemaValidator(schemas, out);
    const doc = { apiVersion: 'kradle.a5c.ai/v1alpha1', kind: 'Organization', metadata: { name: 'acme' }, spec: {} };
    t.true(v.validate(doc).some((i) => i.pointer === '/addedAfterBuild' && i.message === 'is required'));
    v.validate({ ...doc, kind: 'Team' });
    t.deepEqual(v.counts(), { precompiled: 1, compiled: 1 });
  });
});

test('without precompiled validators (the sources, no build) every schema is compiled', (t) => {
  withTemp((empty) => {
    const v = createSchemaValidator(schemaDir, join(empty, 'missing'));
    t.deepEqual(v.validate({ kind: 'Nope' }), [{ pointer: '/kind', message: 'unknown kind "Nope"' }]);
    t.true(v.validate({ apiVersion: 'kradle.a5c.ai/v1alpha1', kind: 'Team', metadata: { name: 'x' }, spec: {} }).length > 0);
    t.deepEqual(v.counts(), { precompiled: 0, compiled: 1 });
  });
});
